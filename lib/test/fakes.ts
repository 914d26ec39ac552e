// In-memory stand-ins for the PeerJS broker and for simple-peer links, so that real Mesh and Meeting
// objects can be driven in Node with no network. Everything is delivered asynchronously (setTimeout 0,
// in order), like messages arriving from a socket, and every payload is copied through JSON, like the wire.

import type { OpenChannel, SignalChannel } from "../broker.js";
import type { CreateTransport, LinkTransport } from "../link.js";
import type { MeshEnv } from "../mesh.js";
import type { SignalData, SignalMessage } from "../protocol.js";
import { subject } from "./load-subject.js";

const later = (fn: () => void): void => {
  setTimeout(fn, 0);
};

const viaWire = <T>(value: T): unknown => JSON.parse(JSON.stringify(value)) as unknown;

// ---- broker ------------------------------------------------------------------------------

class FakeChannel implements SignalChannel {
  onMessage: SignalChannel["onMessage"] = null;
  onStatus: SignalChannel["onStatus"] = null;
  onLost: (() => void) | null = null;
  onUndeliverable: SignalChannel["onUndeliverable"] = null;
  /** Closed by its owner, taken over, or its owner crashed: nothing goes in or out any more. */
  dead = false;
  /** The owner froze: the broker still holds its ids, but nothing goes in or out. */
  frozen = false;
  private watchTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly id: string,
    readonly owner: string,
    readonly token: string,
    private readonly broker: FakeBroker,
  ) {}

  send(dst: string, message: SignalMessage): void {
    this.broker.relay(this, dst, message);
  }

  /** Checks every `intervalMs` that the broker still routes the id here; reports a takeover via onLost. */
  watch(intervalMs: number): void {
    clearInterval(this.watchTimer);
    this.watchTimer = setInterval(() => {
      if (this.dead || this.frozen) return;
      if (this.broker.holderOf(this.id) !== this) {
        const onLost = this.onLost;
        this.stop();
        onLost?.();
      }
    }, intervalMs);
  }

  /** The fake's sockets never die on their own: broker outages are setReachable(). */
  keepAlive(): void {}

  close(): void {
    this.stop();
    this.broker.unregister(this);
  }

  /** Goes silent and drops its timer. */
  stop(): void {
    clearInterval(this.watchTimer);
    this.watchTimer = undefined;
    this.dead = true;
  }
}

export interface FakeBrokerOptions {
  /** How long an id stays taken after its holder closed it (a real broker learns of the close late). */
  releaseDelayMs?: number;
}

let tokenCounter = 0;

/**
 * A PeerJS broker in memory, with the semantics of the `peer` server:
 * - one live registration per id; a second one is refused with `id-taken`, unless it presents the
 *   same token as the live one, in which case it takes the id over (messages for the id now reach
 *   the newcomer; the old holder is not told);
 * - one-to-one relay with `src` stamped by the broker; messages to ids nobody holds are dropped.
 */
export class FakeBroker {
  /** Ids currently registered, and by which channel. */
  private readonly holders = new Map<string, FakeChannel>();
  private readonly channels = new Set<FakeChannel>();
  private readonly crashedOwners = new Set<string>();
  private reachable = true;
  /** Messages relayed to a registered id. */
  relayed = 0;
  /** Messages dropped because nobody held the destination id (or the broker was down). */
  undeliverable = 0;
  /** Registrations that took a live id over with its token. */
  takeovers = 0;
  /** Called when an id becomes free again. */
  onRelease: ((id: string) => void) | null = null;
  /** Called after any registration comes or goes (for waiters). */
  readonly watchers = new Set<() => void>();
  /** Sees every message sent through the broker, delivered or not (for tests that act at a precise moment). */
  readonly taps = new Set<(src: string, dst: string, message: SignalMessage) => void>();
  /** A filter that returns true loses that message on the way (after the taps saw it). */
  readonly losses = new Set<(src: string, dst: string, message: SignalMessage) => boolean>();

  constructor(private readonly options: FakeBrokerOptions = {}) {}

