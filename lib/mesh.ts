// The coordinator of one join attempt: owns the lifecycle's transitions for the mesh, runs every async
// operation through one queue, and wires the parts (links, roster, anchor role, farewells, media)
// together. Each part does its own job; this file only says what follows what.
import mitt from "mitt";
import { AnchorRole, brokerUnreachable, type Welcome } from "./anchor.js";
import { ChannelOpenError, type OpenChannel, type SignalChannel } from "./broker.js";
import { Timers, type Clock } from "./clock.js";
import { MeshError, insecureContext } from "./errors.js";
import { Farewell } from "./farewell.js";
import { anchorBrokerId, participantBrokerId, participantFromBrokerId, randomId } from "./ids.js";
import { Keyring } from "./keyring.js";
import { Lifecycle } from "./lifecycle.js";
import type { CreateTransport, Link } from "./link.js";
import { LinkTable } from "./link-table.js";
import { silentLogger, type Logger } from "./log.js";
import { MediaRouter, type MeshMediaSource } from "./media-router.js";
import { parseSignal, type JsonValue, type LinkMessage } from "./protocol.js";
import { Cancelled, OpQueue, unlessAborted } from "./queue.js";
import { Roster, type Member } from "./roster.js";

export type { Member, MeshMediaSource };

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
  /** Where time comes from (default: the real clock). */
  clock?: Clock;
  /** An illegal state transition throws instead of being logged (unit tests). */
  strict?: boolean;
}

/** What the mesh shares with the Meeting that made it. */
export interface MeshShared {
  lifecycle?: Lifecycle;
  log?: Logger;
}

export type MeshEvents = {
  "member-joined": Member;
  "member-left": { member: Member; reason: ParticipantLeftReason };
  "host-changed": { hostId: string };
  "member-message": { member: Member; payload: JsonValue; direct: boolean };
  /** The mesh is over for us; it has already released everything. */
  closed: { reason: MeetingLeftReason };
  error: MeshError;
  /** Media (see media.ts): a remote track arrived over `id`'s link; `id` says what it sends now. */
  "member-track": { id: string; track: MediaStreamTrack };
  "member-media": { id: string; mic: boolean; cam: boolean };
};

// How long a newcomer waits for the anchor to answer a knock before trying to claim it again.
const KNOCK_WAIT_MS = 2000;
const REGISTER_TIMEOUT_MS = 5000;
// Less time than this left in join(): a broker round trip cannot fit, so we ran out of time.
const MIN_ATTEMPT_MS = 100;
// Our own id can stay registered for a moment after we left (the broker has not seen the socket
// close yet); a rejoin retries this long before calling it a duplicate.
const SELF_ID_RETRY_MS = 1500;
const SELF_ID_RETRY_EVERY_MS = 200;
// After the host's link is up, how long join() still waits for the rest of the roster.
const JOIN_GRACE_MS = 3000;

/** Membership of one meeting over a full mesh, as one join attempt sees it. */
export class Mesh {
  readonly events = mitt<MeshEvents>();
  readonly lifecycle: Lifecycle;
  private readonly log: Logger;
  private readonly timers: Timers;
  private readonly queue = new OpQueue();
  private readonly roster: Roster;
  private readonly links: LinkTable;
  private readonly anchor: AnchorRole;
  private readonly farewell: Farewell;
  private readonly keyring: Keyring;
  private readonly router: MediaRouter;
  private self: SignalChannel | null = null;

