import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { JsonValue, Meeting } from "../meeting.js";
import { MAX_APP_PAYLOAD } from "../protocol.js";
import { subject } from "./load-subject.js";
import { FAST, Scene, meshComplete, seen } from "./scene.js";
import { codeOf, quietPeriod, rejection, thrown, within } from "./wait.js";

// Detection of a silent participant: heartbeat timeout, plus one ticker period, plus scheduling slack.
// Silence is noticed at the heartbeat timeout; a member that is not gone at the broker (frozen, cut off)
// stays reconnecting for the reconnect timeout before it counts as lost.
const LOSS_DEADLINE = FAST.heartbeatTimeout + 700;
const SILENT_LOSS_DEADLINE = LOSS_DEADLINE + FAST.reconnectTimeout;

const ids = (meetings: readonly Meeting[]): string[] => meetings.map((m) => m.localParticipant.id);

describe("joining", () => {
  test("the first participant to join becomes host and sees nobody else", async (t) => {
    const scene = new Scene(t);
    const alice = scene.meeting("alice", { name: "Alice" });
    assert.equal(alice.state, "idle");
    assert.equal(alice.hostId, null);
    await alice.join();
    assert.equal(alice.state, "joined");
    assert.equal(alice.hostId, "alice");
    assert.equal(alice.isHost, true);
    assert.equal(alice.participants.size, 0);
    assert.deepEqual(scene.events(alice, "meeting-joined"), [{ meetingId: scene.meetingId, hostId: "alice" }]);
    assert.deepEqual(
      scene.events(alice, "meeting-state-changed").map((e) => [e.meetingState, e.state]),
      [["joining", "CONNECTING"], ["joined", "CONNECTED"]],
    );
    assert.equal(alice.localParticipant.displayName, "Alice");
    assert.equal(alice.localParticipant.local, true);
  });

  test("four participants joining one after another all see the other three and agree on the host", async (t) => {
    const scene = new Scene(t);
    const meetings: Meeting[] = [];
    for (const id of ["alice", "bob", "carol", "dave"]) {
      const meeting = scene.meeting(id, { name: id.toUpperCase() });
      await meeting.join();
      // meeting-joined promises that everyone already there is listed.
      assert.deepEqual(seen(meeting), ids(meetings).sort(), `${id} at join`);
      assert.deepEqual(scene.events(meeting, "meeting-joined"), [{ meetingId: scene.meetingId, hostId: "alice" }]);
      meetings.push(meeting);
    }
    await scene.settled("everyone to see everyone", () => meshComplete(meetings));
    for (const meeting of meetings) {
      assert.equal(meeting.hostId, "alice");
      assert.equal(meeting.participants.size, 3);
      for (const [id, participant] of meeting.participants) {
        assert.equal(participant.id, id);
        assert.equal(participant.displayName, id.toUpperCase());
        assert.equal(participant.local, false);
        assert.equal(participant.leftReason, null);
      }
    }
    // participant-joined for everyone else, once: those already there right after meeting-joined (as
    // VideoSDK apps expect), those who came later when they came.
    const joinedSeen = meetings.map((m) => scene.events(m, "participant-joined").map((p) => p.id).sort());
    assert.deepEqual(joinedSeen, [["bob", "carol", "dave"], ["alice", "carol", "dave"], ["alice", "bob", "dave"], ["alice", "bob", "carol"]]);
    for (const [i, m] of meetings.entries()) {
      const order = scene.log(m).map((e) => e.type).filter((type) => type === "meeting-joined" || type === "participant-joined");
      assert.deepEqual(order.slice(0, i + 1), ["meeting-joined", ...Array<string>(i).fill("participant-joined")], "the ones already there come right after meeting-joined");
    }
    assert.equal(meetings.filter((m) => m.isHost).length, 1);
  });

  test("four participants joining at the same moment form one meeting with one host", async (t) => {
    const scene = new Scene(t);
    const meetings = ["alice", "bob", "carol", "dave"].map((id) => scene.meeting(id));
    await within("all four joins", Promise.all(meetings.map((m) => m.join())), 6000);
    await scene.settled("everyone to see everyone", () => meshComplete(meetings));
    assert.equal(meetings.filter((m) => m.isHost).length, 1);
    for (const meeting of meetings) {
      // Nobody saw anybody leave on the way.
      assert.deepEqual(scene.events(meeting, "participant-left"), []);
    }
  });

  test("join() twice is refused with already-joined, while joining, once joined and once left", async (t) => {
    const scene = new Scene(t);
    const alice = scene.meeting("alice");
    const joining = alice.join();
    assert.equal(alice.state, "joining");
    assert.equal(codeOf(await rejection(alice.join())), "already-joined");
    await joining;
    assert.equal(alice.state, "joined");
    assert.equal(codeOf(await rejection(alice.join())), "already-joined");
    assert.equal(alice.state, "joined");
    await alice.leave();
    assert.equal(codeOf(await rejection(alice.join())), "already-joined");
    assert.equal(scene.events(alice, "meeting-joined").length, 1);
  });

  test("a second tab with the same participantId gets duplicate-participant and disturbs nobody", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    const before = [scene.log(alice).length, scene.log(bob).length];
    const bobAgain = scene.meeting("bob", {}, "bob-second-tab");
    const error = await rejection(bobAgain.join());
    assert.equal(codeOf(error), "duplicate-participant");
    assert.ok(subject.isMeshError(error));
    assert.equal(bobAgain.state, "idle");
    assert.equal(bobAgain.participants.size, 0);
    await quietPeriod(150);
    assert.deepEqual([scene.log(alice).length, scene.log(bob).length], before, "the others saw no event");
    assert.ok(meshComplete([alice, bob]));
    assert.ok(scene.net.broker.isRegistered(scene.selfBrokerId("bob")), "the first bob is still registered");
  });

  test("invalid ids and options throw at construction, before anything is sent", (t) => {
    const scene = new Scene(t);
    const env = scene.net.env("nobody");
    const make = (config: unknown) => () => new subject.Meeting(config as ConstructorParameters<typeof subject.Meeting>[0], env);
    const cases: [unknown, string][] = [
      [{ meetingId: "" }, "invalid-id"],
      [{ meetingId: "my room!" }, "invalid-id"],
      [{ meetingId: "a--b" }, "invalid-id"],
      [{ meetingId: "x".repeat(65) }, "invalid-id"],
      [{ meetingId: "réunion" }, "invalid-id"],
      [{ meetingId: 42 }, "invalid-id"],
      [{}, "invalid-id"],
      [{ meetingId: "room", participantId: "" }, "invalid-id"],
      [{ meetingId: "room", participantId: "-bob" }, "invalid-id"],
      [{ meetingId: "room", participantId: "bob_" }, "invalid-id"],
      [{ meetingId: "room", participantId: "b\u00f6b" }, "invalid-id"],
      [{ meetingId: "room", participantId: 7 }, "invalid-id"],
      [null, "invalid-argument"],
      ["room", "invalid-argument"],
      [{ meetingId: "room", name: "n".repeat(257) }, "invalid-argument"],
      [{ meetingId: "room", name: 5 }, "invalid-argument"],
      [{ meetingId: "room", heartbeatInterval: 0 }, "invalid-argument"],
      [{ meetingId: "room", heartbeatInterval: Number.NaN }, "invalid-argument"],
      [{ meetingId: "room", heartbeatInterval: 500, heartbeatTimeout: 500 }, "invalid-argument"],
      [{ meetingId: "room", joinTimeout: -1 }, "invalid-argument"],
      [{ meetingId: "room", iceServers: "stun:example.org" }, "invalid-argument"],
      [{ meetingId: "room", adaptiveVideo: "yes" }, "invalid-argument"],
      [{ meetingId: "room", uplinkBudget: 1000 }, "invalid-argument"],
      [{ meetingId: "room", uplinkBudget: Number.POSITIVE_INFINITY }, "invalid-argument"],
    ];
    for (const [config, code] of cases) {
      assert.equal(codeOf(thrown(make(config))), code, JSON.stringify(config));
    }
    assert.deepEqual(scene.net.broker.registeredIds(), []);
    assert.equal(scene.net.transports.liveCount(), 0);
  });

  test("an unreachable broker fails join() with broker-unreachable and leaves the meeting idle to retry", async (t) => {
    const scene = new Scene(t);
    scene.net.broker.setReachable(false);
    const alice = scene.meeting("alice");
    const error = await rejection(alice.join());
    assert.equal(codeOf(error), "broker-unreachable");
    assert.equal(alice.state, "idle");
    assert.equal(alice.hostId, null);
    assert.deepEqual(
      scene.events(alice, "meeting-state-changed").map((e) => [e.meetingState, e.state]),
      [["joining", "CONNECTING"], ["idle", "FAILED"]],
    );
    assert.deepEqual(scene.events(alice, "meeting-left"), [], "a failed join is not a meeting-left");
    scene.net.broker.setReachable(true);
    await alice.join();
    assert.equal(alice.state, "joined");
    assert.equal(alice.hostId, "alice");
  });

  test("rejoining at once under the same id works while the broker still holds the old registration", async (t) => {
    // The broker learns of a closed socket a little late: for 300 ms the old id stays taken.
    const scene = new Scene(t, { releaseDelayMs: 300 });
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    await bob.leave();
    assert.ok(scene.net.broker.isRegistered(scene.selfBrokerId("bob")), "the old registration lingers");
    const bobAgain = scene.meeting("bob", {}, "bob-again");
    await within("the rejoin", bobAgain.join(), 4000);
    await scene.settled("bob to be back everywhere", () => meshComplete([alice, bobAgain, carol]));
  });

  test("a host that leaves hands the anchor on at once, even while the broker still holds its registration", async (t) => {
    // The broker learns of the old host's closed socket 1.5 s late: a successor that waited (knocked) for it
    // would leave a newcomer time to claim the anchor first.
    const scene = new Scene(t, { releaseDelayMs: 1500 });
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    await alice.leave();
    assert.ok(scene.net.broker.isRegistered(scene.anchorId), "the old registration lingers");
    await scene.settled("bob to hold the anchor", () => scene.net.broker.ownerOf(scene.anchorId) === "bob", 500);
    const dave = scene.meeting("dave");
    await within("dave's join", dave.join(), 3000);
    assert.equal(dave.hostId, "bob");
    await scene.settled("dave to be in", () => meshComplete([bob, carol, dave]));
  });

  test(
    "a newcomer whose roster names someone who just left is not held up by it",
    async (t) => {
      const scene = new Scene(t);
      const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
      assert.ok(alice && bob && carol);
      const dave = scene.meeting("dave", { joinTimeout: 8000 });
      // Carol leaves the moment dave sends her his first offer: his welcome still listed her.
      scene.onFirstSignal("dave", "carol", () => carol.leave());
      const started = performance.now();
      await within("dave's join", dave.join(), 6000);
      const elapsed = performance.now() - started;
      assert.deepEqual(seen(dave), ["alice", "bob"]);
      // Not the whole join timeout: once the host's link is up the rest get a 3 s grace.
      assert.ok(elapsed < 4500, `dave's join took ${elapsed.toFixed(0)} ms`);
    },
  );

  test("a host that never answers fails join() with host-unreachable after joinTimeout", async (t) => {
    const scene = new Scene(t);
    // A frozen tab still holds the anchor at the broker but answers nothing.
    await scene.net.broker.opener("frozen-tab")(scene.anchorId, 1000);
    scene.net.broker.crash("frozen-tab", "frozen");
    const bob = scene.meeting("bob", { joinTimeout: 800 });
    const started = performance.now();
    const error = await rejection(bob.join(), 3000);
    const elapsed = performance.now() - started;
    assert.equal(codeOf(error), "host-unreachable");
    assert.ok(elapsed >= 750 && elapsed < 2000, `gave up after ${elapsed.toFixed(0)} ms`);
    assert.equal(bob.state, "idle");
    assert.equal(scene.net.broker.isRegistered(scene.selfBrokerId("bob")), false, "bob released his broker id");
  });

  test("a newcomer the host answers but who can link to nobody (a network that needs TURN) gets links-failed, not a meeting of its own", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    scene.net.transports.isolate("carol");
    const carol = scene.meeting("carol", { joinTimeout: 2000 });
    const error = await rejection(carol.join(), 4000);
    assert.equal(codeOf(error), "links-failed");
    assert.match((error as Error).message, /TURN/);
    assert.equal(carol.state, "idle");
    assert.equal(scene.net.broker.isRegistered(scene.selfBrokerId("carol")), false, "carol released her broker id");
    assert.equal(scene.net.broker.ownerOf(scene.anchorId), "alice");
    for (const m of [alice, bob]) assert.ok(!scene.events(m, "participant-joined").some((p) => p.id === "carol"), "nobody saw carol join");
  });

  test("a participant can leave and join again under the same id (a remounted view)", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    await bob.leave();
    const bobAgain = scene.meeting("bob");
    await bobAgain.join();
    await scene.settled("bob to be back everywhere", () => meshComplete([alice, bobAgain, carol]));
    for (const other of [alice, carol]) {
      assert.deepEqual(scene.events(other, "participant-left").map((p) => [p.id, p.leftReason]), [["bob", "left"]]);
      assert.deepEqual(scene.events(other, "participant-joined").filter((p) => p.id === "bob").length, 2, "once when each met bob, once when he came back");
    }
  });
});