  /** An OpenChannel for one participant (its owner name is used by crash()). */
  opener(owner: string): OpenChannel {
    return (id: string, timeoutMs: number, token?: string) =>
      new Promise<SignalChannel>((resolve, reject) => {
        if (typeof timeoutMs !== "number" || !(timeoutMs > 0)) {
          reject(new Error(`openChannel got a bad timeout: ${String(timeoutMs)}`));
          return;
        }
        later(() => {
          if (!this.reachable || this.crashedOwners.has(owner)) {
            reject(new subject.ChannelOpenError("unreachable", "the fake broker is unreachable"));
            return;
          }
          const current = this.holders.get(id);
          if (current && (token === undefined || token !== current.token)) {
            reject(new subject.ChannelOpenError("id-taken", `broker id ${id} is taken`));
            return;
          }
          if (current) this.takeovers++;
          // Like PeerJS, a registration without an explicit token gets a random one nobody else knows.
          const channel = new FakeChannel(id, owner, token ?? `random${++tokenCounter}x${Math.random().toString(36).slice(2)}`, this);
          this.holders.set(id, channel);
          this.channels.add(channel);
          resolve(channel);
          this.changed();
        });
      });
  }

  /** An OpenChannel with no particular owner. */
  readonly openChannel: OpenChannel = this.opener("anonymous");

  /** True while some client holds `id`. */
  isRegistered(id: string): boolean {
    return this.holders.has(id);
  }

  /** The owner holding `id`, if any. */
  ownerOf(id: string): string | undefined {
    return this.holders.get(id)?.owner;
  }

  holderOf(id: string): FakeChannel | undefined {
    return this.holders.get(id);
  }

  /** Every id currently held; with `exceptFrozen`, leaving out ids held by frozen tabs. */
  registeredIds(exceptFrozen = false): string[] {
    return [...this.holders.entries()]
      .filter(([, channel]) => !(exceptFrozen && channel.frozen))
      .map(([id]) => id)
      .sort();
  }

  /**
   * The broker goes down (new registrations fail with `unreachable`, nothing is relayed, every live
   * channel hears onStatus(false)) or comes back (onStatus(true)). Registrations survive the outage.
   */
  setReachable(up: boolean): void {
    if (this.reachable === up) return;
    this.reachable = up;
    for (const channel of this.channels) later(() => channel.dead || channel.frozen || channel.onStatus?.(up));
  }

  /**
   * The owner's tab is gone: its channels go silent and it can register no more. A crashed tab's
   * socket closes, so its ids are freed; a frozen tab's socket stays up, so the broker keeps its ids.
   */
  crash(owner: string, how: "crashed" | "frozen" = "crashed"): void {
    this.crashedOwners.add(owner);
    for (const channel of [...this.channels]) {
      if (channel.owner !== owner) continue;
      if (how === "frozen") channel.frozen = true;
      else this.drop(channel, 0);
    }
  }

  /** A frozen tab wakes up: its channels work again (those taken over meanwhile stay someone else's). */
  thaw(owner: string): void {
    this.crashedOwners.delete(owner);
    for (const channel of this.channels) if (channel.owner === owner) channel.frozen = false;
  }

  /** Delivers a raw payload to `dst` as if `src` had sent it (for malformed-input tests). */
  inject(src: string, dst: string, payload: unknown): void {
    const target = this.holders.get(dst);
    if (!target) return;
    later(() => target.dead || target.frozen || target.onMessage?.(src, payload));
  }

  relay(from: FakeChannel, dst: string, message: SignalMessage): void {
    if (from.dead || from.frozen || !this.reachable) {
      this.undeliverable++;
      return;
    }
    for (const tap of this.taps) tap(from.id, dst, message);
    const target = this.holders.get(dst);
    if (!target || target.dead) {
      this.undeliverable++;
      // A real broker answers a message nobody picked up with EXPIRE (seconds later; here at once).
      later(() => {
        if (!from.dead && !from.frozen) from.onUndeliverable?.(dst);
      });
      return;
    }
    for (const lose of this.losses) if (lose(from.id, dst, message)) return;
    this.relayed++;
    const payload = viaWire(message);
    later(() => {
      if (!target.dead && !target.frozen) target.onMessage?.(from.id, payload);
    });
  }

