// The anchor role and the link table on their own, on a fake clock, with stub broker channels and
// stub transports: replies matched to knocks, admission, glare, retries, liveness, abuse.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AnchorRole, type Welcome } from "../anchor.js";
import { ChannelOpenError, type OpenChannel, type SignalChannel } from "../broker.js";
import { Timers } from "../clock.js";
import { anchorBrokerId, participantBrokerId } from "../ids.js";
import type { LinkTransport } from "../link.js";
import { LinkTable, type LinkTableDeps } from "../link-table.js";
import { silentLogger } from "../log.js";
import type { LinkMessage, SignalData, SignalMessage } from "../protocol.js";
import { HostChain } from "../host-chain.js";
import { Keyring } from "../keyring.js";
import { Roster } from "../roster.js";
import { Scope } from "../scope.js";
import { FakeClock, flush } from "./fake-clock.js";

const MEETING = "room-1";
const ANCHOR = anchorBrokerId(MEETING);
const brokerIdOf = (id: string): string => participantBrokerId(MEETING, id);

class StubChannel implements SignalChannel {
  onMessage: SignalChannel["onMessage"] = null;
  onStatus: SignalChannel["onStatus"] = null;
  onLost: SignalChannel["onLost"] = null;
  readonly sent: [string, SignalMessage][] = [];
  closed = false;
  constructor(readonly id: string) {}
  send(dst: string, message: SignalMessage): void {
    this.sent.push([dst, message]);
  }
  watch(): void {}
  keepAlive(): void {}
  refresh(): void {}
  close(): void {
    this.closed = true;
  }
}

class StubTransport implements LinkTransport {
  onSignal: LinkTransport["onSignal"] = null;
  onOpen: LinkTransport["onOpen"] = null;
  onData: LinkTransport["onData"] = null;
  onClose: LinkTransport["onClose"] = null;
  readonly signals: SignalData[] = [];
  readonly sent: LinkMessage[] = [];
  destroyed = false;
  constructor(readonly initiator: boolean) {}
  signal(data: SignalData): void {
    this.signals.push(data);
  }
  send(text: string): boolean {
    this.sent.push(JSON.parse(text) as LinkMessage);
    return true;
  }
  async flush(): Promise<void> {}
  destroy(): void {
    this.destroyed = true;
  }
}

function linkTable(clock: FakeClock, selfId = "alice", overrides: Partial<LinkTableDeps> = {}, heartbeats = { heartbeatInterval: 250, heartbeatTimeout: 1800 }) {
  const transports: StubTransport[] = [];
  const closed: [string, boolean, boolean][] = [];
  const silent: string[] = [];
  const heard: string[] = [];
  const doubted: string[] = [];
  const viaBroker: [string, SignalMessage][] = [];
  const table = new LinkTable(
    { selfId, ...heartbeats, linkTimeout: 10_000 },
    {
      timers: new Timers(clock),
      log: silentLogger,
      createTransport: (initiator) => {
        const t = new StubTransport(initiator);
        transports.push(t);
        return t;
      },
      brokerIdOf,
      sendViaBroker: (dst, message) => viaBroker.push([dst, message]),
      open: () => undefined,
      message: () => undefined,
      closed: (link, current) => closed.push([link.remoteId, current, link.violation]),
      doubt: (link) => doubted.push(link.remoteId),
      silent: (link) => silent.push(link.remoteId),
      heard: (link) => heard.push(link.remoteId),
      track: () => undefined,
      created: () => undefined,
      mayLink: async () => true,
      ownAdmission: () => null,
      ...overrides,
    },
  );
  return { table, transports, closed, viaBroker, silent, heard, doubted };
}

