// The coordinator of one join attempt: owns the lifecycle's transitions for the mesh, runs every async
// operation through one queue, and wires the parts (links, roster, anchor role, farewells, media)
// together. Each part does its own job; this file only says what follows what.
import mitt from "mitt";
import { AnchorRole } from "./anchor.js";
import { registrationOf, type SignalChannel } from "./broker.js";
import { Timers } from "./clock.js";
import { MeshError } from "./errors.js";
import { Deliveries } from "./deliveries.js";
import { Farewell } from "./farewell.js";
import { JoinFlow, joinFailure, type JoinDeps } from "./join.js";
import { HostChain } from "./host-chain.js";
import { Keyring } from "./keyring.js";
import { Lifecycle } from "./lifecycle.js";
import { LinkTable } from "./link-table.js";
import { silentLogger, type Logger } from "./log.js";
import { MediaRouter, type MeshMediaSource } from "./media-router.js";
import { VideoTuner } from "./video-tuner.js";
import { Membership } from "./membership.js";
import { Presence } from "./presence.js";
import { Removal } from "./removal.js";
import type { MeetingLeftReason, MeshConfig, MeshEnv, MeshEvents, MeshShared } from "./mesh-types.js";
import { parseSignal, type JsonValue } from "./protocol.js";
import { Cancelled, OpQueue } from "./queue.js";
import { Roster, type Member } from "./roster.js";
import { Scope } from "./scope.js";

export type { MeetingLeftReason, MeshConfig, MeshEnv, MeshEvents, MeshShared, ParticipantLeftReason } from "./mesh-types.js";
export type { Member, MeshMediaSource };

// How long a leaving host keeps the anchor for its heir to take it over.
const HANDOVER_WAIT_MS = 1000;
// How long the broker may take to say whether a silent member is still registered.
const PROBE_TIMEOUT_MS = 2000;
// Our own registration is checked this often (a message to ourselves through the broker); unanswered
// this many times in a row, the socket is dead (PeerJS alone would notice only when the broker closes it,
// 90 s later) and is replaced.
const SELF_CHECK_MS = 1500;
const SELF_CHECK_MISSES = 3;

