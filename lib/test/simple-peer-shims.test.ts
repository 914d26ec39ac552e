// The stand-ins for simple-peer's dependencies (lib/shims/, listed in lib/shims/build.mjs): each on its own,
// then simple-peer itself built on them (test:unit bundles with the same stand-ins) over a fake RTCPeerConnection,
// through what lib/webrtc.ts uses: signal, connect, data, send, bufferSize, connected, _pc, _senderMap,
// addTrack, error then close on destroy.
import assert from "node:assert/strict";
import { test } from "node:test";
import SimplePeer from "simple-peer";
import { Buffer } from "../shims/buffer.js";
import debug from "../shims/debug.cjs";
import errCode from "../shims/err-code.cjs";
import getBrowserRtc from "../shims/get-browser-rtc.cjs";
import queueTask from "../shims/queue-microtask.cjs";
import randomBytes from "../shims/randombytes.cjs";
import { Duplex } from "../shims/readable-stream.js";

test("buffer: Buffer.from(ArrayBuffer) is a Uint8Array over the same bytes", () => {
  const bytes = new TextEncoder().encode("héllo");
  const view = Buffer.from(bytes.buffer);
  assert.ok(view instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(view), "héllo");
});

test("debug: a logger factory whose loggers do nothing", () => {
  const log = debug("simple-peer");
  assert.equal(typeof log, "function");
  assert.equal(log("[%s] %o", "id", {}), undefined);
});

test("randombytes: toString('hex') gives two hex digits per byte, different each time", () => {
  const a = randomBytes(20).toString("hex");
  assert.match(a, /^[0-9a-f]{40}$/);
  assert.match(randomBytes(4).toString("hex"), /^[0-9a-f]{8}$/);
  assert.notEqual(a, randomBytes(20).toString("hex"));
});

test("queue-microtask: runs the task after the current code, before timers", async () => {
  const order: string[] = [];
  const timer = new Promise((resolve) => setTimeout(resolve, 0)).then(() => order.push("timer"));
  queueTask(() => order.push("task"));
  order.push("sync");
  await timer;
  assert.deepEqual(order, ["sync", "task", "timer"]);
});

test("err-code: the error itself gets an enumerable code; a frozen one is copied, message, stack and class kept", () => {
  const error = new TypeError("bad");
  const coded = errCode(error, "ERR_BAD");
  assert.equal(coded, error);
  assert.equal(coded.code, "ERR_BAD");
  assert.ok(Object.keys(coded).includes("code"));
  assert.equal(errCode(coded, "ERR_AGAIN").code, "ERR_AGAIN");
  const frozen = Object.freeze(new RangeError("stuck"));
  const copy = errCode(frozen, "ERR_FROZEN");
  assert.notEqual(copy, frozen);
  assert.ok(copy instanceof RangeError);
  assert.equal(copy.message, "stuck");
  assert.equal(copy.stack, frozen.stack);
  assert.equal(copy.code, "ERR_FROZEN");
});

test("get-browser-rtc: null without WebRTC, else the page's three constructors", () => {
  assert.equal(getBrowserRtc(), null);
  const globals = globalThis as Record<string, unknown>;
  const fakes = { RTCPeerConnection: class {}, RTCSessionDescription: class {}, RTCIceCandidate: class {} };
  Object.assign(globals, fakes);
  try {
    assert.deepEqual(getBrowserRtc(), fakes);
  } finally {
    for (const name of Object.keys(fakes)) delete globals[name];
  }
});

class Recorder extends Duplex {
  written: unknown[] = [];
  pendingDone: ((error?: Error | null) => void) | null = null;
  override _write(chunk: unknown, _encoding: string, done: (error?: Error | null) => void): void {
    this.written.push(chunk);
    this.pendingDone = done;
  }
}

