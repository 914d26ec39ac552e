// A hostile participant for e2e tests: it speaks meshmeet's wire protocol directly, with raw peerjs and
// simple-peer (no Meeting), and sends whatever it likes. Bundled to dist/e2e/hostile.js (window.Hostile).
import { Peer } from "peerjs";
import SimplePeer from "simple-peer/simplepeer.min.js";
import { createSigningKey, endStatement, removalStatement, rosterStatement, type SigningKey } from "../../lib/crypto.js";
import { anchorBrokerId, participantBrokerId, participantFromBrokerId } from "../../lib/ids.js";

interface Options {
  meetingId: string;
  participantId: string;
  broker: { host: string; port: number; path: string };
  /** The join number it claims in its hello (an honest one says the welcome's). */
  claimSeq?: number;
  /**
   * Answer every ping, as a live member's links do; without it, mallory's links fall silent and the others
   * keep her as reconnecting until their reconnectTimeout.
   */
  answerPings?: boolean;
}

type Broker = Options["broker"];

/** Registers `id` at the broker; resolves with the Peer, or with the broker's error type. */
function register(broker: Broker, id: string, token?: string): Promise<Peer | string> {
  return new Promise((resolve) => {
    const peer = new Peer(id, { ...broker, ...(token ? { token } : {}), debug: 0 });
    const timer = setTimeout(() => resolve("silent"), 3000);
    peer.once("open", () => {
      clearTimeout(timer);
      resolve(peer);
    });
    peer.on("error", (error: { type: string }) => {
      clearTimeout(timer);
      resolve(error.type);
    });
  });
}

interface Welcome {
  hostId: string;
  seq: number;
  sig: string;
  members: { id: string; seq: number }[];
}

const decoder = new TextDecoder();

class Hostile {
  private peer: Peer | null = null;
  private readonly links = new Map<string, SimplePeer.Instance>();
  private key: SigningKey | null = null;
  private options: Options | null = null;
  private squatter: Peer | null = null;
  private readonly extra: Peer[] = [];
  private readonly strangers: SimplePeer.Instance[] = [];
  // The host's signed admission from the welcome, shown with offers and the hello.
  private admission: { seq: number; key: string; sig: string } | null = null;
  /** Every link message received, as text (an honest host's signed end among them, to replay later). */
  readonly received: string[] = [];
  hostId: string | null = null;
  sent = 0;