/** Membership of one meeting over a full mesh, as one join attempt sees it. */
export class Mesh {
  /** @internal */
  readonly events = mitt<MeshEvents>();
  readonly lifecycle: Lifecycle;
  private readonly log: Logger;
  private readonly timers: Timers;
  private readonly queue = new OpQueue();
  private readonly roster: Roster;
  private readonly links: LinkTable;
  private readonly anchor: AnchorRole;
  private readonly farewell: Farewell;
  private readonly removal: Removal;
  private readonly keyring: Keyring;
  private readonly chain: HostChain;
  private readonly scope: Scope;
  private readonly router: MediaRouter;
  private readonly membership: Membership;
  private readonly presence: Presence;
  private readonly deliveries: Deliveries;
  private self: SignalChannel | null = null;
  private brokerUp = true;
  private goodbyeSent = false;
  private wasCutOff = false;
  private byeSuccessor: string | null = null;

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
    this.chain = new HostChain(config.meetingId);
    this.scope = new Scope(config.meetingId);
    const brokerIdOf = (id: string): string => this.scope.brokerIdOf(id);
    this.router = new MediaRouter(() => this.links);
    if (config.adaptiveVideo) {
      this.router.tuner = new VideoTuner({
        timers: this.timers,
        log: this.log,
        links: () => this.links.all(),
        track: (kind) => this.router.source?.track(kind) ?? null,
        budgetBps: config.uplinkBudget,
      });
    }
    this.links = new LinkTable(
      { selfId: config.participantId, ...config },
      {
        timers: this.timers,
        log: this.log,
        createTransport: env.createTransport,
        brokerIdOf,
        sendViaBroker: (dst, message) => this.self?.send(dst, message),
        open: (link) => this.membership.greet(link),
        message: (link, message) => this.membership.onLinkMessage(link, message),
        closed: (link, current) => this.membership.onLinkClosed(link, current),
        doubt: (link) => this.membership.onLinkDoubt(link),
        silent: (link) => this.membership.onLinkSilent(link),
        heard: (link) => this.membership.onLinkHeard(link),
        track: (link, track, streamId) => this.events.emit("member-track", { id: link.remoteId, track, streamId }),
        created: (link) => this.router.attach(link),
        mayLink: (id, admission) => this.membership.mayLink(id, admission),
        ownAdmission: () => this.membership.ownAdmission,
      },
    );
    this.presence = new Presence({
      timers: this.timers,
      log: this.log,
      reconnectTimeout: config.reconnectTimeout,
      // Asked only while our own socket works: otherwise nobody's answer would mean anything.
      probe: async (id) => (this.brokerUp && this.self !== null ? registrationOf(env.openChannel, this.scope.brokerIdOf(id), PROBE_TIMEOUT_MS) : "unknown"),
      relink: (id) => this.links.relink(id),
      reconnecting: (id) => this.memberEvent("member-reconnecting", id),
      reconnected: (id) => this.memberEvent("member-reconnected", id),
      lost: (id) => this.membership.lost(id),
    });
    this.deliveries = new Deliveries({
      timers: this.timers,
      send: (id, message) => {
        const link = this.links.get(id);
        return !!link && link.ready && link.send(message);
      },
    });
    const active = (): boolean => this.lifecycle.active;
    const cutOff = (): void => this.close("connection-lost");
    this.anchor = new AnchorRole(config, {
      timers: this.timers,
      log: this.log,
      scope: this.scope,
      openChannel: env.openChannel,
      roster: this.roster,
      chain: this.chain,
      keyring: this.keyring,
      links: this.links,
      self: () => this.self,
      active,
      // Alone, a host the others follow means the meeting went on without us.
      follow: (welcome) => (this.roster.alone ? cutOff() : this.membership.follow(welcome)),
      claimed: () => this.membership.claimed(),
      cutOff,
      signaling: () => this.brokerUp,
      invited: (welcome) => this.membership.invited(welcome),
      // Losing the anchor is not losing the meeting: the host (by the chain) claims it again.
      lost: () => {
        if (this.lifecycle.inMeeting) this.membership.elect();
      },
      door: {
        banned: (id) => this.removal.isRemoved(id),
        requested: (request) => this.events.emit("entry-requested", request),
        responded: (id, decision) => this.events.emit("entry-responded", { id, decision }),
      },
    });
    this.farewell = new Farewell({
      selfId: config.participantId,
      timers: this.timers,
      log: this.log,
      keyring: this.keyring,
      chain: this.chain,
      links: this.links,
      active,
      refused: (error) => this.events.emit("error", error),
      ended: (linger) => this.close("ended", linger),
    });
    this.removal = new Removal({
      selfId: config.participantId,
      timers: this.timers,
      log: this.log,
      keyring: this.keyring,
      chain: this.chain,
      links: this.links,
      active,
      removed: (id) => this.membership.expel(id),
      expelled: (linger) => this.close("removed", linger),
      refused: (error) => this.events.emit("error", error),
    });
    this.membership = new Membership({
      selfId: config.participantId,
      timers: this.timers,
      name: config.name,
      roster: this.roster,
      chain: this.chain,
      links: this.links,
      anchor: this.anchor,
      keyring: this.keyring,
      farewell: this.farewell,
      removal: this.removal,
      router: this.router,
      presence: this.presence,
      deliveries: this.deliveries,
      lifecycle: this.lifecycle,
      queue: this.queue,
      events: this.events,
      log: this.log,
    });
    // Who is reachable decides whether we are joined or reconnecting (see connectivity()).
    for (const type of ["member-joined", "member-left", "member-reconnecting", "member-reconnected"] as const) {
      this.events.on(type, () => this.connectivity());
    }
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

