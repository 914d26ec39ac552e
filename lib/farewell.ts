// Leaving and ending: goodbyes (naming the next host, with a signed handover), terminates (signed by
// the host, checked by every receiver, relayed), and their acknowledgements.
import { BoundedSet } from "./bounded-set.js";
import { Refusals } from "./refusals.js";
import type { Timers } from "./clock.js";
import { MeshError } from "./errors.js";
import { Acks } from "./handshake.js";
import { randomId } from "./ids.js";
import type { HostChain } from "./host-chain.js";
import type { Keyring } from "./keyring.js";
import type { Link } from "./link.js";
import type { LinkTable } from "./link-table.js";
import type { Logger } from "./log.js";
import type { LinkMessage } from "./protocol.js";

type Bye = Extract<LinkMessage, { t: "bye" }>;
type End = Extract<LinkMessage, { t: "end" }>;

export interface FarewellDeps {
  selfId: string;
  timers: Timers;
  log: Logger;
  keyring: Keyring;
  /** Whose key is whose and who is host: an end is obeyed only when it is that host's. */
  chain: HostChain;
  links: LinkTable;
  /** Still in the meeting (or joining): an end can still end it for us. */
  active(): boolean;
  /** A forged or stale end was ignored. */
  refused(error: MeshError): void;
  /** The host's end verified: the meeting is over; `linger` settles once the ack and relays are out. */
  ended(linger: Promise<unknown>): void;
}

// Bounds for the goodbye and terminate handshakes (acks or link closes end them sooner).
const BYE_WAIT_MS = 500;
const END_WAIT_MS = 1000;
const END_RESEND_MS = 200;
// Nonces of ends obeyed or refused, remembered to report and obey each once; bounded against floods.
const REMEMBERED_ENDS = 1024;

export class Farewell {
  private readonly acks: Acks;
  private readonly obeyed = new BoundedSet<string>(REMEMBERED_ENDS);
  private readonly refusals: Refusals;

  constructor(private readonly deps: FarewellDeps) {
    this.acks = new Acks(deps.timers);
    // An end is resent until acknowledged, and relayed by several: each refused one counts once.
    this.refusals = new Refusals(deps, { code: "unauthorized-terminate", one: "an end", many: "ends", reported: "an end of the meeting" });
  }

  /** `link` acknowledged our bye or end, or closed. */
  settle(link: Link): void {
    this.acks.settle(link);
  }

  /**
   * Says goodbye on every link, naming `successor` (when we are host) with a signed handover, and waits
   * (bounded) for the acks. A handover that cannot be signed goes unsigned: leaving must not fail.
   */
  async goodbye(successor: string | null): Promise<void> {
    const successorKey = successor === null ? null : (this.deps.chain.entry(successor)?.key ?? null);
    let handoverSig: string | null = null;
    if (successor !== null && successorKey !== null) {
      try {
        handoverSig = await this.deps.keyring.signHandover(this.deps.selfId, successor, successorKey);
      } catch (error) {
        this.deps.log.error("could not sign the handover; leaving without it", error);
      }
    }
    const bye: Bye = { v: 1, t: "bye", successor, successorKey: handoverSig && successorKey, handoverSig };
    await this.acks.handshake(this.deps.links.all(), bye, BYE_WAIT_MS, 0);
  }

  /**
   * Goodbye without waiting for answers, for `pagehide`: the page may be gone before any arrives.
   * No time to sign a handover here: those who get this bye get it over the host's own link anyway.
   */
  goodbyeNow(successor: string | null): void {
    const bye: Bye = { v: 1, t: "bye", successor, successorKey: null, handoverSig: null };
    this.deps.links.broadcast(bye, (l) => l.state === "open");
  }

  /** Ends the meeting for everyone: a signed terminate on every link, resent until acknowledged (bounded). */
  async end(): Promise<void> {
    const nonce = randomId(16);
    const time = Date.now();
    const sig = await this.deps.keyring.signEnd(this.deps.selfId, nonce, time);
    this.obeyed.add(nonce);
    const end: End = { v: 1, t: "end", nonce, hostId: this.deps.selfId, time, sig };
    await this.acks.handshake(this.deps.links.all(), end, END_WAIT_MS, END_RESEND_MS);
  }

  /**
   * A member said goodbye: acknowledge and let the link go. Resolves once the handover it signed (if
   * any, and if it was the host) is checked and remembered by the host chain.
   */
  async onBye(link: Link, bye: Bye): Promise<void> {
    link.send({ v: 1, t: "bye-ack" });
    void link.flush(100).then(() => link.close());
    if (bye.successor === null || bye.successorKey === null || bye.handoverSig === null) return;
    if (!(await this.deps.chain.handover(link.remoteId, bye.successor, bye.successorKey, bye.handoverSig))) {
      this.deps.log.debug(`handover from ${link.remoteId} to ${bye.successor} not accepted`);
    }
  }

  /**
   * A terminate counts when the host signed it, whoever brought it: the signature, checked with the
   * key the host gave us over its own link, is what makes relaying it safe.
   */
  async onEnd(link: Link, end: End): Promise<void> {
    if (this.obeyed.has(end.nonce)) return;
    const refusal = await this.deps.chain.refuseEnd(end);
    if (refusal !== null) return this.refusals.refuse(link, end.nonce, refusal);
    if (!this.deps.active() || this.obeyed.has(end.nonce)) return;
    this.obeyed.add(end.nonce);
    link.send({ v: 1, t: "end-ack", nonce: end.nonce });
    // Relay: a participant whose own link to the host is down still gets it through us.
    for (const other of this.deps.links.all()) if (other !== link) other.send(end);
    // The meeting is over for us now; the links only linger until the ack and relays are out.
    this.deps.ended(Promise.all(this.deps.links.all().map((l) => l.flush(200))));
  }
}
