import { Peer, type PeerError } from "peerjs";
import { silentLogger, type Logger } from "./log.js";
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
  /** The broker could not deliver what we sent to `dst` (nobody registered it in time). */
  onUndeliverable?: ((dst: string) => void) | null;
  /** Someone else now holds this id at the broker (see {@link SignalChannel.watch}). */
  onLost: (() => void) | null;
  /** Checks every `intervalMs` that the broker still routes this id to us; reports a loss through onLost. */
  watch(intervalMs: number): void;
  /**
   * Checks every `intervalMs` that our socket still carries messages (one to ourselves, through the
   * broker); `misses` checks in a row unanswered and the socket counts as dead: onStatus(false), and a new
   * socket replaces it (same id and token, so the broker hands the registration over). onStatus(true)
   * once a check comes back.
   */
  keepAlive(intervalMs: number, misses: number): void;
  /**
   * Our links just came back after every one of them was cut: a socket with a check outstanding went
   * through the same outage, so it is replaced now, quietly (no onStatus(false) unless the new one does
   * not answer the next check), instead of after its misses, when the meeting already looks healed.
   */
  refresh(): void;
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

/**
 * Registers `id`. With a `token`, an id whose live registration has the same token is taken over
 * (the broker then routes it to us); that is how a successor replaces a frozen host on the anchor.
 */
export type OpenChannel = (id: string, timeoutMs: number, token?: string) => Promise<SignalChannel>;

/** What the broker says of a registration: gone (nobody holds the id), here, or unknown (no answer). */
export type Registration = "gone" | "here" | "unknown";

/**
 * Whether someone holds broker id `id`: we try to register it ourselves, under a token nobody else has,
 * and give it back at once. A crashed or closed tab's socket closes at once, so its id is free ("gone");
 * a frozen or cut-off tab's stays registered ("here"). Never rejects.
 */
export async function registrationOf(openChannel: OpenChannel, id: string, timeoutMs: number): Promise<Registration> {
  try {
    const channel = await openChannel(id, timeoutMs, randomNonce() + randomNonce());
    channel.close();
    return "gone";
  } catch (error) {
    return error instanceof ChannelOpenError && error.kind === "id-taken" ? "here" : "unknown";
  }
}

/** How long one registration (ours, or the anchor) may take before the broker counts as unreachable. */
export const REGISTER_TIMEOUT_MS = 5000;

// Our signals ride in a message type the broker relays and PeerJS's own Peer ignores when it
// carries no connectionId ("ANSWER" without a known connection is dropped by the Peer).
const RELAY_TYPE = "ANSWER";
const RECONNECT_MIN_MS = 250;
// Short on purpose: while the anchor's holder is reconnecting, a newcomer could claim it.
const RECONNECT_MAX_MS = 2000;
const PROBE_EVERY_MS = 100;
// Consecutive unanswered ownership probes (while the socket is up) that mean the id is gone.
const PROBE_MISSES_LOST = 2;

interface BrokerEnvelope {
  type?: unknown;
  src?: unknown;
  payload?: unknown;
}

interface Probe {
  mm: 1;
  t: "probe";
  nonce: string;
}

function isProbe(payload: unknown): payload is Probe {
  return (
    typeof payload === "object" &&
    payload !== null &&
    (payload as Partial<Probe>).t === "probe" &&
    typeof (payload as Partial<Probe>).nonce === "string"
  );
}

