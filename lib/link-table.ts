// The links of one participant: one per remote participant, how they are started and answered through
// the broker (offer glare, stale signals), offered again when they never open, replaced when they go
// silent, and watched for silence. Membership is not decided here: a silent link is reported, and the
// coordinator decides what it means (see presence.ts).
import type { Cancel, Timers } from "./clock.js";
import { Link, type CreateTransport } from "./link.js";
import type { Logger } from "./log.js";
import type { AdmissionProof, LinkMessage, SignalData, SignalMessage } from "./protocol.js";
import { randomId } from "./ids.js";

export interface LinkTableConfig {
  /** Our participant id: the lower one (so the lower broker id) wins when both sides offer at once. */
  selfId: string;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  /** How long a link may take to open and say hello before it is given up. */
  linkTimeout: number;
}

/** What the table needs from around it. */
export interface LinkTableDeps {
  timers: Timers;
  log: Logger;
  createTransport: CreateTransport;
  /** Broker id of a participant. */
  brokerIdOf(id: string): string;
  /** Sends a signal message through our broker registration. */
  sendViaBroker(dst: string, message: SignalMessage): void;
  open(link: Link): void;
  message(link: Link, message: LinkMessage): void;
  /** A link closed; `current` when it was the link to its participant (not one already replaced). */
  closed(link: Link, current: boolean): void;
  /**
   * A link that said hello has been quiet for part of the heartbeat timeout (reported once per quiet
   * spell): the moment to ask the broker whether its participant is gone, so that a crash is told at
   * about the heartbeat timeout, not after it.
   */
  doubt(link: Link): void;
  /** A link that said hello heard nothing for the heartbeat timeout (reported once per silence). */
  silent(link: Link): void;
  /** Something arrived again on a link that had gone silent. */
  heard(link: Link): void;
  track(link: Link, track: MediaStreamTrack, streamId: string | null): void;
  /** A link was created (before its first offer): the place to attach media. */
  created(link: Link): void;
  /** Whether an offer from `id` may open a link (a roster member, or a newcomer with a valid admission). */
  mayLink(id: string, admission: AdmissionProof | null): Promise<boolean>;
  /** What our own offers carry: our admission, while we have one. */
  ownAdmission(): AdmissionProof | null;
}

// A link we offered to a member that never opened (a lost signal, ICE that failed) is offered again,
// this many times, this long after: else the two would stay in one meeting without ever seeing each other.
const LINK_RETRIES = 2;
const LINK_RETRY_MS = 500;
// Malformed messages, and messages dropped in all, after which a participant is disconnected.
const MAX_MALFORMED = 50;
const MAX_DROPPED = 2000;
// Offers being checked at once, and links not yet past hello, beyond which offers from strangers are
// dropped: a flood of fake ids must not make us hold hundreds of RTCPeerConnections.
const MAX_CHECKING = 16;
const MAX_UNREADY = 32;
// A member's link is doubted (see LinkTableDeps.doubt) once quiet for this share of the heartbeat
// timeout, or for two ping intervals if that is longer: an idle peer is heard at least every interval
// plus one tick (half an interval), so a doubt is a missed ping, not a late one.
const DOUBT_AT = 0.6;
const DOUBT_INTERVALS = 2;
// Checks run twice per ping interval.
const TICKS_PER_INTERVAL = 2;
// A new link offered to a silent member gets this long to come up before the next offer replaces it.
const RELINK_ATTEMPT_MS = 3000;

export class LinkTable {
  /** Messages dropped (malformed, over the rate limit, or not ours), by sender. */
  readonly dropped = new Map<string, number>();
  private readonly links = new Map<string, Link>();
  // A member's working link that a new one is replacing: kept open until the new one says hello, since
  // the path may come back first (then it is current again). At most one per participant.
  private readonly standby = new Map<string, Link>();
  // Links already doubted in their current quiet spell.
  private readonly doubted = new WeakSet<Link>();
  private readonly retries = new Map<string, number>();
  private readonly readyWaiters = new Map<Link, () => void>();
  private readonly retryTimers = new Map<string, Cancel>();
  private ticker: Cancel | null = null;
  // Offers whose sender is being checked, with the signals of that link that came meanwhile.
  private readonly checking = new Map<string, { linkId: string; signals: SignalData[] }>();
  private closed = false;

