// The anchor role: the one broker id newcomers knock on, a rendezvous and nothing more. Holding it
// makes nobody host: the signed roster does (host-chain.ts). Here: claiming it, knocking on it (each
// reply matched to its knock by a nonce), admitting newcomers with a signed admission while we are host
// and hold it, taking it over from a silent holder, and looking at who holds it (rehome).
import { Admission } from "./admission.js";
import { ChannelOpenError, REGISTER_TIMEOUT_MS, type OpenChannel, type SignalChannel } from "./broker.js";
import type { Timers } from "./clock.js";
import { brokerUnreachable } from "./errors.js";
import type { HostChain } from "./host-chain.js";
import { randomId } from "./ids.js";
import type { Keyring } from "./keyring.js";
import type { LinkTable } from "./link-table.js";
import type { Logger } from "./log.js";
import { parseSignal, type SignalMessage } from "./protocol.js";
import { unlessAborted } from "./queue.js";
import type { Roster } from "./roster.js";
import { Invitations } from "./invitation.js";
import { deniedStatement, knockStatement, waitingStatement, welcomeStatement, type Scope } from "./scope.js";
import type { EntryDecision } from "./mesh-types.js";
import { WaitingRoom } from "./waiting-room.js";

export type Welcome = Extract<SignalMessage, { t: "welcome" }>;
export type Denied = Extract<SignalMessage, { t: "denied" }>;
export type EntryReply = Extract<SignalMessage, { t: "waiting" | "denied" }>;

/** The door's moderation: who may not come back, and the app's part in a waiting room. */
export interface Door {
  /** `id` was removed from this meeting: its knocks are denied. */
  banned(id: string): boolean;
  /** A newcomer waits for the app's decision (waiting room). */
  requested(request: { id: string; name: string; allow(): void; deny(): void }): void;
  /** We decided on a newcomer (as host). */
  responded(id: string, decision: EntryDecision): void;
}

export interface AnchorConfig {
  name: string;
  linkTimeout: number;
  /** As host: newcomers wait for the app's allow() or deny(). */
  waitingRoom?: boolean;
}

export interface AnchorDeps {
  timers: Timers;
  log: Logger;
  scope: Scope;
  openChannel: OpenChannel;
  roster: Roster;
  chain: HostChain;
  keyring: Keyring;
  links: LinkTable;
  /** Our own registration (to knock from); null before it exists or after release. */
  self(): SignalChannel | null;
  /** The meeting is still ours to act in (joining or joined). */
  active(): boolean;
  /** The holder answered with a roster our chain accepts and another host: follow it. */
  follow(welcome: Welcome): void;
  /** We hold the anchor now, as host: sign a roster if we have not yet. */
  claimed(): Promise<void>;
  /** We are the one cut off: the meeting goes on without us. */
  cutOff(): void;
  /** Our own registration reaches the broker. */
  signaling(): boolean;
  /** We founded a meeting alone and were invited into the real one: become its member. */
  invited(welcome: Welcome): void;
  /** The broker routes the anchor to someone else now, while we held it (or could not re-register it). */
  lost(): void;
  /** Moderation at the door (removed ids, waiting room); none: everyone who knocks is admitted. */
  door?: Door;
}

// How often the holder checks that the broker still routes the anchor to it (while handing it over: faster).
const ANCHOR_WATCH_MS = 1000;
const HANDOVER_WATCH_MS = 50;
// How long a would-be host waits for the anchor's holder to answer before taking the anchor over.
const HOLDER_ALIVE_WAIT_MS = 1000;
// The anchor is retried this often while another registration lingers.
const CLAIM_RETRY_MS = 200;
// With nobody left to talk to, this many failed claims mean the meeting lives on elsewhere.
const CLAIM_ATTEMPTS_WHEN_ALONE = 15;
const USURPER_BACKOFF_MS = 250;
// Knocks of a removed id answered (with a signed denial) at most this often, for at most this many ids.
const DENIAL_MIN_GAP_MS = 500;
const MAX_DENIED = 1024;
const USURPER_BACKOFF_MAX_MS = 16_000;

export class AnchorRole {
  private channel: SignalChannel | null = null;
  // The anchor's broker token: ours when we hold it; the host's when we are its heir (see README, Security).
  private secret: string | null = null;
  private readonly admission = new Admission();
  private readonly knocks = new Map<string, { finish: (reply: Welcome | Denied | null) => void; waiting: () => void }>();
  private readonly room: WaitingRoom;
  // When each removed id was last denied (the rate limit on signing denials).
  private readonly deniedAt = new Map<string, number>();
  private takenOver: (() => void) | null = null;
  private readonly invitations: Invitations;
  // Takeovers from a usurper so far (each waits twice as long as the one before).
  private usurped = 0;