  constructor(
    private readonly config: MeshConfig,
    private readonly env: MeshEnv,
    shared: MeshShared = {},
  ) {
    this.log = shared.log ?? silentLogger;
    this.lifecycle = shared.lifecycle ?? new Lifecycle(this.log, env.strict ?? false);
    this.timers = new Timers(env.clock);
    this.roster = new Roster(config.participantId);
    this.keyring = new Keyring(config.meetingId);
    const brokerIdOf = (id: string): string => participantBrokerId(config.meetingId, id);
    this.router = new MediaRouter(() => this.links);
    this.links = new LinkTable(
      { selfBrokerId: brokerIdOf(config.participantId), ...config },
      {
        timers: this.timers,
        log: this.log,
        createTransport: env.createTransport,
        brokerIdOf,
        sendViaBroker: (dst, message) => this.self?.send(dst, message),
        open: (link) => this.greet(link),
        message: (link, message) => this.onLinkMessage(link, message),
        closed: (link, current) => this.onLinkClosed(link, current),
        track: (link, track) => this.events.emit("member-track", { id: link.remoteId, track }),
        created: (link) => this.router.attach(link),
      },
    );
    const active = (): boolean => this.lifecycle.active;
    this.anchor = new AnchorRole(
      { ...config, anchorId: anchorBrokerId(config.meetingId) },
      {
        timers: this.timers,
        log: this.log,
        openChannel: env.openChannel,
        roster: this.roster,
        links: this.links,
        self: () => this.self,
        active,
        setHost: (id) => this.setHost(id),
        cutOff: () => this.close("connection-lost"),
      },
    );
    this.anchor.lostHandler = () => {
      if (!this.lifecycle.inMeeting) return;
      if (this.roster.alone) this.close("connection-lost");
      else this.elect();
    };
    this.farewell = new Farewell({
      selfId: config.participantId,
      timers: this.timers,
      log: this.log,
      keyring: this.keyring,
      links: this.links,
      hostId: () => this.roster.hostId,
      active,
      refused: (error) => this.events.emit("error", error),
      ended: (linger) => this.close("ended", linger),
    });
  }

  get id(): string {
    return this.config.participantId;
  }

  get hostId(): string | null {
    return this.roster.hostId;
  }

  get isHost(): boolean {
    return this.roster.isHost;
  }

  /** Everyone else in the meeting, by id. */
  get members(): ReadonlyMap<string, Member> {
    return this.roster.view;
  }

  /** Messages dropped (malformed, over the rate limit, or not ours), by sender. */
  get dropped(): ReadonlyMap<string, number> {
    return this.links.dropped;
  }

  /** Local media: what every link sends (set by the Meeting before join). */
  get media(): MeshMediaSource | null {
    return this.router.source;
  }

  set media(source: MeshMediaSource | null) {
    this.router.source = source;
  }

  /** True when end() is allowed: we are host, or nobody else is left. */
  get mayEnd(): boolean {
    return this.roster.isHost || this.roster.alone;
  }

  /** Registers at the broker, becomes host or knocks on the host, and links to every member. */
  join(): Promise<void> {
    if (this.lifecycle.is("idle")) this.lifecycle.to("joining");
    if (!this.lifecycle.is("joining")) return Promise.reject(new MeshError("already-joined", `already ${this.lifecycle.state}`));
    return this.queue.run("join", (signal) => this.runJoin(signal)).catch((error: unknown) => {
      // Cancelled before it even started (leave() right after join()): nothing to release.
      throw error instanceof Cancelled ? this.joinFailure(error, true) : error;
    });
  }

  private async runJoin(signal: AbortSignal): Promise<void> {
    const deadline = this.timers.now() + this.config.joinTimeout;
    try {
      if (!globalThis.crypto?.subtle) throw insecureContext("WebCrypto (crypto.subtle)");
      await this.keyring.init().catch((error: unknown) => {
        throw new MeshError("internal", `could not create a signing key: ${String(error)}`, { cause: error });
      });
      this.self = await this.registerSelf(deadline, signal);
      this.listenToSelf(this.self);
      this.links.start();
      for (;;) {
        this.checkJoin(signal);
        if (deadline - this.timers.now() < MIN_ATTEMPT_MS) throw this.hostUnreachable();
        // A fresh token: a newcomer must never take over a live meeting's anchor.
        if (await this.claimWithin(deadline, randomId(24))) {
          this.anchor.founded();
          break;
        }
        this.checkJoin(signal);
        const welcome = await this.anchor.knock(Math.min(KNOCK_WAIT_MS, deadline - this.timers.now()), signal);
        if (welcome) {
          await this.linkToRoster(welcome, deadline, signal);
          break;
        }
        if (this.timers.now() >= deadline) throw this.hostUnreachable();
      }
      this.checkJoin(signal);
      this.lifecycle.to("joined");
    } catch (error) {
      const failure = this.joinFailure(error, signal.aborted);
      this.release();
      if (this.lifecycle.is("joining")) this.lifecycle.to(failure.code === "meeting-ended" ? "left" : "idle");
      throw failure;
    }
  }

  private checkJoin(signal: AbortSignal): void {
    if (signal.aborted || !this.lifecycle.is("joining")) throw new Cancelled("join");
  }

