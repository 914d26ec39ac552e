// Keeps every link's senders on the plan (video-plan.ts): at once when a link is made or our media
// changes, and every two seconds while we send video, from what the browser reports on each link
// (an encoder limited by the CPU; round trips long enough to mean queues, with the bandwidth the
// browser then estimates). Reading statistics costs
// CPU, so nothing is read while no camera or screen is on.
import type { Cancel, Timers } from "./clock.js";
import type { Link } from "./link.js";
import type { Logger } from "./log.js";
import { DEFAULT_UPLINK_BUDGET, planLink, sameEncoding, type SenderEncoding, type VideoSource } from "./video-plan.js";

export { DEFAULT_UPLINK_BUDGET };

type Kind = "audio" | "video" | "share";

export const TUNE_INTERVAL_MS = 2000;
// Round trips above this mean packets queue somewhere: the link's share steps down.
const LONG_RTT_MS = 400;
// With long round trips and the encoder short of bandwidth: the link may use this much of the estimate.
const ESTIMATE_USE = 0.85;
// A link's ceiling rises by this much per clean sample, until it no longer limits anything.
const CAP_RECOVERY = 1.25;
// A limited link's ceiling, and the encoder budget while the CPU limits it, go down by this much per
// limited sample; the encoder budget comes back up after CPU_CLEAN_SAMPLES clean ones.
const STEP_DOWN = 0.7;
const CPU_CLEAN_SAMPLES = 3;

/** What one link's statistics say about our sending on it. */
export interface LinkFeedback {
  cpuLimited: boolean;
  bandwidthLimited: boolean;
  /** The browser's estimate of what the link can carry, bits/s. */
  availableBps: number | null;
  rttMs: number | null;
}

/** Reads a link's getStats() report: our outbound video's limitation and the selected candidate pair. */
export function feedbackOf(report: RTCStatsReport): LinkFeedback {
  const feedback: LinkFeedback = { cpuLimited: false, bandwidthLimited: false, availableBps: null, rttMs: null };
  let selectedPair: string | null = null;
  report.forEach((stat: { type: string; [key: string]: unknown }) => {
    if (stat.type === "transport" && typeof stat.selectedCandidatePairId === "string") selectedPair = stat.selectedCandidatePairId;
  });
  report.forEach((stat: { type: string; id?: unknown; [key: string]: unknown }) => {
    if (stat.type === "outbound-rtp" && stat.kind === "video") {
      if (stat.qualityLimitationReason === "cpu") feedback.cpuLimited = true;
      if (stat.qualityLimitationReason === "bandwidth") feedback.bandwidthLimited = true;
    }
    // Firefox names no selected pair on the transport: the nominated, succeeded pair is the one.
    const selected = selectedPair !== null ? stat.id === selectedPair : stat.nominated === true && stat.state === "succeeded";
    if (stat.type === "candidate-pair" && selected) {
      if (typeof stat.availableOutgoingBitrate === "number") feedback.availableBps = stat.availableOutgoingBitrate;
      if (typeof stat.currentRoundTripTime === "number") feedback.rttMs = stat.currentRoundTripTime * 1000;
    }
  });
  return feedback;
}

export interface VideoTunerDeps {
  timers: Timers;
  log: Logger;
  /** Our links now (each carries our media). */
  links(): Link[];
  /** The track we send of `kind` now; null: none. */
  track(kind: Kind): MediaStreamTrack | null;
  /** Upload of the whole participant, bits/s. */
  budgetBps: number;
}

function sourceOf(track: MediaStreamTrack | null): VideoSource | null {
  if (!track) return null;
  const settings = typeof track.getSettings === "function" ? track.getSettings() : {};
  // A track that does not say its size yet is planned as the camera default (640x360 at 30 fps).
  return { width: settings.width ?? 640, height: settings.height ?? 360, frameRate: settings.frameRate ?? 30 };
}

