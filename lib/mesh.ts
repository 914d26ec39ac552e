import mitt from "mitt";
import { Admission } from "./admission.js";
import { ChannelOpenError, type OpenChannel, type SignalChannel } from "./broker.js";
import { MeshError } from "./errors.js";
import { Acks } from "./handshake.js";
import { anchorBrokerId, participantBrokerId, participantFromBrokerId, randomId } from "./ids.js";
import { Keyring } from "./keyring.js";
import { Link, type CreateTransport } from "./link.js";
import { parseSignal, type JsonValue, type LinkMessage, type SignalData, type SignalMessage } from "./protocol.js";
import { earliest } from "./succession.js";
import { bounded, sleep } from "./time.js";

/** Why a remote participant is no longer in the meeting. */
export type ParticipantLeftReason = "left" | "connection-lost" | "protocol-violation";
/** Why the local participant is no longer in the meeting. */
export type MeetingLeftReason = "left" | "ended" | "connection-lost";

export interface MeshConfig {
  meetingId: string;
  participantId: string;
  name: string;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  joinTimeout: number;
  /** How long a link may take to open and say hello before it is given up. */
  linkTimeout: number;
}

/** Everything the mesh needs from the outside world; swapped for in-memory fakes in unit tests. */
export interface MeshEnv {
  openChannel: OpenChannel;
  createTransport: CreateTransport;
}

export interface Member {
  readonly id: string;
  readonly name: string;
  /** Join order assigned by the host that admitted this member; the lowest succeeds the host. */
  readonly seq: number;
}

export type MeshEvents = {
  "member-joined": Member;
  "member-left": { member: Member; reason: ParticipantLeftReason };
  "host-changed": { hostId: string };
  "member-message": { member: Member; payload: JsonValue; direct: boolean };
  signaling: { up: boolean };
  /** The mesh is over for us; it has already released everything. */
  closed: { reason: MeetingLeftReason };
  error: MeshError;
  /** Media (see media.ts): a remote track arrived over `id`'s link; `id` says what it sends now. */
  "member-track": { id: string; track: MediaStreamTrack };
  "member-media": { id: string; mic: boolean; cam: boolean };
};

/** What the local participant sends (see media.ts). */
export interface MeshMediaSource {
  track(kind: "audio" | "video"): MediaStreamTrack | null;
  readonly micOn: boolean;
  readonly camOn: boolean;
}

// How long a newcomer waits for the anchor to answer a knock before trying to claim it again.
const KNOCK_WAIT_MS = 2000;
// Bounds for the goodbye and terminate handshakes (acks or link closes end them sooner).
const BYE_WAIT_MS = 500;
const END_WAIT_MS = 1000;
const END_RESEND_MS = 200;
// A successor retries the anchor this often while the old holder's registration lingers.
const CLAIM_RETRY_MS = 200;
// With nobody left to talk to, this many failed claims mean the meeting lives on elsewhere.
const CLAIM_ATTEMPTS_WHEN_ALONE = 15;
const REGISTER_TIMEOUT_MS = 5000;
// Malformed messages, and messages dropped in all, after which a participant is disconnected.
const MAX_MALFORMED = 50;
const MAX_DROPPED = 2000;
// How long a would-be host waits for the anchor's holder to answer before taking the anchor over.
const HOLDER_ALIVE_WAIT_MS = 1000;
// How often the host checks that the broker still routes the anchor to it.
const ANCHOR_WATCH_MS = 1000;
// Our own id can stay registered for a moment after we left (the broker has not seen the socket
// close yet); a rejoin retries this long before calling it a duplicate.
const SELF_ID_RETRY_MS = 1500;
// After the host's link is up, how long join() still waits for the rest of the roster.
const JOIN_GRACE_MS = 3000;
// A link we offered to a member that never opened (a lost signal, ICE that failed) is offered again,
// this many times, this long after: else the two would stay in one meeting without ever seeing each other.
const LINK_RETRIES = 2;
const LINK_RETRY_MS = 500;