  private changed(): void {
    for (const watcher of this.watchers) watcher();
  }

  unregister(channel: FakeChannel): void {
    // A frozen tab cannot close anything; a taken-over channel holds nothing to free.
    if (channel.frozen || !this.channels.has(channel)) return;
    this.drop(channel, this.options.releaseDelayMs ?? 0);
  }

  private drop(channel: FakeChannel, releaseDelayMs: number): void {
    channel.stop();
    this.channels.delete(channel);
    const release = (): void => {
      if (this.holders.get(channel.id) !== channel) return;
      this.holders.delete(channel.id);
      this.onRelease?.(channel.id);
      this.changed();
    };
    if (releaseDelayMs > 0) setTimeout(release, releaseDelayMs);
    else release();
  }
}

// ---- links -------------------------------------------------------------------------------

type TransportState = "new" | "paired" | "open" | "closed";

class FakeTransport implements LinkTransport {
  onSignal: LinkTransport["onSignal"] = null;
  onOpen: LinkTransport["onOpen"] = null;
  onData: LinkTransport["onData"] = null;
  onClose: LinkTransport["onClose"] = null;
  state: TransportState = "new";
  partner: FakeTransport | null = null;
  /** Cut: nothing arrives any more and no close is reported, like a crashed or frozen peer. */
  cut = false;

  constructor(
    readonly id: string,
    readonly owner: string,
    readonly initiator: boolean,
    private readonly net: FakeTransports,
  ) {
    this.cut = net.isolated.has(owner);
    if (initiator) {
      // simple-peer signals after construction, once the offer and the first candidates exist.
      later(() => {
        if (this.state !== "new") return;
        this.onSignal?.({ type: "offer", sdp: `fake:${this.id}` });
        this.onSignal?.({ type: "candidate", candidate: { candidate: `candidate:${this.id}`, sdpMLineIndex: 0, sdpMid: "0" } });
      });
    }
  }

  signal(data: SignalData): void {
    if (this.state === "closed") return;
    this.net.signalsSeen++;
    const sdp = data["sdp"];
    const peerId = typeof sdp === "string" && sdp.startsWith("fake:") ? sdp.slice(5) : null;
    if (data["type"] === "offer" && !this.initiator && this.state === "new" && peerId !== null) {
      const offerer = this.net.get(peerId);
      if (!offerer || offerer.state !== "new" || offerer.partner !== null) return; // a dead offer: nothing happens
      this.partner = offerer;
      offerer.partner = this;
      if (this.cut || offerer.cut) this.cut = offerer.cut = true;
      this.state = "paired";
      later(() => {
        if (this.state !== "paired") return;
        this.onSignal?.({ type: "answer", sdp: `fake:${this.id}` });
        this.onSignal?.({ type: "candidate", candidate: { candidate: `candidate:${this.id}`, sdpMLineIndex: 0, sdpMid: "0" } });
      });
    } else if (data["type"] === "answer" && this.initiator && this.state === "new" && peerId !== null) {
      const answerer = this.partner;
      if (!answerer || answerer.id !== peerId || answerer.state !== "paired") return;
      this.state = "paired";
      later(() => {
        // Both ends open in the same turn, before either can receive data.
        if (this.state !== "paired" || answerer.state !== "paired" || this.cut) return;
        this.state = "open";
        answerer.state = "open";
        this.onOpen?.();
        answerer.onOpen?.();
      });
    }
    // Candidates and renegotiation need nothing in memory.
  }

  send(text: string): boolean {
    if (this.state !== "open") return false;
    if (typeof text !== "string") throw new TypeError("fake transport: send() takes text");
    this.net.messagesSent++;
    const partner = this.partner;
    if (this.cut || !partner) return true; // lost on the way, unknown to the sender
    later(() => {
      if (this.cut || partner.state !== "open") return;
      partner.onData?.(text);
    });
    return true;
  }