  /** Members whose links are healing now (still members; see presence.ts). */
  get reconnecting(): ReadonlySet<string> {
    return this.presence.reconnecting;
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

  /** True when end() is allowed: we are host (by a roster we signed), or nobody else is left. */
  get mayEnd(): boolean {
    return this.chain.hostId === this.id || this.roster.alone;
  }

  /** True when we are host by a roster we signed: only then may we remove someone. */
  get signedHost(): boolean {
    return this.chain.hostId === this.id;
  }

  /**
   * As host: removes `id` from the meeting (a signed removal every member checks and relays). The
   * caller has checked that we are host and `id` is a member. Throws `unknown-participant`.
   */
  async remove(id: string): Promise<void> {
    // A member who just arrived may not be in a roster we signed yet: that roster goes first, so that
    // every receiver knows the key the removal names.
    await this.membership.rosterSent();
    await this.removal.remove(id);
  }

  /** Registers at the broker, becomes host or knocks on the host, and links to every member. */
  join(): Promise<void> {
    if (this.lifecycle.is("idle")) this.lifecycle.to("joining");
    if (!this.lifecycle.is("joining")) return Promise.reject(new MeshError("already-joined", `already ${this.lifecycle.state}`));
    return this.queue.run("join", (signal) => this.runJoin(signal)).catch((error: unknown) => {
      // Cancelled before it even started (leave() right after join()): nothing to release.
      throw error instanceof Cancelled ? joinFailure(error, true, this.lifecycle, this.log) : error;
    });
  }

  private async runJoin(signal: AbortSignal): Promise<void> {
    try {
      await new JoinFlow(this.joinDeps()).run(signal);
      if (signal.aborted || !this.lifecycle.is("joining")) throw new Cancelled("join");
      this.lifecycle.to("joined");
      this.connectivity();
    } catch (error) {
      const failure = joinFailure(error, signal.aborted, this.lifecycle, this.log);
      // Cancelled by leave(): the leave says goodbye on whatever links came up, then releases.
      if (!this.lifecycle.is("leaving")) this.release();
      if (this.lifecycle.is("joining")) this.lifecycle.to(failure.code === "meeting-ended" ? "left" : "idle");
      throw failure;
    }
  }

  private joinDeps(): JoinDeps {
    return {
      config: this.config,
      timers: this.timers,
      log: this.log,
      openChannel: this.env.openChannel,
      keyring: this.keyring,
      scope: this.scope,
      chain: this.chain,
      anchor: this.anchor,
      links: this.links,
      membership: this.membership,
      lifecycle: this.lifecycle,
      responded: (decision) => this.events.emit("entry-responded", { id: this.id, decision }),
      registered: (self) => {
        this.self = self;
        this.listenToSelf(self);
        this.links.start();
        this.deliveries.start();
      },
    };
  }

  private listenToSelf(self: SignalChannel): void {
    self.onMessage = (src, payload) => this.onSelfSignal(src, payload);
    // Our offer went to someone no longer registered: give that link up now, not at its timeout.
    self.onUndeliverable = (dst) => {
      const id = this.scope.participantOf(dst);
      if (id !== null) this.links.undeliverable(id);
    };
    self.onStatus = (up) => {
      this.log.info(up ? "broker connection back" : "broker connection lost");
      this.brokerUp = up;
      const joined = this.lifecycle.is("joined");
      this.connectivity();
      if (!up && joined && this.lifecycle.is("reconnecting")) {
        this.events.emit("error", new MeshError("signaling-lost", "lost the broker; links keep working, newcomers wait"));
      }
      // Offers made while our socket was dead went nowhere: make them again.
      if (up) {
        this.presence.kick();
        this.links.reofferUnready();
        void this.anchor.reclaim();
      }
    };
    self.keepAlive(SELF_CHECK_MS, SELF_CHECK_MISSES);
  }

  // Joined while we reach the broker and at least one member (or nobody is there to reach);
  // reconnecting otherwise. Cut off from every member, we wait for the links to heal (presence.ts).
  private connectivity(): void {
    if (!this.lifecycle.inMeeting) return;
    const cutOff = this.presence.cutOffFrom(this.roster.view.keys());
    // Back from being cut off from everyone: our broker socket went through the same outage.
    if (this.wasCutOff && !cutOff) this.self?.refresh();
    this.wasCutOff = cutOff;
    this.lifecycle.to(!this.brokerUp || cutOff ? "reconnecting" : "joined");
  }

  private memberEvent(type: "member-reconnecting" | "member-reconnected", id: string): void {
    const member = this.roster.get(id);
    if (member) this.events.emit(type, member);
  }

  private onSelfSignal(src: string, payload: unknown): void {
    const message = parseSignal(payload);
    if (message === null || message.t === "knock") {
      this.links.countDropped(src);
      return this.log.debug(`unusable broker message from ${src} dropped`);
    }
    if (message.t === "welcome") return this.anchor.onWelcome(src, message);
    if (message.t === "waiting" || message.t === "denied") {
      return void this.anchor.onEntryReply(src, message).catch((e: unknown) => this.log.error("an answer at the door failed", e));
    }
    const from = this.scope.participantOf(src);
    if (from === null || from === this.id) {
      this.links.countDropped(src);
      return this.log.debug(`signal from ${src} (not a participant of this meeting) dropped`);
    }
    if (this.lifecycle.active) this.links.onSignal(from, message.link, message.data, message.admission);
  }

  /** Says goodbye on every link (naming a successor when we are host), then releases everything. */
  leave(): Promise<void> {
    const joining = this.lifecycle.is("joining");
    if (!joining && !this.lifecycle.inMeeting) return Promise.resolve();
    this.lifecycle.to("leaving");
    // A join in progress unwinds first (releasing what it took); we then say goodbye to anyone it had
    // already linked with, naming no successor (we were not host yet).
    this.queue.cancel();
    const successor = joining ? null : this.roster.heir();
    // The anchor stays ours until we close: our heir takes it over with the token it holds the moment
    // our goodbye arrives, so there is no gap in which a newcomer could claim it and found a meeting
    // of its own.
    return this.queue.run("leave", async () => {
      try {
        await this.farewell.goodbye(successor);
        if (successor !== null) await this.anchor.handOver(HANDOVER_WAIT_MS);
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
    // Said again by every later unload event, on the links still open: a browser may cut a handler off,
    // or drop what a data channel had queued (measured: Firefox, about 1 close in 14).
    if (this.goodbyeSent) return this.farewell.goodbyeNow(this.byeSuccessor);
    if (!this.lifecycle.inMeeting) return;
    // The goodbye goes first: nothing may stand between the page going and it.
    this.goodbyeSent = true;
    this.byeSuccessor = this.roster.heir();
    this.farewell.goodbyeNow(this.byeSuccessor);
    this.lifecycle.to("leaving");
    this.anchor.release();
    // The links stay open until what is queued on them is out (or the page's own teardown closes them):
    // closing a connection at once can drop its data channel's queue.
    this.close("left", Promise.all(this.links.all().map((l) => l.flush(1000))));
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

  /** Tells every member how loud our microphone was over the last second (see call-monitor.ts). */
  sendVoice(level: number): void {
    this.links.broadcast({ v: 1, t: "voice", level: Math.min(1, Math.max(0, level)) });
  }

  /** WebRTC statistics of our current link to `id`; null without one. */
  linkStats(id: string): Promise<RTCStatsReport | null> {
    return this.links.get(id)?.stats() ?? Promise.resolve(null);
  }

  /** Local media changed: every link sends `media.track(kind)` now, and every member hears the new state. */
  mediaChanged(kind: "audio" | "video" | "share"): void {
    this.router.changed(kind);
  }

  /**
   * Sends app data to one member, or to every member when `to` is null: delivered once and in order,
   * also to members whose links are healing (kept until they acknowledge it). Returns how many members
   * it went to; a member whose backlog is full is reported through `error` (`backlog-full`).
   */
  sendApp(payload: JsonValue, to: string | null, chars: number, topic: string | null = null): number {
    const ids = [...this.roster.view.keys()].filter((id) => to === null || id === to);
    const full = (id: string, waiting: number): void =>
      this.events.emit("error", new MeshError("backlog-full", `a message to ${id} was not sent: ${waiting} earlier ones still wait for it`, { participantId: id }));
    return this.deliveries.sendTo(ids, payload, to !== null, chars, full, topic);
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