test("readable-stream Duplex: push delivers 'data' at once; push(null) ends reading, then 'end'", async () => {
  const stream = new Duplex({ allowHalfOpen: false });
  const seen: unknown[] = [];
  stream.on("data", (chunk: unknown) => seen.push(chunk));
  const ended = new Promise((resolve) => stream.once("end", resolve));
  assert.equal(stream.push("text"), true);
  const bytes = new Uint8Array([1, 2]);
  stream.push(bytes);
  assert.deepEqual(seen, ["text", bytes]);
  assert.equal(stream._readableState.ended, false);
  stream.push(null);
  assert.equal(stream._readableState.ended, true);
  assert.equal(stream.push("late"), false);
  await ended;
  assert.deepEqual(seen, ["text", bytes]);
});

test("readable-stream Duplex: writes go to _write one at a time in order; end() finishes after the last", () => {
  const stream = new Recorder();
  const done: string[] = [];
  let finished = 0;
  stream.once("finish", () => finished++);
  stream.write("a", () => done.push("a"));
  stream.write("b", "utf8", () => done.push("b"));
  assert.deepEqual(stream.written, ["a"]);
  stream.end();
  assert.equal(finished, 0);
  assert.equal(stream._writableState.finished, false);
  stream.pendingDone?.(null);
  assert.deepEqual(stream.written, ["a", "b"]);
  stream.pendingDone?.(null);
  assert.deepEqual(done, ["a", "b"]);
  assert.equal(finished, 1);
  assert.equal(stream._writableState.finished, true);
  stream.end();
  assert.equal(finished, 1);
});

test("readable-stream Duplex: end() with nothing pending emits 'finish' before it returns (simple-peer's destroy relies on it)", () => {
  const stream = new Duplex();
  let finished = false;
  stream.once("finish", () => (finished = true));
  stream.end();
  assert.equal(finished, true);
});

test("readable-stream Duplex: a write after end fails; an 'error' nobody listens for throws, as Node's emitters do", async () => {
  const stream = new Duplex();
  assert.throws(() => stream.emit("error", new Error("boom")), /boom/);
  const listened: unknown[] = [];
  stream.on("error", (error: unknown) => listened.push(error));
  stream.end();
  const failed = await new Promise<Error | null | undefined>((resolve) => stream.write("x", resolve));
  assert.match(String(failed), /write after end/);
  await Promise.resolve();
  assert.equal(listened.length, 1);
  const removed = (): void => {};
  stream.once("finish", removed);
  stream.removeListener("finish", removed);
  assert.equal(stream.listenerCount("finish"), 0);
});

// The part of RTCPeerConnection and RTCDataChannel simple-peer touches on the way to 'connect'.
class FakeChannel {
  label: string;
  readyState = "connecting";
  binaryType = "blob";
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  sent: unknown[] = [];
  closed = false;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;
  constructor(label: string) {
    this.label = label;
  }
  send(data: unknown): void {
    this.sent.push(data);
  }
  close(): void {
    this.closed = true;
  }
}

