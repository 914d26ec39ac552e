// Signed terminates: who may end a meeting, checked by every receiver, and relayed safely.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSigningKey, endStatement, handoverStatement, importPublicKey, verify } from "../crypto.js";
import { encodeLink, type LinkMessage } from "../protocol.js";
import { Scene, meshComplete, seen } from "./scene.js";
import { quietPeriod } from "./wait.js";
import type { Meeting } from "../meeting.js";
import { captureLog } from "./capture-log.js";

describe("crypto", () => {
  test("a signature verifies with its key, and with no other key or statement", async () => {
    const alice = await createSigningKey();
    const mallory = await createSigningKey();
    const statement = endStatement("room", "alice", "n1", 1000);
    const sig = await alice.sign(statement);
    const aliceKey = await importPublicKey(alice.publicKey);
    const malloryKey = await importPublicKey(mallory.publicKey);
    assert.ok(aliceKey && malloryKey);
    assert.equal(await verify(aliceKey, statement, sig), true);
    assert.equal(await verify(malloryKey, statement, sig), false);
    for (const other of [
      endStatement("room2", "alice", "n1", 1000),
      endStatement("room", "bob", "n1", 1000),
      endStatement("room", "alice", "n2", 1000),
      endStatement("room", "alice", "n1", 1001),
      handoverStatement("room", "alice", "n1", "1000"),
    ]) {
      assert.equal(await verify(aliceKey, other, sig), false, other);
    }
  });

  test("garbage keys and signatures are refused, never thrown", async () => {
    for (const bad of ["", "A".repeat(87), "!".repeat(87), "A".repeat(86), "B".repeat(200)]) {
      assert.equal(await importPublicKey(bad), null, bad.slice(0, 10));
    }
    const alice = await createSigningKey();
    const key = await importPublicKey(alice.publicKey);
    assert.ok(key);
    for (const bad of ["", "A".repeat(86), "A".repeat(85) + "!", "x"]) {
      assert.equal(await verify(key, "s", bad), false);
    }
  });

  test("the private key cannot be exported", async () => {
    const pair = await createSigningKey();
    assert.equal(pair.publicKey.length, 87);
    assert.ok(!("privateKey" in pair));
  });
});

describe("terminates", () => {
  function refusals(scene: Scene, meeting: Meeting): string[] {
    return scene
      .events(meeting, "error")
      .filter((e) => e.code === "unauthorized-terminate")
      .map((e) => e.message);
  }

  test("unsigned, self-signed and mis-signed terminates are refused, logged each, and reported once per sender", async (t) => {
    const scene = new Scene(t);
    const { logger, lines } = captureLog();
    const alice = scene.meeting("alice");
    const bob = scene.meeting("bob");
    const carol = scene.meeting("carol", { logLevel: "warn", logger });
    for (const m of [alice, bob, carol]) await m.join();
    await scene.settled("a full mesh", () => meshComplete([alice, bob, carol]));
    const mallory = await createSigningKey();
    const now = Date.now();
    const signedBy = async (hostId: string, nonce: string, time: number): Promise<LinkMessage> => ({
      v: 1,
      t: "end",
      nonce,
      hostId,
      time,
      sig: await mallory.sign(endStatement(scene.meetingId, hostId, nonce, time)),
    });
    const forged: LinkMessage[] = [
      { v: 1, t: "end", nonce: "unsigned", hostId: null, time: null, sig: null },
      await signedBy("alice", "mallory-as-alice", now),
      await signedBy("bob", "bob-as-host", now),
      { v: 1, t: "end", nonce: "zero-sig", hostId: "alice", time: now, sig: "A".repeat(86) },
    ];
    for (const message of forged) assert.ok(scene.net.transports.sendRaw("bob", "carol", encodeLink(message)));
    await scene.settled("carol to report bob", () => refusals(scene, carol).length === 1);
    const ignored = (): string[] => lines.filter((l) => l.includes("ignored an end from bob"));
    await scene.settled("carol to log all four", () => ignored().length === 4).catch(() => undefined);
    const all = ignored().join("\n");
    assert.match(all, /not signed/);
    assert.match(all, /claims bob as host/);
    assert.match(all, /signature is not the host's/);
    // Resending the same forged end counts once; reports stay one per sender per 5 s.
    assert.ok(scene.net.transports.sendRaw("bob", "carol", encodeLink(forged[0]!)));
    await quietPeriod(200);
    assert.equal(ignored().length, 4);
    assert.equal(refusals(scene, carol).length, 1);
    assert.equal(carol.state, "joined");
    assert.ok(meshComplete([alice, bob, carol]));
  });

  test("a member who floods forged ends is reported once and disconnected; the victim keeps nothing per forgery", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    for (let i = 0; i < 30; i++) {
      scene.net.transports.sendRaw("bob", "carol", encodeLink({ v: 1, t: "end", nonce: `forged${i}`, hostId: null, time: null, sig: null }));
    }
    const left = await scene.next(carol, "participant-left", (p) => p.id === "bob");
    assert.equal(left.leftReason, "protocol-violation");
    assert.equal(refusals(scene, carol).length, 1, "one report, not thirty");
    assert.equal(carol.state, "joined");
    assert.equal(carol.hostId, "alice");
    assert.deepEqual(seen(carol), ["alice"]);
  });

  test("an honest end reaches a participant whose link to the host is cut, through a relay", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    assert.ok(scene.net.transports.cut("alice", "carol") > 0);
    await alice.end();
    await scene.settled("everyone ended", () => [alice, bob, carol].every((m) => m.state === "left"));
    for (const m of [bob, carol]) assert.deepEqual(scene.events(m, "meeting-left"), [{ reason: "ended" }]);
  });

  test("a participant that keeps sending garbage is disconnected with protocol-violation", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    for (let i = 0; i < 60; i++) scene.net.transports.sendRaw("bob", "alice", `garbage ${i}`);
    await scene.settled("alice to drop bob", () => alice.participants.size === 0);
    const left = scene.events(alice, "participant-left");
    assert.equal(left.length, 1);
    assert.equal(left[0]?.leftReason, "protocol-violation");
    assert.equal(alice.state, "joined");
  });
});
