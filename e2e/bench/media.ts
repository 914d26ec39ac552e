// Media figures of a call: per-link video bitrate, upload per participant, what each receiver decodes,
// encode time per frame. Read with getStats on every RTCPeerConnection of each page, which an init
// script records as the page creates them.
import type { Page } from "@playwright/test";
import { browserCpu } from "./cpu.js";

type PcWindow = { __BENCH_PCS__?: RTCPeerConnection[]; RTCPeerConnection: typeof RTCPeerConnection };

/** Init script (self-contained: Playwright sends its source): notes every RTCPeerConnection the page makes. */
export function recordPeerConnections(): void {
  const w = window as unknown as PcWindow;
  if (w.__BENCH_PCS__) return;
  const made: RTCPeerConnection[] = [];
  w.__BENCH_PCS__ = made;
  const Native = w.RTCPeerConnection;
  const Recorded = function (this: unknown, ...args: ConstructorParameters<typeof RTCPeerConnection>) {
    const pc = new Native(...args);
    made.push(pc);
    return pc;
  } as unknown as typeof RTCPeerConnection;
  Recorded.prototype = Native.prototype;
  Object.setPrototypeOf(Recorded, Native);
  w.RTCPeerConnection = Recorded;
}

/** One RTP stream's counters at one moment (getStats outbound-rtp or inbound-rtp). */
interface RtpCounters {
  kind: string;
  bytes: number;
  frames: number;
  totalEncodeTime: number;
  frameWidth: number;
  frameHeight: number;
  /** outbound-rtp qualityLimitationReason: none, cpu, bandwidth or other. */
  limitedBy: string;
}

/** One open link of a page: its outbound and inbound RTP streams, by stats id. */
interface LinkCounters {
  link: number;
  outbound: Record<string, RtpCounters>;
  inbound: Record<string, RtpCounters>;
}

function linkCounters(page: Page): Promise<LinkCounters[]> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as PcWindow).__BENCH_PCS__ ?? [];
    const links: LinkCounters[] = [];
    for (const [link, pc] of pcs.entries()) {
      if (pc.connectionState !== "connected") continue;
      const entry: LinkCounters = { link, outbound: {}, inbound: {} };
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        const out = s["type"] === "outbound-rtp";
        if (!out && s["type"] !== "inbound-rtp") return;
        const num = (k: string): number => Number(s[k] ?? 0);
        (out ? entry.outbound : entry.inbound)[String(s["id"])] = {
          kind: String(s["kind"]),
          bytes: num(out ? "bytesSent" : "bytesReceived"),
          frames: num(out ? "framesEncoded" : "framesDecoded"),
          totalEncodeTime: num("totalEncodeTime"),
          frameWidth: num("frameWidth"),
          frameHeight: num("frameHeight"),
          limitedBy: String(s["qualityLimitationReason"] ?? "none"),
        };
      });
      links.push(entry);
    }
    return links;
  });
}

export interface MediaFigures {
  /** CPU of all browser processes over the window, in cores. */
  cores: number;
  /** Outbound video per link (all its video streams, simulcast layers included), kbps. */
  linkVideoKbps: { median: number; max: number; links: number };
  /** Audio and video sent per participant, over all its links, kbps. */
  uploadKbps: { median: number; max: number };
  /** The worst receiver/remote video pair: smallest picture decoded, lowest decoded frame rate. */
  decode: { minWidth: number; minHeight: number; minFps: number; pairs: number; expectedPairs: number };
  /** Encoder time per encoded frame over every sender, ms. */
  encodeMsPerFrame: number | null;
  /** Outbound video streams whose quality the sender limited at the window's end, by reason (cpu, bandwidth). */
  limited: Record<string, number>;
  videoStreams: number;
  windowSeconds: number;
}

const median = (values: number[]): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round1 = (v: number): number => Math.round(v * 10) / 10;

