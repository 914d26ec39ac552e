import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Mesh } from "../mesh.js";
import { MAX_LINK_MESSAGE, encodeLink } from "../protocol.js";
import { Scene, meshComplete } from "./scene.js";
import { codeOf, quietPeriod, rejection, within } from "./wait.js";

// A well-formed public key (87 base64url characters); parse() leaves the crypto to the mesh.
const TEST_KEY = "A".repeat(87);

/** True when every mesh has exactly the others as members and all agree on one host among them. */
function membersComplete(meshes: readonly Mesh[]): boolean {
  const ids = meshes.map((m) => m.id);
  const hosts = new Set(meshes.map((m) => m.hostId));
  if (hosts.size !== 1 || !ids.includes([...hosts][0] ?? "")) return false;
  return meshes.every((m) => {
    const others = ids.filter((id) => id !== m.id).sort();
    const members = [...m.members.keys()].sort();
    return others.length === members.length && others.every((id, i) => id === members[i]);
  });
}

async function joinMeshes(scene: Scene, ...ids: string[]): Promise<Mesh[]> {
  const meshes: Mesh[] = [];
  for (const id of ids) {
    const mesh = scene.mesh(id);
    await within(`${id} to join`, mesh.join(), 5000);
    meshes.push(mesh);
  }
  await scene.settled("every mesh to list every other", () => membersComplete(meshes));
  return meshes;
}

describe("membership", () => {
  test("the host numbers members in join order, and every member sees the same numbers", async (t) => {
    const scene = new Scene(t);
    const meshes = await joinMeshes(scene, "alice", "bob", "carol", "dave");
    const order = { alice: 0, bob: 1, carol: 2, dave: 3 } as const;
    for (const mesh of meshes) {
      assert.equal(mesh.hostId, "alice");
      for (const [id, member] of mesh.members) {
        assert.equal(member.seq, order[id as keyof typeof order], `${mesh.id}'s view of ${id}`);
        assert.equal(member.name, id);
      }
    }
    assert.deepEqual(meshes.map((m) => m.isHost), [true, false, false, false]);
  });

  test("succession follows join order across host changes, not name order", async (t) => {
    const scene = new Scene(t);
    const [zoe, yves, xena] = await joinMeshes(scene, "zoe", "yves", "xena");
    assert.ok(zoe && yves && xena);
    await zoe.leave();
    await scene.settled("yves to be host", () => membersComplete([yves, xena]) && yves.hostId === "yves");
    // A newcomer admitted by the new host joins after xena, whatever its name.
    const abe = scene.mesh("abe");
    await within("abe's join", abe.join(), 4000);
    await scene.settled("abe to be in", () => membersComplete([yves, xena, abe]));
    const abeSeq = yves.members.get("abe")?.seq ?? -1;
    assert.ok(abeSeq > (yves.members.get("xena")?.seq ?? Number.MAX_SAFE_INTEGER), `abe's seq ${abeSeq} comes after xena's`);
    assert.equal(xena.members.get("abe")?.seq, abeSeq, "everyone agrees on abe's number");
    await yves.leave();
    await scene.settled("xena to be host", () => membersComplete([xena, abe]));
    assert.equal(xena.hostId, "xena");
    assert.equal(abe.hostId, "xena");
    assert.deepEqual(scene.meshEvents(abe, "host-changed"), [{ hostId: "xena" }]);
  });

  test("a newcomer whose first offer to a member is lost offers again, and the two end up linked", async (t) => {
    const scene = new Scene(t);
    const [alice, bob, carol] = await joinMeshes(scene, "alice", "bob", "carol");
    assert.ok(alice && bob && carol);
    // The broker loses dave's first offer to carol (a signal lost on the way; ICE failing looks the same).
    let lost = 0;
    scene.net.broker.losses.add((src, dst, message) => {
      const offer = message.t === "signal" && message.data["type"] === "offer";
      if (offer && lost === 0 && src === scene.selfBrokerId("dave") && dst === scene.selfBrokerId("carol")) return ++lost === 1;
      return false;
    });
    const dave = scene.mesh("dave");
    await within("dave's join", dave.join(), 6000);
    assert.equal(lost, 1);
    // The link timeout (2 s here) gives the first attempt up; the next offer gets through.
    await scene.settled("dave and carol to see each other", () => membersComplete([alice, bob, carol, dave]), 5000);
    assert.deepEqual(scene.meshEvents(dave, "closed"), []);
  });

  test("an offer to someone the broker no longer knows is not made again", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await joinMeshes(scene, "alice", "bob");
    assert.ok(alice && bob);
    // Bob crashes just as dave is welcomed: his registration is gone, alice has not noticed yet.
    scene.net.broker.taps.add((src, dst, message) => {
      if (message.t === "welcome" && dst === scene.selfBrokerId("dave")) scene.net.crash("bob");
    });
    let offersToBob = 0;
    scene.net.broker.taps.add((src, dst, message) => {
      if (dst === scene.selfBrokerId("bob") && message.t === "signal" && message.data["type"] === "offer") offersToBob++;
    });
    const dave = scene.mesh("dave");
    await within("dave's join", dave.join(), 6000);
    await scene.settled("alice and dave to see only each other", () => membersComplete([alice, dave]), 5000);
    // Long enough for every retry (500 ms apart) had there been any.
    await quietPeriod(1500);
    assert.equal(offersToBob, 1, "the broker said bob is gone; no offer was made after");
  });

  test("a mesh whose join fails reports it through join() only, never as closed", async (t) => {
    const scene = new Scene(t);
    const [alice] = await joinMeshes(scene, "alice");
    assert.ok(alice);
    const twin = scene.mesh("alice", {}, "alice-twin");
    assert.equal(codeOf(await rejection(twin.join())), "duplicate-participant");
    assert.deepEqual(scene.meshEvents(twin, "closed"), []);
    scene.net.broker.setReachable(false);
    const late = scene.mesh("late");
    assert.equal(codeOf(await rejection(late.join())), "broker-unreachable");
    assert.deepEqual(scene.meshEvents(late, "closed"), []);
    scene.net.broker.setReachable(true);
  });
});