  flush(_maxWaitMs: number): Promise<void> {
    return Promise.resolve();
  }

  destroy(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.net.forget(this);
    later(() => this.onClose?.());
    const partner = this.partner;
    if (partner && !this.cut) {
      // The remote end learns of the close a moment later (its data channel closes).
      later(() => partner.remoteClosed());
    }
  }

  private remoteClosed(): void {
    if (this.state === "closed" || this.cut) return;
    this.destroy();
  }
}

/** Creates fake links that pair up through a shared registry instead of ICE. */
export class FakeTransports {
  private readonly live = new Map<string, FakeTransport>();
  private counter = 0;
  messagesSent = 0;
  signalsSeen = 0;

  /** A CreateTransport for one participant (its owner name is used by cut()/crash()). */
  factory(owner: string): CreateTransport {
    return (initiator) => {
      const transport = new FakeTransport(`${owner}.${++this.counter}`, owner, initiator, this);
      this.live.set(transport.id, transport);
      return transport;
    };
  }

  get(id: string): FakeTransport | undefined {
    return this.live.get(id);
  }

  /** Called after any link is destroyed (for waiters). */
  readonly watchers = new Set<() => void>();

  forget(transport: FakeTransport): void {
    this.live.delete(transport.id);
    for (const watcher of this.watchers) watcher();
  }

  /** How many transports have not been destroyed yet, optionally only the owner's. */
  liveCount(owner?: string): number {
    let n = 0;
    for (const t of this.live.values()) if (owner === undefined || t.owner === owner) n++;
    return n;
  }

  /** Sends raw text on an open link from owner `from` to owner `to`, bypassing the Link's framing. */
  sendRaw(from: string, to: string, text: string): boolean {
    for (const t of this.live.values()) {
      if (t.owner === from && t.partner?.owner === to && t.state === "open") return t.send(text);
    }
    return false;
  }

  /** Silently cuts every link between owners `a` and `b`; returns how many links were cut. */
  cut(a: string, b: string): number {
    let n = 0;
    for (const t of this.live.values()) {
      const p = t.partner;
      if (!p || t.cut) continue;
      if ((t.owner === a && p.owner === b) || (t.owner === b && p.owner === a)) {
        t.cut = true;
        p.cut = true;
        n++;
      }
    }
    return n;
  }

  /** Owners whose new links never carry anything either (see isolate()). */
  readonly isolated = new Set<string>();

  /** Cuts every link of `owner`, and every link it makes later, until restore(). */
  isolate(owner: string): void {
    this.isolated.add(owner);
    this.cutAll(owner);
  }

  /** `owner`'s network is back: its new links work (those cut stay cut, like a dead ICE pair). */
  restore(owner: string): void {
    this.isolated.delete(owner);
  }

  /** Silently cuts every link of `owner`; returns how many links were cut. */
  cutAll(owner: string): number {
    let n = 0;
    for (const t of this.live.values()) {
      const p = t.partner;
      if (t.owner !== owner || t.cut) continue;
      t.cut = true;
      if (p) p.cut = true;
      n++;
    }
    return n;
  }
}

/** One broker plus one link registry: the whole outside world of a test. */
export class FakeNetwork {
  readonly broker: FakeBroker;
  readonly transports = new FakeTransports();

  constructor(options: FakeBrokerOptions = {}) {
    this.broker = new FakeBroker(options);
  }

  /** The MeshEnv one participant gets; `owner` names it for crash(). */
  env(owner: string): MeshEnv {
    return { openChannel: this.broker.opener(owner), createTransport: this.transports.factory(owner), strict: true };
  }

  /**
   * The owner's tab crashes (its broker ids are freed) or freezes (the broker keeps them): either way its
   * links go silent, with no close seen by anyone, and it reaches nobody any more.
   */
  crash(owner: string, how: "crashed" | "frozen" = "crashed"): void {
    this.transports.cutAll(owner);
    this.broker.crash(owner, how);
  }
}
