// Connection quality and the active speaker from getStats counters (lib/call-stats.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ActiveSpeaker, SILENT_SAMPLES, levelBetween, qualityOf, sampleOf } from "../call-stats.js";

const report = (entries: Record<string, unknown>[]): Map<string, Record<string, unknown>> => new Map(entries.map((e, i) => [`s${i}`, e]));

test("sampleOf: the selected pair's rtt and bytes, inbound packets and audio level, our microphone's level; other pairs ignored", () => {
  const sample = sampleOf(
    report([
      { type: "candidate-pair", state: "succeeded", nominated: true, currentRoundTripTime: 0.0425, bytesReceived: 1000, bytesSent: 2000 },
      { type: "candidate-pair", state: "failed", nominated: false, currentRoundTripTime: 9, bytesReceived: 5, bytesSent: 5 },
      { type: "inbound-rtp", kind: "audio", packetsReceived: 90, packetsLost: 10, audioLevel: 0.3, totalAudioEnergy: 0.5, totalSamplesDuration: 10 },
      { type: "inbound-rtp", kind: "video", packetsReceived: 900, packetsLost: -2 },
      { type: "media-source", kind: "audio", audioLevel: 0.05, totalAudioEnergy: 0.25, totalSamplesDuration: 10 },
      { type: "media-source", kind: "video", width: 640 },
    ]),
    1000,
  );
  assert.deepEqual(sample, { at: 1000, rttMs: 43, bytesIn: 1000, bytesOut: 2000, packetsIn: 990, packetsLost: 10, audioIn: { energy: 0.5, seconds: 10 }, audioOut: { energy: 0.25, seconds: 10 } });
  assert.deepEqual(sampleOf(report([]), 0), { at: 0, rttMs: null, bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsLost: 0, audioIn: null, audioOut: null });
});

test("levelBetween: the RMS level over the interval from energy totals; nothing without two totals or time", () => {
  assert.ok(Math.abs(levelBetween({ energy: 1, seconds: 10 }, { energy: 1.09, seconds: 11 })! - 0.3) < 1e-9);
  assert.equal(levelBetween(null, { energy: 1, seconds: 1 }), null);
  assert.equal(levelBetween({ energy: 1, seconds: 1 }, { energy: 1, seconds: 1 }), null);
  assert.equal(levelBetween({ energy: 2, seconds: 1 }, { energy: 1, seconds: 2 }), null, "a new link's counters started again");
});

test("qualityOf: rates and loss over the interval; good, fair and poor by rtt and loss", () => {
  const base = { at: 0, rttMs: 40, bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsLost: 0, audioIn: null, audioOut: null };
  assert.deepEqual(qualityOf(null, base), { score: "good", rttMs: 40, lossPercent: null, inboundKbps: 0, outboundKbps: 0 });
  const next = { ...base, at: 1000, bytesIn: 125_000, bytesOut: 250_000, packetsIn: 97, packetsLost: 3 };
  assert.deepEqual(qualityOf(base, next), { score: "fair", rttMs: 40, lossPercent: 3, inboundKbps: 1000, outboundKbps: 2000 });
  assert.equal(qualityOf(base, { ...next, packetsLost: 10, packetsIn: 90 }).score, "poor");
  assert.equal(qualityOf(base, { ...next, packetsLost: 0, rttMs: 300 }).score, "fair");
  assert.equal(qualityOf(base, { ...next, packetsLost: 0, rttMs: 600 }).score, "poor");
  assert.equal(qualityOf(base, { ...next, packetsLost: 0 }).score, "good");
  // Counters that went back (a new link) give no rate rather than a negative one.
  assert.equal(qualityOf(next, { ...base, at: 2000 }).inboundKbps, 0);
});

test("ActiveSpeaker: the first voice takes the floor at once, a new one after two samples, silence after three; a leaver stops speaking", () => {
  const speaker = new ActiveSpeaker();
  const levels = (entries: [string, number][]): Map<string, number> => new Map(entries);
  assert.equal(speaker.sample(levels([["a", 0.001], ["b", 0.01]])), undefined, "below the speaking level");
  assert.equal(speaker.sample(levels([["a", 0.2], ["b", 0.05]])), "a");
  assert.equal(speaker.sample(levels([["a", 0.1], ["b", 0.3]])), undefined, "b once: a keeps the floor");
  assert.equal(speaker.sample(levels([["a", 0.3], ["b", 0.1]])), undefined);
  assert.equal(speaker.sample(levels([["a", 0.1], ["b", 0.3]])), undefined);
  assert.equal(speaker.sample(levels([["a", 0.1], ["b", 0.3]])), "b", "twice in a row");
  for (let i = 1; i < SILENT_SAMPLES; i++) assert.equal(speaker.sample(levels([])), undefined);
  assert.equal(speaker.sample(levels([])), null);
  assert.equal(speaker.sample(levels([["c", 0.5]])), "c");
  assert.equal(speaker.forget("c"), null);
  assert.equal(speaker.forget("c"), undefined);
});