  private joinFailure(error: unknown, aborted: boolean): MeshError {
    if (error instanceof Cancelled || aborted || !this.lifecycle.is("joining")) {
      return this.lifecycle.is("leaving")
        ? new MeshError("join-cancelled", "leave() was called before join() completed")
        : new MeshError("meeting-ended", "the meeting ended while we were joining");
    }
    if (error instanceof MeshError) return error;
    this.log.error("join failed unexpectedly", error);
    return new MeshError("internal", `join failed: ${String(error)}`, { cause: error });
  }

  private hostUnreachable(cause?: unknown): MeshError {
    return new MeshError(
      "host-unreachable",
      `the host of meeting ${this.config.meetingId} did not answer within ${this.config.joinTimeout} ms`,
      cause === undefined ? undefined : { cause },
    );
  }

  // Claims the anchor within what is left of join(); a claim that runs into the deadline means we
  // ran out of time (the broker answered our own registration), not that the broker is down.
  private async claimWithin(deadline: number, token: string): Promise<boolean> {
    try {
      return await this.anchor.claim(Math.min(REGISTER_TIMEOUT_MS, deadline - this.timers.now()), token);
    } catch (error) {
      if (this.timers.now() >= deadline - MIN_ATTEMPT_MS) throw this.hostUnreachable(error);
      throw error;
    }
  }

  private async registerSelf(deadline: number, signal: AbortSignal): Promise<SignalChannel> {
    const giveUp = this.timers.now() + SELF_ID_RETRY_MS;
    const brokerId = participantBrokerId(this.config.meetingId, this.config.participantId);
    for (;;) {
      const timeout = Math.min(REGISTER_TIMEOUT_MS, Math.max(1, deadline - this.timers.now()));
      try {
        const channel = await this.env.openChannel(brokerId, timeout);
        if (signal.aborted) {
          channel.close();
          throw new Cancelled("join");
        }
        return channel;
      } catch (error) {
        if (error instanceof Cancelled) throw error;
        const taken = error instanceof ChannelOpenError && error.kind === "id-taken";
        if (taken && this.timers.now() >= giveUp) {
          throw new MeshError(
            "duplicate-participant",
            `participant ${this.config.participantId} is already in meeting ${this.config.meetingId}`,
          );
        }
        if (!taken) throw brokerUnreachable(error);
        await this.timers.sleep(SELF_ID_RETRY_EVERY_MS);
        this.checkJoin(signal);
      }
    }
  }

  private listenToSelf(self: SignalChannel): void {
    self.onMessage = (src, payload) => this.onSelfSignal(src, payload);
    // Our offer went to someone no longer registered: give that link up now, not at its timeout.
    self.onUndeliverable = (dst) => {
      const id = participantFromBrokerId(this.config.meetingId, dst);
      if (id !== null) this.links.undeliverable(id);
    };
    self.onStatus = (up) => {
      this.log.info(up ? "broker connection back" : "broker connection lost");
      if (up && this.lifecycle.is("reconnecting")) this.lifecycle.to("joined");
      else if (!up && this.lifecycle.is("joined") && this.lifecycle.to("reconnecting")) {
        this.events.emit("error", new MeshError("signaling-lost", "lost the broker; links keep working, newcomers wait"));
      }
    };
  }

  private async linkToRoster(welcome: Welcome, deadline: number, signal: AbortSignal): Promise<void> {
    this.roster.selfSeq = welcome.seq;
    this.setHost(welcome.hostId);
    const waits = new Map<string, Promise<void>>();
    for (const member of welcome.members) {
      if (member.id === this.id) continue;
      const link = this.links.ensure(member.id);
      if (!link.ready) waits.set(member.id, this.links.whenReady(link));
    }
    // Links that fail are dropped by the link timeout (or the broker's EXPIRE), which also ends their
    // waits. Someone in the roster may have left meanwhile, so once the host's link is up the others
    // get a short grace, not the whole link timeout; late ones still join later.
    const left = (): number => deadline - this.timers.now();
    await unlessAborted(this.timers.bound(waits.get(welcome.hostId) ?? Promise.resolve(), left()), signal, undefined);
    await unlessAborted(this.timers.bound(Promise.all(waits.values()), Math.min(JOIN_GRACE_MS, left())), signal, undefined);
  }

  // ---- what arrives --------------------------------------------------------------------------