describe("leave()", () => {
  test("the leaver gets meeting-left 'left', each other participant one participant-left, and the rest go on", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob", "carol", "dave");
    const [alice, bob, carol, dave] = meetings;
    assert.ok(alice && bob && carol && dave);
    await within("carol's leave()", carol.leave(), 2000);
    assert.equal(carol.state, "left");
    assert.deepEqual(scene.events(carol, "meeting-left"), [{ reason: "left" }]);
    assert.deepEqual(scene.events(carol, "participant-left"), [], "the leaver is not told that others left");
    const rest = [alice, bob, dave];
    await scene.settled("carol to be gone everywhere", () => rest.every((m) => !m.participants.has("carol")));
    for (const meeting of rest) {
      const left = scene.events(meeting, "participant-left");
      assert.deepEqual(left.map((p) => [p.id, p.leftReason]), [["carol", "left"]], meeting.localParticipant.id);
      assert.deepEqual(scene.events(meeting, "meeting-left"), []);
      assert.deepEqual(scene.events(meeting, "host-changed"), [], "the host did not leave");
      assert.equal(meeting.state, "joined");
      assert.equal(meeting.hostId, "alice");
    }
    assert.ok(meshComplete(rest));
    // Messages still flow among the rest, and not to the one who left.
    alice.send({ text: "still here?" });
    dave.send({ text: "yes" });
    await scene.settled("both messages to arrive", () =>
      scene.events(bob, "message").length === 2 && scene.events(alice, "message").length === 1 && scene.events(dave, "message").length === 1,
    );
    assert.deepEqual(scene.events(carol, "message"), []);
    assert.equal(codeOf(thrown(() => alice.send("psst", { to: "carol" }))), "unknown-participant", "carol is not there any more");
    // Carol released her broker id; the others kept theirs.
    assert.equal(scene.net.broker.isRegistered(scene.selfBrokerId("carol")), false);
    for (const id of ["alice", "bob", "dave"]) assert.ok(scene.net.broker.isRegistered(scene.selfBrokerId(id)), id);
    assert.equal(scene.net.transports.liveCount("carol"), 0, "carol closed all her links");
  });

  test("a second leave() resolves and emits nothing new; so do two leave() calls at once", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    const first = bob.leave();
    const second = bob.leave();
    await within("both leave() calls", Promise.all([first, second]), 2000);
    const count = scene.log(bob).length;
    await within("a third leave()", bob.leave(), 1000);
    await quietPeriod(100);
    assert.equal(scene.log(bob).length, count);
    assert.deepEqual(scene.events(bob, "meeting-left"), [{ reason: "left" }]);
    await scene.settled("alice to see bob leave", () => alice.participants.size === 0);
    assert.equal(scene.events(alice, "participant-left").length, 1);
  });

  test("leave() and end() before join() was called reject with not-joined and send nothing", async (t) => {
    const scene = new Scene(t);
    const alice = scene.meeting("alice");
    assert.equal(codeOf(await rejection(alice.leave())), "not-joined");
    assert.equal(codeOf(await rejection(alice.end())), "not-joined");
    assert.equal(codeOf(thrown(() => alice.send("hi"))), "not-joined");
    assert.equal(alice.state, "idle");
    assert.deepEqual(scene.log(alice), []);
    assert.deepEqual(scene.net.broker.registeredIds(), [], "nothing reached the broker");

    await alice.join();
    const bob = scene.meeting("bob");
    const joining = bob.join();
    assert.equal(bob.state, "joining");
    assert.equal(codeOf(await rejection(bob.end())), "not-joined", "end() needs a joined meeting");
    await within("bob's join", joining, 3000);
    assert.equal(bob.state, "joined");
    await scene.settled("alice and bob to meet", () => meshComplete([alice, bob]));
    assert.deepEqual(scene.events(bob, "meeting-left"), []);
  });

  // A React view that unmounts while join() runs calls leave(): the join must stop, not race it.
  for (const when of ["at once", "once bob offers alice a link"] as const) {
    test(`leave() during join() cancels the join (${when}): join-cancelled, meeting-left, nothing left behind`, async (t) => {
      const scene = new Scene(t);
      const [alice] = await scene.joinInOrder("alice");
      assert.ok(alice);
      const bob = scene.meeting("bob");
      const leaving = when === "at once" ? null : scene.onFirstSignal("bob", "alice", () => bob.leave());
      const joining = bob.join();
      const left = leaving === null ? bob.leave() : null;
      const error = await rejection(joining, 3000);
      assert.equal(codeOf(error), "join-cancelled");
      await within("bob's leave()", left ?? leaving?.() ?? Promise.reject(new Error("bob never offered")), 3000);
      assert.equal(bob.state, "left");
      assert.deepEqual(scene.events(bob, "meeting-left"), [{ reason: "left" }]);
      assert.deepEqual(scene.events(bob, "meeting-joined"), []);
      assert.deepEqual(
        scene.events(bob, "meeting-state-changed").map((e) => [e.meetingState, e.state]),
        [["joining", "CONNECTING"], ["leaving", "CLOSING"], ["left", "CLOSED"]],
      );
      await scene.settled("bob's registration and links to be gone", () =>
        !scene.net.broker.registeredIds().includes(scene.selfBrokerId("bob")) && seen(alice).length === 0,
      );
      assert.equal(alice.state, "joined");
      assert.equal(codeOf(await rejection(bob.join())), "already-joined", "a left meeting stays left");
    });
  }
});

