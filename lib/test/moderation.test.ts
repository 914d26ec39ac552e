// The host removes someone (a signed removal every member checks and relays), and the waiting room
// (newcomers wait for the host app's allow() or deny()), on the fake network.
import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import { createSigningKey, removalStatement } from "../crypto.js";
import type { Meeting } from "../meeting.js";
import { encodeLink, parseLink, parseSignal, type LinkMessage } from "../protocol.js";
import { WaitingRoom } from "../waiting-room.js";
import { Scene, meshComplete, seen } from "./scene.js";
import { codeOf, quietPeriod, rejection, within } from "./wait.js";

const leftReasons = (scene: Scene, meeting: Meeting): [string, string | null][] =>
  scene.events(meeting, "participant-left").map((p) => [p.id, p.leftReason]);

describe("participant.remove()", () => {
  test("the host removes bob: bob gets meeting-left 'removed', everyone else participant-left 'removed'; the rest stay linked", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob", "carol", "dave");
    const [alice, bob, carol, dave] = meetings;
    assert.ok(alice && bob && carol && dave);
    const target = alice.participants.get("bob");
    assert.ok(target);
    await within("alice's remove()", target.remove(), 3000);
    await scene.settled("bob to be out", () => bob.state === "left");
    assert.deepEqual(scene.events(bob, "meeting-left"), [{ reason: "removed" }]);
    for (const m of [alice, carol, dave]) {
      await scene.settled(`${m.localParticipant.id} to see bob go`, () => !m.participants.has("bob"));
      assert.deepEqual(leftReasons(scene, m), [["bob", "removed"]], m.localParticipant.id);
      assert.equal(m.state, "joined");
      assert.equal(m.hostId, "alice");
    }
    assert.equal(target.leftReason, "removed");
    assert.ok(meshComplete([alice, carol, dave]));
    await scene.settled("bob's registration to be released", () => !scene.net.broker.registeredIds().some((id) => id.includes("bob")));
  });

  test("a removed participant cannot come back into the meeting: its join() is denied (even by the next host)", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    await alice.participants.get("carol")!.remove();
    await scene.settled("carol out", () => carol.state === "left" && !bob.participants.has("carol"));
    const again = scene.meeting("carol", {}, "carol-2");
    assert.equal(codeOf(await rejection(again.join())), "entry-denied");
    assert.deepEqual(seen(alice), ["bob"]);
    // The host leaves; bob, its heir, remembers the removal too.
    await alice.leave();
    await scene.settled("bob to be host", () => bob.hostId === "bob");
    const third = scene.meeting("carol", {}, "carol-3");
    assert.equal(codeOf(await rejection(third.join())), "entry-denied");
    assert.deepEqual(seen(bob), []);
  });

  test("remove() by a non-host rejects with not-host and sends nothing; on ourselves invalid-argument; before join not-joined", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob", "carol");
    const [alice, bob, carol] = meetings;
    assert.ok(alice && bob && carol);
    const before = meetings.map((m) => scene.log(m).length);
    assert.equal(codeOf(await rejection(bob.participants.get("carol")!.remove())), "not-host");
    assert.equal(codeOf(await rejection(bob.participants.get("alice")!.remove())), "not-host");
    assert.equal(codeOf(await rejection(alice.localParticipant.remove())), "invalid-argument");
    await quietPeriod(200);
    assert.deepEqual(meetings.map((m) => scene.log(m).length), before, "no event anywhere");
    assert.ok(meshComplete(meetings));
    const idle = scene.meeting("dave");
    assert.equal(codeOf(await rejection(idle.localParticipant.remove())), "invalid-argument");
    // A participant object of someone who has left: unknown-participant.
    const gone = alice.participants.get("carol")!;
    await carol.leave();
    await scene.settled("carol gone", () => !alice.participants.has("carol"));
    assert.equal(codeOf(await rejection(gone.remove())), "unknown-participant");
  });

  test("forged, self-signed, replayed and stale removals are ignored by everyone and reported", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob", "carol");
    const [alice, bob, carol] = meetings;
    assert.ok(alice && bob && carol);
    const mallory = await createSigningKey();
    const now = Date.now();
    const key = "B".repeat(87);
    const forged = async (hostId: string, target: string, time: number, nonce: string): Promise<LinkMessage> => ({
      v: 1,
      t: "remove",
      nonce,
      hostId,
      target,
      targetKey: key,
      time,
      sig: await mallory.sign(removalStatement(scene.meetingId, hostId, target, key, nonce, time)),
    });
    const messages = [
      await forged("alice", "carol", now, "forgedasalice1"),
      await forged("bob", "carol", now, "bobashost00001"),
      await forged("alice", "alice", now, "removethehost1"),
      await forged("alice", "carol", now - 10 * 60_000, "staleremoval01"),
    ];
    for (const m of messages) assert.ok(scene.net.transports.sendRaw("bob", "carol", encodeLink(m)));
    for (const m of messages) assert.ok(scene.net.transports.sendRaw("bob", "alice", encodeLink(m)));
    await scene.settled("carol to report bob", () => scene.events(carol, "error").some((e) => e.code === "unauthorized-remove" && e.participantId === "bob"));
    await scene.settled("alice to report bob", () => scene.events(alice, "error").some((e) => e.code === "unauthorized-remove"));
    await quietPeriod(200);
    for (const m of meetings) {
      assert.equal(m.state, "joined");
      assert.deepEqual(scene.events(m, "participant-left"), []);
    }
    assert.ok(meshComplete(meetings));
    // Malformed removals do not even parse: dropped and counted, never thrown.
    for (const raw of [
      { v: 1, t: "remove", nonce: "short", hostId: "alice", target: "carol", targetKey: key, time: now, sig: "A".repeat(86) },
      { v: 1, t: "remove", nonce: "longenough1", hostId: "alice", target: "", targetKey: key, time: now, sig: "A".repeat(86) },
      { v: 1, t: "remove", nonce: "longenough1", hostId: "alice", target: "carol", targetKey: "x", time: now, sig: "A".repeat(86) },
      { v: 1, t: "remove", nonce: "longenough1", hostId: "alice", target: "carol", targetKey: key, time: -1, sig: "A".repeat(86) },
      { v: 1, t: "remove", nonce: "longenough1", hostId: "alice", target: "carol", targetKey: key, time: now, sig: null },
    ]) {
      assert.equal(parseLink(JSON.stringify(raw)), null, JSON.stringify(raw));
    }
  });

  test("a replay of the host's own removal from an earlier meeting under the same ids is refused (other keys)", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    // What a replay from an earlier meeting under the same ids carries: that meeting's keys (the host's
    // signature under its old key, carol's old key).
    const oldHost = await createSigningKey();
    const oldKey = (await createSigningKey()).publicKey;
    const nonce = "replayedremove1";
    const time = Date.now();
    const replay: LinkMessage = {
      v: 1, t: "remove", nonce, hostId: "alice", target: "carol", targetKey: oldKey, time,
      sig: await oldHost.sign(removalStatement(scene.meetingId, "alice", "carol", oldKey, nonce, time)),
    };
    assert.ok(scene.net.transports.sendRaw("bob", "carol", encodeLink(replay)));
    await scene.settled("carol to report it", () => scene.events(carol, "error").some((e) => e.code === "unauthorized-remove"));
    assert.equal(carol.state, "joined");
  });

  test("a removal reaches a participant whose link to the host is cut, through a relay", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    assert.ok(scene.net.transports.cut("alice", "carol") > 0);
    await alice.participants.get("carol")!.remove();
    await scene.settled("carol removed through bob", () => carol.state === "left");
    assert.deepEqual(scene.events(carol, "meeting-left"), [{ reason: "removed" }]);
    await scene.settled("bob to see carol removed", () => !bob.participants.has("carol"));
    assert.deepEqual(leftReasons(scene, bob), [["carol", "removed"]]);
  });
});