function brokerUnreachable(error: unknown): MeshError {
  return new MeshError("broker-unreachable", `cannot reach the broker: ${String((error as Error).message)}`, {
    cause: error,
  });
}

/**
 * Membership of one meeting over a full mesh: the join handshake through the anchor, one link per
 * remote participant, the roster, who is host, goodbyes, terminates and heartbeats.
 */
export class Mesh {
  readonly events = mitt<MeshEvents>();
  readonly members = new Map<string, Member>();
  hostId: string | null = null;
  /** Messages dropped (malformed, over the rate limit, or not ours), by sender. */
  readonly dropped = new Map<string, number>();
  /** Local media: what every link sends (set by the Meeting before join). */
  media: MeshMediaSource | null = null;

  private seq = -1;
  // The anchor's broker token, known to every member, so that a successor can take the anchor
  // over from a host that froze (its registration would otherwise block the anchor for a minute).
  private anchorToken: string | null = null;
  private self: SignalChannel | null = null;
  private anchor: SignalChannel | null = null;
  private settling = false;
  private rehoming = false;
  private readonly links = new Map<string, Link>();
  private readonly admission = new Admission();
  private readonly linkWaiters = new Map<Link, () => void>();
  // Offers made again per participant since its link last opened (see LINK_RETRIES).
  private readonly linkRetries = new Map<string, number>();
  private welcomeWaiter: ((welcome: Extract<SignalMessage, { t: "welcome" }>) => void) | null = null;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private phase: "idle" | "joining" | "joined" | "closing" | "closed" = "idle";
  // Whether join() completed; a mesh that never joined reports failure through join(), not "closed".
  private joined = false;
  private readonly selfBrokerId: string;
  private readonly anchorId: string;

  constructor(
    private readonly config: MeshConfig,
    private readonly env: MeshEnv,
  ) {
    this.selfBrokerId = participantBrokerId(config.meetingId, config.participantId);
    this.anchorId = anchorBrokerId(config.meetingId);
    this.keyring = new Keyring(config.meetingId);
  }

  get id(): string {
    return this.config.participantId;
  }

  get isHost(): boolean {
    return this.hostId === this.config.participantId;
  }

  /** Registers at the broker, becomes host or knocks on the host, and links to every member. */
  async join(): Promise<void> {
    this.phase = "joining";
    const deadline = performance.now() + this.config.joinTimeout;
    const remaining = (): number => Math.max(1, deadline - performance.now());
    await this.keyring.init();
    try {
      this.self = await this.registerSelf(deadline);
    } catch (error) {
      this.phase = "closed";
      throw error instanceof ChannelOpenError && error.kind === "id-taken"
        ? new MeshError(
            "duplicate-participant",
            `participant ${this.config.participantId} is already in meeting ${this.config.meetingId}`,
          )
        : brokerUnreachable(error);
    }
    this.self.onMessage = (src, payload) => this.onSelfSignal(src, payload);
    this.self.onUndeliverable = (dst) => {
      // Our offer went to someone no longer registered: give that link up now, not at its timeout.
      const id = participantFromBrokerId(this.config.meetingId, dst);
      const link = id === null ? undefined : this.links.get(id);
      if (!link || link.ready) return;
      this.linkRetries.set(link.remoteId, LINK_RETRIES); // gone from the broker: offering again is pointless
      link.close();
    };
    this.self.onStatus = (up) => this.events.emit("signaling", { up });
    this.ticker = setInterval(() => this.tick(), Math.max(50, Math.floor(this.config.heartbeatInterval / 2)));

    try {
      for (;;) {
        if (this.phase !== "joining") throw this.abortedJoin();
        // A fresh token: a newcomer must never take over a live meeting's anchor.
        const anchor = await this.tryClaimAnchor(Math.min(REGISTER_TIMEOUT_MS, remaining()), randomId(24));
        if (anchor) {
          this.seq = 0;
          this.admission.restartAfter(0);
          break;
        }
        const welcome = await this.knock(Math.min(KNOCK_WAIT_MS, remaining()));
        if (welcome) {
          await this.linkToRoster(welcome, deadline);
          break;
        }
        if (performance.now() >= deadline) {
          throw new MeshError(
            "host-unreachable",
            `the host of meeting ${this.config.meetingId} did not answer within ${this.config.joinTimeout} ms`,
          );
        }
      }
    } catch (error) {
      this.release();
      this.phase = "closed";
      throw error;
    }
    if (this.phase !== "joining") {
      this.release();
      throw this.abortedJoin();
    }
    this.phase = "joined";
    this.joined = true;
  }

