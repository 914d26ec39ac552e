import { Peer, type PeerError } from "peerjs";
import type { SignalMessage } from "./protocol.js";

/** Where the PeerJS broker is. Omitted fields take PeerJS's defaults (its public cloud broker). */
export interface BrokerOptions {
  host?: string;
  port?: number;
  path?: string;
  key?: string;
  secure?: boolean;
}

/** One registration at the broker: we can send to any id, and receive what is sent to ours. */
export interface SignalChannel {
  readonly id: string;
  send(dst: string, message: SignalMessage): void;
  /** `src` is stamped by the broker, so it is the sender's registered id, not a claim. */
  onMessage: ((src: string, payload: unknown) => void) | null;
  /** Signaling went down (false) or came back (true); links are unaffected. */
  onStatus: ((up: boolean) => void) | null;
  close(): void;
}

/** Why a registration failed. */
export class ChannelOpenError extends Error {
  constructor(
    readonly kind: "id-taken" | "unreachable",
    message: string,
  ) {
    super(message);
    this.name = "ChannelOpenError";
  }
}

export type OpenChannel = (id: string, timeoutMs: number) => Promise<SignalChannel>;

// Our signals ride in a message type the broker relays and PeerJS's own Peer ignores when it
// carries no connectionId ("ANSWER" without a known connection is dropped by the Peer).
const RELAY_TYPE = "ANSWER";
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 8000;

interface BrokerEnvelope {
  type?: unknown;
  src?: unknown;
  payload?: unknown;
}

class PeerjsChannel implements SignalChannel {
  onMessage: SignalChannel["onMessage"] = null;
  onStatus: SignalChannel["onStatus"] = null;
  private closed = false;
  private retryDelay = RECONNECT_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly id: string,
    private readonly peer: Peer,
  ) {
    peer.socket.on("message", (envelope: BrokerEnvelope) => {
      if (envelope.type !== RELAY_TYPE || typeof envelope.src !== "string") return;
      this.onMessage?.(envelope.src, envelope.payload);
    });
    peer.on("disconnected", () => {
      if (this.closed) return;
      this.onStatus?.(false);
      this.scheduleReconnect();
    });
    peer.on("open", () => {
      if (this.closed) return;
      this.retryDelay = RECONNECT_MIN_MS;
      this.onStatus?.(true);
    });
    // PeerJS reports lost servers and undeliverable messages here; the handlers above and the
    // links' own timeouts deal with them, but an EventEmitter error with no listener would throw.
    peer.on("error", () => undefined);
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.closed || this.peer.destroyed || !this.peer.disconnected) return;
      this.retryDelay = Math.min(this.retryDelay * 2, RECONNECT_MAX_MS);
      // A failed attempt ends in another "disconnected", which schedules the next one.
      this.peer.reconnect();
    }, this.retryDelay);
  }

  send(dst: string, message: SignalMessage): void {
    if (this.closed || this.peer.disconnected) return;
    this.peer.socket.send({ type: RELAY_TYPE, dst, payload: message });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.peer.destroy();
  }
}

/** Registers ids at a PeerJS broker; the returned function is what the mesh calls. */
export function peerjsOpener(options: BrokerOptions): OpenChannel {
  return (id, timeoutMs) =>
    new Promise<SignalChannel>((resolve, reject) => {
      const peer = new Peer(id, { ...options, debug: 0 });
      let settled = false;
      const fail = (kind: ChannelOpenError["kind"], message: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        peer.destroy();
        reject(new ChannelOpenError(kind, message));
      };
      const timer = setTimeout(() => fail("unreachable", `no answer from the broker within ${timeoutMs} ms`), timeoutMs);
      peer.once("open", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(new PeerjsChannel(id, peer));
      });
      peer.on("error", (error: PeerError<string>) => {
        if (error.type === "unavailable-id") fail("id-taken", `broker id ${id} is taken`);
        else fail("unreachable", `broker error (${error.type}): ${error.message}`);
      });
    });
}
