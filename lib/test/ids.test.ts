import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MeshError } from "../errors.js";
import { MAX_ID_LENGTH, anchorBrokerId, checkId, participantBrokerId, participantFromBrokerId, randomId } from "../ids.js";

// PeerJS's own rule for ids (peerjs util.validateId); every broker id we build must pass it.
const PEERJS_ID = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;

describe("checkId", () => {
  const accepted = [
    "a",
    "Z",
    "0",
    "room42",
    "team-standup",
    "team_standup",
    "team standup",
    "a-b_c d-e",
    "x".repeat(MAX_ID_LENGTH),
    "2024-05-01",
  ];
  for (const id of accepted) {
    test(`accepts ${JSON.stringify(id.length > 20 ? `${id.slice(0, 8)}…(${id.length})` : id)}`, () => {
      assert.equal(checkId("meetingId", id), id);
      assert.equal(checkId("participantId", id), id);
    });
  }

  const rejected: [string, unknown][] = [
    ["empty", ""],
    ["too long", "x".repeat(MAX_ID_LENGTH + 1)],
    ["leading dash", "-abc"],
    ["trailing dash", "abc-"],
    ["leading underscore", "_abc"],
    ["trailing underscore", "abc_"],
    ["leading space", " abc"],
    ["trailing space", "abc "],
    ["double dash", "a--b"],
    ["double underscore", "a__b"],
    ["double space", "a  b"],
    ["mixed separators in a row", "a-_b"],
    ["only a separator", "-"],
    ["a dot", "a.b"],
    ["a slash", "a/b"],
    ["a tab", "a\tb"],
    ["a trailing newline", "abc\n"],
    ["accented letter", "café"],
    ["non-latin letters", "會議"],
    ["emoji", "room\u{1F600}"],
    ["full-width digit", "room\uFF11"],
    ["a number", 42],
    ["null", null],
    ["undefined", undefined],
    ["an object", { toString: () => "abc" }],
    ["an array", ["abc"]],
  ];
  for (const [label, value] of rejected) {
    test(`rejects ${label} with invalid-id naming the field`, () => {
      for (const kind of ["meetingId", "participantId"] as const) {
        assert.throws(
          () => checkId(kind, value),
          (error: unknown) => error instanceof MeshError && error.code === "invalid-id" && error.message.includes(kind),
        );
      }
    });
  }
});

describe("broker ids", () => {
  const meetings = ["a", "a_p_b", "m", "1", "12", "1 2", "team-standup", "x".repeat(MAX_ID_LENGTH), "host", "p"];
  const participants = ["b_p_c", "c", "a", "host", "p", "p_x", "2_a", "Ann Example", "y".repeat(MAX_ID_LENGTH)];

  test("participant ids round-trip through participantFromBrokerId", () => {
    for (const m of meetings) {
      for (const p of participants) {
        assert.equal(participantFromBrokerId(m, participantBrokerId(m, p)), p, `${m} / ${p}`);
      }
    }
  });

  test("every broker id satisfies PeerJS's id rule", () => {
    for (const m of meetings) {
      assert.match(anchorBrokerId(m), PEERJS_ID);
      for (const p of participants) assert.match(participantBrokerId(m, p), PEERJS_ID);
    }
  });

  test('"a" + "b_p_c" and "a_p_b" + "c" get different broker ids', () => {
    assert.notEqual(participantBrokerId("a", "b_p_c"), participantBrokerId("a_p_b", "c"));
    // And neither is read as the other meeting's participant.
    assert.equal(participantFromBrokerId("a_p_b", participantBrokerId("a", "b_p_c")), null);
    assert.equal(participantFromBrokerId("a", participantBrokerId("a_p_b", "c")), null);
  });

  test("no two distinct (meeting, participant) pairs, and no anchor, share a broker id", () => {
    // Ids built from a small alphabet of the characters that matter (letters, digits, separators, "p").
    const pieces = ["a", "p", "1", "12", "a_p", "p_a", "1_a", "a 1", "a-p", "host", "a_host"];
    const owners = new Map<string, string>();
    const claim = (brokerId: string, owner: string): void => {
      const previous = owners.get(brokerId);
      assert.equal(previous, undefined, `${owner} and ${previous} both map to ${brokerId}`);
      owners.set(brokerId, owner);
    };
    for (const m of pieces) {
      claim(anchorBrokerId(m), `anchor of ${JSON.stringify(m)}`);
      for (const p of pieces) claim(participantBrokerId(m, p), `${JSON.stringify(m)} + ${JSON.stringify(p)}`);
    }
    assert.equal(owners.size, pieces.length * (pieces.length + 1));
  });

  test("random pairs never collide either", () => {
    const seen = new Map<string, string>();
    for (let i = 0; i < 2000; i++) {
      const m = randomPieceId();
      const p = randomPieceId();
      const key = `${m}\u0000${p}`;
      const id = participantBrokerId(m, p);
      const previous = seen.get(id);
      if (previous !== undefined) assert.equal(previous, key, `collision on ${id}`);
      seen.set(id, key);
      assert.equal(participantFromBrokerId(m, id), p);
    }
  });

  test("the anchor id is never read as a participant", () => {
    for (const m of meetings) {
      assert.equal(participantFromBrokerId(m, anchorBrokerId(m)), null, m);
      for (const other of meetings) assert.equal(participantFromBrokerId(other, anchorBrokerId(m)), null, `${other} / anchor of ${m}`);
    }
    // A participant who calls itself "host" is still a participant, and not the anchor.
    assert.notEqual(participantBrokerId("m", "host"), anchorBrokerId("m"));
    assert.equal(participantFromBrokerId("m", participantBrokerId("m", "host")), "host");
  });

  test("ids of other meetings, other formats and non-strings are not participants", () => {
    const id = participantBrokerId("room", "ann");
    assert.equal(participantFromBrokerId("room2", id), null);
    assert.equal(participantFromBrokerId("roo", id), null);
    for (const value of [null, undefined, 42, {}, ["x"], "", "ann", "mm_4_room_p_", "mm_4_room_p_a--b", "mm_4_room_p_café", `mm_4_room_p_${"z".repeat(MAX_ID_LENGTH + 1)}`]) {
      assert.equal(participantFromBrokerId("room", value), null, JSON.stringify(value));
    }
  });
});

describe("randomId", () => {
  test("produces valid, distinct ids of the asked length", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = randomId();
      assert.equal(checkId("participantId", id), id);
      assert.equal(id.length, 12);
      ids.add(id);
    }
    assert.equal(ids.size, 200);
    assert.equal(randomId(30).length, 30);
  });
});

function randomPieceId(): string {
  const parts = ["a", "b", "p", "1", "2", "host"];
  const seps = ["_", "-", " "];
  let id = parts[Math.floor(Math.random() * parts.length)] ?? "a";
  const extra = Math.floor(Math.random() * 4);
  for (let i = 0; i < extra; i++) {
    id += (seps[Math.floor(Math.random() * seps.length)] ?? "_") + (parts[Math.floor(Math.random() * parts.length)] ?? "a");
  }
  return id;
}
