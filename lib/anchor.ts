// The anchor role: the one broker id newcomers knock on. Claiming it, knocking on it (each reply
// matched to its knock by a nonce), admitting newcomers while we hold it, taking it over from a silent
// holder, and following a live holder that is not us (rehome).
import { Admission } from "./admission.js";
import { ChannelOpenError, type OpenChannel, type SignalChannel } from "./broker.js";
import type { Timers } from "./clock.js";
import { MeshError } from "./errors.js";
import { participantFromBrokerId, randomId } from "./ids.js";
import type { LinkTable } from "./link-table.js";
import type { Logger } from "./log.js";
import { parseSignal, type SignalMessage } from "./protocol.js";
import { unlessAborted } from "./queue.js";
import type { Roster } from "./roster.js";

export type Welcome = Extract<SignalMessage, { t: "welcome" }>;

export interface AnchorConfig {
  meetingId: string;
  name: string;
  anchorId: string;
  linkTimeout: number;
  heartbeatTimeout: number;
}

export interface AnchorDeps {
  timers: Timers;
  log: Logger;
  openChannel: OpenChannel;
  roster: Roster;
  links: LinkTable;
  /** Our own registration (to knock from); null before it exists or after release. */
  self(): SignalChannel | null;
  /** The meeting is still ours to act in (joining or joined). */
  active(): boolean;
  /** The host is now `id` (emits host-changed when it changed). */
  setHost(id: string): void;
  /** We are the one cut off: the meeting goes on without us. */
  cutOff(): void;
}

// How often the host checks that the broker still routes the anchor to it.
const ANCHOR_WATCH_MS = 1000;
const REGISTER_TIMEOUT_MS = 5000;
// How long a would-be host waits for the anchor's holder to answer before taking the anchor over.
const HOLDER_ALIVE_WAIT_MS = 1000;
// A successor retries the anchor this often while the old holder's registration lingers.
const CLAIM_RETRY_MS = 200;
// With nobody left to talk to, this many failed claims mean the meeting lives on elsewhere.
const CLAIM_ATTEMPTS_WHEN_ALONE = 15;

export function brokerUnreachable(error: unknown): MeshError {
  return new MeshError("broker-unreachable", `cannot reach the broker: ${String((error as Error).message)}`, {
    cause: error,
  });
}

export class AnchorRole {
  private channel: SignalChannel | null = null;
  // The anchor's broker token: ours when we hold it; the host's when it told us (see README, Reliability).
  private token: string | null = null;
  private readonly admission = new Admission();
  private readonly knocks = new Map<string, (welcome: Welcome | null) => void>();

  constructor(
    private readonly config: AnchorConfig,
    private readonly deps: AnchorDeps,
  ) {}

  /** We hold the anchor registration now. */
  get holding(): boolean {
    return this.channel !== null;
  }

  /** The token to hand to members in our hello (only while we hold the anchor). */
  get tokenToShare(): string | null {
    return this.holding ? this.token : null;
  }

  /** The host told us its anchor token. */
  learnToken(token: string): void {
    this.token = token;
  }

  /**
   * Registers the anchor under `token`; true when we hold it now (and are host), false when someone
   * else does. A token equal to the live holder's takes the anchor over. Throws broker-unreachable.
   */
  async claim(timeoutMs: number, token: string): Promise<boolean> {
    let anchor: SignalChannel;
    try {
      anchor = await this.deps.openChannel(this.config.anchorId, timeoutMs, token);
    } catch (error) {
      if (error instanceof ChannelOpenError && error.kind === "id-taken") return false;
      throw brokerUnreachable(error);
    }
    if (!this.deps.active()) {
      anchor.close();
      return false;
    }
    this.channel = anchor;
    this.token = token;
    this.deps.setHost(this.deps.roster.selfId);
    anchor.onMessage = (src, payload) => this.onKnock(src, payload);
    anchor.onLost = () => this.onLost();
    anchor.watch(ANCHOR_WATCH_MS);
    this.deps.log.info(`holding the anchor`);
    return true;
  }

  /** Founding the meeting: numbers start after ours (0). */
  founded(): void {
    this.deps.roster.selfSeq = 0;
    this.admission.restartAfter(0);
  }