  /** Registers, knocks, links to everyone in the welcome and says hello; resolves with who it linked to. */
  async join(options: Options): Promise<string[]> {
    this.options = options;
    this.key = await createSigningKey();
    const self = participantBrokerId(options.meetingId, options.participantId);
    const peer = new Peer(self, { ...options.broker, debug: 0 });
    this.peer = peer;
    peer.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      peer.once("open", () => resolve());
      peer.once("error", reject);
    });
    const welcome = await new Promise<Welcome>((resolve) => {
      peer.socket.on("message", (m: { type: string; src: string; payload: Record<string, unknown> }) => {
        const p = m.payload;
        if (m.type !== "ANSWER" || !p || p["mm"] !== 1) return;
        if (p["t"] === "welcome" && m.src === anchorBrokerId(options.meetingId)) resolve(p as unknown as Welcome);
        if (p["t"] === "signal") {
          const from = participantFromBrokerId(options.meetingId, m.src);
          if (from) this.links.get(from)?.signal(p["data"] as SimplePeer.SignalData);
        }
      });
      const knock = { mm: 1, t: "knock", name: "Mallory", nonce: "mallory0knock1", key: this.key!.publicKey, mac: null };
      peer.socket.send({ type: "ANSWER", dst: anchorBrokerId(options.meetingId), payload: knock });
    });
    this.hostId = welcome.hostId;
    this.admission = { seq: welcome.seq, key: this.key.publicKey, sig: welcome.sig };
    const opened = welcome.members.map((member) => this.link(member.id, options.claimSeq ?? welcome.seq));
    return (await Promise.all(opened)).filter((id): id is string => id !== null);
  }

  private link(remote: string, seq: number): Promise<string | null> {
    const options = this.options!;
    const linkId = Math.random().toString(36).slice(2, 12);
    const sp = new SimplePeer({ initiator: true, trickle: true, config: { iceServers: [] } });
    this.links.set(remote, sp);
    sp.on("signal", (data) =>
      this.peer?.socket.send({
        type: "ANSWER",
        dst: participantBrokerId(options.meetingId, remote),
        payload: { mm: 1, t: "signal", link: linkId, data, admission: this.admission },
      }),
    );
    sp.on("data", (chunk: Uint8Array | string) => {
      const text = typeof chunk === "string" ? chunk : decoder.decode(chunk);
      this.received.push(text);
      if (options.answerPings && text.includes('"t":"ping"') && sp.connected) sp.send(JSON.stringify({ v: 1, t: "ping" }));
    });
    sp.on("error", () => undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 10_000);
      sp.on("connect", () => {
        clearTimeout(timer);
        sp.send(JSON.stringify({ v: 1, t: "hello", name: "Mallory", seq, hostId: null, anchorToken: null, key: this.key!.publicKey, admission: this.admission }));
        resolve(remote);
      });
    });
  }

  /** Sends raw text to everyone it is linked with; returns how many links took it. */
  sendRaw(text: string): number {
    let n = 0;
    for (const sp of this.links.values()) {
      if (!sp.connected) continue;
      try {
        sp.send(text);
        n++;
      } catch {
        // A link the other side closed.
      }
    }
    this.sent++;
    return n;
  }

  /** How many of its links are still open. */
  openLinks(): number {
    return [...this.links.values()].filter((sp) => sp.connected).length;
  }

  /** The signed end an honest host sent, if it received one. */
  capturedEnd(): string | null {
    return this.received.find((text) => text.includes('"t":"end"') && text.includes('"sig"')) ?? null;
  }

  /** Terminates it forges: unsigned, signed with its own key (as the host, and as itself), and a replay. */
  async forgedEnds(replay: string | null): Promise<string[]> {
    const { meetingId, participantId } = this.options!;
    const host = this.hostId ?? "p0";
    const now = Date.now();
    const nonce = (): string => Math.random().toString(36).slice(2, 14);
    const signed = async (hostId: string, time: number): Promise<string> => {
      const n = nonce();
      const sig = await this.key!.sign(endStatement(meetingId, hostId, n, time));
      return JSON.stringify({ v: 1, t: "end", nonce: n, hostId, time, sig });
    };
    const ends = [
      JSON.stringify({ v: 1, t: "end", nonce: nonce() }),
      JSON.stringify({ v: 1, t: "end", nonce: nonce(), hostId: host, time: now, sig: null }),
      await signed(host, now),
      await signed(participantId, now),
      await signed(host, now - 10 * 60_000),
      JSON.stringify({ v: 1, t: "end", nonce: nonce(), hostId: host, time: now, sig: "A".repeat(86) }),
    ];
    if (replay) ends.push(replay);
    return ends;
  }

  /** The signed removal an honest host sent, if it received one. */
  capturedRemove(): string | null {
    return this.received.find((text) => text.includes('"t":"remove"')) ?? null;
  }

  /** `id`'s key in the latest signed roster it received (so that a forgery fails on its signature alone). */
  private rosterKey(id: string): string {
    for (const text of [...this.received].reverse()) {
      const m = JSON.parse(text) as { t?: string; roster?: { members?: { id: string; key: string }[] } };
      const key = (m.t === "roster" || m.t === "hello") && m.roster?.members?.find((x) => x.id === id)?.key;
      if (key) return key;
    }
    return "B".repeat(87);
  }

  /**
   * Removals of `target` it forges: signed with its own key as the host, as itself host, of the host
   * itself, a stale one, a zero signature, and a replay of a real host's removal from an earlier meeting.
   */
  async forgedRemoves(target: string, replay: string | null): Promise<string[]> {
    const { meetingId, participantId } = this.options!;
    const host = this.hostId ?? "p0";
    const now = Date.now();
    const nonce = (): string => `forged${Math.random().toString(36).slice(2, 12)}`;
    const signed = async (hostId: string, who: string, time: number): Promise<string> => {
      const n = nonce();
      const key = this.rosterKey(who);
      const sig = await this.key!.sign(removalStatement(meetingId, hostId, who, key, n, time));
      return JSON.stringify({ v: 1, t: "remove", nonce: n, hostId, target: who, targetKey: key, time, sig });
    };
    const removes = [
      await signed(host, target, now),
      await signed(participantId, target, now),
      await signed(host, host, now),
      await signed(host, target, now - 10 * 60_000),
      JSON.stringify({ v: 1, t: "remove", nonce: nonce(), hostId: host, target, targetKey: this.rosterKey(target), time: now, sig: "A".repeat(86) }),
    ];
    if (replay) removes.push(replay);
    return removes;
  }

  /**
   * Well-formed messages with hostile content, for every message type: they parse, and must change
   * nothing (no one may leave, no host may change, nothing may be thrown).
   */
  hostileButWellFormed(i: number): string {
    const host = this.hostId ?? "p0";
    const pick = <T>(list: T[]): T => list[i % list.length]!;
    const weird = pick(["", "p0", host, "__proto__", "constructor", "x".repeat(128), "mallory", "p1"]);
    const variants: (() => unknown)[] = [
      () => ({ v: 1, t: "hello", name: weird, seq: i, hostId: weird, anchorToken: "Z".repeat(20), key: "B".repeat(87) }),
      () => ({ v: 1, t: "ping", extra: { admin: true } }),
      () => ({ v: 1, t: "anchor", token: "T0ken" + "x".repeat(i % 50) }),
      () => ({ v: 1, t: "rehome" }),
      () => ({ v: 1, t: "bye-ack" }),
      () => ({ v: 1, t: "end-ack", nonce: weird || "n" }),
      () => ({ v: 1, t: "app", n: i, direct: i % 2 === 0, payload: { constructor: { prototype: { bad: 1 } }, n: i } }),
      () => ({ v: 1, t: "app", n: i, direct: false, payload: pick([null, 0, -1, 1e308, "", [], [[[[]]]], { a: { b: { c: {} } } }]) }),
    ];
    // Every fifth one carries `__proto__` keys, which only raw JSON text can hold.
    if (i % 5 === 0) return `{"v":1,"t":"app","n":${i},"direct":false,"payload":{"__proto__":{"polluted":true},"n":${i}},"__proto__":{"t":"end"}}`;
    return JSON.stringify(pick(variants)());
  }

  /** Malformed messages: non-JSON, wrong version, unknown types, wrong field types, oversize. */
  malformed(i: number): string {
    const variants: (() => string)[] = [
      () => "not json {",
      () => JSON.stringify({ v: 2, t: "ping" }),
      () => JSON.stringify({ v: 1, t: "kick", who: "p1" }),
      () => JSON.stringify({ v: 1, t: "hello", name: 42, seq: -1, hostId: {}, anchorToken: 1, key: "short" }),
      () => JSON.stringify({ v: 1, t: "bye", successor: ["p1"] }),
      () => JSON.stringify({ v: 1, t: "end", nonce: "" }),
      () => JSON.stringify({ v: 1, t: "end", nonce: "n", time: "now", sig: 5 }),
      () => JSON.stringify({ v: 1, t: "signal", data: { type: "offer", sdp: 7 } }),
      () => JSON.stringify({ v: 1, t: "app", n: 0, direct: "yes", payload: 1 }),
      () => JSON.stringify([1, 2, 3]),
      () => "x".repeat(40_000),
      () => JSON.stringify({ v: 1, t: "anchor", token: "bad token!" }),
      () => JSON.stringify({ v: 1, t: "remove", nonce: "x", hostId: "p0", target: { id: "p1" }, time: "now", sig: 1 }),
    ];
    return variants[i % variants.length]!();
  }

  /** Anchor tokens it has been told (in a hello, or in an `anchor` message as the host's heir). */
  anchorTokens(): string[] {
    const tokens = new Set<string>();
    for (const text of this.received) {
      const m = JSON.parse(text) as { t?: string; anchorToken?: unknown; token?: unknown };
      if (m.t === "hello" && typeof m.anchorToken === "string") tokens.add(m.anchorToken);
      if (m.t === "anchor" && typeof m.token === "string") tokens.add(m.token);
    }
    return [...tokens];
  }

  /** Says goodbye like an honest participant and closes its links and registration. */
  leave(): void {
    this.sendRaw(JSON.stringify({ v: 1, t: "bye", successor: null, successorKey: null, handoverSig: null }));
    setTimeout(() => this.close(), 200);
  }

  /**
   * Registers the meeting's anchor (with `token`, to take it over); resolves with "open" (it holds the
   * anchor now), "unavailable-id" (taken, token refused), or "silent" (a takeover: the broker sends no OPEN).
   */
  async registerAnchor(token?: string): Promise<string> {
    const result = await register(this.options!.broker, anchorBrokerId(this.options!.meetingId), token);
    if (typeof result === "string") return result;
    this.squatter = result;
    return "open";
  }

  /**
   * Squats the anchor of `meetingId` before anyone joins; with `answer`, it answers every knock with a
   * welcome of its own making (a roster it signed, naming itself host).
   */
  async squat(options: Options, answer: boolean): Promise<string> {
    this.options = options;
    this.key ??= await createSigningKey();
    const result = await this.registerAnchor();
    if (result !== "open" || !answer || !this.squatter) return result;
    const squatter = this.squatter;
    const key = this.key;
    squatter.socket.on("message", (m: { type: string; src: string; payload: Record<string, unknown> }) => {
      if (m.type !== "ANSWER" || m.payload?.["t"] !== "knock") return;
      void (async () => {
        const members = [{ id: "squatter", seq: 0, key: key.publicKey }];
        const sig = await key.sign(rosterStatement(options.meetingId, 0, "squatter", members));
        const roster = { epoch: 0, hostId: "squatter", members, sig };
        // An admission it cannot sign as anyone's host: a made-up signature.
        squatter.socket.send({ type: "ANSWER", dst: m.src, payload: { mm: 1, t: "welcome", nonce: m.payload["nonce"], hostId: "squatter", seq: 1, sig: "A".repeat(86), roster, members: [], mac: null } });
      })();
    });
    return result;
  }

  /** Registers `count` throwaway ids of the meeting and knocks from each; resolves with how many knocked. */
  async knockFlood(options: Options, count: number): Promise<number> {
    this.options = options;
    this.key ??= await createSigningKey();
    let knocked = 0;
    for (let i = 0; i < count; i++) {
      const peer = await register(options.broker, participantBrokerId(options.meetingId, `flood${i}`));
      if (typeof peer === "string") continue;
      this.extra.push(peer);
      peer.socket.send({ type: "ANSWER", dst: anchorBrokerId(options.meetingId), payload: { mm: 1, t: "knock", name: `f${i}`, nonce: `floodknock${i}x`, key: this.key.publicKey, mac: null } });
      knocked++;
    }
    return knocked;
  }

  /**
   * From `count` throwaway ids of the meeting (none of them admitted), offers a link to `target`, with a
   * forged admission on every other one; resolves with how many links came up within 5 s.
   */
  async offerFlood(options: Options, target: string, count: number): Promise<number> {
    this.options = options;
    this.key ??= await createSigningKey();
    const opened: Promise<boolean>[] = [];
    for (let i = 0; i < count; i++) {
      const peer = await register(options.broker, participantBrokerId(options.meetingId, `stranger${i}`));
      if (typeof peer === "string") continue;
      this.extra.push(peer);
      const sp = new SimplePeer({ initiator: true, trickle: true, config: { iceServers: [] } });
      this.strangers.push(sp);
      sp.on("error", () => undefined);
      const admission = i % 2 === 0 ? null : { seq: 0, key: this.key.publicKey, sig: "A".repeat(86) };
      sp.on("signal", (data) =>
        peer.socket.send({ type: "ANSWER", dst: participantBrokerId(options.meetingId, target), payload: { mm: 1, t: "signal", link: `sl${i}`, data, admission } }),
      );
      peer.socket.on("message", (m: { type: string; payload: Record<string, unknown> }) => {
        if (m.type === "ANSWER" && m.payload?.["t"] === "signal") sp.signal(m.payload["data"] as SimplePeer.SignalData);
      });
      opened.push(new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), 5000);
        sp.on("connect", () => {
          clearTimeout(timer);
          resolve(true);
        });
      }));
    }
    return (await Promise.all(opened)).filter(Boolean).length;
  }

  /** Sends `count` unsigned ends with fresh nonces to everyone it is linked with. */
  endFlood(count: number): void {
    for (let i = 0; i < count; i++) this.sendRaw(JSON.stringify({ v: 1, t: "end", nonce: `flood-end-${i}-${Math.random().toString(36).slice(2)}` }));
  }

  close(): void {
    for (const sp of [...this.links.values(), ...this.strangers]) sp.destroy();
    for (const peer of [this.peer, this.squatter, ...this.extra]) peer?.destroy();
  }
}

(window as unknown as { Hostile: Hostile }).Hostile = new Hostile();