  private abortedJoin(): MeshError {
    return new MeshError("meeting-ended", "the meeting ended while we were joining");
  }

  private async registerSelf(deadline: number): Promise<SignalChannel> {
    const giveUp = performance.now() + SELF_ID_RETRY_MS;
    for (;;) {
      const timeout = Math.min(REGISTER_TIMEOUT_MS, Math.max(1, deadline - performance.now()));
      try {
        return await this.env.openChannel(this.selfBrokerId, timeout);
      } catch (error) {
        const taken = error instanceof ChannelOpenError && error.kind === "id-taken";
        if (!taken || performance.now() >= giveUp) throw error;
        await sleep(CLAIM_RETRY_MS);
      }
    }
  }

  /**
   * Registers the anchor under `token`; resolves with the channel (and we are host from then on), or
   * null when someone else holds it. A token equal to the live holder's takes the anchor over.
   */
  private async tryClaimAnchor(timeoutMs: number, token: string): Promise<SignalChannel | null> {
    try {
      const anchor = await this.env.openChannel(this.anchorId, timeoutMs, token);
      if (this.phase === "closing" || this.phase === "closed") {
        anchor.close();
        return null;
      }
      this.anchor = anchor;
      this.anchorToken = token;
      this.hostId = this.id;
      anchor.onMessage = (src, payload) => this.onAnchorSignal(src, payload);
      anchor.onLost = () => this.onAnchorLost();
      anchor.watch(ANCHOR_WATCH_MS);
      return anchor;
    } catch (error) {
      if (error instanceof ChannelOpenError && error.kind === "id-taken") return null;
      throw brokerUnreachable(error);
    }
  }

