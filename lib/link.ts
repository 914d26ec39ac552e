import { encodeLink, parseLink, type LinkMessage, type SignalData } from "./protocol.js";
import type { SenderEncoding } from "./video-plan.js";

/** What the mesh needs from one peer-to-peer connection (simple-peer in browsers, fakes in unit tests). */
export interface LinkTransport {
  signal(data: SignalData): void;
  /** False when the channel is not open (the message was not sent). */
  send(text: string): boolean;
  /** Resolves once queued data has left (bounded), so a last message is not cut off by close. */
  flush(maxWaitMs: number): Promise<void>;
  destroy(): void;
  onSignal: ((data: SignalData) => void) | null;
  onOpen: (() => void) | null;
  onData: ((text: string) => void) | null;
  onClose: (() => void) | null;
  /**
   * Media (optional: transports without media, such as unit-test fakes, leave these out). Makes `track`
   * what this link sends of its kind; null sends nothing of that kind (see media.ts).
   */
  setTrack?(kind: "audio" | "video" | "share", track: MediaStreamTrack | null): void;
  /**
   * What the sender of `kind` may spend (see video-plan.ts); kept and applied once the sender exists,
   * and again to a sender added later.
   */
  setEncoding?(kind: "audio" | "video" | "share", encoding: SenderEncoding): void;
  /** Ids of the MediaStreams our camera (`cs`) and share (`ss`) ride in on this link; null before they were sent. */
  streamIds?(): { cs: string | null; ss: string | null };
  /** A remote track arrived, in the remote MediaStream `streamId` (null: none was named). */
  onTrack?: ((track: MediaStreamTrack, streamId: string | null) => void) | null;
  /** The connection's WebRTC statistics (optional: fakes have none). */
  getStats?(): Promise<RTCStatsReport>;
}

export type CreateTransport = (initiator: boolean) => LinkTransport;

export type LinkState = "connecting" | "open" | "closed";

export interface LinkHandlers {
  signal(link: Link, data: SignalData): void;
  open(link: Link): void;
  message(link: Link, message: LinkMessage): void;
  /** A message was dropped: it did not parse (`malformed`) or came over the rate limit (`flood`). */
  dropped(link: Link, why: "malformed" | "flood"): void;
  closed(link: Link): void;
  /** Something arrived on a link that had gone silent. */
  heard?(link: Link): void;
  /** A remote media track arrived on this link, in the remote MediaStream `streamId`. */
  track?(link: Link, track: MediaStreamTrack, streamId: string | null): void;
}

// Per-link rate limit (token bucket): far above what an app, pings and renegotiation need, far
// below what it takes to keep a page busy.
const BURST = 400;
const PER_SECOND = 200;

/** One link to one remote participant: framing, liveness bookkeeping and its lifecycle. */
export class Link {
  state: LinkState = "connecting";
  /** Last time anything arrived, in ms (performance.now()). */
  lastHeard: number;
  lastSent: number;
  readonly createdAt: number;
  /** Set when we closed the link because the remote side broke the protocol. */
  violation = false;
  /** Nothing arrived for longer than the heartbeat timeout (cleared by the next message). */
  silent = false;
  private tokens = BURST;
  private refilledAt: number;
  private helloed = false;

  constructor(
    /** Remote participant id (from the broker-stamped signaling source, never from a message). */
    readonly remoteId: string,
    /** Names this link instance in signals, so stale signals of an older link are ignored. */
    readonly linkId: string,
    readonly initiator: boolean,
    private readonly transport: LinkTransport,
    private readonly handlers: LinkHandlers,
    private readonly now: () => number,
  ) {
    this.createdAt = this.lastHeard = this.lastSent = this.refilledAt = now();
    transport.onSignal = (data) => {
      if (this.state !== "closed") handlers.signal(this, data);
    };
    transport.onOpen = () => {
      if (this.state !== "connecting") return;
      this.state = "open";
      this.lastHeard = this.now();
      handlers.open(this);
    };
    // simple-peer may deliver the remote side's first messages before its own "connect" event
    // (it waits for ICE stats first), so data is accepted while connecting too.
    transport.onData = (text) => {
      if (this.state === "closed") return;
      const now = this.now();
      this.lastHeard = now;
      if (this.silent) {
        this.silent = false;
        handlers.heard?.(this);
      }
      this.tokens = Math.min(BURST, this.tokens + ((now - this.refilledAt) * PER_SECOND) / 1000);
      this.refilledAt = now;
      if (this.tokens < 1) return handlers.dropped(this, "flood");
      this.tokens -= 1;
      const message = parseLink(text);
      if (message === null) handlers.dropped(this, "malformed");
      else handlers.message(this, message);
    };
    transport.onClose = () => this.close();
    transport.onTrack = (track, streamId) => {
      if (this.state !== "closed") handlers.track?.(this, track, streamId);
    };
  }

  /** True once the remote participant's hello arrived (stays true after close). */
  get ready(): boolean {
    return this.helloed;
  }

  /** The remote participant said hello. */
  markReady(): void {
    this.helloed = true;
  }

  /** Media: what this link sends of `kind` (null: nothing). */
  setTrack(kind: "audio" | "video" | "share", track: MediaStreamTrack | null): void {
    if (this.state !== "closed") this.transport.setTrack?.(kind, track);
  }

  /** What this link's sender of `kind` may spend (see video-plan.ts). */
  setEncoding(kind: "audio" | "video" | "share", encoding: SenderEncoding): void {
    if (this.state !== "closed") this.transport.setEncoding?.(kind, encoding);
  }

  /** Ids of the MediaStreams our camera and share ride in on this link (see LinkTransport.streamIds). */
  streamIds(): { cs: string | null; ss: string | null } {
    return this.transport.streamIds?.() ?? { cs: null, ss: null };
  }

  signal(data: SignalData): void {
    if (this.state !== "closed") this.transport.signal(data);
  }

  /** WebRTC statistics of this link's connection; null when closed or the transport has none. */
  stats(): Promise<RTCStatsReport | null> {
    if (this.state === "closed" || !this.transport.getStats) return Promise.resolve(null);
    return this.transport.getStats().catch(() => null);
  }

  send(message: LinkMessage): boolean {
    if (this.state !== "open") return false;
    this.lastSent = this.now();
    return this.transport.send(encodeLink(message));
  }

  flush(maxWaitMs: number): Promise<void> {
    return this.state === "open" ? this.transport.flush(maxWaitMs) : Promise.resolve();
  }

  /** Closes the link (idempotent) and tells the mesh once; `violation` when the remote broke the protocol. */
  close(violation = false): void {
    if (this.state === "closed") return;
    this.violation = violation;
    this.state = "closed";
    this.transport.destroy();
    this.handlers.closed(this);
  }
}
