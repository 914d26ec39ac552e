// The control plane's small parts on their own: the clock's timer groups, the lifecycle's transition
// table, the operation queue, the roster's rules and the bounded nonce set. No network, no real time.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BoundedSet } from "../bounded-set.js";
import { Timers } from "../clock.js";
import { IllegalTransition, Lifecycle, TRANSITIONS, type MeetingState } from "../lifecycle.js";
import { leveled } from "../log.js";
import { Cancelled, OpQueue, unlessAborted } from "../queue.js";
import { Roster } from "../roster.js";
import { FakeClock, flush } from "./fake-clock.js";
import { captureLog } from "./capture-log.js";

describe("Timers (one group per meeting)", () => {
  test("after, every and sleep follow the injected clock; clear() stops them all and wakes sleepers", async () => {
    const clock = new FakeClock();
    const timers = new Timers(clock);
    const fired: string[] = [];
    timers.after(100, () => fired.push("once"));
    const stop = timers.every(40, () => fired.push(`tick@${clock.now()}`));
    let slept = false;
    void timers.sleep(10_000).then(() => (slept = true));
    clock.advance(100);
    assert.deepEqual(fired, ["tick@40", "tick@80", "once"]);
    stop();
    clock.advance(100);
    assert.deepEqual(fired, ["tick@40", "tick@80", "once"], "a stopped interval stays stopped");
    assert.equal(timers.pending, 1, "only the sleeper is left");
    timers.clear();
    await flush();
    assert.equal(slept, true, "a sleeper wakes when its group is cleared");
    assert.equal(timers.pending, 0);
    assert.equal(clock.pending, 0, "no timer left on the clock");
    timers.after(1, () => fired.push("late"));
    clock.advance(10);
    assert.equal(fired.includes("late"), false, "a cleared group takes no new timers");
  });

  test("bound() ends at the promise, at the bound, or when the group is cleared", async () => {
    const clock = new FakeClock();
    const timers = new Timers(clock);
    let done = 0;
    void timers.bound(new Promise(() => undefined), 50).then(() => done++);
    void timers.bound(Promise.reject(new Error("x")), 50).then(() => done++);
    await flush();
    assert.equal(done, 1, "a rejection ends the wait (never rethrown)");
    clock.advance(50);
    await flush();
    assert.equal(done, 2);
    void timers.bound(new Promise(() => undefined), 1e9).then(() => done++);
    timers.clear();
    await flush();
    assert.equal(done, 3);
  });
});

describe("Lifecycle (one transition table)", () => {
  test("the way through a meeting, each change reported once", () => {
    const life = new Lifecycle(captureLog().logger, true);
    const seen: MeetingState[] = [];
    life.onChange((s) => seen.push(s));
    for (const s of ["joining", "joined", "reconnecting", "joined", "leaving", "left"] as const) assert.equal(life.to(s), true);
    assert.deepEqual(seen, ["joining", "joined", "reconnecting", "joined", "leaving", "left"]);
    assert.equal(life.to("left"), false, "staying put is not a transition");
  });

  test("every transition the table does not list throws in strict mode and is logged and refused otherwise", () => {
    const states = Object.keys(TRANSITIONS) as MeetingState[];
    let illegal = 0;
    for (const from of states) {
      for (const to of states) {
        if (from === to || TRANSITIONS[from].includes(to)) continue;
        illegal++;
        const { logger, lines } = captureLog();
        const strict = reach(from, new Lifecycle(logger, true));
        assert.throws(() => strict.to(to), IllegalTransition, `${from} -> ${to}`);
        const lenient = reach(from, new Lifecycle(logger, false));
        assert.equal(lenient.to(to), false);
        assert.equal(lenient.state, from, "refused: the state stays");
        assert.ok(lines.some((l) => l.startsWith("error") && l.includes(`${from} -> ${to}`)), lines.join("\n"));
      }
    }
    assert.equal(illegal, 18, "the table allows 12 of 30 transitions");
  });

  function reach(state: MeetingState, life: Lifecycle): Lifecycle {
    const path: Record<MeetingState, MeetingState[]> = {
      idle: [],
      joining: ["joining"],
      joined: ["joining", "joined"],
      reconnecting: ["joining", "joined", "reconnecting"],
      leaving: ["joining", "joined", "leaving"],
      left: ["joining", "left"],
    };
    for (const s of path[state]) life.to(s);
    assert.equal(life.state, state);
    return life;
  }
});