describe("terminate", () => {
  test("a terminate from a non-host is ignored by everyone and reported as unauthorized-terminate", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await scene.fullMesh("alice", "bob");
    assert.ok(alice && bob);
    // Mallory runs a modified client: her Mesh sends a terminate although she is not the host.
    const mallory = scene.mesh("mallory");
    await mallory.join();
    await scene.settled("mallory to be in", () => alice.participants.has("mallory") && bob.participants.has("mallory"));
    const forged = mallory.end();
    await scene.settled("both to report the forged terminate", () =>
      [alice, bob].every((m) => scene.events(m, "error").some((e) => e.code === "unauthorized-terminate")),
    );
    for (const meeting of [alice, bob]) {
      const error = scene.events(meeting, "error").find((e) => e.code === "unauthorized-terminate");
      assert.equal(error?.participantId, "mallory");
    }
    await within("mallory's end()", forged, 3000);
    // Mallory is out (she closed everything herself); alice and bob are not.
    await scene.settled("mallory to be gone", () => [alice, bob].every((m) => !m.participants.has("mallory")));
    for (const meeting of [alice, bob]) {
      assert.deepEqual(scene.events(meeting, "meeting-left"), []);
      assert.equal(meeting.state, "joined");
    }
    assert.ok(meshComplete([alice, bob]), scene.describe());
    alice.send("still on");
    await scene.settled("the message to arrive", () => scene.events(bob, "message").length === 1);
  });
});