  constructor(
    private readonly config: AnchorConfig,
    private readonly deps: AnchorDeps,
  ) {
    this.room = new WaitingRoom(config.waitingRoom === true);
    this.invitations = new Invitations({
      ...deps,
      admit: (id) => this.admission.admit(id, deps.timers.now(), config.linkTimeout),
      release: () => this.release(),
    });
  }

  /** We hold the anchor registration now. */
  get holding(): boolean {
    return this.channel !== null;
  }

  /** The token we registered the anchor with (for our heir), while we hold it. */
  get token(): string | null {
    return this.holding ? this.secret : null;
  }

  /** The host made us its heir: with its token we can take a frozen host's anchor over. */
  learnToken(token: string): void {
    this.secret = token;
  }

  /**
   * Registers the anchor under `token`; true when we hold it now, false when someone else does. A token
   * equal to the live holder's takes the anchor over. Throws broker-unreachable.
   */
  async claim(timeoutMs: number, token: string): Promise<boolean> {
    let anchor: SignalChannel;
    try {
      anchor = await this.deps.openChannel(this.deps.scope.anchorId, timeoutMs, token);
    } catch (error) {
      if (error instanceof ChannelOpenError && error.kind === "id-taken") return false;
      throw brokerUnreachable(error);
    }
    if (!this.deps.active()) {
      anchor.close();
      return false;
    }
    this.channel?.close();
    this.channel = anchor;
    this.secret = token;
    anchor.onMessage = (src, payload) => void this.onKnock(src, payload).catch((e: unknown) => this.deps.log.error("answering a knock failed", e));
    anchor.onLost = () => this.onLost();
    anchor.watch(ANCHOR_WATCH_MS);
    this.deps.log.info("holding the anchor");
    return true;
  }

  /** Founding the meeting: numbers start after ours (0). */
  founded(): void {
    this.admission.restartAfter(0);
    this.invitations.founded();
  }

  /** Knocks on the anchor; resolves with its welcome, or null when none came within `timeoutMs`. */
  async knock(timeoutMs: number, signal?: AbortSignal): Promise<Welcome | null> {
    const reply = await this.knockForEntry(timeoutMs, signal);
    return reply?.t === "welcome" ? reply : null;
  }