export class VideoTuner {
  private readonly applied = new WeakMap<Link, Partial<Record<Kind, SenderEncoding>>>();
  /** Per remote participant: a ceiling on what its link may carry, from the browser's measurements. */
  private readonly caps = new Map<string, number>();
  private cpuScale = 1;
  private cleanSamples = 0;
  private loop: Cancel | null = null;
  private sampling = false;

  constructor(private readonly deps: VideoTunerDeps) {}

  /** Something changed (a link came or went, our media changed): every sender gets its plan now. */
  update(): void {
    this.apply();
    const sending = this.deps.track("video") !== null || this.deps.track("share") !== null;
    if (sending && this.loop === null) this.loop = this.deps.timers.every(TUNE_INTERVAL_MS, () => void this.sample());
    if (!sending && this.loop !== null) this.halt();
  }

  /** Stops sampling (the meeting is over). */
  stop(): void {
    this.halt();
  }

  private halt(): void {
    this.loop?.();
    this.loop = null;
    this.caps.clear();
    this.cpuScale = 1;
    this.cleanSamples = 0;
  }

  private apply(): void {
    const links = this.deps.links();
    const camera = sourceOf(this.deps.track("video"));
    const share = sourceOf(this.deps.track("share"));
    for (const link of links) {
      const plan = planLink({ links: links.length, budgetBps: this.deps.budgetBps, cpuScale: this.cpuScale, camera, share, capBps: this.caps.get(link.remoteId) ?? null });
      const done = this.applied.get(link) ?? {};
      for (const kind of ["audio", "video", "share"] as const) {
        const want = plan[kind];
        if (!want || sameEncoding(done[kind], want)) continue;
        done[kind] = want;
        link.setEncoding(kind, want);
      }
      this.applied.set(link, done);
    }
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const links = this.deps.links().filter((link) => link.state === "open");
      const fair = this.deps.budgetBps / Math.max(1, this.deps.links().length);
      let cpuLimited = false;
      const reports = await Promise.all(links.map((link) => link.stats()));
      links.forEach((link, i) => {
        const report = reports[i];
        if (!report) return;
        const feedback = feedbackOf(report);
        cpuLimited ||= feedback.cpuLimited;
        const cap = this.caps.get(link.remoteId) ?? null;
        // The browser's estimate counts only with queues building (long round trips): a link that sends
        // little is estimated at little more than it sends, and "bandwidth" is then the encoder asking for
        // what the estimate has not probed yet, so capping there would only ratchet the picture down.
        // Short of that, the browser follows the link's bandwidth itself, within our ceiling.
        if (feedback.rttMs !== null && feedback.rttMs > LONG_RTT_MS) {
          const estimate = feedback.bandwidthLimited && feedback.availableBps !== null ? feedback.availableBps * ESTIMATE_USE : Number.POSITIVE_INFINITY;
          this.caps.set(link.remoteId, Math.min((cap ?? fair) * STEP_DOWN, estimate));
        } else if (cap !== null) {
          if (cap * CAP_RECOVERY >= fair) this.caps.delete(link.remoteId);
          else this.caps.set(link.remoteId, cap * CAP_RECOVERY);
        }
      });
      for (const id of this.caps.keys()) if (!links.some((link) => link.remoteId === id)) this.caps.delete(id);
      if (cpuLimited) {
        this.cpuScale = Math.max(0.25, this.cpuScale * STEP_DOWN);
        this.cleanSamples = 0;
        this.deps.log.debug(`video: the CPU limits the encoder; budget scaled to ${this.cpuScale.toFixed(2)}`);
      } else if (this.cpuScale < 1 && ++this.cleanSamples >= CPU_CLEAN_SAMPLES) {
        this.cpuScale = Math.min(1, this.cpuScale / STEP_DOWN);
        this.cleanSamples = 0;
      }
      this.apply();
    } finally {
      this.sampling = false;
    }
  }
}