describe("hostile and malformed input", () => {
  test("garbage on a link is dropped and counted; the link and the member survive", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await joinMeshes(scene, "alice", "bob");
    assert.ok(alice && bob);
    const garbage = [
      "not json",
      "[]",
      JSON.stringify({ v: 2, t: "ping" }),
      JSON.stringify({ v: 1, t: "kick" }),
      JSON.stringify({ v: 1, t: "app", n: 0, direct: "yes", payload: 1 }),
      JSON.stringify({ v: 1, t: "app", n: 0, direct: false, payload: "x".repeat(MAX_LINK_MESSAGE) }),
    ];
    for (const text of garbage) assert.ok(scene.net.transports.sendRaw("bob", "alice", text));
    // A second hello must not rename bob or change his place in line.
    assert.ok(scene.net.transports.sendRaw("bob", "alice", encodeLink({ v: 1, t: "hello", name: "Evil", seq: 0, hostId: "bob", anchorToken: null, key: TEST_KEY, admission: null, roster: null, handover: null })));
    // Unsolicited acks are harmless.
    assert.ok(scene.net.transports.sendRaw("bob", "alice", encodeLink({ v: 1, t: "bye-ack" })));
    assert.ok(scene.net.transports.sendRaw("bob", "alice", encodeLink({ v: 1, t: "end-ack", nonce: "n" })));
    bob.sendApp("after the garbage", null, 19);
    await scene.settled("the good message to arrive", () => scene.meshEvents(alice, "member-message").length === 1);
    assert.equal(alice.dropped.get("bob"), garbage.length);
    assert.deepEqual(scene.meshEvents(alice, "member-message").map((m) => m.payload), ["after the garbage"]);
    assert.deepEqual(alice.members.get("bob"), { id: "bob", name: "bob", seq: 1 });
    assert.equal(alice.hostId, "alice");
    assert.deepEqual(scene.meshEvents(alice, "member-left"), []);
    assert.deepEqual(scene.meshEvents(alice, "error"), []);
  });

  test("malformed or foreign broker messages are dropped and counted, never acted on", async (t) => {
    const scene = new Scene(t);
    const [alice, bob] = await joinMeshes(scene, "alice", "bob");
    assert.ok(alice && bob);
    const broker = scene.net.broker;
    const aliceId = scene.selfBrokerId("alice");
    const bobId = scene.selfBrokerId("bob");
    const strangerId = "mm_5_other_p_eve"; // a participant of another meeting
    const sent: [string, string, unknown][] = [
      [bobId, aliceId, "text"],
      [bobId, aliceId, { mm: 1, t: "signal", link: "", data: { type: "offer", sdp: "fake:x" } }],
      [bobId, aliceId, { mm: 1, t: "knock", name: "bob", nonce: "n0nce0001" }], // a knock belongs on the anchor
      [strangerId, aliceId, { mm: 1, t: "signal", link: "l1", data: { type: "offer", sdp: "fake:x" } }],
      [strangerId, scene.anchorId, { mm: 1, t: "knock", name: "eve", nonce: "n0nce0002" }],
      [bobId, scene.anchorId, { mm: 1, t: "welcome", nonce: "n0nce0003", hostId: "bob", seq: 0, members: [] }],
    ];
    for (const [src, dst, payload] of sent) broker.inject(src, dst, payload);
    // A welcome that does not come from the anchor is ignored outright.
    const roster = { epoch: 0, hostId: "bob", members: [{ id: "bob", seq: 0, key: TEST_KEY }], sig: "S".repeat(86) };
    broker.inject(bobId, aliceId, { mm: 1, t: "welcome", nonce: "n0nce0004", hostId: "bob", seq: 9, sig: "S".repeat(86), roster, members: [], mac: null });
    await quietPeriod(100);
    const droppedTotal = [...alice.dropped.values()].reduce((a, b) => a + b, 0);
    assert.equal(droppedTotal, sent.length);
    assert.equal(alice.dropped.get(strangerId), 2);
    assert.ok(membersComplete([alice, bob]));
    assert.equal(alice.hostId, "alice");
    assert.deepEqual(scene.meshEvents(alice, "member-joined").map((m) => m.id), ["bob"]);
    assert.deepEqual(scene.meshEvents(alice, "member-left"), []);
  });
});