  private knock(timeoutMs: number): Promise<Extract<SignalMessage, { t: "welcome" }> | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.welcomeWaiter = null;
        resolve(null);
      }, timeoutMs);
      this.welcomeWaiter = (welcome) => {
        clearTimeout(timer);
        this.welcomeWaiter = null;
        resolve(welcome);
      };
      this.self?.send(this.anchorId, { mm: 1, t: "knock", name: this.config.name });
    });
  }

  private async linkToRoster(welcome: Extract<SignalMessage, { t: "welcome" }>, deadline: number): Promise<void> {
    this.seq = welcome.seq;
    this.hostId = welcome.hostId;
    const waits = new Map<string, Promise<void>>();
    for (const member of welcome.members) {
      if (member.id === this.id) continue;
      const link = this.links.get(member.id) ?? this.startLink(member.id, randomId(), true);
      if (!link.ready) waits.set(member.id, new Promise<void>((resolve) => this.linkWaiters.set(link, resolve)));
    }
    // Links that fail are dropped by the ticker's link timeout (or the broker's EXPIRE), which also
    // resolves their waiters. Someone in the roster may have left meanwhile, so once the host's link
    // is up the others get a short grace, not the whole link timeout; late ones still join later.
    await bounded(waits.get(welcome.hostId) ?? Promise.resolve(), deadline - performance.now());
    await bounded(Promise.all(waits.values()), Math.min(JOIN_GRACE_MS, deadline - performance.now()));
  }

  // ---- signaling -------------------------------------------------------------------------

  private onAnchorSignal(src: string, payload: unknown): void {
    const message = parseSignal(payload);
    const from = participantFromBrokerId(this.config.meetingId, src);
    if (message === null || message.t !== "knock" || from === null) return void this.countDropped(src);
    if (from === this.id || this.anchor === null) return;
    // A knock from a member is a probe (is the host alive?) or a restart; it gets a welcome like anyone.
    const seq = this.admission.admit(from, performance.now(), this.config.linkTimeout);
    if (seq === null) return void this.countDropped(src);
    const members = [{ id: this.id, seq: this.seq }];
    for (const member of this.members.values()) if (member.id !== from) members.push({ id: member.id, seq: member.seq });
    members.push(...this.admission.inFlight(from));
    this.anchor.send(src, { mm: 1, t: "welcome", hostId: this.id, seq, members });
  }

  private onSelfSignal(src: string, payload: unknown): void {
    const message = parseSignal(payload);
    if (message === null) return void this.countDropped(src);
    if (message.t === "welcome") {
      // Only the anchor's holder can send from the anchor id: the broker stamps `src`.
      if (src === this.anchorId && this.welcomeWaiter) this.welcomeWaiter(message);
      return;
    }
    if (message.t !== "signal") return void this.countDropped(src);
    const from = participantFromBrokerId(this.config.meetingId, src);
    if (from === null || from === this.id) return void this.countDropped(src);
    if (this.phase !== "joining" && this.phase !== "joined") return;
    const current = this.links.get(from);
    if (current && current.linkId === message.link) {
      current.signal(message.data);
      return;
    }
    if (message.data["type"] !== "offer") return; // a late signal of a link we already dropped
    if (current && current.state === "connecting" && current.initiator && this.selfBrokerId < src) {
      return; // both sides offered at once: the offer from the lower broker id wins
    }
    current?.close();
    const link = this.startLink(from, message.link, false);
    link.signal(message.data);
  }

  private startLink(remoteId: string, linkId: string, initiator: boolean): Link {
    const link = new Link(
      remoteId,
      linkId,
      initiator,
      this.env.createTransport(initiator),
      {
        signal: (l, data) => this.sendSignal(l, data),
        open: (l) => {
          l.send({
            v: 1,
            t: "hello",
            name: this.config.name,
            seq: this.seq,
            hostId: this.hostId,
            anchorToken: this.isHost ? this.anchorToken : null,
            key: this.keyring.publicKey,
          });
          // Media state after the hello; nothing said means both off.
          if (this.media?.micOn || this.media?.camOn) l.send(this.mediaMessage());
        },
        message: (l, message) => this.onLinkMessage(l, message),
        dropped: (l, why) => this.onDropped(l, why),
        closed: (l) => this.onLinkClosed(l),
        track: (l, track) => {
          if (this.links.get(l.remoteId) === l) this.events.emit("member-track", { id: l.remoteId, track });
        },
      },
      performance.now(),
    );
    this.links.set(remoteId, link);
    // Tracks before the first offer ride in it (no renegotiation for a newcomer's media).
    for (const kind of ["audio", "video"] as const) {
      const track = this.media?.track(kind) ?? null;
      if (track) link.setTrack(kind, track);
    }
    return link;
  }

  private sendSignal(link: Link, data: SignalData): void {
    // Once a link is open, its own renegotiation (e.g. adding media) travels over it: no broker needed.
    if (link.state === "open" && link.send({ v: 1, t: "signal", data })) return;
    this.self?.send(participantBrokerId(this.config.meetingId, link.remoteId), {
      mm: 1,
      t: "signal",
      link: link.linkId,
      data,
    });
  }

  private countDropped(from: string): number {
    const count = (this.dropped.get(from) ?? 0) + 1;
    this.dropped.set(from, count);
    return count;
  }

  // Garbage is dropped and counted; a participant that keeps sending it is cut off.
  private onDropped(link: Link, why: "malformed" | "flood"): void {
    const count = this.countDropped(link.remoteId);
    if (count > (why === "malformed" ? MAX_MALFORMED : MAX_DROPPED)) link.close(true);
  }

  // ---- link messages ---------------------------------------------------------------------

  private readonly acks = new Acks();
  private readonly refusedEnds = new Set<string>();
  private readonly obeyedEnds = new Set<string>();
  private readonly keyring: Keyring;

  private onLinkMessage(link: Link, message: LinkMessage): void {
    if (message.t === "bye-ack" || message.t === "end-ack") return this.acks.settle(link);
    // Two leaving at once: answer the other's goodbye so neither waits out its bound.
    if (message.t === "bye" && this.phase === "closing") {
      link.send({ v: 1, t: "bye-ack" });
      return;
    }
    // Once we are on our way out, or this link was replaced, nothing else it says matters.
    if (this.links.get(link.remoteId) !== link || (this.phase !== "joined" && this.phase !== "joining")) return;
    switch (message.t) {
      case "hello": {
        if (link.ready) return;
        link.ready = true;
        this.linkRetries.delete(link.remoteId);
        const member: Member = { id: link.remoteId, name: message.name, seq: message.seq };
        this.keyring.learn(member.id, message.key);
        if (message.anchorToken !== null && link.remoteId === this.hostId) this.anchorToken = message.anchorToken;
        this.admission.arrived(member);
        this.members.set(member.id, member);
        // A member who names another host than ours: the host changed while we were not looking
        // (e.g. it left before our link to it was up). The anchor settles who is right.
        if (message.hostId !== null && message.hostId !== this.hostId && this.anchor === null) void this.rehome();
        this.linkWaiters.get(link)?.();
        this.linkWaiters.delete(link);
        this.events.emit("member-joined", member);
        return;
      }
      case "ping":
        return;
      case "media":
        this.events.emit("member-media", { id: link.remoteId, mic: message.mic, cam: message.cam });
        return;
      case "anchor":
        if (link.remoteId === this.hostId) this.anchorToken = message.token;
        return;
      case "rehome":
        void this.rehome();
        return;
      case "signal":
        link.signal(message.data);
        return;
      case "app": {
        const member = this.members.get(link.remoteId);
        if (member) this.events.emit("member-message", { member, payload: message.payload, direct: message.direct });
        return;
      }
      case "bye":
        link.send({ v: 1, t: "bye-ack" });
        void link.flush(100).then(() => link.close());
        if (message.successor !== null && message.successorKey !== null && message.handoverSig !== null) {
          void this.keyring.acceptHandover(link.remoteId, message.successor, message.successorKey, message.handoverSig);
        }
        this.removeMember(link.remoteId, "left", message.successor);
        return;
      case "end":
        void this.onEnd(link, message);
        return;
    }
  }

  // A terminate counts when the host signed it, whoever brought it: the signature, checked with the
  // key the host gave us over its own link, is what makes relaying it safe.
  private async onEnd(link: Link, message: Extract<LinkMessage, { t: "end" }>): Promise<void> {
    if (this.obeyedEnds.has(message.nonce)) return;
    const refusal = await this.keyring.refuseEnd(message, this.hostId);
    if (refusal !== null) return this.reportRefusedEnd(link.remoteId, message.nonce, refusal);
    if (this.phase !== "joined" && this.phase !== "joining") return;
    this.obeyedEnds.add(message.nonce);
    this.phase = "closing";
    link.send({ v: 1, t: "end-ack", nonce: message.nonce });
    // Relay: a participant whose own link to the host is down still gets it through us.
    for (const other of this.links.values()) if (other !== link) other.send(message);
    // The meeting is over for us now; the links only linger until the ack and relays are out.
    const sent = Promise.all([...this.links.values()].map((l) => l.flush(200)));
    this.close("ended", sent);
  }

  private reportRefusedEnd(from: string, nonce: string, why: string): void {
    // An end is resent until acknowledged, and relayed by several: report each one once.
    const key = `${from}/${nonce}`;
    if (this.refusedEnds.has(key)) return;
    this.refusedEnds.add(key);
    this.events.emit(
      "error",
      new MeshError("unauthorized-terminate", `ignored an end of the meeting from ${from}: ${why}`, { participantId: from }),
    );
  }

  private onLinkClosed(link: Link): void {
    this.linkWaiters.get(link)?.();
    this.linkWaiters.delete(link);
    this.acks.settle(link);
    if (this.links.get(link.remoteId) !== link) return;
    this.links.delete(link.remoteId);
    if (!link.ready && link.initiator && !link.violation) this.retryLink(link.remoteId);
    const reason = link.violation ? "protocol-violation" : "connection-lost";
    if (this.phase === "joined" || this.phase === "joining") this.removeMember(link.remoteId, reason, null);
    this.checkAlone();
  }

  private retryLink(id: string): void {
    const tries = this.linkRetries.get(id) ?? 0;
    // The host's link failing is handled by succession (removeMember), not by offering again.
    if (tries >= LINK_RETRIES || id === this.hostId) return;
    this.linkRetries.set(id, tries + 1);
    setTimeout(() => {
      if ((this.phase === "joined" || this.phase === "joining") && !this.links.has(id)) this.startLink(id, randomId(), true);
    }, LINK_RETRY_MS);
  }

  private removeMember(id: string, reason: ParticipantLeftReason, successor: string | null): void {
    if (reason === "left") this.links.delete(id);
    const member = this.members.get(id);
    if (member) {
      this.members.delete(id);
      this.events.emit("member-left", { member, reason });
    }
    // Also when the host's link never got as far as hello: a newcomer must not keep a departed host.
    if (id === this.hostId && id !== this.id) this.electHost(successor);
    else this.checkAlone();
  }

  // Nobody left to talk to and we are not host: by the succession rule we are now; settleHost()
  // then finds out whether the meeting goes on elsewhere without us.
  private checkAlone(): void {
    if (this.alone && !this.isHost && this.phase === "joined") this.electHost(null);
  }

  /** Everyone computes the same successor: the one the old host named, else the earliest joiner. */
  private electHost(named: string | null): void {
    const next = named !== null && (named === this.id || this.members.has(named)) ? named : (this.earliest(null) ?? this.id);
    if (next === this.hostId) return;
    this.hostId = next;
    this.events.emit("host-changed", { hostId: next });
    if (next === this.id) void this.settleHost(named === this.id);
  }

  private earliest(except: string | null): string | null {
    return earliest([{ id: this.id, seq: this.seq }, ...this.members.values()], except);
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
  private async settleHost(handedOver = false): Promise<void> {
    if (this.settling) return;
    this.settling = true;
    try {
      let failures = 0;
      while (this.isHost && this.anchor === null && this.phase === "joined") {
        let taken = false;
        try {
          const token = handedOver && this.anchorToken !== null ? this.anchorToken : randomId(24);
          if (await this.tryClaimAnchor(REGISTER_TIMEOUT_MS, token)) return this.announceAnchor();
          taken = true;
        } catch {
          // The broker is down: keep trying; the meeting goes on without newcomers meanwhile.
        }
        if (taken && this.phase === "joined") {
          // Asked twice: a busy machine can be slow to answer, and a wrong "dead" costs a live host its role.
          const welcome = (await this.knock(HOLDER_ALIVE_WAIT_MS)) ?? (await this.knock(HOLDER_ALIVE_WAIT_MS));
          if (welcome && welcome.hostId !== this.id) return this.followHost(welcome);
          // Take over only with a live member beside us: someone who lost the host as we did. Alone, we
          // may just as well be the one who got cut off, and the holder's silence proves nothing.
          if (!welcome && this.anchorToken !== null && this.hasLiveMember()) {
            try {
              if (await this.tryClaimAnchor(REGISTER_TIMEOUT_MS, this.anchorToken)) return this.announceAnchor();
            } catch {
              // As above.
            }
          }
        }
        failures++;
        if (this.alone && failures >= CLAIM_ATTEMPTS_WHEN_ALONE) return this.close("connection-lost");
        await sleep(this.alone ? CLAIM_RETRY_MS : Math.min(1000, CLAIM_RETRY_MS * failures));
      }
    } finally {
      this.settling = false;
    }
  }

  /** Whom we name as host when we leave as host; null when we are not host or nobody is left. */
  private nextHost(): string | null {
    return this.isHost ? this.earliest(this.id) : null;
  }

  private hasLiveMember(): boolean {
    const now = performance.now();
    for (const link of this.links.values()) {
      if (link.ready && now - link.lastHeard < this.config.heartbeatTimeout / 2) return true;
    }
    return false;
  }

  private get alone(): boolean {
    return this.members.size === 0;
  }

  // Now holding the anchor, under the token tryClaimAnchor() recorded: start numbering after
  // everyone we know, and tell everyone the token.
  private announceAnchor(): void {
    let maxSeq = this.seq;
    for (const member of this.members.values()) maxSeq = Math.max(maxSeq, member.seq);
    this.admission.restartAfter(maxSeq);
    const token = this.anchorToken;
    if (token !== null) for (const link of this.links.values()) link.send({ v: 1, t: "anchor", token });
  }

  // A live holder answered our knock: either we were cut off from the host, or someone claimed the
  // anchor while it changed hands and now hosts part of the meeting. Either way we follow the holder
  // and ask our members to check the anchor too, so the two parts become one meeting again.
  private followHost(welcome: Extract<SignalMessage, { t: "welcome" }>): void {
    if (this.alone) return this.close("connection-lost");
    this.adopt(welcome);
    for (const link of this.links.values()) link.send({ v: 1, t: "rehome" });
  }

  private adopt(welcome: Extract<SignalMessage, { t: "welcome" }>): void {
    if (welcome.hostId !== this.hostId) {
      this.hostId = welcome.hostId;
      this.events.emit("host-changed", { hostId: welcome.hostId });
    }
    for (const member of welcome.members) {
      if (member.id !== this.id && !this.links.has(member.id)) this.startLink(member.id, randomId(), true);
    }
  }

  // A member says the anchor changed hands. Only the broker-stamped anchor can answer a knock, so a
  // member can make us look, never tell us whom to follow.
  private async rehome(): Promise<void> {
    const active = (): boolean => this.phase === "joined" || this.phase === "joining";
    if (this.rehoming || this.anchor !== null || !active()) return;
    this.rehoming = true;
    try {
      const welcome = await this.knock(HOLDER_ALIVE_WAIT_MS);
      if (welcome && active() && this.anchor === null) this.adopt(welcome);
    } finally {
      this.rehoming = false;
    }
  }

  // The broker routes the anchor to someone else now (we froze and were taken over, or lost it
  // while the broker was away).
  private onAnchorLost(): void {
    this.anchor = null;
    if (this.phase !== "joined") return;
    if (this.alone) return this.close("connection-lost");
    void this.settleHost();
  }

  // ---- heartbeats ------------------------------------------------------------------------

  private tick(): void {
    const now = performance.now();
    for (const link of [...this.links.values()]) {
      const stale = now - link.createdAt > this.config.linkTimeout;
      // Not open, or open but silent about who it is, for too long: give the link up.
      if ((link.state !== "open" || !link.ready) && stale) {
        link.close();
        continue;
      }
      if (link.state !== "open") continue;
      if (now - link.lastHeard > this.config.heartbeatTimeout) link.close();
      else if (now - link.lastSent >= this.config.heartbeatInterval) link.send({ v: 1, t: "ping" });
    }
    this.admission.expire(now);
  }

  // ---- leaving ---------------------------------------------------------------------------

  /** Says goodbye on every link (naming a successor when we are host), then releases everything. */
  async leave(): Promise<void> {
    if (this.phase !== "joined") return;
    this.phase = "closing";
    const successor = this.nextHost();
    // Release the anchor first so the successor's first claim succeeds.
    this.anchor?.close();
    this.anchor = null;
    const handover = successor === null ? null : await this.keyring.signHandover(this.id, successor);
    const bye: LinkMessage = {
      v: 1,
      t: "bye",
      successor,
      successorKey: handover?.successorKey ?? null,
      handoverSig: handover?.handoverSig ?? null,
    };
    await this.acks.handshake(this.links.values(), bye, BYE_WAIT_MS, 0);
    this.close("left");
  }

  /**
   * Goodbye without waiting for answers, for `pagehide`: the page may be gone before any arrives.
   * Closing the links right after also tells the others at once should the goodbye itself be lost.
   */
  leaveNow(): void {
    if (this.phase !== "joined") return;
    const successor = this.nextHost();
    this.anchor?.close();
    this.anchor = null;
    // No time to sign a handover here: those who get this bye get it over the host's own link anyway.
    const bye: LinkMessage = { v: 1, t: "bye", successor, successorKey: null, handoverSig: null };
    for (const link of this.links.values()) link.send(bye);
    this.close("left");
  }

  /** Ends the meeting for everyone. The caller has checked that we may. */
  async end(): Promise<void> {
    if (this.phase !== "joined") return;
    this.phase = "closing";
    const nonce = randomId(16);
    const time = Date.now();
    const sig = await this.keyring.signEnd(this.id, nonce, time);
    this.obeyedEnds.add(nonce);
    await this.acks.handshake(this.links.values(), { v: 1, t: "end", nonce, hostId: this.id, time, sig }, END_WAIT_MS, END_RESEND_MS);
    this.close("ended");
  }

  /** Local media changed: every link sends `media.track(kind)` now, and every member hears the new state. */
  mediaChanged(kind: "audio" | "video"): void {
    const track = this.media?.track(kind) ?? null;
    for (const link of this.links.values()) link.setTrack(kind, track);
    const message = this.mediaMessage();
    for (const link of this.links.values()) link.send(message);
  }

  private mediaMessage(): LinkMessage {
    return { v: 1, t: "media", mic: this.media?.micOn ?? false, cam: this.media?.camOn ?? false };
  }

  /** Sends app data to one member, or to every member when `to` is null. Returns how many links took it. */
  sendApp(payload: JsonValue, to: string | null): number {
    const message: LinkMessage = { v: 1, t: "app", direct: to !== null, payload };
    let sent = 0;
    for (const link of this.links.values()) {
      if (!link.ready || (to !== null && link.remoteId !== to)) continue;
      if (link.send(message)) sent++;
    }
    return sent;
  }

  /** True when end() is allowed: we are host, or nobody else is left. */
  get mayEnd(): boolean {
    return this.isHost || this.members.size === 0;
  }

  private release(): void {
    clearInterval(this.ticker);
    for (const link of [...this.links.values()]) link.close();
    this.links.clear();
    this.anchor?.close();
    this.anchor = null;
    this.self?.close();
    this.self = null;
  }

  /**
   * Releases links and broker registrations and reports why, once. With `linger`, the report comes
   * at once and the release when `linger` settles (messages still on their way out).
   */
  close(reason: MeetingLeftReason, linger?: Promise<unknown>): void {
    if (this.phase === "closed") return;
    this.phase = "closed";
    if (linger) clearInterval(this.ticker);
    else this.release();
    this.members.clear();
    if (this.joined) this.events.emit("closed", { reason });
    if (linger) void linger.then(() => this.release());
  }
}
