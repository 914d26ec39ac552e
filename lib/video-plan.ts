// What each link's senders may spend. In a mesh every link encodes its own copy of our camera, so the
// upload and the encoder's CPU both grow with the number of links; left alone, the browser starts
// every link at its default target (VP8 at the camera's full size, about 1.7 Mbps), which at five
// participants is four full encodes and several Mbps of upload. The plan splits one budget per
// participant (upload in bits/s, encoder work in pixels/s) over the links, and picks per link the
// largest size and frame rate that fits: video steps down rung by rung, pauses below its floor, and
// audio keeps its share and the highest priority. A screen share is favoured over the camera.

/** A local video track as the plan sees it (from MediaStreamTrack.getSettings()). */
export interface VideoSource {
  width: number;
  height: number;
  frameRate: number;
}

/** What one sender of one link is told (the fields of RTCRtpEncodingParameters we set). */
export interface SenderEncoding {
  active: boolean;
  priority: RTCPriorityType;
  maxBitrate?: number;
  scaleResolutionDownBy?: number;
  maxFramerate?: number;
  /** What the browser keeps when it must give something up: a camera's frame rate, a screen's size. */
  degradationPreference?: "balanced" | "maintain-framerate" | "maintain-resolution";
}

export interface LinkPlan {
  audio: SenderEncoding;
  video: SenderEncoding | null;
  share: SenderEncoding | null;
}

export interface PlanInput {
  /** Links that carry our media now (at least 1). */
  links: number;
  /** Upload of the whole participant, bits/s. */
  budgetBps: number;
  /** Scales the encoder budget down while the browser says the CPU limits it (0.25..1). */
  cpuScale: number;
  camera: VideoSource | null;
  share: VideoSource | null;
  /** This link's ceiling from what the browser measured (bandwidth-limited, long round trips); null: none. */
  capBps: number | null;
}

/** Default upload per participant, all links together: what many home uplinks sustain. */
export const DEFAULT_UPLINK_BUDGET = 2_500_000;
/** Opus voice plus packet overhead, per link: kept out of the video's share. */
export const AUDIO_RESERVE_BPS = 40_000;
/**
 * Encoder work per participant, all links together: one 640x360 camera at 30 fps, or one encode of the
 * camera at its own size if larger (whoever opens an HD camera wants HD in a call of two).
 */
export const PIXEL_BUDGET = 640 * 360 * 30;
// Below this a camera stream is not worth its bits: 320x180 at 15 fps (the bench's quality floor).
const FLOOR = { height: 180, fps: 15, bps: 110_000 };
// With a screen share on, it gets this part of each link's video budget; the camera the rest.
const SHARE_PART = 0.7;
// A screen is mostly still: its encoder costs about this much of a camera's per pixel.
const SCREEN_PIXEL_WEIGHT = 0.25;

interface Rung {
  height: number;
  fps: number;
}

// Camera rungs, best first; the plan takes the first that fits both budgets, else the floor.
const CAMERA_RUNGS: readonly Rung[] = [
  { height: 1080, fps: 30 },
  { height: 720, fps: 30 },
  { height: 720, fps: 20 },
  { height: 540, fps: 30 },
  { height: 540, fps: 20 },
  { height: 360, fps: 30 },
  { height: 360, fps: 20 },
  { height: 270, fps: 30 },
  { height: 270, fps: 20 },
  { height: 180, fps: 30 },
  { height: 180, fps: 20 },
];

// Screen rungs: size first (text must stay readable), then frame rate.
const SCREEN_RUNGS: readonly Rung[] = [
  { height: 1080, fps: 15 },
  { height: 1080, fps: 10 },
  { height: 1080, fps: 5 },
  { height: 720, fps: 10 },
  { height: 720, fps: 5 },
  { height: 540, fps: 5 },
  { height: 360, fps: 5 },
];

// Bits per pixel VP8 needs for a decent picture: small pictures need more per pixel.
function bitsPerPixel(height: number, screen: boolean): number {
  if (screen) return 0.03;
  return height >= 720 ? 0.05 : height >= 540 ? 0.06 : height >= 360 ? 0.07 : height >= 270 ? 0.08 : 0.1;
}

