// Regressions of the control-plane defects found reading the old Mesh (each fails on that code):
// the page without WebCrypto, a signature that fails while leaving or ending, a join that runs out of
// time, errors nobody could see, and the test-only constructor in the public types.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, test, type TestContext } from "node:test";
import type { OpenChannel } from "../broker.js";
import { subject } from "./load-subject.js";
import { FAST, Scene, meshComplete, seen } from "./scene.js";
import { codeOf, rejection, within } from "./wait.js";
import { captureLog } from "./capture-log.js";

/** Every WebCrypto signature fails from now until the test ends (a broken or exotic crypto provider). */
function signaturesFail(t: TestContext): void {
  const proto = Object.getPrototypeOf(crypto.subtle) as { sign: SubtleCrypto["sign"] };
  const sign = proto.sign;
  proto.sign = () => Promise.reject(new Error("signing is broken"));
  t.after(() => {
    proto.sign = sign;
  });
}

/** The page is served over plain http from a LAN address: no crypto.subtle, not a secure context. */
function insecurePage(t: TestContext): void {
  const original = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  const webcrypto = globalThis.crypto;
  Object.defineProperty(globalThis, "crypto", {
    configurable: true,
    value: { getRandomValues: <T extends ArrayBufferView>(a: T): T => webcrypto.getRandomValues(a as never) },
  });
  (globalThis as { isSecureContext?: boolean }).isSecureContext = false;
  t.after(() => {
    if (original) Object.defineProperty(globalThis, "crypto", original);
    delete (globalThis as { isSecureContext?: boolean }).isSecureContext;
  });
}

/** A broker that answers after `delayMs`, and like PeerJS gives up when the caller's timeout is shorter. */
function slowBroker(open: OpenChannel, delayMs: number): OpenChannel {
  return (id, timeoutMs, token) =>
    new Promise((resolve, reject) => {
      if (timeoutMs < delayMs) {
        setTimeout(() => reject(new subject.ChannelOpenError("unreachable", `no answer from the broker within ${timeoutMs} ms`)), timeoutMs);
        return;
      }
      setTimeout(() => open(id, timeoutMs, token).then(resolve, reject), delayMs);
    });
}

describe("control plane: clear errors", () => {
  test("a page that is not a secure context fails join() with insecure-context, before touching the broker", async (t) => {
    insecurePage(t);
    const scene = new Scene(t);
    const alice = scene.meeting("alice");
    const error = await rejection(alice.join());
    assert.equal(codeOf(error), "insecure-context");
    assert.match(String((error as Error).message), /not a secure context/);
    assert.equal(alice.state, "idle", "join() may be tried again (e.g. after moving to https)");
    assert.deepEqual(scene.net.broker.registeredIds(), []);
  });

  test("camera and microphone on an insecure page: an insecure-context error event, and the join goes on without media", async (t) => {
    // Not a secure context, and (as in Node) no navigator.mediaDevices; WebCrypto stays for this one.
    (globalThis as { isSecureContext?: boolean }).isSecureContext = false;
    t.after(() => void delete (globalThis as { isSecureContext?: boolean }).isSecureContext);
    const scene = new Scene(t);
    const alice = scene.meeting("alice", { micEnabled: true });
    await within("alice's join", alice.join(), 5000);
    assert.deepEqual(scene.events(alice, "error").map(codeOf), ["insecure-context"]);
    assert.equal(alice.state, "joined");
  });

  test("a join that runs out of time against a silent anchor says host-unreachable, not broker-unreachable", async (t) => {
    const scene = new Scene(t);
    await scene.joinInOrder("alice");
    scene.net.crash("alice", "frozen"); // holds the anchor, answers nothing
    // Register 200 ms, claim 200 ms (taken), knock 2000 ms: about 100 ms are left, less than the broker needs.
    const env = { ...scene.net.env("bob"), openChannel: slowBroker(scene.net.broker.opener("bob"), 200) };
    const bob = new subject.Meeting({ meetingId: scene.meetingId, participantId: "bob", iceServers: [], ...FAST, joinTimeout: 2500 }, env);
    scene.track(bob);
    const error = await rejection(bob.join(), 6000);
    assert.equal(codeOf(error), "host-unreachable", String(error));
    assert.equal(bob.state, "idle");
  });
});