  private onSelfSignal(src: string, payload: unknown): void {
    const message = parseSignal(payload);
    if (message === null || message.t === "knock") {
      this.links.countDropped(src);
      return this.log.debug(`unusable broker message from ${src} dropped`);
    }
    if (message.t === "welcome") return this.anchor.onWelcome(src, message);
    const from = participantFromBrokerId(this.config.meetingId, src);
    if (from === null || from === this.id) {
      this.links.countDropped(src);
      return this.log.debug(`signal from ${src} (not a participant of this meeting) dropped`);
    }
    if (this.lifecycle.active) this.links.onSignal(from, message.link, message.data);
  }

  private greet(link: Link): void {
    link.send({
      v: 1,
      t: "hello",
      name: this.config.name,
      seq: this.roster.selfSeq,
      hostId: this.roster.hostId,
      anchorToken: this.anchor.tokenToShare,
      key: this.keyring.publicKey,
    });
    this.router.greet(link);
  }

  private onLinkMessage(link: Link, message: LinkMessage): void {
    if (message.t === "bye-ack" || message.t === "end-ack") return this.farewell.settle(link);
    // Two leaving at once: answer the other's goodbye so neither waits out its bound.
    if (message.t === "bye" && this.lifecycle.is("leaving")) {
      link.send({ v: 1, t: "bye-ack" });
      return;
    }
    // Once we are on our way out, or this link was replaced, nothing else it says matters.
    if (!this.links.isCurrent(link) || !this.lifecycle.active) return;
    switch (message.t) {
      case "hello":
        return this.onHello(link, message);
      case "ping":
        return;
      case "media":
        return void this.events.emit("member-media", { id: link.remoteId, mic: message.mic, cam: message.cam });
      case "anchor":
        if (link.remoteId === this.roster.hostId) this.anchor.learnToken(message.token);
        return;
      case "rehome":
        return this.rehome();
      case "signal":
        return link.signal(message.data);
      case "app": {
        const member = this.roster.get(link.remoteId);
        if (member) this.events.emit("member-message", { member, payload: message.payload, direct: message.direct });
        return;
      }
      case "bye":
        this.farewell.onBye(link, message);
        return this.removeMember(link.remoteId, "left", message.successor);
      case "end":
        return void this.farewell.onEnd(link, message).catch((error: unknown) => this.log.error("checking an end failed", error));
    }
  }

  private onHello(link: Link, hello: Extract<LinkMessage, { t: "hello" }>): void {
    if (link.ready) return;
    this.links.markReady(link);
    const member: Member = { id: link.remoteId, name: hello.name, seq: hello.seq };
    this.keyring.learn(member.id, hello.key);
    if (hello.anchorToken !== null && member.id === this.roster.hostId) this.anchor.learnToken(hello.anchorToken);
    this.anchor.arrived(member.id, member.seq);
    this.roster.add(member);
    // A member who names another host than ours: the host changed while we were not looking (e.g. it
    // left before our link to it was up). The anchor settles who is right.
    if (hello.hostId !== null && hello.hostId !== this.roster.hostId && !this.anchor.holding) this.rehome();
    this.events.emit("member-joined", member);
  }

  private onLinkClosed(link: Link, current: boolean): void {
    this.farewell.settle(link);
    if (!current) return;
    this.links.retry(link, this.roster.hostId);
    if (this.lifecycle.active) this.removeMember(link.remoteId, link.violation ? "protocol-violation" : "connection-lost", null);
    this.checkAlone();
  }

  // ---- membership and host ---------------------------------------------------------------------

  private removeMember(id: string, reason: ParticipantLeftReason, successor: string | null): void {
    if (reason === "left") this.links.forget(id);
    const member = this.roster.remove(id);
    if (member) this.events.emit("member-left", { member, reason });
    // Also when the host's link never got as far as hello: a newcomer must not keep a departed host.
    if (id === this.roster.hostId && id !== this.id) this.elect(successor);
    else this.checkAlone();
  }

  // Nobody left to talk to and we are not host: by the succession rule we are now; the election then
  // finds out whether the meeting goes on elsewhere without us.
  private checkAlone(): void {
    if (this.roster.alone && !this.roster.isHost && this.lifecycle.inMeeting) this.elect();
  }