class FakeConnection {
  static last: FakeConnection | null = null;
  channel: FakeChannel | null = null;
  senders: { track: unknown }[] = [];
  closed = false;
  iceConnectionState = "new";
  iceGatheringState = "new";
  signalingState = "stable";
  connectionState = "new";
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  onicegatheringstatechange: (() => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  onsignalingstatechange: (() => void) | null = null;
  onicecandidate: ((event: { candidate: unknown }) => void) | null = null;
  ontrack: ((event: unknown) => void) | null = null;
  ondatachannel: ((event: unknown) => void) | null = null;
  constructor() {
    FakeConnection.last = this;
  }
  createDataChannel(label: string): FakeChannel {
    this.channel = new FakeChannel(label);
    return this.channel;
  }
  addTrack(track: unknown): { track: unknown } {
    const sender = { track };
    this.senders.push(sender);
    return sender;
  }
  createOffer(): Promise<{ type: string; sdp: string }> {
    return Promise.resolve({ type: "offer", sdp: "v=0 fake" });
  }
  setLocalDescription(description: { type: string; sdp: string }): Promise<void> {
    this.localDescription = description;
    return Promise.resolve();
  }
  getStats(): Promise<Map<string, object>> {
    const reports: [string, object][] = [
      ["t", { id: "t", type: "transport", selectedCandidatePairId: "p" }],
      ["p", { id: "p", type: "candidate-pair", localCandidateId: "l", remoteCandidateId: "r" }],
      ["l", { id: "l", type: "local-candidate", address: "10.0.0.1", port: 1000 }],
      ["r", { id: "r", type: "remote-candidate", address: "10.0.0.2", port: 2000 }],
    ];
    return Promise.resolve(new Map(reports));
  }
  close(): void {
    this.closed = true;
  }
}

const fakeWrtc = { RTCPeerConnection: FakeConnection, RTCSessionDescription: Object, RTCIceCandidate: Object };

test("simple-peer on the stand-ins: offer, connect, data both ways, a track, then error and close on destroy", async () => {
  const peer = new SimplePeer({ initiator: true, trickle: true, wrtc: fakeWrtc as unknown as SimplePeer.Options["wrtc"] });
  const pc = FakeConnection.last;
  assert.ok(pc?.channel);
  assert.equal((peer as unknown as { _pc: unknown })._pc, pc);
  assert.match(pc.channel.label, /^[0-9a-f]{40}$/);
  assert.equal(pc.channel.binaryType, "arraybuffer");

  const signal = await new Promise<SimplePeer.SignalData>((resolve) => peer.once("signal", resolve));
  assert.deepEqual(signal, { type: "offer", sdp: "v=0 fake" });

  const connected = new Promise<void>((resolve) => peer.once("connect", resolve));
  pc.iceConnectionState = "connected";
  pc.oniceconnectionstatechange?.();
  pc.channel.readyState = "open";
  pc.channel.onopen?.();
  await connected;
  assert.equal(peer.connected, true);
  assert.equal((peer as unknown as { remoteAddress: string }).remoteAddress, "10.0.0.2");

  peer.send("hello");
  assert.deepEqual(pc.channel.sent, ["hello"]);
  pc.channel.bufferedAmount = 42;
  assert.equal(peer.bufferSize, 42);

  const received: unknown[] = [];
  peer.on("data", (chunk: unknown) => received.push(chunk));
  pc.channel.onmessage?.({ data: "text" });
  pc.channel.onmessage?.({ data: new TextEncoder().encode("bytes").buffer });
  assert.equal(received[0], "text");
  assert.ok(received[1] instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(received[1] as Uint8Array), "bytes");

  const track = { kind: "audio", id: "a1" } as unknown as MediaStreamTrack;
  const stream = { id: "s1" } as unknown as MediaStream;
  peer.addTrack(track, stream);
  const senderMap = (peer as unknown as { _senderMap: Map<MediaStreamTrack, Map<MediaStream, unknown>> })._senderMap;
  assert.equal(senderMap.get(track)?.get(stream), pc.senders[0]);

  const events: string[] = [];
  peer.on("error", (error: Error & { code?: string }) => events.push(`error ${error.code ?? ""}`));
  peer.on("close", () => events.push("close"));
  const closed = new Promise((resolve) => peer.once("close", resolve));
  peer.destroy(Object.assign(new Error("gone"), { code: "ERR_TEST" }));
  assert.deepEqual(events, []);
  await closed;
  assert.deepEqual(events, ["error ERR_TEST", "close"]);
  assert.equal(pc.closed, true);
  assert.equal(pc.channel.closed, true);
  assert.equal(peer.connected, false);
  assert.throws(() => peer.send("late"), /destroyed/);
});

test("simple-peer on the stand-ins: a write before connect waits for it; end() then closes the peer", async () => {
  const peer = new SimplePeer({ initiator: true, wrtc: fakeWrtc as unknown as SimplePeer.Options["wrtc"] });
  const pc = FakeConnection.last;
  assert.ok(pc?.channel);
  let written = false;
  peer.write("early", () => (written = true));
  const connected = new Promise<void>((resolve) => peer.once("connect", resolve));
  pc.iceConnectionState = "connected";
  pc.oniceconnectionstatechange?.();
  pc.channel.readyState = "open";
  pc.channel.onopen?.();
  await connected;
  assert.deepEqual(pc.channel.sent, ["early"]);
  assert.equal(written, true);
  const closed = new Promise((resolve) => peer.once("close", resolve));
  peer.end();
  await closed;
  assert.equal(pc.closed, true);
});
