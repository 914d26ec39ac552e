// The parts that keep a participant in through a network blip, alone on a fake clock: Deliveries (app
// messages numbered, resent until acknowledged, delivered once) and Presence (silent is not gone).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Timers } from "../clock.js";
import { Deliveries, MAX_UNACKED, RESEND_AFTER_MS } from "../deliveries.js";
import { silentLogger } from "../log.js";
import { Presence, type Registration } from "../presence.js";
import type { LinkMessage } from "../protocol.js";
import { FakeClock, flush } from "./fake-clock.js";

function deliveries(clock: FakeClock) {
  const wire: [string, LinkMessage][] = [];
  let up = true;
  const d = new Deliveries({
    timers: new Timers(clock),
    send: (id, message) => {
      if (!up) return false;
      wire.push([id, message]);
      return true;
    },
  });
  return { d, wire, setUp: (value: boolean) => (up = value) };
}

const apps = (wire: [string, LinkMessage][]): number[] => wire.flatMap(([, m]) => (m.t === "app" ? [m.n] : []));

describe("Deliveries", () => {
  test("numbers each member's messages, keeps them until acknowledged and sends them again, in order, when the link is back", () => {
    const clock = new FakeClock();
    const { d, wire, setUp } = deliveries(clock);
    assert.ok(d.enqueue("bob", "a", false, 3));
    setUp(false);
    assert.ok(d.enqueue("bob", "b", false, 3), "queued while the link is down");
    assert.ok(d.enqueue("bob", "c", true, 3));
    assert.deepEqual(apps(wire), [0]);
    setUp(true);
    d.resume("bob");
    assert.deepEqual(apps(wire), [0, 0, 1, 2], "everything unacknowledged, in order");
    d.acked("bob", 1);
    assert.equal(d.backlog("bob"), 1);
    wire.length = 0;
    d.resume("bob");
    assert.deepEqual(apps(wire), [2]);
    assert.deepEqual(wire[0]?.[1], { v: 1, t: "app", n: 2, direct: true, payload: "c" });
  });

  test("what stays unacknowledged is resent on its own after a while; acknowledged, it is not", () => {
    const clock = new FakeClock();
    const { d, wire } = deliveries(clock);
    d.start();
    d.enqueue("bob", "a", false, 3);
    d.enqueue("carol", "a", false, 3);
    d.acked("carol", 0);
    clock.advance(RESEND_AFTER_MS * 1.6);
    assert.deepEqual(wire.map(([id, m]) => [id, m.t]), [["bob", "app"], ["carol", "app"], ["bob", "app"]]);
  });

  test("delivers each number once, and acknowledges in one batch", () => {
    const clock = new FakeClock();
    const { d, wire } = deliveries(clock);
    assert.deepEqual([0, 1, 1, 0, 2].map((n) => d.accept("bob", n)), [true, true, false, false, true]);
    assert.deepEqual(wire, []);
    clock.advance(200);
    assert.deepEqual(wire, [["bob", { v: 1, t: "ack", n: 2 }]]);
  });

  test("a full backlog refuses more (the caller reports it) and keeps what it has; forget() starts over", () => {
    const clock = new FakeClock();
    const { d, setUp } = deliveries(clock);
    setUp(false);
    for (let i = 0; i < MAX_UNACKED; i++) assert.ok(d.enqueue("bob", i, false, 1));
    assert.equal(d.enqueue("bob", "one too many", false, 1), false);
    assert.equal(d.backlog("bob"), MAX_UNACKED);
    assert.equal(d.enqueue("bob", "x".repeat(10), false, 3 * 1024 * 1024), false, "too large for what is left");
    d.forget("bob");
    assert.equal(d.backlog("bob"), 0);
    assert.ok(d.accept("bob", 0), "a new incarnation's first message is new");
  });
});

function presence(clock: FakeClock, answers: Registration[]) {
  const calls: string[] = [];
  const p = new Presence({
    timers: new Timers(clock),
    log: silentLogger,
    reconnectTimeout: 10_000,
    probe: async (id) => {
      calls.push(`probe ${id}`);
      return answers.shift() ?? "here";
    },
    relink: (id) => calls.push(`relink ${id}`),
    reconnecting: (id) => calls.push(`reconnecting ${id}`),
    reconnected: (id) => calls.push(`reconnected ${id}`),
    lost: (id) => calls.push(`lost ${id}`),
  });
  return { p, calls };
}

describe("Presence", () => {
  test("a silent member whose registration is gone (crashed or closed tab) is lost at once", async () => {
    const clock = new FakeClock();
    const { p, calls } = presence(clock, ["gone"]);
    p.quiet("bob");
    p.quiet("bob");
    await flush();
    assert.deepEqual(calls, ["reconnecting bob", "probe bob", "lost bob"]);
    assert.equal(p.isSilent("bob"), false);
    clock.advance(20_000);
    assert.equal(clock.pending, 0, "nothing left running");
  });

  test("a member still registered (frozen, cut off) is reconnecting, offered new links, asked again, and lost at reconnectTimeout", async () => {
    const clock = new FakeClock();
    const { p, calls } = presence(clock, ["here", "unknown", "here"]);
    p.quiet("bob");
    await clock.run(9_990, 10);
    assert.equal(calls.filter((c) => c === "lost bob").length, 0);
    assert.ok(calls.filter((c) => c === "relink bob").length >= 8, "new links offered about every second");
    assert.ok(calls.filter((c) => c === "probe bob").length >= 4, "the broker asked again");
    await clock.run(20, 10);
    assert.equal(calls.at(-1), "lost bob");
    assert.equal(calls.filter((c) => c === "lost bob").length, 1);
  });

  test("a doubted member (quiet, not yet silent) is asked about once: gone is lost at once with no reconnecting; here changes nothing", async () => {
    const clock = new FakeClock();
    const { p, calls } = presence(clock, ["gone", "here"]);
    p.doubt("bob");
    p.doubt("bob");
    await flush();
    assert.deepEqual(calls, ["probe bob", "lost bob"]);
    calls.length = 0;
    p.doubt("carol");
    await flush();
    assert.deepEqual(calls, ["probe carol"]);
    assert.equal(p.isSilent("carol"), false);
    assert.equal(clock.pending, 0);
  });

  test("cut off: every one of the members reconnecting (one given as such counts too); nobody at all is not cut off", async () => {
    const clock = new FakeClock();
    const { p } = presence(clock, []);
    assert.equal(p.cutOffFrom([]), false);
    p.quiet("bob");
    await flush();
    assert.equal(p.cutOffFrom(["bob"]), true);
    assert.equal(p.cutOffFrom(["bob", "carol"]), false);
    assert.equal(p.cutOffFrom(["bob", "carol"], "carol"), true);
    p.forget("bob");
  });

  test("heard from again: reconnected, and nothing more happens; a broker that came back kicks new offers at once", async () => {
    const clock = new FakeClock();
    const { p, calls } = presence(clock, []);
    p.quiet("bob");
    p.quiet("carol");
    await flush();
    p.heard("bob");
    p.kick();
    assert.deepEqual(calls.slice(-2), ["reconnected bob", "relink carol"]);
    p.forget("carol");
    calls.length = 0;
    await clock.run(30_000, 100);
    assert.deepEqual(calls, []);
  });
});