describe("end()", () => {
  test("the host's end() gives everyone meeting-left 'ended'", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob", "carol", "dave");
    const [alice] = meetings;
    assert.ok(alice);
    await within("alice's end()", alice.end(), 3000);
    await scene.settled("everyone to be out", () => meetings.every((m) => m.state === "left"));
    for (const meeting of meetings) {
      assert.deepEqual(scene.events(meeting, "meeting-left"), [{ reason: "ended" }], meeting.localParticipant.id);
      assert.deepEqual(scene.events(meeting, "participant-left"), [], "an end is not a series of leaves");
    }
    await scene.settled("every registration to be released", () => scene.net.broker.registeredIds().length === 0);
    assert.equal(scene.net.transports.liveCount(), 0);
    // The meeting id is free again: a new meeting under it starts from scratch.
    const erin = scene.meeting("erin");
    await erin.join();
    assert.equal(erin.hostId, "erin");
    assert.equal(erin.participants.size, 0);
  });

  test("a non-host's end() rejects with not-host and affects nobody", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob", "carol");
    const [alice, bob, carol] = meetings;
    assert.ok(alice && bob && carol);
    const before = meetings.map((m) => scene.log(m).length);
    const error = await rejection(bob.end());
    assert.equal(codeOf(error), "not-host");
    assert.ok(subject.isMeshError(error));
    assert.equal(bob.state, "joined");
    await quietPeriod(200);
    assert.deepEqual(meetings.map((m) => scene.log(m).length), before, "no event anywhere");
    assert.ok(meshComplete(meetings));
    bob.send("after the refused end");
    await scene.settled("bob's message to arrive", () => [alice, carol].every((m) => scene.events(m, "message").length === 1));
  });

  test("the last participant left may end() the meeting", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    await alice.leave();
    await scene.settled("bob to be alone", () => bob.participants.size === 0);
    await within("bob's end()", bob.end(), 2000);
    assert.deepEqual(scene.events(bob, "meeting-left"), [{ reason: "ended" }]);
    assert.equal(bob.state, "left");
    assert.equal(codeOf(await rejection(bob.end())), "not-joined", "end() again once over");
  });
});