  /** Everyone computes the same successor: the one the old host named, else the earliest joiner. */
  private elect(named: string | null = null): void {
    const next = this.roster.successor(named);
    this.setHost(next);
    if (next !== this.id || this.anchor.holding) return;
    const handedOver = named === this.id;
    this.queue.run("elect", (signal) => this.anchor.settle(handedOver, signal), true).catch((e: unknown) => this.opFailed("elect", e));
  }

  private rehome(): void {
    this.queue.run("rehome", (signal) => this.anchor.rehome(signal), true).catch((e: unknown) => this.opFailed("rehome", e));
  }

  private opFailed(name: string, error: unknown): void {
    if (error instanceof Cancelled) this.log.debug(`${name} cancelled`);
    else this.log.error(`${name} failed`, error);
  }

  private setHost(id: string): void {
    // While joining, the host is whatever the welcome said; meeting-joined reports it.
    if (this.roster.setHost(id) && !this.lifecycle.is("joining")) this.events.emit("host-changed", { hostId: id });
  }

  // ---- what we do ----------------------------------------------------------------------------

  /** Says goodbye on every link (naming a successor when we are host), then releases everything. */
  leave(): Promise<void> {
    if (this.lifecycle.is("joining")) {
      // Cancel the join; it unwinds (releasing what it took) before we close.
      this.lifecycle.to("leaving");
      this.queue.cancel();
      return this.queue.run("leave", async () => this.close("left"));
    }
    if (!this.lifecycle.inMeeting) return Promise.resolve();
    this.lifecycle.to("leaving");
    this.queue.cancel();
    const successor = this.roster.heir();
    // Release the anchor first so the successor's first claim succeeds.
    this.anchor.release();
    return this.queue.run("leave", async () => {
      try {
        await this.farewell.goodbye(successor);
      } finally {
        this.close("left");
      }
    });
  }

  /**
   * Goodbye without waiting for answers, for `pagehide`: the page may be gone before any arrives.
   * Closing the links right after also tells the others at once should the goodbye itself be lost.
   */
  leaveNow(): void {
    if (!this.lifecycle.inMeeting) return;
    this.lifecycle.to("leaving");
    const successor = this.roster.heir();
    this.anchor.release();
    this.farewell.goodbyeNow(successor);
    this.close("left");
  }

  /**
   * Ends the meeting for everyone. The caller has checked that we may. Should the end not be signable,
   * we leave instead (the others see us go, the meeting goes on) and reject with `internal`.
   */
  end(): Promise<void> {
    if (!this.lifecycle.inMeeting) return Promise.resolve();
    this.lifecycle.to("leaving");
    this.queue.cancel();
    return this.queue.run("end", async () => {
      let reason: MeetingLeftReason = "ended";
      try {
        await this.farewell.end();
      } catch (error) {
        reason = "left";
        this.log.error("could not sign the end; leaving instead", error);
        await this.farewell.goodbye(null).catch(() => undefined);
        throw new MeshError("internal", `could not end the meeting: ${String(error)}`, { cause: error });
      } finally {
        this.close(reason);
      }
    });
  }

  /** Local media changed: every link sends `media.track(kind)` now, and every member hears the new state. */
  mediaChanged(kind: "audio" | "video"): void {
    this.router.changed(kind);
  }

  /** Sends app data to one member, or to every member when `to` is null. Returns how many links took it. */
  sendApp(payload: JsonValue, to: string | null): number {
    const message: LinkMessage = { v: 1, t: "app", direct: to !== null, payload };
    return this.links.broadcast(message, (l) => l.ready && (to === null || l.remoteId === to));
  }

  private release(): void {
    this.links.closeAll();
    this.anchor.release();
    this.self?.close();
    this.self = null;
    this.timers.clear();
  }

  /**
   * Releases links and broker registrations and reports why, once. With `linger`, the report comes
   * at once and the release when `linger` settles (messages still on their way out).
   */
  close(reason: MeetingLeftReason, linger?: Promise<unknown>): void {
    const was = this.lifecycle.state;
    if (was === "left" || was === "idle") return;
    this.queue.cancel();
    this.lifecycle.to("left");
    this.log.info(`out of the meeting (${reason})`);
    if (linger) {
      this.links.stopTicking();
      void linger.then(() => this.release());
    } else this.release();
    this.roster.clear();
    // A mesh that never joined reports failure through join(), not "closed".
    if (was !== "joining") this.events.emit("closed", { reason });
  }
}