  /** Knocks on the anchor; resolves with its welcome, or null when none came within `timeoutMs`. */
  knock(timeoutMs: number, signal?: AbortSignal): Promise<Welcome | null> {
    const nonce = randomId(16);
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(null);
      signal?.addEventListener("abort", () => finish(null), { once: true });
      const cancel = this.deps.timers.after(timeoutMs, () => finish(null), () => finish(null));
      const finish = (welcome: Welcome | null): void => {
        if (!this.knocks.delete(nonce)) return;
        cancel();
        resolve(welcome);
      };
      this.knocks.set(nonce, finish);
      this.deps.self()?.send(this.config.anchorId, { mm: 1, t: "knock", name: this.config.name, nonce });
    });
  }

  /** A welcome arrived on our own registration; `src` is broker-stamped. */
  onWelcome(src: string, welcome: Welcome): void {
    // Only the anchor's holder can send from the anchor id, and only to a knock of ours.
    if (src !== this.config.anchorId) return this.deps.log.debug(`welcome from ${src} (not the anchor) ignored`);
    const answer = this.knocks.get(welcome.nonce);
    if (!answer) return this.deps.log.debug("welcome to no knock of ours ignored");
    answer(welcome);
  }

  /**
   * We are host by the succession rule but do not hold the anchor: claim it. If someone holds it,
   * knock: a live holder answers and we follow it; a silent one (frozen, or its registration not yet
   * expired) is taken over with the meeting's anchor token, if a live member is with us. Alone and
   * unable to claim, we are the one who got cut off, and the meeting goes on without us.
   * Named by a host that said goodbye, we claim with the meeting's anchor token at once: its
   * registration may linger at the broker for a moment, and knocking on it first would leave a gap in
   * which a newcomer could claim the anchor and the meeting would have to merge into its.
   */
  async settle(handedOver: boolean, signal: AbortSignal): Promise<void> {
    const roster = this.deps.roster;
    let failures = 0;
    const going = (): boolean => !signal.aborted && roster.isHost && !this.holding && this.deps.active();
    while (going()) {
      let taken = false;
      try {
        const token = handedOver && this.token !== null ? this.token : randomId(24);
        // A claim that lands after we were cancelled is given back by claim() itself (not active).
        if (await unlessAborted(this.claim(REGISTER_TIMEOUT_MS, token), signal, false)) return this.announce();
        taken = true;
      } catch (error) {
        // The broker is down: keep trying; the meeting goes on without newcomers meanwhile.
        this.deps.log.warn("claiming the anchor failed; retrying", error);
      }
      if (taken && going()) {
        // Asked twice: a busy machine can be slow to answer, and a wrong "dead" costs a live host its role.
        const welcome =
          (await this.knock(HOLDER_ALIVE_WAIT_MS, signal)) ?? (going() ? await this.knock(HOLDER_ALIVE_WAIT_MS, signal) : null);
        if (!going()) return;
        if (welcome && welcome.hostId !== roster.selfId) return this.follow(welcome);
        // Take over only with a live member beside us: someone who lost the host as we did. Alone, we
        // may just as well be the one who got cut off, and the holder's silence proves nothing.
        if (!welcome && this.token !== null && this.deps.links.hasLiveLink(this.config.heartbeatTimeout / 2)) {
          try {
            if (await unlessAborted(this.claim(REGISTER_TIMEOUT_MS, this.token), signal, false)) return this.announce();
          } catch (error) {
            this.deps.log.warn("taking the anchor over failed; retrying", error);
          }
        }
      }
      failures++;
      if (roster.alone && failures >= CLAIM_ATTEMPTS_WHEN_ALONE) return this.deps.cutOff();
      await unlessAborted(this.deps.timers.sleep(roster.alone ? CLAIM_RETRY_MS : Math.min(1000, CLAIM_RETRY_MS * failures)), signal, undefined);
    }
  }

  /**
   * A member says the anchor changed hands. Only the broker-stamped anchor can answer a knock, so a
   * member can make us look, never tell us whom to follow.
   */
  async rehome(signal: AbortSignal): Promise<void> {
    if (this.holding || !this.deps.active()) return;
    const welcome = await this.knock(HOLDER_ALIVE_WAIT_MS, signal);
    if (welcome && !signal.aborted && this.deps.active() && !this.holding) this.adopt(welcome);
  }

  /** Links to everyone a welcome lists and follows its host. */
  adopt(welcome: Welcome): void {
    this.deps.setHost(welcome.hostId);
    for (const member of welcome.members) {
      if (member.id !== this.deps.roster.selfId) this.deps.links.ensure(member.id);
    }
  }

  /** A member said hello: no longer in flight, its number never handed out again. */
  arrived(id: string, seq: number): void {
    this.admission.arrived({ id, seq });
  }

  /** Gives the anchor up (leaving) and forgets pending knocks. */
  release(): void {
    this.channel?.close();
    this.channel = null;
    for (const answer of [...this.knocks.values()]) answer(null);
  }

  // Now holding the anchor, under the token claim() recorded: start numbering after everyone we know,
  // and tell everyone the token.
  private announce(): void {
    this.admission.restartAfter(this.deps.roster.highestSeq());
    const token = this.token;
    if (token !== null) this.deps.links.broadcast({ v: 1, t: "anchor", token }, (l) => l.state === "open");
  }

  // A live holder answered our knock: either we were cut off from the host, or someone claimed the
  // anchor while it changed hands and now hosts part of the meeting. Either way we follow the holder
  // and ask our members to check the anchor too, so the two parts become one meeting again.
  private follow(welcome: Welcome): void {
    if (this.deps.roster.alone) return this.deps.cutOff();
    this.adopt(welcome);
    this.deps.links.broadcast({ v: 1, t: "rehome" }, (l) => l.state === "open");
  }

  private onKnock(src: string, payload: unknown): void {
    const message = parseSignal(payload);
    const from = participantFromBrokerId(this.config.meetingId, src);
    if (message === null || message.t !== "knock" || from === null) {
      this.deps.links.countDropped(src);
      return this.deps.log.debug(`non-knock on the anchor from ${src} dropped`);
    }
    const roster = this.deps.roster;
    if (from === roster.selfId || this.channel === null) return;
    const now = this.deps.timers.now();
    this.admission.expire(now);
    // A knock from a member is a probe (is the host alive?) or a restart; it gets a welcome like anyone.
    const seq = this.admission.admit(from, now, this.config.linkTimeout);
    if (seq === null) {
      this.deps.links.countDropped(src);
      return this.deps.log.debug(`knock from ${from} refused (rate limit or too many in flight)`);
    }
    const members = [{ id: roster.selfId, seq: roster.selfSeq }];
    for (const member of roster.view.values()) if (member.id !== from) members.push({ id: member.id, seq: member.seq });
    members.push(...this.admission.inFlight(from));
    this.channel.send(src, { mm: 1, t: "welcome", nonce: message.nonce, hostId: roster.selfId, seq, members });
  }

  // The broker routes the anchor to someone else now (we froze and were taken over, or lost it while
  // the broker was away).
  private onLost(): void {
    this.channel = null;
    this.deps.log.warn("lost the anchor registration");
    this.lostHandler?.();
  }

  /** Called when the anchor is lost while we held it (the coordinator decides what follows). */
  lostHandler: (() => void) | null = null;
}