describe("host changes", () => {
  test("when the host leaves, everyone agrees on the earliest joiner, and a newcomer finds them all", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob", "carol", "dave");
    const [alice, bob, carol, dave] = meetings;
    assert.ok(alice && bob && carol && dave);
    await alice.leave();
    const rest = [bob, carol, dave];
    await scene.settled("bob to be host everywhere", () => rest.every((m) => m.hostId === "bob" && !m.participants.has("alice")));
    for (const meeting of rest) {
      assert.deepEqual(scene.events(meeting, "host-changed"), [{ hostId: "bob" }], meeting.localParticipant.id);
      assert.deepEqual(scene.events(meeting, "participant-left").map((p) => [p.id, p.leftReason]), [["alice", "left"]]);
    }
    assert.equal(bob.isHost, true);
    const erin = scene.meeting("erin");
    await within("erin's join", erin.join(), 4000);
    assert.equal(erin.hostId, "bob");
    const all = [bob, carol, dave, erin];
    await scene.settled("erin to be in everyone's meeting", () => meshComplete(all));
    assert.deepEqual(seen(erin), ["bob", "carol", "dave"]);
  });

  test("the successor is the earliest joiner still present, not the next in name order", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("zed", "yan", "xia", "wim");
    const [zed, yan, xia, wim] = meetings;
    assert.ok(zed && yan && xia && wim);
    await yan.leave();
    await zed.leave();
    await scene.settled("xia to be host everywhere", () => [xia, wim].every((m) => m.hostId === "xia" && m.participants.size === 1));
    assert.deepEqual(scene.events(wim, "host-changed"), [{ hostId: "xia" }]);
    assert.deepEqual(scene.events(xia, "host-changed"), [{ hostId: "xia" }]);
    assert.equal(xia.isHost, true);
  });

  test("when the host crashes, the others report it lost and agree on a new host that admits newcomers", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol, dave] = await scene.fullMesh("alice", "bob", "carol", "dave");
    assert.ok(alice && bob && carol && dave);
    const rest = [bob, carol, dave];
    scene.net.crash("alice");
    await scene.settled(
      "bob to be host everywhere",
      () => rest.every((m) => m.hostId === "bob" && !m.participants.has("alice")),
      LOSS_DEADLINE + 1000,
    );
    for (const meeting of rest) {
      assert.deepEqual(scene.events(meeting, "participant-left").map((p) => [p.id, p.leftReason]), [["alice", "connection-lost"]]);
      assert.deepEqual(scene.events(meeting, "host-changed"), [{ hostId: "bob" }]);
    }
    const erin = scene.meeting("erin");
    await within("erin's join", erin.join(), 4000);
    await scene.settled("erin to be in everyone's meeting", () => meshComplete([...rest, erin]));
  });

  test(
    "a newcomer admitted just before the host leaves learns who the new host is",
    async (t) => {
      const scene = new Scene(t);
      const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
      assert.ok(alice && bob && carol);
      const dave = scene.meeting("dave", { joinTimeout: 1500 });
      // Alice leaves the moment dave, welcomed by her, sends his first offer to her.
      const leaving = scene.onFirstSignal("dave", "alice", () => alice.leave());
      await within("dave's join", dave.join(), 3000);
      const left = leaving();
      assert.ok(left !== null, "alice never saw dave's offer");
      await within("alice's leave", left, 2000);
      await scene.settled("bob, carol and dave to agree on bob", () => meshComplete([bob, carol, dave]), 2000);
      // What the wrong hostId costs: the real host's end() would not end the meeting for dave.
      await bob.end();
      await scene.settled("dave to be out", () => dave.state === "left", 3000);
    },
  );

  test(
    "a newcomer arriving while the host hands over joins the same meeting",
    async (t) => {
      const scene = new Scene(t);
      const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
      assert.ok(alice && bob && carol);
      const dave = scene.meeting("dave");
      // Dave opens the meeting page just as alice leaves: the anchor must never be free in between.
      const left = alice.leave();
      const daveJoined = dave.join();
      await within("alice's leave", left, 3000);
      await within("dave's join", daveJoined, 4000);
      await scene.settled("bob, carol and dave to be one meeting", () => meshComplete([bob, carol, dave]), 3000);
    },
  );
});