describe("OpQueue (one operation at a time)", () => {
  test("operations run one after another, in order", async () => {
    const queue = new OpQueue();
    const log: string[] = [];
    let release = (): void => undefined;
    const first = queue.run("a", async () => {
      log.push("a start");
      await new Promise<void>((r) => (release = r));
      log.push("a end");
    });
    const second = queue.run("b", async () => void log.push("b"));
    await flush();
    assert.deepEqual(log, ["a start"], "b waits for a");
    assert.deepEqual(queue.pending, ["a", "b"]);
    release();
    await Promise.all([first, second]);
    assert.deepEqual(log, ["a start", "a end", "b"]);
    assert.deepEqual(queue.pending, []);
  });

  test("cancel() aborts the running operation and rejects the queued ones with Cancelled; later ones run", async () => {
    const queue = new OpQueue();
    let aborted = false;
    const running = queue.run("join", (signal) => new Promise<string>((resolve) => signal.addEventListener("abort", () => {
      aborted = true;
      resolve("stopped early");
    })));
    const queued = queue.run("elect", async () => "ran");
    await flush();
    queue.cancel();
    assert.equal(await running, "stopped early");
    assert.equal(aborted, true);
    await assert.rejects(queued, Cancelled);
    assert.equal(await queue.run("leave", async () => "left"), "left", "the queue goes on after a cancel");
  });

  test("`once` joins an operation of the same name still queued; one requested while it runs runs again after it", async () => {
    const queue = new OpQueue();
    let runs = 0;
    let release = (): void => undefined;
    const elect = (): Promise<void> =>
      queue.run("elect", async () => {
        runs++;
        await new Promise<void>((r) => (release = r));
      }, true);
    const a = elect();
    assert.equal(elect(), a, "not started yet: joined");
    await flush();
    assert.equal(runs, 1);
    // Running, it may be past the point where the new request's reason mattered (an anchor lost while
    // the election that claimed it is still announcing): the request must not be swallowed.
    const b = elect();
    const c = elect();
    assert.notEqual(b, a);
    assert.equal(c, b, "queued behind the running one: joined");
    release();
    await a;
    await flush();
    assert.equal(runs, 2);
    release();
    await b;
    assert.equal(runs, 2);
  });

  test("unlessAborted() gives the fallback at once on abort, and swallows a later rejection", async () => {
    const controller = new AbortController();
    let fail = (_: Error): void => undefined;
    const pending = unlessAborted(new Promise<string>((_, reject) => (fail = reject)), controller.signal, "fallback");
    controller.abort();
    assert.equal(await pending, "fallback");
    fail(new Error("late")); // must not surface as an unhandled rejection
    await flush();
  });
});

describe("Roster (members, host, succession)", () => {
  const roster = (): Roster => {
    const r = new Roster("carol");
    r.selfSeq = 2;
    r.add({ id: "bob", name: "Bob", seq: 1 });
    r.add({ id: "dave", name: "Dave", seq: 3 });
    r.setHost("alice");
    return r;
  };

  test("heir is named only by the host; highestSeq covers everyone; setHost says whether it changed", () => {
    const r = roster();
    assert.equal(r.heir(), null, "not host: names nobody");
    assert.equal(r.setHost("carol"), true);
    assert.equal(r.setHost("carol"), false);
    assert.equal(r.heir(), "bob");
    assert.equal(r.highestSeq(), 3);
    r.clear();
    assert.equal(r.alone, true);
    assert.equal(r.heir(), null, "alone: nobody to name");
  });
});

describe("BoundedSet (remembered nonces)", () => {
  test("keeps at most its cap, forgetting the oldest first", () => {
    const set = new BoundedSet<number>(3);
    for (let i = 0; i < 1000; i++) set.add(i);
    assert.equal(set.size, 3);
    assert.deepEqual([997, 998, 999].map((i) => set.has(i)), [true, true, true]);
    assert.equal(set.has(996), false);
  });
});

describe("leveled logger", () => {
  test("passes on what is at its level or above; a throwing sink is contained", () => {
    const { logger, lines } = captureLog();
    const log = leveled("warn", logger, "[x]");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e", { detail: 1 });
    assert.deepEqual(lines, ["warn [x] w", "error [x] e"]);
    const broken = leveled("debug", { ...logger, debug: () => { throw new Error("sink down"); } }, "[x]");
    assert.doesNotThrow(() => broken.debug("d"));
  });
});