async function anchorRole(clock: FakeClock, openChannel: OpenChannel = async () => new StubChannel(ANCHOR)) {
  const timers = new Timers(clock);
  const roster = new Roster("bob");
  const self = new StubChannel(brokerIdOf("bob"));
  const { table } = linkTable(clock, "bob");
  const keyring = new Keyring(MEETING);
  await keyring.init();
  const chain = new HostChain(MEETING);
  const anchor = new AnchorRole(
    { name: "Bob", linkTimeout: 10_000 },
    {
      timers,
      log: silentLogger,
      scope: new Scope(MEETING),
      openChannel,
      roster,
      chain,
      keyring,
      links: table,
      self: () => self,
      active: () => true,
      follow: () => undefined,
      claimed: async () => undefined,
      cutOff: () => undefined,
      signaling: () => true,
      invited: () => undefined,
      lost: () => undefined,
    },
  );
  return { anchor, self, roster, chain, keyring, timers };
}

const welcome = (nonce: string, seq: number): Welcome => ({
  mm: 1,
  t: "welcome",
  nonce,
  hostId: "alice",
  seq,
  sig: "S".repeat(86),
  roster: { epoch: 0, hostId: "alice", members: [{ id: "alice", seq: 0, key: "A".repeat(87) }], sig: "S".repeat(86) },
  members: [{ id: "alice", seq: 0 }],
  mac: null,
});
const knockNonce = (self: StubChannel, i: number): string => {
  const message = self.sent[i]?.[1];
  assert.ok(message && message.t === "knock", "a knock was sent");
  return message.nonce;
};

