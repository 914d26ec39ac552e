// Adaptive video: the per-link plan (lib/video-plan.ts) and what the tuner reads from getStats (lib/video-tuner.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { AUDIO_RESERVE_BPS, DEFAULT_UPLINK_BUDGET, planLink, type PlanInput, type SenderEncoding } from "../video-plan.js";
import { Timers } from "../clock.js";
import type { Link } from "../link.js";
import { silentLogger } from "../log.js";
import { TUNE_INTERVAL_MS, VideoTuner, feedbackOf } from "../video-tuner.js";
import { FakeClock } from "./fake-clock.js";

const CAMERA = { width: 640, height: 360, frameRate: 30 };
const HD = { width: 1280, height: 720, frameRate: 30 };
const SCREEN = { width: 1920, height: 1080, frameRate: 30 };
const input = (over: Partial<PlanInput>): PlanInput => ({ links: 1, budgetBps: DEFAULT_UPLINK_BUDGET, cpuScale: 1, camera: CAMERA, share: null, capBps: null, ...over });
// What a receiver gets: the picture's height and frame rate.
const picture = (e: SenderEncoding | null, source = CAMERA): { height: number; fps: number } => ({
  height: Math.round(source.height / (e?.scaleResolutionDownBy ?? 1)),
  fps: e?.maxFramerate ?? source.frameRate,
});

test("one link gets the camera at full size; every added link shrinks each link's picture, never below 320x180 at 15 fps up to 16 participants", () => {
  assert.deepEqual(picture(planLink(input({ links: 1 })).video), { height: 360, fps: 30 });
  let lastPixels = Number.POSITIVE_INFINITY;
  for (let links = 1; links <= 15; links++) {
    const plan = planLink(input({ links }));
    const video = plan.video!;
    assert.equal(video.active, true, `${links} links: video on`);
    const { height, fps } = picture(video);
    assert.ok(height >= 180 && fps >= 15, `${links} links: ${height}p${fps}`);
    const pixels = height * height * fps;
    assert.ok(pixels <= lastPixels, `${links} links: never larger than with fewer links`);
    lastPixels = pixels;
    // The whole upload (every link's audio reserve and video ceiling) stays within the budget.
    assert.ok(links * (AUDIO_RESERVE_BPS + video.maxBitrate!) <= DEFAULT_UPLINK_BUDGET, `${links} links: ${video.maxBitrate} bps each`);
  }
  // Four links (a meeting of five): a quarter of one full encode each.
  assert.deepEqual(picture(planLink(input({ links: 4 })).video), { height: 180, fps: 30 });
});

test("audio keeps the highest priority; below its floor the camera pauses on that link instead of taking the voice's bits", () => {
  const plan = planLink(input({ links: 4, budgetBps: 4 * 100_000 }));
  assert.deepEqual(plan.audio, { active: true, priority: "high" });
  assert.equal(plan.video?.active, false);
  const above = planLink(input({ links: 4, budgetBps: 4 * 152_000 }));
  assert.equal(above.video?.active, true);
  assert.equal(above.video?.priority, "very-low", "at its floor the camera gives way first");
});

test("a larger camera is scaled down, never up; a link the browser finds limited gets a smaller picture; a CPU-limited encoder too", () => {
  assert.deepEqual(picture(planLink(input({ camera: HD })).video, HD), { height: 720, fps: 30 });
  assert.deepEqual(picture(planLink(input({ camera: HD, links: 2 })).video, HD), { height: 540, fps: 20 });
  assert.equal(planLink(input({ camera: { width: 320, height: 180, frameRate: 15 } })).video?.scaleResolutionDownBy, 1);
  assert.deepEqual(picture(planLink(input({ capBps: 300_000 })).video), { height: 270, fps: 20 });
  assert.deepEqual(picture(planLink(input({ cpuScale: 0.5 })).video), { height: 270, fps: 20 });
});

test("a screen share is favoured: it keeps its size and most of the bits, the camera steps down beside it", () => {
  const both = planLink(input({ links: 2, camera: CAMERA, share: SCREEN }));
  const alone = planLink(input({ links: 2, camera: CAMERA }));
  assert.equal(both.share?.degradationPreference, "maintain-resolution");
  assert.equal(both.video?.degradationPreference, "maintain-framerate", "a camera keeps its frame rate");
  assert.equal(both.share?.priority, "medium");
  assert.ok(both.share!.maxBitrate! > both.video!.maxBitrate!);
  assert.ok(picture(both.video).height * picture(both.video).fps < picture(alone.video).height * picture(alone.video).fps);
  assert.ok(picture(both.share, SCREEN).height >= 720, "text stays readable");
  // However small the budget, the screen is still sent.
  assert.equal(planLink(input({ links: 15, camera: CAMERA, share: SCREEN, budgetBps: 500_000 })).share?.active, true);
});