function randomNonce(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

class PeerjsChannel implements SignalChannel {
  onMessage: SignalChannel["onMessage"] = null;
  onStatus: SignalChannel["onStatus"] = null;
  onLost: SignalChannel["onLost"] = null;
  onUndeliverable: SignalChannel["onUndeliverable"] = null;
  private closed = false;
  private up = true;
  private retryDelay = RECONNECT_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private watchTimer: ReturnType<typeof setInterval> | undefined;
  private probeNonce: string | null = null;
  private probeMisses = 0;
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  // A replacement under way that has not been reported as an outage (see refresh()).
  private quietReplace = false;

  constructor(
    readonly id: string,
    private readonly peer: Peer,
    private readonly log: Logger,
  ) {
    peer.socket.on("message", (envelope: BrokerEnvelope) => {
      if (typeof envelope.src !== "string") return;
      // The broker answers EXPIRE, "from" the missing id, when a message waited for it in vain.
      if (envelope.type === "EXPIRE") return this.onUndeliverable?.(envelope.src);
      if (envelope.type !== RELAY_TYPE) return;
      if (isProbe(envelope.payload)) {
        if (envelope.src === this.id && envelope.payload.nonce === this.probeNonce) {
          this.probeNonce = null;
          this.probeMisses = 0;
          // A socket that took our registration over gets no OPEN from the broker: this is how we know.
          this.quietReplace = false;
          if (this.keepAliveTimer !== undefined) this.setUp(true);
        }
        return;
      }
      this.onMessage?.(envelope.src, envelope.payload);
    });
    peer.on("disconnected", () => {
      if (this.closed) return;
      if (!this.quietReplace) this.setUp(false);
      this.scheduleReconnect();
    });
    peer.on("open", () => {
      if (this.closed) return;
      this.quietReplace = false;
      this.retryDelay = RECONNECT_MIN_MS;
      this.setUp(true);
    });
    peer.on("error", (error: PeerError<string>) => {
      // On reconnect the broker said our id is someone else's now.
      if (error.type === "unavailable-id") return this.lose();
      // Lost servers and undeliverable messages are handled by the "disconnected" handler and the
      // links' own timeouts; an EventEmitter error with no listener would throw.
      this.log.debug(`broker error on ${this.id} (${error.type}): ${error.message}`);
    });
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.probeNonce = null;
    this.probeMisses = 0;
    this.onStatus?.(up);
  }

  private lose(): void {
    if (this.closed) return;
    const onLost = this.onLost;
    this.close();
    onLost?.();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed || this.peer.destroyed || !this.peer.disconnected) return;
      this.retryDelay = Math.min(this.retryDelay * 2, RECONNECT_MAX_MS);
      // A failed attempt ends in another "disconnected", which schedules the next one.
      this.peer.reconnect();
    }, this.retryDelay);
  }

  watch(intervalMs: number): void {
    clearInterval(this.watchTimer);
    this.watchTimer = setInterval(() => {
      if (this.closed || !this.up || this.peer.disconnected) return;
      if (this.probeNonce !== null && ++this.probeMisses >= PROBE_MISSES_LOST) {
        this.lose();
        return;
      }
      this.probeNonce = randomNonce();
      this.peer.socket.send({ type: RELAY_TYPE, dst: this.id, payload: { mm: 1, t: "probe", nonce: this.probeNonce } });
    }, intervalMs);
  }

  keepAlive(intervalMs: number, misses: number): void {
    clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = setInterval(() => {
      if (this.closed) return;
      // Once down (or quietly replaced), every unanswered check gets a new socket: one stuck in its
      // connect would otherwise keep us away for seconds after the network is back.
      const allowed = this.up && !this.quietReplace ? misses : 1;
      if (this.probeNonce !== null && ++this.probeMisses >= allowed) {
        this.log.info(`broker socket of ${this.id} does not answer; replacing it`);
        this.quietReplace = false;
        this.setUp(false);
        this.probeMisses = 0;
        this.replaceSocket();
      }
      // One check at a time, sent again until it comes back (a slow answer still counts).
      this.probeNonce ??= randomNonce();
      if (!this.peer.disconnected) this.peer.socket.send({ type: RELAY_TYPE, dst: this.id, payload: { mm: 1, t: "probe", nonce: this.probeNonce } });
    }, intervalMs);
  }

  refresh(): void {
    if (this.closed || !this.up || this.probeNonce === null || this.keepAliveTimer === undefined) return;
    this.log.info(`broker socket of ${this.id} missed a check while our links were cut; replacing it`);
    this.quietReplace = true;
    this.probeNonce = null;
    this.probeMisses = 0;
    this.replaceSocket();
  }

  // "disconnected" follows, and with it a reconnect under the same id and token.
  private replaceSocket(): void {
    // Paced by the checks (one per interval), so no backoff on top.
    this.retryDelay = RECONNECT_MIN_MS;
    if (!this.peer.disconnected) this.peer.disconnect();
    // Already waiting to reconnect: that attempt goes ahead (rescheduling it would put it off for good).
    else if (this.retryTimer === undefined) this.scheduleReconnect();
  }

  send(dst: string, message: SignalMessage): void {
    if (this.closed || this.peer.disconnected) return;
    this.peer.socket.send({ type: RELAY_TYPE, dst, payload: message });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchTimer);
    clearInterval(this.keepAliveTimer);
    this.peer.destroy();
  }
}

/** Registers ids at a PeerJS broker; the returned function is what the mesh calls. */
export function peerjsOpener(options: BrokerOptions, log: Logger = silentLogger): OpenChannel {
  return (id, timeoutMs, token) =>
    new Promise<SignalChannel>((resolve, reject) => {
      const peer = new Peer(id, { ...options, ...(token === undefined ? {} : { token }), debug: 0 });
      let settled = false;
      const nonce = randomNonce();
      const finish = (): void => {
        settled = true;
        clearTimeout(timer);
        clearInterval(prober);
        peer.socket.off("message", onProbe);
      };
      const fail = (kind: ChannelOpenError["kind"], message: string): void => {
        if (settled) return;
        finish();
        peer.destroy();
        reject(new ChannelOpenError(kind, message));
      };
      const succeed = (): void => {
        if (settled) return;
        finish();
        resolve(new PeerjsChannel(id, peer, log));
      };
      const timer = setTimeout(() => fail("unreachable", `no answer from the broker within ${timeoutMs} ms`), timeoutMs);
      // A takeover (same id, same token) gets no OPEN from the broker: we know it worked when a
      // message addressed to the id comes back to us.
      const onProbe = (envelope: BrokerEnvelope): void => {
        if (envelope.src === id && isProbe(envelope.payload) && envelope.payload.nonce === nonce) succeed();
      };
      const prober =
        token === undefined
          ? undefined
          : setInterval(() => peer.socket.send({ type: RELAY_TYPE, dst: id, payload: { mm: 1, t: "probe", nonce } }), PROBE_EVERY_MS);
      if (token !== undefined) peer.socket.on("message", onProbe);
      peer.once("open", succeed);
      peer.on("error", (error: PeerError<string>) => {
        if (settled) return;
        log.debug(`registering ${id}: broker error (${error.type}): ${error.message}`);
        if (error.type === "unavailable-id") fail("id-taken", `broker id ${id} is taken`);
        else fail("unreachable", `broker error (${error.type}): ${error.message}`);
      });
    });
}