interface Fit {
  height: number;
  fps: number;
  /** Pixels per second at this size and rate. */
  pixels: number;
  /** What it needs, bits/s. */
  bps: number;
}

// The rung as this source can give it: never larger than the source, never faster.
function fit(rung: Rung, source: VideoSource, screen: boolean): Fit {
  const height = Math.min(rung.height, source.height);
  const fps = Math.min(rung.fps, source.frameRate > 0 ? source.frameRate : rung.fps);
  const width = (source.width / Math.max(1, source.height)) * height;
  const pixels = width * height * fps;
  return { height, fps, pixels, bps: pixels * bitsPerPixel(height, screen) };
}

function encoding(source: VideoSource, chosen: Fit, bps: number, priority: RTCPriorityType, screen: boolean): SenderEncoding {
  return {
    active: true,
    priority,
    // The rung's need with headroom, never more than the link's share: a small picture cannot use more.
    maxBitrate: Math.floor(Math.min(bps, chosen.bps * 2)),
    scaleResolutionDownBy: Math.max(1, source.height / chosen.height),
    maxFramerate: chosen.fps,
    // A camera keeps its frame rate: "balanced" (Chromium's table) drops a 320x180 picture to 10 fps at
    // the first sign of a low bitrate, which the bench measured; a screen keeps its size (text).
    degradationPreference: screen ? "maintain-resolution" : "maintain-framerate",
  };
}

function planCamera(source: VideoSource, bps: number, pixels: number): SenderEncoding {
  for (const rung of CAMERA_RUNGS) {
    const chosen = fit(rung, source, false);
    if (chosen.bps <= bps && chosen.pixels <= pixels) return encoding(source, chosen, bps, "low", false);
  }
  const floor = fit(FLOOR, source, false);
  // Below the floor the camera pauses on this link, so that its voice keeps what it needs.
  if (bps < FLOOR.bps) return { active: false, priority: "very-low" };
  return encoding(source, floor, bps, "very-low", false);
}

function planScreen(source: VideoSource, bps: number, pixels: number): SenderEncoding {
  for (const rung of SCREEN_RUNGS) {
    const chosen = fit(rung, source, true);
    if (chosen.bps <= bps && chosen.pixels * SCREEN_PIXEL_WEIGHT <= pixels) return encoding(source, chosen, bps, "medium", true);
  }
  // The shared screen is what the meeting looks at: it keeps its smallest rung whatever the budget.
  const last = SCREEN_RUNGS[SCREEN_RUNGS.length - 1]!;
  return encoding(source, fit(last, source, true), Math.max(bps, fit(last, source, true).bps), "medium", true);
}

/** The encodings of one link's senders, given the participant's budget and what it sends. */
export function planLink(input: PlanInput): LinkPlan {
  const links = Math.max(1, input.links);
  const perLink = Math.min(input.budgetBps / links, input.capBps ?? Number.POSITIVE_INFINITY);
  const videoBps = Math.max(0, perLink - AUDIO_RESERVE_BPS);
  const own = input.camera ? input.camera.width * input.camera.height * input.camera.frameRate : 0;
  const pixels = (Math.max(PIXEL_BUDGET, own) * Math.min(1, Math.max(0.25, input.cpuScale))) / links;
  const audio: SenderEncoding = { active: true, priority: "high" };
  if (input.share && input.camera) {
    return {
      audio,
      share: planScreen(input.share, videoBps * SHARE_PART, pixels * SHARE_PART),
      video: planCamera(input.camera, videoBps * (1 - SHARE_PART), pixels * (1 - SHARE_PART)),
    };
  }
  return {
    audio,
    video: input.camera ? planCamera(input.camera, videoBps, pixels) : null,
    share: input.share ? planScreen(input.share, videoBps, pixels) : null,
  };
}

/** Same encoding (so that a sender is not told again what it already does). */
export function sameEncoding(a: SenderEncoding | undefined, b: SenderEncoding | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.active === b.active &&
    a.priority === b.priority &&
    a.maxBitrate === b.maxBitrate &&
    a.scaleResolutionDownBy === b.scaleResolutionDownBy &&
    a.maxFramerate === b.maxFramerate &&
    a.degradationPreference === b.degradationPreference
  );
}