describe("control plane: leaving and ending never get stuck", () => {
  test("the host's end() when signing fails: it leaves instead (rejects with internal), nobody is stuck, the meeting goes on", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    signaturesFail(t);
    const error = await rejection(alice.end(), 3000);
    assert.equal(codeOf(error), "internal");
    assert.equal(alice.state, "left", "not stuck in leaving");
    assert.deepEqual(scene.events(alice, "meeting-left"), [{ reason: "left" }]);
    await scene.settled("bob and carol to go on without alice", () => meshComplete([bob, carol]));
    for (const m of [bob, carol]) {
      assert.deepEqual(scene.events(m, "participant-left").map((p) => [p.id, p.leftReason]), [["alice", "left"]]);
      assert.deepEqual(scene.events(m, "meeting-left"), []);
    }
    assert.equal(bob.hostId, "bob");
    await scene.settled("alice's registrations to be gone", () => !scene.net.broker.registeredIds().some((id) => id.endsWith("alice")));
  });

  test("the host's leave() when signing fails: the goodbye goes unsigned, the successor takes over", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    signaturesFail(t);
    await within("alice's leave()", alice.leave(), 3000);
    assert.equal(alice.state, "left");
    assert.deepEqual(scene.events(alice, "meeting-left"), [{ reason: "left" }]);
    await scene.settled("bob to host carol", () => meshComplete([bob, carol]) && bob.hostId === "bob");
    assert.deepEqual(seen(bob), ["carol"]);
  });
});

describe("control plane: nothing swallowed", () => {
  test("with a logger, state changes, the anchor and dropped messages are told; without one, nothing is", async (t) => {
    const scene = new Scene(t);
    const { logger, lines, next } = captureLog();
    const alice = scene.meeting("alice", { logLevel: "debug", logger });
    const calls: string[] = [];
    for (const level of ["debug", "info", "warn", "error", "log"] as const) {
      const original = console[level];
      console[level] = (...args: unknown[]) => void calls.push(`${level} ${String(args[0])}`);
      t.after(() => void (console[level] = original));
    }
    const bob = scene.meeting("bob");
    await alice.join();
    await bob.join();
    const dropped = next("dropped");
    scene.net.broker.inject(scene.selfBrokerId("bob"), scene.selfBrokerId("alice"), { mm: 1, t: "nonsense" });
    await within("alice to log the dropped message", dropped, 3000);
    assert.ok(lines.includes("debug [meshmeet alice] state idle -> joining"), lines.join("\n"));
    assert.ok(lines.includes("debug [meshmeet alice] state joining -> joined"), lines.join("\n"));
    assert.ok(lines.includes("info [meshmeet alice] holding the anchor"), lines.join("\n"));
    assert.deepEqual(calls, [], "silent by default: bob logged nothing anywhere");
  });

  test("bad logging options are refused with invalid-argument", (t) => {
    const env = new Scene(t).net.env("nobody");
    const make = (extra: object) => () => new subject.Meeting({ meetingId: "room-1", ...extra } as never, env);
    assert.throws(make({ logLevel: "loud" }), (e: unknown) => codeOf(e) === "invalid-argument");
    assert.throws(make({ logger: { info: () => undefined } }), (e: unknown) => codeOf(e) === "invalid-argument");
  });
});

describe("control plane: public types", () => {
  test("the Meeting constructor in dist/types takes only the config (the test-only env is internal)", () => {
    const file = "dist/types/meeting.d.ts";
    assert.ok(existsSync(file), `${file} is missing: run npm run build first (npm test does)`);
    const types = readFileSync(file, "utf8");
    const constructors = types.split("\n").filter((line) => line.trim().startsWith("constructor("));
    assert.deepEqual(constructors.map((l) => l.trim()), ["constructor(config: MeetingConfig);"]);
    assert.doesNotMatch(types, /MeshEnv/);
  });
});
