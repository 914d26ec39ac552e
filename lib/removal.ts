// The host removes a member: a removal signed by the host (bound to the member's roster key, a nonce
// and the time), sent on every link, checked by every receiver against the host key of the signed
// roster, relayed on its other links (so that it reaches a member whose link to the host is down), and
// obeyed. Removed ids are refused from then on: their knocks (if we are or become host), offers and hellos.
import { BoundedSet } from "./bounded-set.js";
import { Refusals } from "./refusals.js";
import type { Timers } from "./clock.js";
import { MeshError } from "./errors.js";
import type { HostChain } from "./host-chain.js";
import { randomId } from "./ids.js";
import type { Keyring } from "./keyring.js";
import type { Link } from "./link.js";
import type { LinkTable } from "./link-table.js";
import type { Logger } from "./log.js";
import type { LinkMessage } from "./protocol.js";

type Remove = Extract<LinkMessage, { t: "remove" }>;

export interface RemovalDeps {
  selfId: string;
  timers: Timers;
  log: Logger;
  keyring: Keyring;
  chain: HostChain;
  links: LinkTable;
  /** Still in the meeting (or joining). */
  active(): boolean;
  /** A verified removal of another member: it is out (participant-left, reason `removed`). */
  removed(id: string): void;
  /** We were removed; `linger` settles once the relays are out. */
  expelled(linger: Promise<unknown>): void;
  /** A removal the host did not sign was ignored. */
  refused(error: MeshError): void;
}

// Nonces of removals handled (each is obeyed and relayed once) and removed ids; bounded against floods.
const REMEMBERED = 1024;
// How long a relay may take to leave before the link it goes on is closed.
const RELAY_FLUSH_MS = 200;

export class Removal {
  private readonly handled = new BoundedSet<string>(REMEMBERED);
  private readonly out = new BoundedSet<string>(REMEMBERED);
  private readonly refusals: Refusals;

  constructor(private readonly deps: RemovalDeps) {
    this.refusals = new Refusals(deps, { code: "unauthorized-remove", one: "a removal", many: "removals", reported: "a removal" });
  }

  /** True when `id` was removed from this meeting (by a removal we verified or signed). */
  isRemoved(id: string): boolean {
    return this.out.has(id);
  }

  /** As host: removes `target` (a member of our signed roster). Throws `unknown-participant`. */
  async remove(target: string): Promise<void> {
    const entry = this.deps.chain.entry(target);
    if (!entry || target === this.deps.selfId) {
      throw new MeshError("unknown-participant", `${target} is not in the signed roster yet`, { participantId: target });
    }
    const nonce = randomId(16);
    const time = Date.now();
    const sig = await this.deps.keyring.signRemoval(this.deps.selfId, target, entry.key, nonce, time);
    this.handled.add(nonce);
    this.out.add(target);
    const message: Remove = { v: 1, t: "remove", nonce, hostId: this.deps.selfId, target, targetKey: entry.key, time, sig };
    // Every open link, the target's too: it leaves on its own word from us, not at a link's close.
    this.deps.links.broadcast(message, (l) => l.state === "open");
    this.deps.removed(target);
  }

  /** A removal arrived on `link`: obeyed when the host signed it, whoever brought it. */
  async onRemove(link: Link, removal: Remove): Promise<void> {
    if (this.handled.has(removal.nonce)) return;
    const refusal = await this.deps.chain.refuseRemoval(removal);
    if (refusal !== null) return this.refusals.refuse(link, removal.nonce, refusal);
    if (!this.deps.active() || this.handled.has(removal.nonce)) return;
    this.handled.add(removal.nonce);
    // The host's word, but about whom? Bound to a key: one we know under that id that differs is another
    // incarnation of the id (removal and rejoin raced), not the one removed. Ours we always know; another
    // member's we may not yet (the relay outran the roster naming it), and then the id is out.
    const known = removal.target === this.deps.selfId ? this.deps.keyring.publicKey : this.deps.chain.entry(removal.target)?.key;
    if (known !== undefined && known !== removal.targetKey) {
      return this.deps.log.debug(`a removal of another incarnation of ${removal.target} ignored`);
    }
    this.out.add(removal.target);
    // Relay first: a member whose link to the host is down (the target too) gets it through us.
    for (const other of this.deps.links.all()) if (other !== link && other.state === "open") other.send(removal);
    if (removal.target === this.deps.selfId) {
      this.deps.log.info(`removed from the meeting by the host ${removal.hostId}`);
      return this.deps.expelled(Promise.all(this.deps.links.all().map((l) => l.flush(RELAY_FLUSH_MS))));
    }
    this.deps.removed(removal.target);
  }
}
