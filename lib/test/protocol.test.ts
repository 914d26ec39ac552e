import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  MAX_APP_PAYLOAD,
  MAX_LINK_MESSAGE,
  MAX_SIGNAL_MESSAGE,
  PROTOCOL_VERSION,
  encodeLink,
  parseLink,
  parseSignal,
  type JsonValue,
  type LinkMessage,
  type SignalMessage,
} from "../protocol.js";

// A well-formed public key (87 base64url characters); parse() leaves the crypto to the mesh.
const TEST_KEY = "A".repeat(87);
const TEST_SIG = "S".repeat(86);
const TEST_ROSTER = { epoch: 0, hostId: "h", members: [{ id: "h", seq: 0, key: TEST_KEY }], sig: TEST_SIG };

const json = (value: unknown): string => JSON.stringify(value);

/** Asserts that nothing anywhere gained a `polluted` property through Object.prototype. */
function assertPrototypeClean(): void {
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"), false);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
}

/** Walks a parsed value and asserts that no object in it has an own `__proto__` key or an odd prototype. */
function assertNoProtoKeys(value: unknown, path = "value"): void {
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertNoProtoKeys(item, `${path}[${i}]`));
    return;
  }
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${path} has a foreign prototype`);
  assert.equal(Object.prototype.hasOwnProperty.call(value, "__proto__"), false, `${path} has an own __proto__ key`);
  for (const [key, item] of Object.entries(value)) assertNoProtoKeys(item, `${path}.${key}`);
}

describe("parseLink", () => {
  const good: [string, string, LinkMessage][] = [
    ["hello without host", json({ v: 1, t: "hello", name: "Ann", seq: 0, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }), { v: 1, t: "hello", name: "Ann", seq: 0, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }],
    ["hello with host", json({ v: 1, t: "hello", name: "", seq: 7, hostId: "bob", anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }), { v: 1, t: "hello", name: "", seq: 7, hostId: "bob", anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }],
    ["hello, largest safe seq", json({ v: 1, t: "hello", name: "x", seq: Number.MAX_SAFE_INTEGER, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }), { v: 1, t: "hello", name: "x", seq: Number.MAX_SAFE_INTEGER, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }],
    ["hello, 256-char name", json({ v: 1, t: "hello", name: "n".repeat(256), seq: 1, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }), { v: 1, t: "hello", name: "n".repeat(256), seq: 1, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }],
    [
      "hello with an anchor token",
      json({ v: 1, t: "hello", name: "h", seq: 0, hostId: "h", anchorToken: "abcDEF0123456789", key: TEST_KEY, admission: null, roster: null, handover: null }),
      { v: 1, t: "hello", name: "h", seq: 0, hostId: "h", anchorToken: "abcDEF0123456789", key: TEST_KEY, admission: null, roster: null, handover: null },
    ],
    ["anchor, 8-char token", json({ v: 1, t: "anchor", token: "abcd1234" }), { v: 1, t: "anchor", token: "abcd1234" }],
    ["anchor, 128-char token", json({ v: 1, t: "anchor", token: "T".repeat(128) }), { v: 1, t: "anchor", token: "T".repeat(128) }],
    ["ping", json({ v: 1, t: "ping" }), { v: 1, t: "ping" }],
    ["bye, no successor", json({ v: 1, t: "bye", successor: null, successorKey: null, handoverSig: null }), { v: 1, t: "bye", successor: null, successorKey: null, handoverSig: null }],
    ["bye, successor", json({ v: 1, t: "bye", successor: "carol", successorKey: null, handoverSig: null }), { v: 1, t: "bye", successor: "carol", successorKey: null, handoverSig: null }],
    ["bye-ack", json({ v: 1, t: "bye-ack" }), { v: 1, t: "bye-ack" }],
    ["end", json({ v: 1, t: "end", nonce: "n1", hostId: null, time: null, sig: null }), { v: 1, t: "end", nonce: "n1", hostId: null, time: null, sig: null }],
    ["end-ack", json({ v: 1, t: "end-ack", nonce: "n1" }), { v: 1, t: "end-ack", nonce: "n1" }],
    ["app, string", json({ v: 1, t: "app", n: 0, direct: false, payload: "hi" }), { v: 1, t: "app", n: 0, direct: false, payload: "hi" }],
    ["app, null payload", json({ v: 1, t: "app", n: 0, direct: true, payload: null }), { v: 1, t: "app", n: 0, direct: true, payload: null }],
    ["app, nested", json({ v: 1, t: "app", n: 0, direct: false, payload: { a: [1, 2, { b: true }], c: "d" } }), { v: 1, t: "app", n: 0, direct: false, payload: { a: [1, 2, { b: true }], c: "d" } }],
    ["extra fields are dropped", json({ v: 1, t: "ping", extra: 1, admin: true }), { v: 1, t: "ping" }],
    ["app on a pubSub topic", json({ v: 1, t: "app", n: 2, direct: false, payload: { id: "a" }, topic: "CHAT" }), { v: 1, t: "app", n: 2, direct: false, payload: { id: "a" }, topic: "CHAT" }],
    ["voice", json({ v: 1, t: "voice", level: 0.25 }), { v: 1, t: "voice", level: 0.25 }],
    ["a roster", json({ v: 1, t: "roster", roster: TEST_ROSTER, handover: null }), { v: 1, t: "roster", roster: TEST_ROSTER, handover: null }],
    [
      "a roster with a handover",
      json({ v: 1, t: "roster", roster: TEST_ROSTER, handover: { from: "old", sig: TEST_SIG } }),
      { v: 1, t: "roster", roster: TEST_ROSTER, handover: { from: "old", sig: TEST_SIG } },
    ],
    [
      "hello with an admission and a roster",
      json({ v: 1, t: "hello", name: "n", seq: 3, hostId: "h", anchorToken: null, key: TEST_KEY, admission: { seq: 3, key: TEST_KEY, sig: TEST_SIG }, roster: TEST_ROSTER }),
      { v: 1, t: "hello", name: "n", seq: 3, hostId: "h", anchorToken: null, key: TEST_KEY, admission: { seq: 3, key: TEST_KEY, sig: TEST_SIG }, roster: TEST_ROSTER, handover: null },
    ],
    ["extra hello fields are dropped", json({ v: 1, t: "hello", name: "a", seq: 1, hostId: null, isHost: true, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }), { v: 1, t: "hello", name: "a", seq: 1, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null }],
  ];
  for (const [label, raw, expected] of good) {
    test(`accepts ${label}`, () => {
      assert.deepEqual(parseLink(raw), expected);
    });
  }

  const bad: [string, unknown][] = [
    ["a number", 42],
    ["null", null],
    ["undefined", undefined],
    ["an object (not text)", { v: 1, t: "ping" }],
    ["bytes", new TextEncoder().encode(json({ v: 1, t: "ping" }))],
    ["empty text", ""],
    ["truncated JSON", '{"v":1,"t":"pi'],
    ["not JSON", "hello there"],
    ["JSON null", "null"],
    ["JSON number", "1"],
    ["JSON string", json(json({ v: 1, t: "ping" }))],
    ["an array", "[]"],
    ["an array holding a message", json([{ v: 1, t: "ping" }])],
    ["no version", json({ t: "ping" })],
    ["version 2", json({ v: 2, t: "ping" })],
    ["version 0", json({ v: 0, t: "ping" })],
    ["version as text", json({ v: "1", t: "ping" })],
    ["no type", json({ v: 1 })],
    ["unknown type", json({ v: 1, t: "pong" })],
    ["type in capitals", json({ v: 1, t: "PING" })],
    ["type not a string", json({ v: 1, t: 3 })],
    ["roster, 129 members", json({ v: 1, t: "roster", roster: { ...TEST_ROSTER, members: Array.from({ length: 129 }, (_, i) => ({ id: `m${i}`, seq: i, key: TEST_KEY })) } })],
    ["roster, member key malformed", json({ v: 1, t: "roster", roster: { ...TEST_ROSTER, members: [{ id: "h", seq: 0, key: "x" }] } })],
    ["roster, unsigned", json({ v: 1, t: "roster", roster: { ...TEST_ROSTER, sig: null } })],
    ["hello, roster malformed", json({ v: 1, t: "hello", name: "a", seq: 0, hostId: null, anchorToken: null, key: TEST_KEY, roster: { epoch: -1 } })],
    ["hello, admission malformed", json({ v: 1, t: "hello", name: "a", seq: 0, hostId: null, anchorToken: null, key: TEST_KEY, admission: { seq: 1 } })],
    ["hello, negative seq", json({ v: 1, t: "hello", name: "a", seq: -1, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, float seq", json({ v: 1, t: "hello", name: "a", seq: 1.5, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, seq as text", json({ v: 1, t: "hello", name: "a", seq: "1", hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, unsafe seq", json({ v: 1, t: "hello", name: "a", seq: 2 ** 53, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, no seq", json({ v: 1, t: "hello", name: "a", hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, name too long", json({ v: 1, t: "hello", name: "n".repeat(257), seq: 0, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, name not a string", json({ v: 1, t: "hello", name: 5, seq: 0, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, name an array", json({ v: 1, t: "hello", name: ["a"], seq: 0, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, hostId missing", json({ v: 1, t: "hello", name: "a", seq: 0, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, hostId a number", json({ v: 1, t: "hello", name: "a", seq: 0, hostId: 1, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, hostId an object", json({ v: 1, t: "hello", name: "a", seq: 0, hostId: { id: "x" }, anchorToken: null })],
    ["hello, hostId too long", json({ v: 1, t: "hello", name: "a", seq: 0, hostId: "h".repeat(129), anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, anchorToken missing", json({ v: 1, t: "hello", name: "a", seq: 0, hostId: null })],
    ["hello, anchorToken too short", json({ v: 1, t: "hello", name: "a", seq: 0, hostId: "a", anchorToken: "abc1234", key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, anchorToken with a dash", json({ v: 1, t: "hello", name: "a", seq: 0, hostId: "a", anchorToken: "abcd-1234", key: TEST_KEY, admission: null, roster: null, handover: null })],
    ["hello, anchorToken a number", json({ v: 1, t: "hello", name: "a", seq: 0, hostId: "a", anchorToken: 12345678 })],
    ["anchor, no token", json({ v: 1, t: "anchor" })],
    ["app, empty topic", json({ v: 1, t: "app", n: 0, direct: false, payload: null, topic: "" })],
    ["app, topic too long", json({ v: 1, t: "app", n: 0, direct: false, payload: null, topic: "T".repeat(129) })],
    ["app, topic not a string", json({ v: 1, t: "app", n: 0, direct: false, payload: null, topic: 7 })],
    ["voice, level over 1", json({ v: 1, t: "voice", level: 1.5 })],
    ["voice, negative level", json({ v: 1, t: "voice", level: -0.1 })],
    ["voice, level as text", json({ v: 1, t: "voice", level: "0.5" })],
    ["anchor, empty token", json({ v: 1, t: "anchor", token: "" })],
    ["anchor, token too long", json({ v: 1, t: "anchor", token: "T".repeat(129) })],
    ["anchor, token with a space", json({ v: 1, t: "anchor", token: "abcd 1234" })],
    ["anchor, token that would break a URL", json({ v: 1, t: "anchor", token: "abcd1234&key=x" })],
    ["bye, successor missing", json({ v: 1, t: "bye" })],
    ["bye, successor a number", json({ v: 1, t: "bye", successor: 1 })],
    ["end, empty nonce", json({ v: 1, t: "end", nonce: "", hostId: null, time: null, sig: null })],
    ["end, no nonce", json({ v: 1, t: "end" })],
    ["end, nonce a number", json({ v: 1, t: "end", nonce: 12 })],
    ["end, nonce too long", json({ v: 1, t: "end", nonce: "n".repeat(129) })],
    ["end-ack, empty nonce", json({ v: 1, t: "end-ack", nonce: "" })],
    ["app, no direct flag", json({ v: 1, t: "app", n: 0, payload: 1 })],
    ["app, no number", json({ v: 1, t: "app", direct: false, payload: 1 })],
    ["app, negative number", json({ v: 1, t: "app", n: -1, direct: false, payload: 1 })],
    ["ack, fractional number", json({ v: 1, t: "ack", n: 1.5 })],
    ["app, direct as text", json({ v: 1, t: "app", n: 0, direct: "true", payload: 1 })],
    ["app, no payload", json({ v: 1, t: "app", n: 0, direct: false })],
    ["type and version only under __proto__", '{"__proto__":{"v":1,"t":"ping"}}'],
  ];
  for (const [label, raw] of bad) {
    test(`drops ${label}`, () => {
      assert.equal(parseLink(raw), null);
    });
  }

  test("accepts a message of exactly MAX_LINK_MESSAGE characters and drops one character more", () => {
    const envelope = json({ v: 1, t: "app", n: 0, direct: false, payload: "" }).length;
    const fits = json({ v: 1, t: "app", n: 0, direct: false, payload: "x".repeat(MAX_LINK_MESSAGE - envelope) });
    assert.equal(fits.length, MAX_LINK_MESSAGE);
    assert.notEqual(parseLink(fits), null);
    const over = json({ v: 1, t: "app", n: 0, direct: false, payload: "x".repeat(MAX_LINK_MESSAGE - envelope + 1) });
    assert.equal(parseLink(over), null);
    // Oversize is judged on length alone: even text that is not JSON is not parsed.
    assert.equal(parseLink(" ".repeat(MAX_LINK_MESSAGE + 1)), null);
  });

  test("a largest allowed app payload fits in a link message", () => {
    const payload = "y".repeat(MAX_APP_PAYLOAD - 2); // its JSON is exactly MAX_APP_PAYLOAD long
    assert.equal(json(payload).length, MAX_APP_PAYLOAD);
    const raw = encodeLink({ v: 1, t: "app", n: 0, direct: true, payload });
    assert.ok(raw.length <= MAX_LINK_MESSAGE);
    assert.deepEqual(parseLink(raw), { v: 1, t: "app", n: 0, direct: true, payload });
  });

  test("a top-level __proto__ key neither reaches the message nor pollutes Object.prototype", () => {
    const raw = '{"v":1,"t":"hello","name":"a","seq":0,"hostId":null,"anchorToken":null,"key":"' + TEST_KEY + '","__proto__":{"polluted":true,"isHost":true}}';
    const message = parseLink(raw);
    assert.deepEqual(message, { v: 1, t: "hello", name: "a", seq: 0, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null });
    assert.ok(message !== null);
    assert.equal(Object.getPrototypeOf(message), Object.prototype);
    assert.equal((message as unknown as Record<string, unknown>)["polluted"], undefined);
    assertNoProtoKeys(message);
    assertPrototypeClean();
  });

  test("a constructor/prototype key is inert and leaves Object.prototype untouched", () => {
    const raw = '{"v":1,"t":"ping","constructor":{"prototype":{"polluted":true}}}';
    const message = parseLink(raw);
    assert.deepEqual(message, { v: 1, t: "ping" });
    assert.ok(message !== null);
    assert.equal(message.constructor, Object);
    assertPrototypeClean();
  });

  test("nested __proto__ keys are dropped from app payloads; other keys survive", () => {
    const raw =
      '{"v":1,"t":"app","n":0,"direct":false,"payload":{"text":"hi","__proto__":{"polluted":true},' +
      '"inner":{"__proto__":{"polluted":true},"keep":1},"list":[{"__proto__":{"polluted":true}},2],' +
      '"constructor":"kept as data"}}';
    const message = parseLink(raw);
    assert.ok(message !== null && message.t === "app");
    assert.deepEqual(message.payload, {
      text: "hi",
      inner: { keep: 1 },
      list: [{}, 2],
      constructor: "kept as data",
    });
    assertNoProtoKeys(message.payload, "payload");
    assertPrototypeClean();
  });

  test("a payload that is only a __proto__ key arrives as an empty object", () => {
    const message = parseLink('{"v":1,"t":"app","n":0,"direct":true,"payload":{"__proto__":{"polluted":true}}}');
    assert.ok(message !== null && message.t === "app");
    assert.deepEqual(message.payload, {});
    assertNoProtoKeys(message.payload);
    assertPrototypeClean();
  });

  test("the parsed message is a fresh object: no field of the input is shared", () => {
    const raw = json({ v: 1, t: "app", n: 0, direct: false, payload: { a: 1 } });
    const first = parseLink(raw);
    const second = parseLink(raw);
    assert.deepEqual(first, second);
    assert.notEqual(first, second);
  });
});

describe("encodeLink -> parseLink round trip", () => {
  const payloads: JsonValue[] = [
    null,
    true,
    false,
    0,
    -1.5,
    1e300,
    "",
    "unicode: héllo \u{1F600} \u0000 \n \"quoted\"",
    [],
    [1, "two", [3], { four: 4 }],
    {},
    { nested: { deeper: { deepest: [null] } }, "key with spaces": "v" },
  ];
  const messages: LinkMessage[] = [
    { v: PROTOCOL_VERSION, t: "hello", name: "Ann Example", seq: 0, hostId: null, anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null },
    { v: PROTOCOL_VERSION, t: "hello", name: "Zoë", seq: 42, hostId: "host-1", anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null },
    { v: PROTOCOL_VERSION, t: "hello", name: "host", seq: 0, hostId: "host", anchorToken: "tok3n0123456789abcdef", key: TEST_KEY, admission: null, roster: null, handover: null },
    { v: PROTOCOL_VERSION, t: "anchor", token: "tok3n0123456789abcdef" },
    { v: PROTOCOL_VERSION, t: "ping" },
    { v: PROTOCOL_VERSION, t: "bye", successor: null, successorKey: null, handoverSig: null },
    { v: PROTOCOL_VERSION, t: "bye", successor: "bob", successorKey: null, handoverSig: null },
    { v: PROTOCOL_VERSION, t: "bye-ack" },
    { v: PROTOCOL_VERSION, t: "end", nonce: "abc123", hostId: null, time: null, sig: null },
    { v: PROTOCOL_VERSION, t: "end-ack", nonce: "abc123" },
    { v: PROTOCOL_VERSION, t: "ack", n: 7 },
    ...payloads.map((payload, i): LinkMessage => ({ v: PROTOCOL_VERSION, t: "app", n: 0, direct: i % 2 === 0, payload })),
  ];
  for (const message of messages) {
    test(`${message.t} ${message.t === "app" ? json(message.payload).slice(0, 40) : ""}`, () => {
      assert.deepEqual(parseLink(encodeLink(message)), message);
    });
  }

  test("covers every message type", () => {
    const types = new Set(messages.map((m) => m.t));
    assert.deepEqual([...types].sort(), ["ack", "anchor", "app", "bye", "bye-ack", "end", "end-ack", "hello", "ping"]);
  });
});

describe("parseSignal", () => {
  const offer = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" };
  const answer = { type: "answer", sdp: "v=0\r\n" };
  const candidate = {
    type: "candidate",
    candidate: { candidate: "candidate:1 1 udp 2122260223 198.18.0.1 50000 typ host", sdpMLineIndex: 0, sdpMid: "0" },
  };
  const signal = (data: unknown): unknown => ({ mm: 1, t: "signal", link: "link1", data });

  const good: [string, unknown, SignalMessage][] = [
    ["a knock", { mm: 1, t: "knock", name: "Ann", nonce: "n0nce0001", key: TEST_KEY, mac: null }, { mm: 1, t: "knock", name: "Ann", nonce: "n0nce0001", key: TEST_KEY, mac: null }],
    ["a knock with an empty name", { mm: 1, t: "knock", name: "", nonce: "n0nce0001", key: TEST_KEY, mac: null }, { mm: 1, t: "knock", name: "", nonce: "n0nce0001", key: TEST_KEY, mac: null }],
    [
      "a welcome",
      { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 3, members: [{ id: "h", seq: 0 }, { id: "b", seq: 2 }] },
      { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 3, members: [{ id: "h", seq: 0 }, { id: "b", seq: 2 }] },
    ],
    ["a welcome with no members", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: [] }, { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: [] }],
    [
      "a welcome with 256 members",
      { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: Array.from({ length: 256 }, (_, i) => ({ id: `m${i}`, seq: i })) },
      { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: Array.from({ length: 256 }, (_, i) => ({ id: `m${i}`, seq: i })) },
    ],
    ["an offer", signal(offer), { mm: 1, t: "signal", link: "link1", admission: null, data: offer }],
    ["an answer", signal(answer), { mm: 1, t: "signal", link: "link1", admission: null, data: answer }],
    ["a candidate", signal(candidate), { mm: 1, t: "signal", link: "link1", admission: null, data: candidate }],
    [
      "a candidate with usernameFragment and null sdpMid",
      signal({ type: "candidate", candidate: { candidate: "c", sdpMid: null, sdpMLineIndex: null, usernameFragment: "uf" } }),
      { mm: 1, t: "signal", link: "link1", admission: null, data: { type: "candidate", candidate: { candidate: "c", sdpMid: null, sdpMLineIndex: null, usernameFragment: "uf" } } },
    ],
    [
      "an end-of-candidates candidate (empty string)",
      signal({ type: "candidate", candidate: { candidate: "", sdpMLineIndex: 0, sdpMid: "0" } }),
      { mm: 1, t: "signal", link: "link1", admission: null, data: { type: "candidate", candidate: { candidate: "", sdpMLineIndex: 0, sdpMid: "0" } } },
    ],
    ["a renegotiate", signal({ type: "renegotiate", renegotiate: true }), { mm: 1, t: "signal", link: "link1", admission: null, data: { type: "renegotiate", renegotiate: true } }],
    [
      "a transceiverRequest",
      signal({ type: "transceiverRequest", transceiverRequest: { kind: "video", init: {} } }),
      { mm: 1, t: "signal", link: "link1", admission: null, data: { type: "transceiverRequest", transceiverRequest: { kind: "video", init: {} } } },
    ],
    ["a knock with extra fields (dropped)", { mm: 1, t: "knock", name: "a", nonce: "n0nce0001", key: TEST_KEY, mac: null, isHost: true }, { mm: 1, t: "knock", name: "a", nonce: "n0nce0001", key: TEST_KEY, mac: null }],
    ["an offer with extra fields (dropped)", signal({ ...offer, evil: "x" }), { mm: 1, t: "signal", link: "link1", admission: null, data: offer }],
  ];
  for (const [label, payload, expected] of good) {
    test(`accepts ${label}`, () => {
      assert.deepEqual(parseSignal(payload), expected);
    });
  }

  const cyclic: Record<string, unknown> = { mm: 1, t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null, name: "a" };
  cyclic["self"] = cyclic;
  const bad: [string, unknown][] = [
    ["null", null],
    ["undefined", undefined],
    ["text", json({ mm: 1, t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null, name: "a" })],
    ["a number", 1],
    ["an array", [{ mm: 1, t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null, name: "a" }]],
    ["no mm marker (someone else's message)", { t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null, name: "a" }],
    ["mm 2", { mm: 2, t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null, name: "a" }],
    ["mm as text", { mm: "1", t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null, name: "a" }],
    ["unknown type", { mm: 1, t: "kick", name: "a" }],
    ["no type", { mm: 1, name: "a" }],
    ["knock, name too long", { mm: 1, t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null, name: "n".repeat(257) }],
    ["knock, name a number", { mm: 1, t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null, name: 1 }],
    ["knock, no nonce", { mm: 1, t: "knock", name: "a", key: TEST_KEY }],
    ["knock, no key", { mm: 1, t: "knock", name: "a", nonce: "n0nce0001" }],
    ["knock, mac malformed", { mm: 1, t: "knock", name: "a", nonce: "n0nce0001", key: TEST_KEY, mac: "short" }],
    ["welcome, no roster", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, hostId: "h", seq: 1, members: [] }],
    ["welcome, roster without members", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: { ...TEST_ROSTER, members: [] }, hostId: "h", seq: 1, members: [] }],
    ["welcome, no admission signature", { mm: 1, t: "welcome", nonce: "n0nce0001", roster: TEST_ROSTER, hostId: "h", seq: 1, members: [] }],
    ["signal, admission malformed", { mm: 1, t: "signal", link: "l1", data: { type: "offer", sdp: "x" }, admission: { seq: 1, key: "k", sig: TEST_SIG } }],
    ["knock, nonce too short", { mm: 1, t: "knock", name: "a", nonce: "abc" }],
    ["welcome, no nonce", { mm: 1, t: "welcome", sig: TEST_SIG, roster: TEST_ROSTER, hostId: "h", seq: 1, members: [] }],
    ["knock, no name", { mm: 1, t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null }],
    ["welcome, members not an array", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: { 0: { id: "h", seq: 0 } } }],
    ["welcome, a member is an array", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: [["h", 0]] }],
    ["welcome, a member with negative seq", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: [{ id: "h", seq: -1 }] }],
    ["welcome, a member with float seq", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: [{ id: "h", seq: 0.5 }] }],
    ["welcome, a member with no id", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: [{ seq: 0 }] }],
    ["welcome, seq as text", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: "1", members: [] }],
    ["welcome, negative seq", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: -1, members: [] }],
    ["welcome, hostId too long", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h".repeat(129), seq: 1, members: [] }],
    ["welcome, hostId null", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: null, seq: 1, members: [] }],
    ["welcome, 257 members", { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: Array.from({ length: 257 }, (_, i) => ({ id: `m${i}`, seq: i })) }],
    ["signal, empty link id", { mm: 1, t: "signal", link: "", data: offer }],
    ["signal, no link id", { mm: 1, t: "signal", data: offer }],
    ["signal, link id a number", { mm: 1, t: "signal", link: 1, data: offer }],
    ["signal, no data", { mm: 1, t: "signal", link: "l" }],
    ["signal, data null", signal(null)],
    ["signal, data text", signal("offer")],
    ["signal, data an array", signal([offer])],
    ["signal, data of unknown type", signal({ type: "pranswer", sdp: "x" })],
    ["signal, data with no type", signal({ sdp: "x" })],
    ["offer without sdp", signal({ type: "offer" })],
    ["offer with numeric sdp", signal({ type: "offer", sdp: 1 })],
    ["answer with object sdp", signal({ type: "answer", sdp: { sdp: "x" } })],
    ["candidate without candidate", signal({ type: "candidate" })],
    ["candidate as text", signal({ type: "candidate", candidate: "candidate:1 1 udp" })],
    ["candidate with numeric candidate", signal({ type: "candidate", candidate: { candidate: 5 } })],
    ["candidate too long", signal({ type: "candidate", candidate: { candidate: "c".repeat(4097) } })],
    ["transceiverRequest of unknown kind", signal({ type: "transceiverRequest", transceiverRequest: { kind: "text" } })],
    ["transceiverRequest without request", signal({ type: "transceiverRequest" })],
    ["an oversize offer", signal({ type: "offer", sdp: "s".repeat(MAX_SIGNAL_MESSAGE) })],
    ["a payload JSON cannot encode (BigInt)", { mm: 1, t: "knock", nonce: "n0nce0001", key: TEST_KEY, mac: null, name: "a", n: BigInt(1) }],
    ["a cyclic payload", cyclic],
    ["fields only on the prototype", JSON.parse('{"__proto__":{"mm":1,"t":"knock","name":"a"}}') as unknown],
  ];
  for (const [label, payload] of bad) {
    test(`drops ${label}`, () => {
      assert.equal(parseSignal(payload), null);
    });
  }

  test("optional candidate fields of the wrong type are left out, the candidate is kept", () => {
    const parsed = parseSignal(signal({ type: "candidate", candidate: { candidate: "c", sdpMLineIndex: "0", sdpMid: 7 } }));
    assert.deepEqual(parsed, { mm: 1, t: "signal", link: "link1", admission: null, data: { type: "candidate", candidate: { candidate: "c" } } });
  });

  test("a transceiverRequest is rebuilt with an empty init", () => {
    const parsed = parseSignal(signal({ type: "transceiverRequest", transceiverRequest: { kind: "audio", init: { sendEncodings: "x" } } }));
    assert.deepEqual(parsed, { mm: 1, t: "signal", link: "link1", admission: null, data: { type: "transceiverRequest", transceiverRequest: { kind: "audio", init: {} } } });
  });

  test("__proto__ and constructor keys (as a broker's JSON.parse leaves them) never reach the result", () => {
    const payload = JSON.parse(
      '{"mm":1,"t":"signal","link":"l","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},' +
        '"data":{"type":"candidate","__proto__":{"polluted":true},"candidate":{"candidate":"c","__proto__":{"polluted":true}}}}',
    ) as unknown;
    const parsed = parseSignal(payload);
    assert.deepEqual(parsed, { mm: 1, t: "signal", link: "l", data: { type: "candidate", candidate: { candidate: "c" } }, admission: null });
    assertNoProtoKeys(parsed);
    assertPrototypeClean();
  });

  test("welcome members are rebuilt: extra member fields are dropped", () => {
    const parsed = parseSignal({ mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: [{ id: "h", seq: 0, admin: true }] });
    assert.deepEqual(parsed, { mm: 1, t: "welcome", nonce: "n0nce0001", sig: TEST_SIG, roster: TEST_ROSTER, mac: null, hostId: "h", seq: 1, members: [{ id: "h", seq: 0 }] });
  });
});