describe("waiting room", () => {
  test("the host is asked (entry-requested) and allows: the newcomer gets entry-responded 'allowed' and joins the full mesh", async (t) => {
    const scene = new Scene(t);
    const alice = scene.meeting("alice", { waitingRoom: true, name: "Alice" });
    await alice.join();
    const bob = scene.meeting("bob");
    const bobJoins = bob.join();
    (await scene.next(alice, "entry-requested", (r) => r.participantId === "bob")).allow();
    await within("bob's join", bobJoins, 5000);
    const carol = scene.meeting("carol", { name: "Carol" });
    const joining = carol.join();
    const request = await scene.next(alice, "entry-requested", (r) => r.participantId === "carol");
    assert.equal(request.name, "Carol");
    assert.equal(carol.state, "joining");
    request.allow();
    request.deny(); // the first decision counts
    await within("carol's join", joining, 5000);
    assert.deepEqual(scene.events(carol, "entry-responded"), [{ participantId: "carol", decision: "allowed" }]);
    assert.deepEqual(scene.events(alice, "entry-responded"), [
      { participantId: "bob", decision: "allowed" },
      { participantId: "carol", decision: "allowed" },
    ]);
    assert.equal(carol.hostId, "alice");
    await scene.settled("a full mesh", () => meshComplete([alice, bob, carol]));
    assert.equal(scene.events(alice, "entry-requested").length, 2, "bob and carol, once each");
  });

  test("deny: the newcomer's join() rejects with entry-denied after entry-responded 'denied', and it got no links", async (t) => {
    const scene = new Scene(t);
    const alice = scene.meeting("alice", { waitingRoom: true });
    await alice.join();
    const bob = scene.meeting("bob");
    const joining = rejection(bob.join());
    const request = await scene.next(alice, "entry-requested");
    request.deny();
    assert.equal(codeOf(await joining), "entry-denied");
    assert.deepEqual(scene.events(bob, "entry-responded"), [{ participantId: "bob", decision: "denied" }]);
    assert.equal(bob.state, "idle");
    assert.deepEqual(seen(alice), []);
    assert.equal(scene.net.transports.liveCount(), 0, "no link was ever opened");
  });

  test("with a meeting password, waiting replies and denials carry its proof, and both decisions still work", async (t) => {
    const scene = new Scene(t);
    const password = "correct horse";
    const alice = scene.meeting("alice", { waitingRoom: true, password });
    await alice.join();
    const bob = scene.meeting("bob", { password, joinTimeout: 1000 });
    const bobJoins = bob.join();
    (await scene.next(alice, "entry-requested")).allow();
    await within("bob's join", bobJoins, 5000);
    const carol = scene.meeting("carol", { password });
    const carolJoins = rejection(carol.join());
    (await scene.next(alice, "entry-requested", (r) => r.participantId === "carol")).deny();
    assert.equal(codeOf(await carolJoins), "entry-denied");
    assert.deepEqual(seen(alice), ["bob"]);
  });

  test("a newcomer waits past joinTimeout for the decision, knocking again, and never founds a meeting of its own", async (t) => {
    const scene = new Scene(t);
    const alice = scene.meeting("alice", { waitingRoom: true });
    await alice.join();
    const bob = scene.meeting("bob", { joinTimeout: 1000 });
    const joining = bob.join();
    const request = await scene.next(alice, "entry-requested");
    await quietPeriod(2500);
    assert.equal(bob.state, "joining");
    assert.equal(scene.events(alice, "entry-requested").length, 1, "asked once, however often it knocks");
    request.allow();
    await within("bob's join", joining, 5000);
    assert.equal(bob.hostId, "alice");
  });

  test("no decision within waitingRoomTimeout: join() rejects with entry-timeout", async (t) => {
    const scene = new Scene(t);
    const alice = scene.meeting("alice", { waitingRoom: true });
    await alice.join();
    const bob = scene.meeting("bob", { waitingRoomTimeout: 1500 });
    const error = await rejection(bob.join(), 8000);
    assert.equal(codeOf(error), "entry-timeout");
    assert.equal(bob.state, "idle");
    assert.deepEqual(seen(alice), []);
  });

  // Alice hosts with a waiting room and has let bob in (he has one too); carol knocks and waits.
  async function carolWaitsAtAlice(t: TestContext) {
    const scene = new Scene(t);
    const alice = scene.meeting("alice", { waitingRoom: true });
    await alice.join();
    const bob = scene.meeting("bob", { waitingRoom: true });
    const bobJoins = bob.join();
    (await scene.next(alice, "entry-requested")).allow();
    await bobJoins;
    const carol = scene.meeting("carol");
    const carolJoins = carol.join();
    await scene.next(alice, "entry-requested", (r) => r.participantId === "carol");
    return { scene, alice, bob, carol, carolJoins };
  }

  test("the host leaves while a newcomer waits: the next host is asked again, and its allow() lets the newcomer in", async (t) => {
    const { scene, alice, bob, carol, carolJoins } = await carolWaitsAtAlice(t);
    await alice.leave();
    const request = await scene.next(bob, "entry-requested", (r) => r.participantId === "carol", 8000);
    request.allow();
    await within("carol's join", carolJoins, 8000);
    assert.equal(carol.hostId, "bob");
    await scene.settled("bob and carol linked", () => meshComplete([bob, carol]));
  });

  test("the host crashes while a newcomer waits: the newcomer founds nothing, the heir is asked and lets it in", async (t) => {
    const { scene, alice, bob, carol, carolJoins } = await carolWaitsAtAlice(t);
    // Her registrations (the anchor too) are freed at once: a newcomer that was not waiting would claim it.
    scene.net.crash("alice");
    const request = await scene.next(bob, "entry-requested", (r) => r.participantId === "carol", 10_000);
    assert.equal(carol.state, "joining", "carol did not found a meeting of her own");
    request.allow();
    await within("carol's join", carolJoins, 8000);
    assert.equal(carol.hostId, "bob");
    await scene.settled("bob and carol linked", () => meshComplete([bob, carol]));
  });

  test("WaitingRoom: asked once per wait, the first decision counts, an allowed id is admitted at its next knock, quiet waiters are forgotten", () => {
    const room = new WaitingRoom(true);
    const knock = (id: string, at: number) => room.knock(id, { src: `b-${id}`, nonce: `n${at}`, key: "k", name: id, at });
    assert.deepEqual(knock("bob", 0), { admit: false, ask: true });
    assert.deepEqual(knock("bob", 2000), { admit: false, ask: false });
    assert.equal(room.allow("bob")?.nonce, "n2000", "the latest knock is answered");
    assert.equal(room.deny("bob"), null, "already decided");
    assert.deepEqual(knock("bob", 3000), { admit: true });
    room.arrived("bob");
    assert.deepEqual(knock("bob", 4000), { admit: false, ask: true }, "a later visit waits again");
    assert.deepEqual(knock("carol", 4000), { admit: false, ask: true });
    assert.deepEqual(knock("dave", 20_000), { admit: false, ask: true });
    assert.equal(room.allow("carol"), null, "carol stopped knocking long ago");
    assert.deepEqual(new WaitingRoom(false).knock("x", { src: "", nonce: "", key: "", name: "", at: 0 }), { admit: true });
  });

  test("waiting and denied replies are parsed strictly", () => {
    const roster = { epoch: 0, hostId: "alice", members: [{ id: "alice", seq: 0, key: "B".repeat(87) }], sig: "A".repeat(86) };
    assert.deepEqual(parseSignal({ mm: 1, t: "waiting", nonce: "abcdefgh12", mac: null }), { mm: 1, t: "waiting", nonce: "abcdefgh12", mac: null });
    assert.equal(parseSignal({ mm: 1, t: "waiting", nonce: "short" }), null);
    assert.equal(parseSignal({ mm: 1, t: "waiting", nonce: "abcdefgh12", mac: "nope" }), null);
    assert.ok(parseSignal({ mm: 1, t: "denied", nonce: "abcdefgh12", roster, sig: "A".repeat(86), mac: null }));
    assert.equal(parseSignal({ mm: 1, t: "denied", nonce: "abcdefgh12", roster: {}, sig: "A".repeat(86) }), null);
    assert.equal(parseSignal({ mm: 1, t: "denied", nonce: "abcdefgh12", roster, sig: 5 }), null);
  });
});