describe("AnchorRole: knocks and welcomes", () => {
  test("two overlapping knocks each get the welcome that answers them, whatever the order of the answers", async () => {
    const clock = new FakeClock();
    const { anchor, self } = await anchorRole(clock);
    const first = anchor.knock(1000);
    const second = anchor.knock(1000);
    await flush();
    assert.equal(self.sent.length, 2);
    assert.notEqual(knockNonce(self, 0), knockNonce(self, 1), "each knock has its own nonce");
    anchor.onWelcome(ANCHOR, welcome(knockNonce(self, 1), 5));
    anchor.onWelcome(ANCHOR, welcome(knockNonce(self, 0), 4));
    assert.equal((await first)?.seq, 4);
    assert.equal((await second)?.seq, 5);
  });

  test("a welcome that is not from the anchor, or answers no knock of ours, is ignored; unanswered knocks time out", async () => {
    const clock = new FakeClock();
    const { anchor, self } = await anchorRole(clock);
    const knock = anchor.knock(1000);
    await flush();
    const nonce = knockNonce(self, 0);
    anchor.onWelcome(brokerIdOf("mallory"), welcome(nonce, 9));
    anchor.onWelcome(ANCHOR, welcome("someotherknock", 9));
    let result: Welcome | null | undefined;
    void knock.then((w) => (result = w));
    clock.advance(999);
    await flush();
    assert.equal(result, undefined, "still waiting");
    clock.advance(1);
    await flush();
    assert.equal(result, null);
    anchor.onWelcome(ANCHOR, welcome(nonce, 9)); // too late: nobody is waiting
    assert.equal(clock.pending, 0);
  });

  test("an aborted knock and release() end pending knocks with null at once", async () => {
    const clock = new FakeClock();
    const { anchor } = await anchorRole(clock);
    const controller = new AbortController();
    const aborted = anchor.knock(1000, controller.signal);
    const released = anchor.knock(1000);
    await flush();
    controller.abort();
    assert.equal(await aborted, null);
    anchor.release();
    assert.equal(await released, null);
  });

  test("rotate(): the anchor re-registered under a fresh token; taken by someone else in between, it says so and we hold nothing", async () => {
    const clock = new FakeClock();
    const tokens: (string | undefined)[] = [];
    let free = true;
    const { anchor } = await anchorRole(clock, async (_id, _ms, token) => {
      tokens.push(token);
      if (!free) throw new ChannelOpenError("id-taken", "taken");
      return new StubChannel(ANCHOR);
    });
    assert.equal(await anchor.claim(1000, "token-one-12345"), true);
    assert.equal(await anchor.rotate(), true);
    assert.notEqual(anchor.token, "token-one-12345", "a fresh token");
    assert.equal(anchor.holding, true);
    // A newcomer registers the anchor the moment ours is closed: every re-registration is refused.
    free = false;
    const rotated = anchor.rotate();
    for (let i = 0; i < 20; i++) {
      await flush();
      clock.advance(1000);
    }
    assert.equal(await rotated, false, "the caller must know it holds no anchor (and not announce one)");
    assert.equal(anchor.holding, false);
    assert.equal(anchor.token, null);
  });

  test("holding the anchor as host, a knock gets a welcome with its nonce, a signed admission, the roster and newcomers in flight", async () => {
    const clock = new FakeClock();
    const channel = new StubChannel(ANCHOR);
    const { anchor, roster, chain, keyring } = await anchorRole(clock, async () => channel);
    assert.equal(await anchor.claim(1000, "token12345678"), true);
    const knock = (from: string, nonce: string): void =>
      channel.onMessage?.(brokerIdOf(from), { mm: 1, t: "knock", name: from, nonce, key: keyring.publicKey, mac: null });
    knock("dave", "daveknock000");
    await flush();
    assert.equal(channel.sent.length, 0, "holding the anchor is not being host: no roster of ours, no welcome");
    anchor.founded();
    roster.selfSeq = 0;
    roster.setHost("bob");
    const carolKey = "B".repeat(87);
    await chain.sign(keyring, "bob", [{ id: "bob", seq: 0, key: keyring.publicKey }, { id: "carol", seq: 1, key: carolKey }]);
    roster.add({ id: "carol", name: "Carol", seq: 1 });
    anchor.arrived("carol", 1);
    clock.advance(200);
    const sent = async (n: number): Promise<void> => {
      for (let i = 0; i < 50 && channel.sent.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    };
    knock("dave", "daveknock001");
    await sent(1);
    knock("erin", "erinknock001");
    await sent(2);
    const [toDave, toErin] = channel.sent;
    assert.equal(toDave?.[0], brokerIdOf("dave"));
    const dave = toDave?.[1];
    assert.ok(dave?.t === "welcome");
    assert.deepEqual([dave.nonce, dave.hostId, dave.seq, dave.members], ["daveknock001", "bob", 2, [{ id: "bob", seq: 0 }, { id: "carol", seq: 1 }]]);
    assert.equal(dave.roster.hostId, "bob");
    const erin = toErin?.[1];
    assert.ok(erin?.t === "welcome");
    assert.deepEqual([erin.seq, erin.members], [3, [{ id: "bob", seq: 0 }, { id: "carol", seq: 1 }, { id: "dave", seq: 2 }]]);
    // The admission is the host's signature: a member that holds the roster can check it.
    const member = new HostChain(MEETING);
    assert.deepEqual(await member.trust(dave.roster, "dave", { seq: 2, key: keyring.publicKey, sig: dave.sig }), { ok: true, same: false });
    assert.equal(await member.admits("erin", { seq: 3, key: keyring.publicKey, sig: erin.sig }), true);
    assert.equal(await member.admits("erin", { seq: 0, key: keyring.publicKey, sig: erin.sig }), false, "not with another join number");
    knock("dave", "daveknock002");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(channel.sent.length, 2, "a second knock within 100 ms is refused");
  });
});

describe("LinkTable", () => {
  test("offer glare: the offer from the lower broker id wins on both sides", async () => {
    const clock = new FakeClock();
    const alice = linkTable(clock, "alice");
    alice.table.connect("bob");
    alice.table.onSignal("bob", "bobslink", { type: "offer", sdp: "x" });
    await flush();
    assert.equal(alice.table.get("bob")?.initiator, true, "alice (lower id) keeps her own offer");
    assert.equal(alice.transports.length, 1);
    const bob = linkTable(clock, "bob");
    bob.table.connect("alice");
    bob.table.onSignal("alice", "aliceslink", { type: "offer", sdp: "x" });
    await flush(); // the offer's sender is checked (roster or admission) before any connection is made
    assert.equal(bob.table.get("alice")?.initiator, false, "bob answers alice's offer instead");
    assert.equal(bob.transports[0]?.destroyed, true);
    assert.deepEqual(bob.transports[1]?.signals, [{ type: "offer", sdp: "x" }]);
  });

  test("a signal for a link that is gone (not an offer) is dropped", () => {
    const clock = new FakeClock();
    const { table, transports } = linkTable(clock);
    table.onSignal("bob", "oldlink", { type: "answer", sdp: "x" });
    assert.equal(transports.length, 0);
    assert.equal(table.has("bob"), false);
  });

  test("an offered link that never opens is offered again twice, 500 ms apart; never after EXPIRE, never to the excepted", () => {
    const clock = new FakeClock();
    const { table, transports } = linkTable(clock);
    let link = table.connect("bob");
    for (let round = 0; round < 3; round++) {
      link.close();
      table.retry(link, null);
      clock.advance(499);
      assert.equal(table.has("bob"), false, "not before 500 ms");
      clock.advance(1);
      link = table.get("bob") ?? link;
    }
    assert.equal(transports.length, 3, "the first offer and two more, no third");
    const expired = linkTable(clock);
    const carol = expired.table.connect("carol");
    expired.table.undeliverable("carol");
    expired.table.retry(carol, null);
    clock.advance(1000);
    assert.equal(expired.transports.length, 1, "the broker said carol is gone");
    const host = linkTable(clock);
    const hostLink = host.table.connect("alice");
    hostLink.close();
    host.table.retry(hostLink, "alice");
    clock.advance(1000);
    assert.equal(host.transports.length, 1, "the host's link is succession's business");
  });

  test("liveness: pings when idle, reports silence after heartbeatTimeout once, keeps the link and pings on; no timer after closeAll()", () => {
    const clock = new FakeClock();
    const { table, transports, closed, silent, heard, doubted } = linkTable(clock);
    table.start();
    const link = table.connect("bob");
    const transport = transports[0];
    assert.ok(transport);
    transport.onOpen?.();
    table.markReady(link);
    clock.advance(250);
    assert.deepEqual(transport.sent.map((m) => m.t), ["ping"]);
    clock.advance(1400);
    transport.onData?.(JSON.stringify({ v: 1, t: "ping" }));
    clock.advance(1700);
    assert.deepEqual(silent, [], "heard from 1.7 s ago: not silent");
    assert.deepEqual(doubted, ["bob", "bob"], "quiet for 0.6 of the timeout: doubted (the broker is asked), once per quiet spell (two so far)");
    clock.advance(200);
    assert.deepEqual(silent, ["bob"]);
    clock.advance(5000);
    assert.deepEqual(silent, ["bob"], "one report per silence");
    assert.equal(link.state, "open", "a silent link is kept: it may come back");
    const pings = transport.sent.length;
    clock.advance(500);
    assert.ok(transport.sent.length > pings, "pings go on while silent");
    transport.onData?.(JSON.stringify({ v: 1, t: "ping" }));
    assert.deepEqual(heard, ["bob"]);
    assert.deepEqual(closed, []);
    table.closeAll();
    assert.equal(clock.pending, 0);
  });

  test("700 ms pings (1800 ms timeout): a link that carries messages sends no ping; an idle one pings once per interval; doubted at 1.4 s, silent at 1.8 s", () => {
    const clock = new FakeClock();
    const { table, transports, doubted, silent } = linkTable(clock, "alice", {}, { heartbeatInterval: 700, heartbeatTimeout: 1800 });
    table.start();
    const link = table.connect("bob");
    const transport = transports[0];
    assert.ok(transport);
    transport.onOpen?.();
    table.markReady(link);
    // Busy: we send something every 200 ms and bob does too, for 5 s.
    for (let t = 0; t < 5000; t += 200) {
      link.send({ v: 1, t: "ack", n: t });
      transport.onData?.(JSON.stringify({ v: 1, t: "ping" }));
      clock.advance(200);
    }
    assert.equal(transport.sent.filter((m) => m.t === "ping").length, 0, "a busy link needs no ping");
    // Idle, bob answering each ping at once: one ping per interval (plus at most one check), never more.
    const before = transport.sent.length;
    for (let t = 0; t < 7000; t += 25) {
      const sent = transport.sent.length;
      clock.advance(25);
      if (transport.sent.length > sent) transport.onData?.(JSON.stringify({ v: 1, t: "ping" }));
    }
    const pings = transport.sent.length - before;
    assert.ok(pings >= 6 && pings <= 10, `7 s idle: ${pings} pings (one per 700-1050 ms)`);
    assert.deepEqual(doubted, [], "an answered ping is never doubted");
    transport.onData?.(JSON.stringify({ v: 1, t: "ping" }));
    // Bob stops answering (crashed): doubted once quiet for two intervals, silent at the timeout.
    clock.advance(1300);
    assert.deepEqual(doubted, [], "quiet for 1.3 s: not yet doubted");
    clock.advance(400);
    assert.deepEqual(doubted, ["bob"]);
    assert.deepEqual(silent, []);
    clock.advance(500);
    assert.deepEqual(silent, ["bob"]);
    table.closeAll();
  });

  test("a ping is answered when we were quiet for a heartbeat interval (a background tab's timers are throttled, its message events are not), never twice in a row", () => {
    const clock = new FakeClock();
    const { table, transports } = linkTable(clock);
    const link = table.connect("bob");
    const transport = transports[0];
    assert.ok(transport);
    transport.onOpen?.();
    table.markReady(link);
    clock.advance(300);
    transport.onData?.(JSON.stringify({ v: 1, t: "ping" }));
    assert.deepEqual(transport.sent.map((m) => m.t), ["ping"], "quiet for 300 ms: answered");
    clock.advance(100);
    transport.onData?.(JSON.stringify({ v: 1, t: "ping" }));
    assert.equal(transport.sent.length, 1, "we spoke 100 ms ago: no answer");
    table.closeAll();
  });

  test("relink: a silent link is replaced by a new offer through the broker and stands by until the new one says hello; an attempt gets time before the next", () => {
    const clock = new FakeClock();
    const { table, transports, closed, viaBroker } = linkTable(clock);
    table.start();
    const old = table.connect("bob");
    transports[0]?.onOpen?.();
    table.markReady(old);
    clock.advance(2000);
    table.relink("bob");
    const fresh = table.get("bob");
    assert.ok(fresh && fresh !== old && fresh.initiator);
    assert.equal(old.state, "open", "the old link stands by: the path may come back first");
    transports[1]?.onSignal?.({ type: "offer", sdp: "v=0" });
    assert.equal(viaBroker.length, 1, "the new offer goes through the broker");
    table.relink("bob");
    assert.equal(table.get("bob"), fresh, "a young attempt is left alone");
    clock.advance(3000);
    table.relink("bob");
    const third = table.get("bob");
    assert.ok(third && third !== fresh, "an attempt that did not come up in time is replaced");
    assert.equal(fresh.state, "closed");
    assert.equal(old.state, "open", "still standing by");
    transports[2]?.onOpen?.();
    table.markReady(third);
    assert.equal(old.state, "closed", "the new link said hello: the old one goes");
    assert.ok(closed.every(([, current]) => !current), "no replaced link's close counts as the participant's");
    table.closeAll();
  });

  test("relink: the old link talks before its replacement is up: it is current again and the attempt is dropped", () => {
    const clock = new FakeClock();
    const { table, transports, heard } = linkTable(clock);
    table.start();
    const old = table.connect("bob");
    transports[0]?.onOpen?.();
    table.markReady(old);
    clock.advance(2000);
    table.relink("bob");
    const attempt = table.get("bob");
    transports[0]?.onData?.(JSON.stringify({ v: 1, t: "ping" }));
    assert.equal(table.get("bob"), old);
    assert.equal(attempt?.state, "closed");
    assert.deepEqual(heard, ["bob"]);
    table.closeAll();
    assert.equal(old.state, "closed");
  });

  test("a participant that keeps sending garbage is cut off as a protocol violation", () => {
    const clock = new FakeClock();
    const { table, transports, closed } = linkTable(clock);
    table.connect("bob");
    transports[0]?.onOpen?.();
    for (let i = 0; i < 51; i++) transports[0]?.onData?.("not json");
    assert.equal(table.dropped.get("bob"), 51);
    assert.deepEqual(closed, [["bob", true, true]]);
  });
});
