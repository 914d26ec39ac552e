// The host's admission bookkeeping and the succession rule, on their own.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Admission } from "../admission.js";
import { earliest } from "../succession.js";

describe("Admission", () => {
  test("hands out join numbers in order, after the highest known, and lists newcomers in flight to later ones", () => {
    const admission = new Admission();
    admission.restartAfter(4);
    assert.equal(admission.admit("dave", 0, 1000), 5);
    assert.equal(admission.admit("erin", 0, 1000), 6);
    assert.deepEqual(admission.inFlight("erin"), [{ id: "dave", seq: 5 }]);
    admission.arrived({ id: "dave", seq: 5 });
    assert.deepEqual(admission.inFlight("frank"), [{ id: "erin", seq: 6 }]);
  });

  test("a number seen in a hello is never handed out again", () => {
    const admission = new Admission();
    admission.arrived({ id: "bob", seq: 9 });
    assert.equal(admission.admit("carol", 0, 1000), 10);
  });

  test("one knock per knocker per 100 ms; at most 64 newcomers in flight, the oldest forgotten first; a hold runs out", () => {
    const admission = new Admission();
    assert.equal(admission.admit("dave", 0, 1000), 1);
    assert.equal(admission.admit("dave", 50, 1000), null);
    assert.equal(admission.admit("dave", 150, 1000), 2);
    assert.deepEqual(admission.inFlight(""), [{ id: "dave", seq: 2 }], "one seat per knocker");
    for (let i = 1; i < 64; i++) assert.notEqual(admission.admit(`n${i}`, 200, 1000), null);
    // A flood of knocking ids must not lock a real newcomer out: the oldest in flight makes room.
    assert.equal(admission.admit("late", 200, 1000), 66);
    const inFlight = admission.inFlight("").map((s) => s.id);
    assert.equal(inFlight.length, 64);
    assert.equal(inFlight.includes("dave"), false);
    assert.equal(inFlight.includes("late"), true);
    admission.expire(1300); // every hold ran out
    assert.deepEqual(admission.inFlight(""), []);
    assert.notEqual(admission.admit("late", 1300, 1000), null);
  });
});

describe("earliest (succession)", () => {
  const seats = [
    { id: "carol", seq: 2 },
    { id: "bob", seq: 1 },
    { id: "alice", seq: 1 },
  ];
  test("the lowest join number wins; a tie goes to the lower id; order of the roster does not matter", () => {
    assert.equal(earliest(seats, null), "alice");
    assert.equal(earliest([...seats].reverse(), null), "alice");
  });
  test("leaving someone out (the host that leaves); nobody left: null", () => {
    assert.equal(earliest(seats, "alice"), "bob");
    assert.equal(earliest([{ id: "alice", seq: 0 }], "alice"), null);
  });
});