describe("a newcomer at the door while the host crashes", () => {
  test("it founds a meeting at the free anchor, the successor invites it in: one meeting, the successor host", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    scene.net.crash("alice"); // her registrations are freed at once; the others notice at the heartbeat timeout
    const dave = scene.meeting("dave");
    await within("dave's join", dave.join(), 4000);
    assert.equal(dave.hostId, "dave", "dave found the anchor free and founded a meeting of his own");
    await scene.settled("bob, carol and dave to be one meeting", () => meshComplete([bob, carol, dave]), LOSS_DEADLINE + 4000);
    assert.equal(dave.hostId, "bob");
    assert.deepEqual(scene.events(dave, "host-changed"), [{ hostId: "bob" }]);
    await scene.settled("bob to hold the anchor", () => scene.net.broker.ownerOf(scene.anchorId) === "bob");
    const erin = scene.meeting("erin");
    await within("erin's join", erin.join(), 4000);
    await scene.settled("erin in", () => meshComplete([bob, carol, dave, erin]));
  });
  test("a second newcomer arrives the moment the successor invites the first: still one meeting, the successor host (3 runs)", async (t) => {
    for (let run = 0; run < 3; run++) {
      const scene = new Scene(t);
      const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
      assert.ok(alice && bob && carol);
      scene.net.crash("alice");
      const dave = scene.meeting("dave");
      await within("dave's join", dave.join(), 4000);
      // Erin comes while bob takes the anchor over from dave: any moment the anchor is free, she may
      // found a meeting of her own there too, and must end up in the real one all the same.
      const erin = scene.meeting("erin");
      let erinJoin: Promise<void> | null = null;
      scene.net.broker.taps.add((src, dst, message) => {
        if (erinJoin === null && src === scene.selfBrokerId("bob") && dst === scene.selfBrokerId("dave") && message.t === "welcome") erinJoin = erin.join();
      });
      await scene.settled("bob to invite dave", () => erinJoin !== null, LOSS_DEADLINE + 4000);
      await within("erin's join", erinJoin!, 4000);
      await scene.settled("bob, carol, dave and erin to be one meeting", () => meshComplete([bob, carol, dave, erin]), 10_000);
      for (const m of [bob, carol, dave, erin]) assert.equal(m.hostId, "bob");
      await scene.settled("bob to hold the anchor", () => scene.net.broker.ownerOf(scene.anchorId) === "bob");
      await scene.close();
    }
  });
});


describe("frozen hosts and the anchor token", () => {
  test("when the host freezes, the successor takes the anchor over and newcomers get in", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol, dave] = await scene.fullMesh("alice", "bob", "carol", "dave");
    assert.ok(alice && bob && carol && dave);
    const rest = [bob, carol, dave];
    // A frozen tab keeps its broker registrations (its socket stays up) but answers nothing.
    scene.net.crash("alice", "frozen");
    await scene.settled(
      "bob to be host everywhere",
      () => rest.every((m) => m.hostId === "bob" && !m.participants.has("alice")),
      SILENT_LOSS_DEADLINE + 1000,
    );
    for (const meeting of rest) {
      assert.deepEqual(scene.events(meeting, "participant-left").map((p) => [p.id, p.leftReason]), [["alice", "connection-lost"]]);
    }
    const erin = scene.meeting("erin", { joinTimeout: 8000 });
    await within("erin's join", erin.join(), 9000);
    await scene.settled("erin to be in everyone's meeting", () => meshComplete([...rest, erin]));
    assert.equal(erin.hostId, "bob");
    // Bob re-registers the anchor under a fresh token after taking it from frozen alice; erin, knocking
    // all along, may take it in that moment, found a meeting of her own and be invited in: then bob
    // claims it a moment after she gave it up.
    await scene.settled("bob to hold the anchor", () => scene.net.broker.ownerOf(scene.anchorId) === "bob");
    assert.equal(scene.net.broker.takeovers, 1);
  });

  test("a successor that freezes in turn is taken over with the token it announced", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol, dave] = await scene.fullMesh("alice", "bob", "carol", "dave");
    assert.ok(alice && bob && carol && dave);
    await alice.leave();
    await scene.settled("bob to be host", () => [bob, carol, dave].every((m) => m.hostId === "bob" && m.participants.size === 2));
    // Bob registered the anchor under a token of his own; he must have told carol and dave.
    const erin = scene.meeting("erin");
    await erin.join(); // proves bob holds the anchor and admits newcomers
    const rest = [carol, dave, erin];
    await scene.settled("erin to be in", () => meshComplete([bob, ...rest]));
    scene.net.crash("bob", "frozen");
    await scene.settled("carol to be host everywhere", () => rest.every((m) => m.hostId === "carol" && !m.participants.has("bob")), SILENT_LOSS_DEADLINE + 1000);
    const fred = scene.meeting("fred", { joinTimeout: 8000 });
    await within("fred's join", fred.join(), 9000);
    await scene.settled("fred to be in everyone's meeting", () => meshComplete([...rest, fred]));
    assert.equal(scene.net.broker.ownerOf(scene.anchorId), "carol");
    // Two takeovers with the token: bob's when alice handed over (she keeps the anchor until then),
    // and carol's of frozen bob.
    assert.equal(scene.net.broker.takeovers, 2);
  });

  test("a frozen host that wakes up after being replaced leaves with connection-lost, disturbing nobody", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    scene.net.crash("alice", "frozen");
    await scene.settled("bob to be host", () => [bob, carol].every((m) => m.hostId === "bob" && m.participants.size === 1), SILENT_LOSS_DEADLINE + 1000);
    await scene.settled("bob to take the anchor over", () => scene.net.broker.ownerOf(scene.anchorId) === "bob", 3000);
    const before = [scene.log(bob).length, scene.log(carol).length];
    scene.net.broker.thaw("alice"); // her links stay dead: the others closed theirs long ago
    const left = await scene.next(alice, "meeting-left", () => true, 4000);
    assert.deepEqual(left, { reason: "connection-lost" });
    assert.equal(scene.net.broker.ownerOf(scene.anchorId), "bob");
    assert.deepEqual([scene.log(bob).length, scene.log(carol).length], before, "bob and carol saw nothing of it");
    const dave = scene.meeting("dave");
    await dave.join();
    await scene.settled("dave to get in", () => meshComplete([bob, carol, dave]));
  });

  test("a newcomer never takes over a live host's anchor", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    const carol = scene.meeting("carol");
    await carol.join();
    await scene.settled("carol to be in", () => meshComplete([alice, bob, carol]));
    assert.equal(scene.net.broker.ownerOf(scene.anchorId), "alice");
    assert.equal(scene.net.broker.takeovers, 0);
  });
});