  constructor(
    private readonly config: LinkTableConfig,
    private readonly deps: LinkTableDeps,
  ) {}

  get(id: string): Link | undefined {
    return this.links.get(id);
  }

  has(id: string): boolean {
    return this.links.has(id);
  }

  /** True when `link` is the current link to its participant (not replaced, not closed). */
  isCurrent(link: Link): boolean {
    return this.links.get(link.remoteId) === link;
  }

  all(): Link[] {
    return [...this.links.values()];
  }

  /** Starts the heartbeat and link-timeout checks. */
  start(): void {
    this.ticker ??= this.deps.timers.every(Math.max(50, Math.floor(this.config.heartbeatInterval / TICKS_PER_INTERVAL)), () => this.tick());
  }

  /** Stops the heartbeat (links stay, e.g. while a last message goes out). */
  stopTicking(): void {
    this.ticker?.();
    this.ticker = null;
  }

  /** Starts a link to `remoteId`, replacing any current one. */
  connect(remoteId: string, initiator = true, linkId = randomId()): Link {
    const link = new Link(
      remoteId,
      linkId,
      initiator,
      this.deps.createTransport(initiator),
      {
        signal: (l, data) => this.sendSignal(l, data),
        open: (l) => this.deps.open(l),
        message: (l, message) => {
          // The old link talks while its replacement is not up: the path is back, it is current again.
          if (this.standby.get(l.remoteId) === l) {
            this.promote(l);
            if (this.isCurrent(l)) this.deps.heard(l);
          }
          return message.t === "ping" ? this.onPing(l) : this.deps.message(l, message);
        },
        dropped: (l, why) => this.onDropped(l, why),
        closed: (l) => this.onClosed(l),
        // A link standing by is made current again by its message (just below), which follows this.
        heard: (l) => {
          if (this.isCurrent(l)) this.deps.heard(l);
        },
        track: (l, track, streamId) => {
          if (this.isCurrent(l)) this.deps.track(l, track, streamId);
        },
      },
      () => this.deps.timers.now(),
    );
    const replaced = this.links.get(remoteId);
    this.links.set(remoteId, link);
    // A member's open link stands by until the new one is up; anything else is closed, once it is no
    // longer current, so that its close is not taken for the participant's.
    if (replaced?.ready && replaced.state === "open") {
      const previous = this.standby.get(remoteId);
      this.standby.set(remoteId, replaced);
      previous?.close();
    } else replaced?.close();
    this.deps.created(link);
    return link;
  }

  // The old link spoke before its replacement was up: it is current again, the attempt is dropped.
  private promote(link: Link): void {
    const id = link.remoteId;
    this.standby.delete(id);
    const attempt = this.links.get(id);
    if (attempt?.ready) {
      // The new link is up already: it wins.
      link.close();
      return;
    }
    this.deps.log.debug(`the old link to ${id} came back before its replacement`);
    this.links.set(id, link);
    attempt?.close();
  }

  private dropStandby(id: string): void {
    const link = this.standby.get(id);
    this.standby.delete(id);
    link?.close();
  }

  /**
   * Offers `remoteId` a new link in place of a silent or closed one, unless a link to it is being set up
   * (and still has time) or is up and talking.
   */
  relink(remoteId: string): void {
    if (this.closed) return;
    const current = this.links.get(remoteId);
    if (current && !current.silent && current.state === "open") return;
    if (current && current.state === "connecting" && this.deps.timers.now() - current.createdAt < RELINK_ATTEMPT_MS) return;
    this.deps.log.debug(`offering ${remoteId} a new link`);
    this.connect(remoteId);
  }

  /**
   * Our signaling came back: links we offered that are still waiting for an answer may have gone into a
   * dead socket; offer them again.
   */
  reofferUnready(): void {
    for (const link of this.all()) if (link.initiator && link.state === "connecting" && !this.closed) this.connect(link.remoteId);
  }

  /** Closes the link to `id` without reporting it (its participant is gone). */
  discard(id: string): void {
    const link = this.links.get(id);
    this.links.delete(id);
    link?.close();
    this.dropStandby(id);
  }

