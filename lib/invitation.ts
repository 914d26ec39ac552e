// Invitations: when the host changes, a newcomer can find the anchor free for a moment and found a
// meeting of its own, alone. The new host, knocking, finds it there and admits it into the real meeting
// with a signed admission; a founder still alone and young takes it, like any verified welcome.
import type { Welcome } from "./anchor.js";
import type { SignalChannel } from "./broker.js";
import type { Timers } from "./clock.js";
import type { HostChain } from "./host-chain.js";
import { randomId } from "./ids.js";
import type { Keyring } from "./keyring.js";
import type { Logger } from "./log.js";
import type { Roster } from "./roster.js";
import { welcomeStatement, type Scope } from "./scope.js";

export interface InvitationDeps {
  timers: Timers;
  log: Logger;
  scope: Scope;
  keyring: Keyring;
  chain: HostChain;
  roster: Roster;
  self(): SignalChannel | null;
  /** A join number for `id` (the host's admission counter); null when over its limits. */
  admit(id: string): number | null;
  /** Gives our anchor up. */
  release(): void;
  /** We were invited into the real meeting: become its member. */
  invited(welcome: Welcome): void;
}

// How long after founding a meeting alone we still accept an invitation into another under this id.
const INVITATION_WINDOW_MS = 15_000;

export class Invitations {
  private foundedAt: number | null = null;
  private everJoined = false;

  constructor(private readonly deps: InvitationDeps) {}

  /** We founded the meeting just now. */
  founded(): void {
    this.foundedAt = this.deps.timers.now();
  }

  /** Someone joined us: we are no longer a founder alone. */
  memberArrived(): void {
    this.everJoined = true;
  }

  /**
   * As host: the anchor's holder (`welcome` is its answer to our knock) is a founder alone; invite it.
   * True when invited (it holds the anchor under a token of its own).
   */
  async send(welcome: Welcome): Promise<boolean> {
    const holder = welcome.roster.members;
    const roster = this.deps.chain.roster;
    const self = this.deps.self();
    if (holder.length !== 1 || holder[0]!.id !== welcome.roster.hostId || roster === null || roster.hostId !== this.deps.roster.selfId || !self) return false;
    const { id, key } = holder[0]!;
    const seq = this.deps.admit(id);
    if (seq === null) return false;
    const dst = this.deps.scope.brokerIdOf(id);
    const nonce = randomId(16);
    const sig = await this.deps.keyring.signAdmission(id, seq, key);
    const members = roster.members.filter((m) => m.id !== id).map((m) => ({ id: m.id, seq: m.seq }));
    const mac = await this.deps.scope.tag(welcomeStatement(dst, nonce, seq, sig, roster.sig));
    this.deps.log.info(`inviting ${id}, who founded a meeting of its own at the anchor, into ours`);
    self.send(dst, { mm: 1, t: "welcome", nonce, hostId: roster.hostId, seq, sig, roster, members, mac });
    return true;
  }
  /** A welcome from a member's id (not the anchor): an invitation, taken only by a young founder alone. */
  async received(src: string, welcome: Welcome, holding: boolean): Promise<void> {
    const roster = this.deps.roster;
    const young = this.foundedAt !== null && this.deps.timers.now() - this.foundedAt < INVITATION_WINDOW_MS;
    if (!young || !roster.alone || !holding || this.everJoined || welcome.roster.hostId === roster.selfId) {
      return this.deps.log.debug(`welcome from ${src} (not the anchor) ignored`);
    }
    const self = this.deps.self();
    if (!self || !(await this.deps.scope.checkTag(welcomeStatement(self.id, welcome.nonce, welcome.seq, welcome.sig, welcome.roster.sig), welcome.mac))) return;
    const proof = { seq: welcome.seq, key: this.deps.keyring.publicKey, sig: welcome.sig };
    if (!(await this.deps.chain.trust(welcome.roster, roster.selfId, proof)).ok) return this.deps.log.debug(`invitation from ${src} does not verify`);
    this.deps.log.info(`joining the meeting of ${welcome.roster.hostId}, which invited us`);
    this.deps.release();
    this.deps.invited(welcome);
  }
}