  /**
   * Knocks as a newcomer: resolves with the welcome or the host's denial (unchecked: see JoinFlow), or
   * null when neither came within `timeoutMs`. `waiting` is called when the anchor says the host is
   * deciding (a waiting room); the knock stays open for the answer until `timeoutMs`.
   */
  async knockForEntry(timeoutMs: number, signal?: AbortSignal, waiting?: () => void): Promise<Welcome | Denied | null> {
    const nonce = randomId(16);
    const self = this.deps.self();
    const key = this.deps.keyring.publicKey;
    const mac = self === null ? null : await this.deps.scope.tag(knockStatement(self.id, nonce, key));
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(null);
      const finish = (reply: Welcome | Denied | null): void => {
        if (!this.knocks.delete(nonce)) return;
        cancel();
        resolve(reply);
      };
      const cancel = this.deps.timers.after(timeoutMs, () => finish(null), () => finish(null));
      signal?.addEventListener("abort", () => finish(null), { once: true });
      this.knocks.set(nonce, { finish, waiting: waiting ?? (() => undefined) });
      self?.send(this.deps.scope.anchorId, { mm: 1, t: "knock", name: this.config.name, nonce, key, mac });
    });
  }

  /** A welcome arrived on our own registration; `src` is broker-stamped. */
  onWelcome(src: string, welcome: Welcome): void {
    // Only the anchor's holder can send from the anchor id, and only to a knock of ours; from a member's
    // id it is an invitation (see invite()).
    if (src !== this.deps.scope.anchorId) {
      return void this.invitations.received(src, welcome, this.holding).catch((e: unknown) => this.deps.log.error("an invitation failed", e));
    }
    const answer = this.knocks.get(welcome.nonce);
    if (!answer) return this.deps.log.debug("welcome to no knock of ours ignored");
    answer.finish(welcome);
  }

  /**
   * The anchor's answer while its host decides (waiting room), or its denial; `src` is broker-stamped,
   * so only the anchor's holder can send them. A waiting reply counts only with the password's proof
   * (with a password); a denial is checked by JoinFlow (the host's signature).
   */
  async onEntryReply(src: string, reply: EntryReply): Promise<void> {
    const answer = src === this.deps.scope.anchorId ? this.knocks.get(reply.nonce) : undefined;
    if (!answer) {
      this.deps.links.countDropped(src);
      return this.deps.log.debug(`${reply.t} from ${src} to no knock of ours ignored`);
    }
    if (reply.t === "denied") return answer.finish(reply);
    const self = this.deps.self();
    if (self === null || !(await this.deps.scope.checkTag(waitingStatement(self.id, reply.nonce), reply.mac))) {
      return this.deps.log.debug("a waiting reply without the meeting password's proof ignored");
    }
    answer.waiting();
  }

  /**
   * We are host (by the chain) but do not hold the anchor: claim it. If someone holds it, knock: a
   * holder that answers with a roster our chain accepts and another host is the meeting's host, and we
   * follow it (we were cut off, or deposed while frozen). A holder that is silent, or answers as no
   * host can (an unsigned, stale or forged roster), is taken over with the anchor token if we have it.
   * Alone and never getting the anchor, we are the one cut off. Handed the role by a host that said
   * goodbye, we claim with its token at once: its registration may linger for a moment.
   */
  async settle(handedOver: boolean, signal: AbortSignal): Promise<void> {
    const roster = this.deps.roster;
    let failures = 0;
    const going = (): boolean => !signal.aborted && roster.isHost && !this.holding && this.deps.active();
    while (going()) {
      let taken = false;
      try {
        const token = handedOver && this.secret !== null ? this.secret : randomId(24);
        // A claim that lands after we were cancelled is given back by claim() itself (not active).
        if (await unlessAborted(this.claim(REGISTER_TIMEOUT_MS, token), signal, false)) return this.announce();
        taken = true;
      } catch (error) {
        // Nobody to talk to and no broker either: it is we who are cut off, not everyone else.
        if (roster.alone && !this.deps.signaling()) return this.deps.cutOff();
        // The broker is down: keep trying; the meeting goes on without newcomers meanwhile.
        this.deps.log.warn("claiming the anchor failed; retrying", error);
      }
      if (taken && going()) {
        // Asked twice: a busy machine can be slow to answer, and a wrong "dead" costs a live host its role.
        const welcome =
          (await this.knock(HOLDER_ALIVE_WAIT_MS, signal)) ?? (going() ? await this.knock(HOLDER_ALIVE_WAIT_MS, signal) : null);
        if (!going()) return;
        const verdict = welcome === null ? "silent" : await this.judge(welcome);
        if (!going()) return;
        if (verdict === "host" && welcome) return this.deps.follow(welcome);
        // A founder we invite registered the anchor with a token of its own: it never knew ours.
        const invited = verdict === "usurper" && welcome !== null && (await this.invitations.send(welcome));
        if (verdict === "usurper") {
          this.deps.log.warn("the anchor is held by someone who is not the host (a usurper)");
          // Two holders who each take the other for a usurper must not trade the anchor forever.
          await unlessAborted(this.deps.timers.sleep(Math.min(USURPER_BACKOFF_MAX_MS, USURPER_BACKOFF_MS * 2 ** this.usurped++)), signal, undefined);
          if (!going()) return;
        }
        // Take over only with a live member beside us, from a usurper, or as the host the roster names:
        // alone and not yet signed host, a silent holder may just as well mean that we are cut off.
        const signedHost = this.deps.chain.hostId === roster.selfId;
        if (this.secret !== null && (verdict === "usurper" || signedHost || this.deps.links.hasLiveLink())) {
          try {
            if (await unlessAborted(this.claim(REGISTER_TIMEOUT_MS, this.secret), signal, false)) {
              // Taken back from someone who may have known our token: it must not work a second time.
              // Re-registering frees the anchor for a moment; lost to a newcomer then, we go on here
              // (knock, invite it in), not announce an anchor we no longer hold.
              if (!signedHost || invited || (await this.rotate())) return this.announce();
            }
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
   * Our signaling is back while we are host without the anchor (it was lost while the broker was away):
   * claim it now with our token (a stale registration of ours is taken over, a free one is ours), not at
   * the election loop's next try, which may be stuck in a connect begun during the outage: a newcomer
   * who came meanwhile would find the anchor free and found a meeting of its own.
   */
  async reclaim(): Promise<void> {
    const { roster, chain } = this.deps;
    if (this.holding || !this.deps.active() || chain.hostId !== roster.selfId || this.secret === null) return;
    try {
      if (await this.claim(REGISTER_TIMEOUT_MS, this.secret)) await this.announce();
    } catch (error) {
      this.deps.log.debug("reclaiming the anchor failed; the election loop goes on", error);
    }
  }

  /**
   * A member says the anchor changed hands. The holder's welcome counts only when its roster does: a
   * member can make us look, never tell us whom to follow.
   */
  async rehome(signal: AbortSignal): Promise<void> {
    if (this.holding || !this.deps.active()) return;
    const welcome = await this.knock(HOLDER_ALIVE_WAIT_MS, signal);
    if (!welcome || signal.aborted || !this.deps.active() || this.holding) return;
    if ((await this.judge(welcome)) === "host") this.deps.follow(welcome);
  }

  /** Someone joined our meeting (we are no longer a founder alone: invitations are refused). */
  memberArrived(): void {
    this.invitations.memberArrived();
  }

  /** A member said hello: no longer in flight, its number never handed out again. */
  arrived(id: string, seq: number): void {
    this.admission.arrived({ id, seq });
    this.room.arrived(id);
  }

  /**
   * Re-registers the anchor under a fresh token (the heir who knew the old one is gone); false when
   * someone else registered it in between (we then hold no anchor).
   */
  async rotate(): Promise<boolean> {
    const old = this.channel;
    if (!old) return false;
    this.channel = null;
    old.close();
    // The broker frees the id when it sees the socket close; until then the claim is refused.
    for (let attempt = 0; attempt < 10 && this.deps.active(); attempt++) {
      try {
        if (await this.claim(REGISTER_TIMEOUT_MS, randomId(24))) return true;
      } catch (error) {
        this.deps.log.warn("re-registering the anchor failed", error);
      }
      await this.deps.timers.sleep(CLAIM_RETRY_MS);
    }
    this.deps.log.warn("re-registering the anchor failed: someone else holds it now");
    return false;
  }

  /**
   * Leaving as host with an heir: keeps the anchor until the heir has taken it over (it has our token),
   * at most `ms`, so that no newcomer finds it free in between and founds a meeting of its own.
   */
  async handOver(ms: number): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    channel.watch(HANDOVER_WATCH_MS);
    await this.deps.timers.bound(new Promise<void>((resolve) => (this.takenOver = resolve)), ms);
    this.takenOver = null;
  }

  /** Gives the anchor up (leaving) and forgets pending knocks. */
  release(): void {
    this.channel?.close();
    this.channel = null;
    for (const answer of [...this.knocks.values()]) answer.finish(null);
  }

  // What the holder's welcome says about it: the host (a roster our chain accepts, naming another
  // host, or ours unchanged with another holder being impossible) or a usurper.
  private async judge(welcome: Welcome): Promise<"host" | "usurper"> {
    const roster = this.deps.roster;
    if (welcome.roster.hostId === roster.selfId) return "usurper"; // our own roster, replayed by someone else
    // Alone, we cannot tell who succeeded whom while we were away: a roster signed by a host of our
    // meeting means the meeting went on without us.
    if (roster.alone) return (await this.deps.chain.fromOurMeeting(welcome.roster)) ? "host" : "usurper";
    const verdict = await this.deps.chain.check(welcome.roster, (id) => id !== roster.selfId && !roster.has(id), false);
    return verdict.ok ? "host" : "usurper";
  }

  // Now holding the anchor: start numbering after everyone we know.
  private async announce(): Promise<void> {
    const signed = (this.deps.chain.roster?.members ?? []).map((m) => m.seq);
    this.admission.restartAfter(Math.max(this.deps.roster.highestSeq(), ...signed));
    await this.deps.claimed();
  }

  private async onKnock(src: string, payload: unknown): Promise<void> {
    const message = parseSignal(payload);
    const from = this.deps.scope.participantOf(src);
    if (message === null || message.t !== "knock" || from === null) {
      this.deps.links.countDropped(src);
      return this.deps.log.debug(`non-knock on the anchor from ${src} dropped`);
    }
    const roster = this.deps.roster;
    const current = this.deps.chain.roster;
    // Only the host admits, and not on its way out; a holder that is not (yet) host says nothing.
    if (from === roster.selfId || this.channel === null || current === null || current.hostId !== roster.selfId || !this.deps.active()) return;
    if (!(await this.deps.scope.checkTag(knockStatement(src, message.nonce, message.key), message.mac))) {
      this.deps.links.countDropped(src);
      return this.deps.log.debug(`knock from ${src} without the meeting password's proof dropped`);
    }
    // Removed by the host: refused for the rest of the meeting (every member remembers, so an heir too).
    // A denial costs a signature: one per removed id per DENIAL_MIN_GAP_MS (it knocks every 2 s when honest).
    if (this.deps.door?.banned(from)) {
      const now = this.deps.timers.now();
      if (now - (this.deniedAt.get(from) ?? -Infinity) < DENIAL_MIN_GAP_MS) {
        this.deps.links.countDropped(src);
        return;
      }
      this.deniedAt.delete(from);
      this.deniedAt.set(from, now);
      if (this.deniedAt.size > MAX_DENIED) this.deniedAt.delete(this.deniedAt.keys().next().value as string);
      return this.deny(src, from, message.nonce);
    }
    const member = roster.has(from) || current.members.some((m) => m.id === from);
    if (!member) {
      const verdict = this.room.knock(from, { src, nonce: message.nonce, key: message.key, name: message.name, at: this.deps.timers.now() });
      if (!verdict.admit) {
        const mac = await this.deps.scope.tag(waitingStatement(src, message.nonce));
        this.channel?.send(src, { mm: 1, t: "waiting", nonce: message.nonce, mac });
        if (verdict.ask) {
          this.deps.log.info(`${from} waits in the waiting room`);
          this.deps.door?.requested({
            id: from,
            name: message.name,
            allow: () => void this.decide(from, "allowed").catch((e: unknown) => this.deps.log.error("allowing a newcomer failed", e)),
            deny: () => void this.decide(from, "denied").catch((e: unknown) => this.deps.log.error("denying a newcomer failed", e)),
          });
        }
        return;
      }
    }
    await this.welcome(src, from, message.nonce, message.key);
  }

  // The app's allow() or deny() for a newcomer in the waiting room (the first call counts): its latest
  // knock is answered now. An allowed newcomer whose answer went astray is admitted at its next knock.
  private async decide(id: string, decision: EntryDecision): Promise<void> {
    const waiter = decision === "allowed" ? this.room.allow(id) : this.room.deny(id);
    if (waiter === null) return this.deps.log.debug(`${decision} for ${id}, who no longer waits: nothing to do`);
    this.deps.door?.responded(id, decision);
    if (!this.isAdmitting()) return;
    if (decision === "allowed") await this.welcome(waiter.src, id, waiter.nonce, waiter.key);
    else await this.deny(waiter.src, id, waiter.nonce);
  }

  // We hold the anchor and are the host by our own signed roster, still in the meeting.
  private isAdmitting(): boolean {
    return this.channel !== null && this.deps.chain.roster?.hostId === this.deps.roster.selfId && this.deps.active();
  }

  // Refuses the knock `nonce` of `id` (at `src`) with a denial the host signed.
  private async deny(src: string, id: string, nonce: string): Promise<void> {
    const current = this.deps.chain.roster;
    if (current === null) return;
    const sig = await this.deps.keyring.signDenial(id, nonce);
    const mac = await this.deps.scope.tag(deniedStatement(src, nonce, sig, current.sig));
    this.channel?.send(src, { mm: 1, t: "denied", nonce, roster: current, sig, mac });
  }

  // Admits the knock `nonce` of `from` (at `src`, with `key`): a join number, the signed admission, the roster.
  private async welcome(src: string, from: string, nonce: string, key: string): Promise<void> {
    const roster = this.deps.roster;
    const current = this.deps.chain.roster;
    if (current === null) return;
    const now = this.deps.timers.now();
    this.admission.expire(now);
    // A knock from a member is a probe (is the host alive?) or a restart; it gets a welcome like anyone.
    const seq = this.admission.admit(from, now, this.config.linkTimeout);
    if (seq === null) {
      this.deps.links.countDropped(src);
      return this.deps.log.debug(`knock from ${from} refused (rate limit)`);
    }
    // Whom it links with is decided now, with its number: only a later newcomer lists an earlier one,
    // so that two newcomers never both offer (a knock answered meanwhile must not join this list).
    const members = current.members.filter((m) => m.id !== from).map((m) => ({ id: m.id, seq: m.seq }));
    for (const member of roster.view.values()) {
      if (member.id !== from && !members.some((m) => m.id === member.id)) members.push({ id: member.id, seq: member.seq });
    }
    members.push(...this.admission.inFlight(from));
    const sig = await this.deps.keyring.signAdmission(from, seq, key);
    const mac = await this.deps.scope.tag(welcomeStatement(src, nonce, seq, sig, current.sig));
    this.channel?.send(src, { mm: 1, t: "welcome", nonce, hostId: roster.selfId, seq, sig, roster: current, members, mac });
  }

  // The broker routes the anchor to someone else now (we froze and were taken over, someone who had
  // the token took it, or we lost it while the broker was away). Not a sign that we were cut off.
  private onLost(): void {
    this.channel = null;
    if (this.takenOver) return this.takenOver();
    this.deps.log.warn("lost the anchor registration");
    this.deps.lost();
  }
}