describe("lost participants", () => {
  test("a participant that goes silent is reported lost by everyone else within the heartbeat timeout", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol, dave] = await scene.fullMesh("alice", "bob", "carol", "dave");
    assert.ok(alice && bob && carol && dave);
    const rest = [alice, bob, dave];
    const cutAt = performance.now();
    scene.net.crash("carol");
    const losses = await Promise.all(
      rest.map((m) => scene.next(m, "participant-left", (p) => p.id === "carol", LOSS_DEADLINE)),
    );
    const elapsed = performance.now() - cutAt;
    // Not before the timeout could have run out (the last ping may have arrived a little before the cut).
    assert.ok(elapsed >= FAST.heartbeatTimeout / 2, `reported too early (${elapsed.toFixed(0)} ms)`);
    for (const participant of losses) assert.equal(participant.leftReason, "connection-lost");
    await quietPeriod(FAST.heartbeatTimeout);
    for (const meeting of rest) {
      assert.equal(scene.events(meeting, "participant-left").length, 1, "reported exactly once");
      assert.equal(meeting.hostId, "alice");
      assert.equal(meeting.state, "joined");
    }
    assert.ok(meshComplete(rest));
    bob.send("carol?");
    await scene.settled("the rest still talk", () => [alice, dave].every((m) => scene.events(m, "message").length === 1));
  });

  test("a participant cut off from everyone (its broker works) is reconnecting, not gone: back on new links when the path returns, and what was sent meanwhile arrives once, in order", async (t) => {
    const scene = new Scene(t);
    const meetings: Meeting[] = [];
    for (const id of ["alice", "bob", "carol", "dave"]) {
      const meeting = scene.meeting(id, { reconnectTimeout: 20_000 });
      await within(`${id} to join`, meeting.join(), 5000);
      meetings.push(meeting);
    }
    await scene.settled("everyone to see everyone", () => meshComplete(meetings));
    const [alice, bob, carol, dave] = meetings;
    assert.ok(alice && bob && carol && dave);
    const rest = [alice, bob, carol];
    scene.net.transports.isolate("dave");
    await scene.settled("everyone to see dave reconnecting", () => rest.every((m) => scene.events(m, "participant-reconnecting").length === 1), LOSS_DEADLINE);
    await scene.settled("dave to be reconnecting", () => dave.state === "reconnecting");
    for (const m of rest) assert.deepEqual(scene.events(m, "participant-reconnecting").map((p) => p.id), ["dave"]);
    for (const m of rest) assert.equal(m.participants.get("dave")?.reconnecting, true, "still listed, flagged reconnecting");
    assert.deepEqual(scene.events(dave, "participant-reconnecting").map((p) => p.id).sort(), ["alice", "bob", "carol"]);
    for (let i = 0; i < 5; i++) for (const m of meetings) m.send({ from: m.localParticipant.id, i });
    await quietPeriod(FAST.heartbeatTimeout);
    scene.net.transports.restore("dave");
    await scene.settled("dave to be back everywhere", () => rest.every((m) => scene.events(m, "participant-reconnected").length === 1) && dave.state === "joined", 5000);
    await scene.settled("every message to arrive", () => meetings.every((m) => scene.events(m, "message").length === 15), 3000);
    await quietPeriod(300);
    for (const receiver of meetings) {
      const got = scene.events(receiver, "message");
      assert.equal(got.length, 15, "each message once");
      for (const sender of meetings) {
        if (sender === receiver) continue;
        const id = sender.localParticipant.id;
        assert.deepEqual(got.filter((m) => m.participant.id === id).map((m) => m.payload), Array.from({ length: 5 }, (_, i) => ({ from: id, i })));
      }
      assert.deepEqual(scene.events(receiver, "participant-left"), []);
      assert.deepEqual(scene.events(receiver, "meeting-left"), []);
      assert.equal(receiver.hostId, "alice");
    }
    assert.ok(meshComplete(meetings));
    for (const m of rest) assert.equal(m.participants.get("dave")?.reconnecting, false);
  });

  test("a participant cut off from everyone for longer than reconnectTimeout (its broker works) leaves with connection-lost; the others drop it", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol, dave] = await scene.fullMesh("alice", "bob", "carol", "dave");
    assert.ok(alice && bob && carol && dave);
    scene.net.transports.isolate("dave");
    // Dave finds himself alone, knocks on the anchor, hears the live host answer: he is the one cut off.
    const left = await scene.next(dave, "meeting-left", () => true, SILENT_LOSS_DEADLINE + 3000);
    assert.deepEqual(left, { reason: "connection-lost" });
    const rest = [alice, bob, carol];
    await scene.settled("dave to be gone everywhere", () => rest.every((m) => !m.participants.has("dave")), SILENT_LOSS_DEADLINE);
    for (const meeting of rest) {
      assert.deepEqual(scene.events(meeting, "participant-left").map((p) => [p.id, p.leftReason]), [["dave", "connection-lost"]]);
      assert.deepEqual(scene.events(meeting, "participant-reconnecting").map((p) => p.id), ["dave"]);
      assert.equal(meeting.hostId, "alice");
    }
    assert.ok(meshComplete(rest));
    assert.equal(scene.net.broker.ownerOf(scene.anchorId), "alice", "dave did not take the anchor");
  });

  test("an idle meeting stays together: heartbeats keep quiet links alive", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob", "carol");
    await quietPeriod(FAST.heartbeatTimeout * 2);
    for (const meeting of meetings) assert.deepEqual(scene.events(meeting, "participant-left"), []);
    assert.ok(meshComplete(meetings));
  });

  test("a participant that reloads (no goodbye, same id) is replaced once, not duplicated", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    scene.net.crash("bob");
    const bobReloaded = scene.meeting("bob", {}, "bob-reloaded");
    const joining = bobReloaded.join();
    await scene.settled("the reloaded bob to join", () => bobReloaded.state === "joined", 4000);
    await joining;
    await scene.settled("the reloaded bob to be in everyone's meeting", () => meshComplete([alice, bobReloaded, carol]));
    await quietPeriod(FAST.heartbeatTimeout * 2);
    assert.ok(meshComplete([alice, bobReloaded, carol]));
    for (const other of [alice, carol]) {
      assert.deepEqual(scene.events(other, "participant-left").map((p) => [p.id, p.leftReason]), [["bob", "connection-lost"]]);
      assert.equal(scene.events(other, "participant-joined").filter((p) => p.id === "bob").length, 2, "once when each met bob, once when he came back");
    }
  });

  test("a lost broker puts the meeting in reconnecting, links keep working, and it comes back", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob");
    const [alice, bob] = meetings;
    assert.ok(alice && bob);
    scene.net.broker.setReachable(false);
    await scene.settled("both to be reconnecting", () => meetings.every((m) => m.state === "reconnecting"));
    for (const meeting of meetings) assert.deepEqual(scene.events(meeting, "error").map((e) => e.code), ["signaling-lost"]);
    alice.send("over the link");
    await scene.settled("the message to arrive", () => scene.events(bob, "message").length === 1);
    const carol = scene.meeting("carol");
    assert.equal(codeOf(await rejection(carol.join())), "broker-unreachable");
    scene.net.broker.setReachable(true);
    await scene.settled("both to be joined again", () => meetings.every((m) => m.state === "joined"));
    assert.ok(meshComplete(meetings));
    await carol.join();
    await scene.settled("carol to get in", () => meshComplete([alice, bob, carol]));
  });
});

