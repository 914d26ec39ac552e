// meeting.pubSub on the fake network: topics, the publisher's own copy, sendOnly, history for late
// joiners from the host, and hostile records.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Meeting } from "../meeting.js";
import { MAX_APP_PAYLOAD, encodeLink } from "../protocol.js";
import type { PubSubMessage } from "../pubsub.js";
import { Scene } from "./scene.js";
import { codeOf, quietPeriod, rejection } from "./wait.js";

let scene: Scene;

// Subscribes, keeping what arrives; each arrival wakes the scene's waits (pubSub is no meeting event).
function collect(meeting: Meeting, topic: string): { got: PubSubMessage[]; history: Promise<PubSubMessage[]> } {
  const got: PubSubMessage[] = [];
  const history = meeting.pubSub.subscribe(topic, (m) => {
    got.push(m);
    scene.wake();
  });
  return { got, history };
}

describe("pubSub", () => {
  test("a message on a topic reaches every subscriber once, the publisher included, with who sent it; other topics and send() are apart", async (t) => {
    scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    const chats = [alice, bob, carol].map((m) => collect(m, "CHAT"));
    const other = collect(carol, "RAISE_HAND");
    await bob.pubSub.publish("CHAT", "hello", { persist: false }, { color: "blue" });
    await bob.pubSub.publish("CHAT", "again");
    await scene.settled("both messages everywhere", () => chats.every((c) => c.got.length === 2));
    for (const { got } of chats) {
      assert.deepEqual(got.map((m) => [m.topic, m.message, m.senderId, m.senderName, m.payload]), [
        ["CHAT", "hello", "bob", "bob", { color: "blue" }],
        ["CHAT", "again", "bob", "bob", null],
      ]);
      assert.ok(!Number.isNaN(Date.parse(got[0]!.timestamp)));
    }
    assert.equal(chats[0]!.got[0]!.id, chats[2]!.got[0]!.id, "one id per message, the same everywhere");
    assert.deepEqual(other.got, []);
    assert.deepEqual(scene.events(carol, "message"), [], "pubSub messages are not meeting.send() messages");
    assert.deepEqual(await chats[0]!.history, [], "nothing persisted");
  });

  test("persisted messages: a late joiner's subscribe() returns them, oldest first, from the host; sendOnly reaches only those named", async (t) => {
    scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    const aliceChat = collect(alice, "CHAT");
    await alice.pubSub.publish("CHAT", "first", { persist: true });
    await bob.pubSub.publish("CHAT", "second", { persist: true });
    await bob.pubSub.publish("CHAT", "not kept");
    await scene.settled("alice to have all three", () => aliceChat.got.length === 3);
    const kept = await alice.pubSub.subscribe("CHAT", () => undefined);
    assert.deepEqual(kept.map((m) => `${m.senderId}:${m.message}`), ["alice:first", "bob:second"]);
    const carol = scene.meeting("carol");
    await carol.join();
    // Subscribed right after join: what the host hands over after that comes through the handler.
    const carolChat = collect(carol, "CHAT");
    const early = (await carolChat.history).map((m) => m.id);
    await scene.settled("carol to have the history", () => early.length + carolChat.got.length === 2);
    const history = (await carol.pubSub.subscribe("CHAT", () => undefined)).map((m) => `${m.senderId}:${m.message}`);
    assert.deepEqual(history, ["alice:first", "bob:second"], "oldest first, each with its sender; 'not kept' is not there");
    // sendOnly: bob and the publisher, not carol.
    const bobChat = collect(bob, "CHAT");
    await alice.pubSub.publish("CHAT", "just bob", { sendOnly: ["bob"] });
    await scene.settled("bob to get it", () => bobChat.got.some((m) => m.message === "just bob"));
    await quietPeriod(300);
    assert.ok(!carolChat.got.some((m) => m.message === "just bob"));
    assert.ok(aliceChat.got.some((m) => m.message === "just bob"), "the publisher gets its own");
  });

  test("bad input: typed errors and nothing sent; a member's forged history and malformed records are dropped", async (t) => {
    scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    const idle = scene.meeting("dave");
    assert.equal(codeOf(await rejection(idle.pubSub.publish("CHAT", "x"))), "not-joined");
    assert.equal(codeOf(await rejection(alice.pubSub.publish("", "x"))), "invalid-argument");
    assert.equal(codeOf(await rejection(alice.pubSub.publish("T".repeat(129), "x"))), "invalid-argument");
    assert.equal(codeOf(await rejection(alice.pubSub.publish("CHAT", 42 as unknown as string))), "invalid-argument");
    assert.equal(codeOf(await rejection(alice.pubSub.publish("CHAT", "x".repeat(MAX_APP_PAYLOAD)))), "payload-too-large");
    assert.equal(codeOf(await rejection(alice.pubSub.publish("CHAT", "x", { sendOnly: ["nobody"] }))), "unknown-participant");
    const carolChat = collect(carol, "CHAT");
    // Bob (not host) relays a "kept" message in mallory's name, then sends records that are not records.
    const forged = { id: "forged1", message: "I am mallory", payload: null, ts: Date.now(), persist: true, kept: { senderId: "mallory", senderName: "Mallory" } };
    const bad = [null, "text", { id: "x y", message: "m", payload: null, ts: 1, persist: false, kept: null }, { id: "ok1", message: 7, payload: null, ts: 1, persist: false, kept: null }];
    let n = 1000;
    for (const payload of [forged, ...bad]) {
      assert.ok(scene.net.transports.sendRaw("bob", "carol", encodeLink({ v: 1, t: "app", n: n++, direct: false, payload, topic: "CHAT" })));
    }
    assert.ok(scene.net.transports.sendRaw("bob", "carol", encodeLink({ v: 1, t: "app", n: n++, direct: false, payload: { id: "real1", message: "real", payload: null, ts: 5, persist: false, kept: null }, topic: "CHAT" })));
    await scene.settled("bob's one good record at carol", () => carolChat.got.length === 1);
    assert.deepEqual(carolChat.got.map((m) => [m.id, m.senderId, m.message]), [["real1", "bob", "real"]]);
    assert.deepEqual(await carol.pubSub.subscribe("CHAT", () => undefined), [], "nothing forged was kept");
    assert.equal(carol.state, "joined");
  });
});