test("feedbackOf: the encoder's limitation and the selected pair's estimate and round trip", () => {
  const report = new Map<string, Record<string, unknown>>([
    ["T", { id: "T", type: "transport", selectedCandidatePairId: "P2" }],
    ["P1", { id: "P1", type: "candidate-pair", availableOutgoingBitrate: 9e6, currentRoundTripTime: 0.001 }],
    ["P2", { id: "P2", type: "candidate-pair", availableOutgoingBitrate: 400_000, currentRoundTripTime: 0.25 }],
    ["O1", { id: "O1", type: "outbound-rtp", kind: "video", qualityLimitationReason: "bandwidth" }],
    ["O2", { id: "O2", type: "outbound-rtp", kind: "audio" }],
  ]) as unknown as RTCStatsReport;
  assert.deepEqual(feedbackOf(report), { cpuLimited: false, bandwidthLimited: true, availableBps: 400_000, rttMs: 250 });
  // Firefox: no selected pair on a transport; the nominated, succeeded pair.
  const firefox = new Map<string, Record<string, unknown>>([
    ["P1", { id: "P1", type: "candidate-pair", nominated: false, state: "succeeded", currentRoundTripTime: 9 }],
    ["P2", { id: "P2", type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.02 }],
    ["O1", { id: "O1", type: "outbound-rtp", kind: "video", qualityLimitationReason: "cpu" }],
  ]) as unknown as RTCStatsReport;
  assert.deepEqual(feedbackOf(firefox), { cpuLimited: true, bandwidthLimited: false, availableBps: null, rttMs: 20 });
});

// A link as the tuner sees it: its statistics say what `stats` holds now; what it was told is kept.
function fakeLink(remoteId: string, stats: () => Record<string, unknown>[]) {
  const told: SenderEncoding[] = [];
  const link = {
    remoteId,
    state: "open",
    stats: async () => new Map(stats().map((s, i) => [`s${i}`, { id: `s${i}`, ...s }])) as unknown as RTCStatsReport,
    setEncoding: (kind: string, encoding: SenderEncoding) => {
      if (kind === "video") told.push(encoding);
    },
  };
  return { link: link as unknown as Link, told };
}

const camera = { getSettings: () => ({ width: 640, height: 360, frameRate: 30 }) } as unknown as MediaStreamTrack;
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("the tuner: 'bandwidth' on a link with short round trips changes nothing (the browser follows the link itself); long round trips shrink that link only, until they are gone; CPU-limited encoders shrink every link", async () => {
  const clock = new FakeClock();
  let rtt = 0.02;
  let reason = "bandwidth";
  const pair = () => ({ type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: rtt, availableOutgoingBitrate: 300_000 });
  const bob = fakeLink("bob", () => [pair(), { type: "outbound-rtp", kind: "video", qualityLimitationReason: reason }]);
  const carol = fakeLink("carol", () => [{ type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: 0.02 }]);
  const tuner = new VideoTuner({ timers: new Timers(clock), log: silentLogger, links: () => [bob.link, carol.link], track: (kind) => (kind === "video" ? camera : null), budgetBps: 2_500_000 });
  tuner.update();
  const first = bob.told.at(-1)!;
  assert.equal(first.scaleResolutionDownBy, 360 / 270, "two links: 480x270 each");
  clock.advance(TUNE_INTERVAL_MS);
  await flush();
  assert.equal(bob.told.length, 1, "short round trips: the encoder's 'bandwidth' alone changes nothing");
  rtt = 0.6;
  clock.advance(TUNE_INTERVAL_MS);
  await flush();
  assert.ok(bob.told.at(-1)!.maxBitrate! <= 300_000 * 0.85, "long round trips: within the browser's estimate");
  assert.equal(carol.told.length, 1, "the other link keeps its plan");
  rtt = 0.02;
  reason = "none";
  for (let i = 0; i < 30; i++) {
    clock.advance(TUNE_INTERVAL_MS);
    await flush();
  }
  assert.deepEqual(bob.told.at(-1), first, "recovered");
  reason = "cpu";
  clock.advance(TUNE_INTERVAL_MS);
  await flush();
  assert.ok(carol.told.at(-1)!.scaleResolutionDownBy! > first.scaleResolutionDownBy!, "CPU-limited: every link smaller");
  tuner.stop();
  assert.equal(clock.pending, 0);
});