describe("send() and the message event", () => {
  test("messages arrive exactly once, in order per sender, with the sender and the direct flag", async (t) => {
    const scene = new Scene(t);
    const meetings = await scene.fullMesh("alice", "bob", "carol");
    const N = 40;
    for (let i = 0; i < N; i++) for (const meeting of meetings) meeting.send({ from: meeting.localParticipant.id, i });
    await scene.settled("every message to arrive", () => meetings.every((m) => scene.events(m, "message").length === 2 * N));
    await quietPeriod(100);
    for (const receiver of meetings) {
      const got = scene.events(receiver, "message");
      assert.equal(got.length, 2 * N, "no duplicates");
      for (const sender of meetings) {
        if (sender === receiver) continue;
        const id = sender.localParticipant.id;
        const fromSender = got.filter((m) => m.participant.id === id);
        assert.deepEqual(fromSender.map((m) => m.payload), Array.from({ length: N }, (_, i) => ({ from: id, i })));
        assert.ok(fromSender.every((m) => m.direct === false && m.participant === receiver.participants.get(id)));
      }
    }
  });

  test("send({ to }) reaches only that participant, flagged direct", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await scene.fullMesh("alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    alice.send({ secret: 1 }, { to: "bob" });
    alice.send({ everyone: 2 });
    await scene.settled("both to arrive at bob", () => scene.events(bob, "message").length === 2);
    await scene.settled("the broadcast to arrive at carol", () => scene.events(carol, "message").length === 1);
    assert.deepEqual(
      scene.events(bob, "message").map((m) => [m.payload, m.direct]),
      [[{ secret: 1 }, true], [{ everyone: 2 }, false]],
    );
    await quietPeriod(50);
    assert.deepEqual(scene.events(carol, "message").map((m) => m.payload), [{ everyone: 2 }]);
  });

  test("send() refuses what it cannot deliver, with a typed error, and sends nothing", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    const notJson = (value: unknown): JsonValue => value as JsonValue;
    const cases: [string, () => void, string][] = [
      ["one character over the limit", () => alice.send("x".repeat(MAX_APP_PAYLOAD - 1)), "payload-too-large"],
      ["a big object", () => alice.send({ list: Array.from({ length: 5000 }, (_, i) => i) }), "payload-too-large"],
      ["an unknown participant", () => alice.send("hi", { to: "zoe" }), "unknown-participant"],
      ["oneself", () => alice.send("hi", { to: "alice" }), "unknown-participant"],
      ["a BigInt", () => alice.send(notJson(BigInt(1))), "invalid-argument"],
      ["a function", () => alice.send(notJson(() => 1)), "invalid-argument"],
      ["undefined", () => alice.send(notJson(undefined)), "invalid-argument"],
      ["a symbol", () => alice.send(notJson(Symbol("s"))), "invalid-argument"],
      ["a cyclic object", () => alice.send(notJson(cyclic)), "invalid-argument"],
      ["a BigInt deep inside", () => alice.send(notJson({ a: [{ b: BigInt(2) }] })), "invalid-argument"],
    ];
    for (const [label, call, code] of cases) {
      const error = thrown(call);
      assert.equal(codeOf(error), code, label);
      assert.ok(subject.isMeshError(error), label);
    }
    // Exactly at the limit is fine, and arrives intact.
    const largest = "y".repeat(MAX_APP_PAYLOAD - 2);
    alice.send(largest);
    await scene.settled("the largest payload to arrive", () => scene.events(bob, "message").length === 1);
    await quietPeriod(50);
    const [only] = scene.events(bob, "message");
    assert.equal(only?.payload, largest, "only the valid payload arrived");
    assert.equal(alice.state, "joined");
  });

  test("payloads arrive as JSON would carry them: __proto__ keys stripped, undefined fields dropped", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    const payload = JSON.parse('{"text":"hi","__proto__":{"polluted":true},"nested":{"__proto__":{"polluted":true},"n":1}}') as JsonValue;
    alice.send(payload);
    alice.send({ keep: 1, drop: undefined } as unknown as JsonValue);
    await scene.settled("both to arrive", () => scene.events(bob, "message").length === 2);
    const [first, second] = scene.events(bob, "message");
    assert.deepEqual(first?.payload, { text: "hi", nested: { n: 1 } });
    assert.equal(Object.getPrototypeOf(first?.payload), Object.prototype);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
    assert.deepEqual(second?.payload, { keep: 1 });
  });
});