/** Measures a formed call over `windowMs`: counters before and after, browser CPU in between. */
export async function measureCall(pages: Page[], windowMs: number): Promise<MediaFigures> {
  const before = await Promise.all(pages.map(linkCounters));
  const cpu = await browserCpu(windowMs);
  const after = await Promise.all(pages.map(linkCounters));
  const seconds = cpu.wallSeconds;
  const kbps = (bytes: number): number => (bytes * 8) / 1000 / seconds;

  const linkVideo: number[] = [];
  const upload: number[] = [];
  const pixels: { width: number; height: number }[] = [];
  const fps: number[] = [];
  let encodeSeconds = 0;
  let encodedFrames = 0;
  const limited: Record<string, number> = {};
  let videoStreams = 0;
  for (const [i, links] of after.entries()) {
    let sent = 0;
    for (const link of links) {
      const earlier = before[i]!.find((l) => l.link === link.link);
      let video = 0;
      for (const [id, out] of Object.entries(link.outbound)) {
        const was = earlier?.outbound[id];
        const bytes = out.bytes - (was?.bytes ?? 0);
        sent += bytes;
        if (out.kind !== "video") continue;
        video += bytes;
        videoStreams += 1;
        if (out.limitedBy !== "none") limited[out.limitedBy] = (limited[out.limitedBy] ?? 0) + 1;
        encodeSeconds += out.totalEncodeTime - (was?.totalEncodeTime ?? 0);
        encodedFrames += out.frames - (was?.frames ?? 0);
      }
      linkVideo.push(kbps(video));
      // A receiver's remote video: the link's inbound video stream (one per remote participant).
      for (const [id, inbound] of Object.entries(link.inbound)) {
        if (inbound.kind !== "video") continue;
        pixels.push({ width: inbound.frameWidth, height: inbound.frameHeight });
        fps.push((inbound.frames - (earlier?.inbound[id]?.frames ?? 0)) / seconds);
      }
    }
    upload.push(kbps(sent));
  }
  const n = pages.length;
  const smallest = pixels.reduce((a, b) => (b.width * b.height < a.width * a.height ? b : a), pixels[0] ?? { width: 0, height: 0 });
  return {
    cores: Math.round(cpu.cores * 100) / 100,
    linkVideoKbps: { median: Math.round(median(linkVideo)), max: Math.round(Math.max(0, ...linkVideo)), links: linkVideo.length },
    uploadKbps: { median: Math.round(median(upload)), max: Math.round(Math.max(0, ...upload)) },
    // A pair that decoded nothing counts as 0 fps (and it is missing from `pairs`).
    decode: {
      minWidth: smallest.width,
      minHeight: smallest.height,
      minFps: pixels.length < n * (n - 1) ? 0 : round1(Math.min(...fps)),
      pairs: pixels.length,
      expectedPairs: n * (n - 1),
    },
    encodeMsPerFrame: encodedFrames > 0 ? round1((encodeSeconds * 1000) / encodedFrames) : null,
    limited,
    videoStreams,
    windowSeconds: round1(seconds),
  };
}

type CallWindow = {
  __MESHMEET_HOOK__: {
    current(): { on(type: string, handler: (payload: { participant: { id: string; local: boolean }; stream: { kind: string; track: MediaStreamTrack } }) => void): void };
  };
};

/**
 * Shows every remote video of the page's meeting in a <video>, as an app would (decoding and
 * rendering are part of what a call costs). Call after the meeting is created, before join().
 */
export async function playRemoteVideos(page: Page): Promise<void> {
  await page.evaluate(() => {
    const meeting = (window as unknown as CallWindow).__MESHMEET_HOOK__.current();
    const videos = new Map<string, HTMLVideoElement>();
    meeting.on("stream-enabled", ({ participant, stream }) => {
      if (participant.local || stream.kind !== "video") return;
      const video = videos.get(participant.id) ?? document.createElement("video");
      videos.set(participant.id, video);
      video.muted = true;
      video.playsInline = true;
      video.width = 320;
      video.height = 180;
      document.body.append(video);
      video.srcObject = new MediaStream([stream.track]);
      void video.play().catch(() => undefined);
    });
    meeting.on("stream-disabled", ({ participant, stream }) => {
      if (participant.local || stream.kind !== "video") return;
      videos.get(participant.id)?.remove();
      videos.delete(participant.id);
    });
  });
}