  /** Connects to `remoteId` unless a link to it exists. */
  ensure(remoteId: string): Link {
    return this.links.get(remoteId) ?? this.connect(remoteId);
  }

  /** Resolves once `link` said hello or closed. */
  whenReady(link: Link): Promise<void> {
    if (link.ready || link.state === "closed") return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.set(link, resolve));
  }

  /** `link`'s participant said hello: it counts as linked, and failed offers to it are forgotten. */
  markReady(link: Link): void {
    link.markReady();
    this.retries.delete(link.remoteId);
    if (this.standby.get(link.remoteId) !== link) this.dropStandby(link.remoteId);
    this.wakeWaiter(link);
  }

  /** A link signal relayed by the broker from participant `from`; offers carry the sender's admission. */
  onSignal(from: string, linkId: string, data: SignalData, admission: AdmissionProof | null = null): void {
    const current = this.links.get(from);
    if (current && current.linkId === linkId) return current.signal(data);
    const checking = this.checking.get(from);
    if (checking && checking.linkId === linkId) return void checking.signals.push(data);
    if (data["type"] !== "offer") return this.deps.log.debug(`stale signal from ${from} dropped`);
    if (this.loses(from)) return;
    if (checking || this.checking.size >= MAX_CHECKING || this.all().filter((l) => !l.ready).length >= MAX_UNREADY) {
      this.countDropped(from);
      return this.deps.log.debug(`offer from ${from} dropped: too many links being set up`);
    }
    const entry = { linkId, signals: [data] };
    this.checking.set(from, entry);
    // No RTCPeerConnection for anyone we cannot place in the meeting.
    void this.deps
      .mayLink(from, admission)
      .catch(() => false)
      .then((ok) => {
        if (this.checking.get(from) === entry) this.checking.delete(from);
        if (this.closed) return;
        if (!ok) {
          this.countDropped(from);
          return this.deps.log.info(`offer from ${from} dropped: not in the roster and no valid admission`);
        }
        if (this.links.get(from)?.linkId === linkId || this.loses(from)) return;
        const link = this.connect(from, false, linkId);
        for (const signal of entry.signals) link.signal(signal);
      });
  }

  // Both sides offered at once: the offer from the lower broker id wins.
  private loses(from: string): boolean {
    const current = this.links.get(from);
    return !!current && current.state === "connecting" && current.initiator && this.config.selfId < from;
  }

  /** The broker could not deliver to `id` (gone from the broker): give an unopened link up now. */
  undeliverable(id: string): void {
    const link = this.links.get(id);
    if (!link || link.ready) return;
    this.retries.set(id, LINK_RETRIES); // offering again to someone the broker does not know is pointless
    link.close();
  }

  /**
   * After an offered link that never opened closed: offer again, a bounded number of times, unless
   * `except` (the host's link failing is succession's business, not ours).
   */
  retry(link: Link, except: string | null): void {
    const id = link.remoteId;
    if (link.ready || !link.initiator || link.violation || id === except) return;
    const tries = this.retries.get(id) ?? 0;
    if (tries >= LINK_RETRIES) return;
    this.retries.set(id, tries + 1);
    this.retryTimers.get(id)?.();
    this.retryTimers.set(
      id,
      this.deps.timers.after(LINK_RETRY_MS, () => {
        this.retryTimers.delete(id);
        if (!this.closed && !this.links.has(id)) this.connect(id);
      }),
    );
  }

  /** Forgets the link to `id` without reporting it (the participant said goodbye). */
  forget(id: string): void {
    this.links.delete(id);
    this.dropStandby(id);
  }

  /** Sends `message` on every link that said hello (or every open one with `all`); returns how many took it. */
  broadcast(message: LinkMessage, filter: (link: Link) => boolean = (l) => l.ready): number {
    let sent = 0;
    for (const link of this.links.values()) if (filter(link) && link.send(message)) sent++;
    return sent;
  }

  /** Some member's link is up and was heard from within `withinMs`. */
  /** Quiet for this long, a member's link is doubted: we ask the broker whether the member is gone. */
  get doubtAfter(): number {
    return Math.max(this.config.heartbeatTimeout * DOUBT_AT, this.config.heartbeatInterval * DOUBT_INTERVALS);
  }

  /** A member's link was heard within `withinMs` (default: not yet doubted). */
  hasLiveLink(withinMs = this.doubtAfter): boolean {
    const now = this.deps.timers.now();
    for (const link of this.links.values()) if (link.ready && now - link.lastHeard < withinMs) return true;
    return false;
  }

  /** Counts a dropped message from `from` (a broker id or participant id); returns the new count. */
  countDropped(from: string): number {
    const count = (this.dropped.get(from) ?? 0) + 1;
    this.dropped.set(from, count);
    return count;
  }

  /** Closes every link; nothing is reported and nothing is offered again. */
  closeAll(): void {
    this.closed = true;
    this.checking.clear();
    this.stopTicking();
    for (const cancel of this.retryTimers.values()) cancel();
    this.retryTimers.clear();
    const links = [...this.all(), ...this.standby.values()];
    this.links.clear();
    this.standby.clear();
    for (const link of links) link.close();
  }

  private sendSignal(link: Link, data: SignalData): void {
    // Once a link is open, its own renegotiation (e.g. adding media) travels over it: no broker needed.
    if (link.state === "open" && link.send({ v: 1, t: "signal", data })) return;
    const admission = data["type"] === "offer" ? this.deps.ownAdmission() : null;
    this.deps.sendViaBroker(this.deps.brokerIdOf(link.remoteId), { mm: 1, t: "signal", link: link.linkId, data, admission });
  }

  // Garbage is dropped and counted; a participant that keeps sending it is cut off.
  private onDropped(link: Link, why: "malformed" | "flood"): void {
    const count = this.countDropped(link.remoteId);
    this.deps.log.debug(`${why} message from ${link.remoteId} dropped (${count} so far)`);
    if (count > (why === "malformed" ? MAX_MALFORMED : MAX_DROPPED)) {
      this.deps.log.warn(`disconnecting ${link.remoteId}: too many ${why} messages`);
      link.close(true);
    }
  }

  private onClosed(link: Link): void {
    this.wakeWaiter(link);
    if (this.standby.get(link.remoteId) === link) this.standby.delete(link.remoteId);
    const current = this.isCurrent(link);
    if (current) this.links.delete(link.remoteId);
    this.deps.closed(link, current);
  }

  private wakeWaiter(link: Link): void {
    this.readyWaiters.get(link)?.();
    this.readyWaiters.delete(link);
  }

  // A ping answered when we have said nothing for a heartbeat interval: a background tab, whose timers
  // the browser runs once a second or less, then still answers every ping at once (message events are
  // not throttled), so its silence is not taken for a broken link. Two pings never answer each other:
  // the answer itself counts as what we last sent.
  private onPing(link: Link): void {
    this.pingIfQuiet(link, this.deps.timers.now());
  }

  private pingIfQuiet(link: Link, now: number): void {
    if (now - link.lastSent >= this.config.heartbeatInterval) link.send({ v: 1, t: "ping" });
  }

  private tick(): void {
    const now = this.deps.timers.now();
    // A link standing by is pinged too: the other side may still be listening on it.
    for (const link of this.standby.values()) this.pingIfQuiet(link, now);
    for (const link of this.all()) {
      const stale = now - link.createdAt > this.config.linkTimeout;
      // Not open, or open but silent about who it is, for too long: give the link up.
      if ((link.state !== "open" || !link.ready) && stale) {
        this.deps.log.debug(`link to ${link.remoteId} did not come up in time`);
        link.close();
        continue;
      }
      if (link.state !== "open") continue;
      const quiet = now - link.lastHeard;
      if (quiet < this.config.heartbeatInterval) this.doubted.delete(link);
      else if (link.ready && !link.silent && quiet > this.doubtAfter && !this.doubted.has(link)) {
        this.doubted.add(link);
        this.deps.doubt(link);
      }
      if (!link.silent && quiet > this.config.heartbeatTimeout) {
        this.deps.log.info(`link to ${link.remoteId} went silent`);
        link.silent = true;
        // A link that never said hello is not a member's: it is given up at the link timeout instead.
        if (link.ready) this.deps.silent(link);
      }
      // Pings go on while silent: the first one through tells the other side the link is back.
      this.pingIfQuiet(link, now);
    }
  }
}