describe("closing the tab (pagehide)", () => {
  test("a participant who closes the tab is out at once, and the others see it 'left', not lost", async (t) => {
    const scene = new Scene(t);
    const alice = scene.meeting("alice");
    await alice.join();
    // Only bob's meeting runs in the "page" whose hide we fire; alice and carol join without one.
    const page = fakePageEvents(t);
    const bob = scene.meeting("bob");
    await bob.join();
    page.detach();
    const carol = scene.meeting("carol");
    await carol.join();
    await scene.settled("everyone to meet", () => meshComplete([alice, bob, carol]));
    page.dispatchEvent(new Event("pagehide"));
    assert.equal(bob.state, "left", "out at once, without waiting for answers");
    assert.deepEqual(scene.events(bob, "meeting-left"), [{ reason: "left" }]);
    await scene.settled("bob to be gone", () => [alice, carol].every((m) => m.participants.size === 1));
    for (const meeting of [alice, carol]) {
      assert.deepEqual(scene.events(meeting, "participant-left").map((p) => [p.id, p.leftReason]), [["bob", "left"]]);
      assert.equal(meeting.hostId, "alice");
    }
  });

  test("a host who closes the tab names its successor, who admits newcomers", async (t) => {
    const scene = new Scene(t);
    const page = fakePageEvents(t);
    // Only alice joins while the fake page exists; bob and carol join without a page to listen on.
    const alice = scene.meeting("alice");
    await alice.join();
    page.detach();
    const bob = scene.meeting("bob");
    const carol = scene.meeting("carol");
    await bob.join();
    await carol.join();
    await scene.settled("everyone to meet", () => meshComplete([alice, bob, carol]));
    page.dispatchEvent(new Event("pagehide"));
    assert.equal(alice.state, "left");
    await scene.settled("bob to be host, alice gone", () => [bob, carol].every((m) => m.hostId === "bob" && m.participants.size === 1));
    for (const meeting of [bob, carol]) {
      assert.deepEqual(scene.events(meeting, "participant-left").map((p) => [p.id, p.leftReason]), [["alice", "left"]]);
      assert.deepEqual(scene.events(meeting, "host-changed"), [{ hostId: "bob" }]);
    }
    const dave = scene.meeting("dave");
    await dave.join();
    await scene.settled("dave to get in", () => meshComplete([bob, carol, dave]));
  });
});

describe("app handlers", () => {
  test("a handler that throws does not break the meeting; its error is rethrown for the app to see", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    const uncaught = captureUncaught();
    t.after(() => uncaught.restore());
    const boom = new Error("handler bug");
    const received: JsonValue[] = [];
    bob.on("message", () => {
      throw boom;
    });
    bob.on("message", ({ payload }) => received.push(payload));
    bob.on("participant-joined", () => {
      throw boom;
    });
    alice.send(1);
    alice.send(2);
    const carol = scene.meeting("carol");
    await carol.join();
    await scene.settled("carol to be in everyone's meeting", () => meshComplete([alice, bob, carol]));
    await scene.settled("both messages to reach the second handler", () => received.length === 2);
    assert.deepEqual(received, [1, 2]);
    await within("three rethrown errors", uncaught.count(3), 2000);
    assert.deepEqual(uncaught.errors, [boom, boom, boom]);
    uncaught.restore();
    // Bob still works: he can leave, and the others see it.
    await bob.leave();
    await scene.settled("bob to be gone", () => [alice, carol].every((m) => !m.participants.has("bob")));
  });
});

/**
 * Gives this Node process a page-like `addEventListener`/`removeEventListener` on globalThis (as in a
 * browser window) for one test. `detach()` takes them away again early: meetings joined afterwards
 * find no page to listen on.
 */
function fakePageEvents(t: { after(fn: () => void): void }): EventTarget & { detach(): void } {
  const target = new EventTarget();
  const names = ["addEventListener", "removeEventListener"] as const;
  const saved = names.map((name) => Object.getOwnPropertyDescriptor(globalThis, name));
  const define = (name: string, value: unknown): void => {
    Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  };
  define("addEventListener", target.addEventListener.bind(target));
  define("removeEventListener", target.removeEventListener.bind(target));
  let detached = false;
  const detach = (): void => {
    if (detached) return;
    detached = true;
    names.forEach((name, i) => {
      const descriptor = saved[i];
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else Reflect.deleteProperty(globalThis, name);
    });
  };
  t.after(detach);
  return Object.assign(target, { detach });
}

/** Takes over process-level uncaught exceptions for one test (the meeting rethrows handler errors async). */
function captureUncaught(): { errors: unknown[]; count(n: number): Promise<void>; restore(): void } {
  const saved = process.listeners("uncaughtException");
  process.removeAllListeners("uncaughtException");
  const errors: unknown[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const listener = (error: unknown): void => {
    errors.push(error);
    for (const w of waiters) if (errors.length >= w.n) w.resolve();
  };
  process.on("uncaughtException", listener);
  let restored = false;
  return {
    errors,
    count: (n) =>
      errors.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    restore() {
      if (restored) return;
      restored = true;
      process.removeListener("uncaughtException", listener);
      for (const l of saved) process.on("uncaughtException", l);
    },
  };
}

