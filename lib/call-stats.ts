// What getStats says about each link, boiled down for the app: connection quality per participant
// (round-trip time, loss, bitrate) and who is speaking (audio levels, debounced). Pure rules here; the
// meeting polls the links once a second, and only while the app listens for these events.

/** One participant's connection, as our link to it sees it. */
export interface ConnectionQuality {
  /** `good`, `fair` (rtt over 250 ms or loss over 2 %) or `poor` (rtt over 500 ms or loss over 8 %). */
  readonly score: "good" | "fair" | "poor";
  /** Round-trip time of the link's selected ICE candidate pair, in ms; null before it is known. */
  readonly rttMs: number | null;
  /** Share of media packets from it lost over the last interval, in percent; null without media. */
  readonly lossPercent: number | null;
  /** What arrived from it over the last interval, media and data, in kbit/s. */
  readonly inboundKbps: number;
  /** What we sent it over the last interval, in kbit/s. */
  readonly outboundKbps: number;
}

/** The counters of one getStats report that the rules below use. */
export interface LinkSample {
  at: number;
  rttMs: number | null;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsLost: number;
  /** Inbound audio: total energy and seconds of it so far (getStats' totalAudioEnergy, totalSamplesDuration); null without. */
  audioIn: AudioTotals | null;
  /** Our microphone, as the link's media source counts it; null without one. */
  audioOut: AudioTotals | null;
}

export interface AudioTotals {
  energy: number;
  seconds: number;
}

type StatsEntry = Record<string, unknown>;

const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** Reads one link's RTCStatsReport (or any map of stats by id, for tests). */
export function sampleOf(report: { forEach(cb: (value: StatsEntry) => void): void }, at: number): LinkSample {
  const sample: LinkSample = { at, rttMs: null, bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsLost: 0, audioIn: null, audioOut: null };
  const entries: StatsEntry[] = [];
  report.forEach((value) => entries.push(value));
  for (const s of entries) {
    const type = s["type"];
    if (type === "candidate-pair" && (s["nominated"] === true || s["selected"] === true) && s["state"] === "succeeded") {
      const rtt = num(s["currentRoundTripTime"]);
      if (rtt !== null) sample.rttMs = Math.round(rtt * 1000);
      sample.bytesIn += num(s["bytesReceived"]) ?? 0;
      sample.bytesOut += num(s["bytesSent"]) ?? 0;
    } else if (type === "inbound-rtp") {
      sample.packetsIn += num(s["packetsReceived"]) ?? 0;
      sample.packetsLost += Math.max(0, num(s["packetsLost"]) ?? 0);
      if (s["kind"] === "audio") sample.audioIn = addAudio(sample.audioIn, s);
    } else if (type === "media-source" && s["kind"] === "audio") {
      sample.audioOut = addAudio(sample.audioOut, s);
    }
  }
  return sample;
}

function addAudio(totals: AudioTotals | null, s: StatsEntry): AudioTotals | null {
  const energy = num(s["totalAudioEnergy"]);
  const seconds = num(s["totalSamplesDuration"]);
  if (energy === null || seconds === null) return totals;
  return { energy: (totals?.energy ?? 0) + energy, seconds: (totals?.seconds ?? 0) + seconds };
}

/**
 * The audio level (0..1, RMS) over the interval between two samples, from energy totals: an
 * instantaneous audioLevel read once a second would mostly land between syllables.
 */
export function levelBetween(previous: AudioTotals | null, current: AudioTotals | null): number | null {
  if (!previous || !current) return null;
  const seconds = current.seconds - previous.seconds;
  const energy = current.energy - previous.energy;
  if (!(seconds > 0) || energy < 0) return null;
  return Math.sqrt(energy / seconds);
}

/** Quality over the interval between two samples of the same link. */
export function qualityOf(previous: LinkSample | null, current: LinkSample): ConnectionQuality {
  const seconds = previous ? Math.max(0.001, (current.at - previous.at) / 1000) : 0;
  const rate = (now: number, before: number | undefined): number =>
    previous && before !== undefined && now >= before ? Math.round(((now - before) * 8) / 1000 / seconds) : 0;
  let lossPercent: number | null = null;
  if (previous) {
    const lost = current.packetsLost - previous.packetsLost;
    const got = current.packetsIn - previous.packetsIn;
    if (lost >= 0 && got >= 0 && lost + got > 0) lossPercent = Math.round((lost / (lost + got)) * 1000) / 10;
  }
  const rtt = current.rttMs;
  const loss = lossPercent ?? 0;
  const score = (rtt ?? 0) > 500 || loss > 8 ? "poor" : (rtt ?? 0) > 250 || loss > 2 ? "fair" : "good";
  return { score, rttMs: rtt, lossPercent, inboundKbps: rate(current.bytesIn, previous?.bytesIn), outboundKbps: rate(current.bytesOut, previous?.bytesOut) };
}

// Below this level nobody counts as speaking (Chromium's audioLevel is 0..1, linear).
export const SPEAKING_LEVEL = 0.02;
// A new speaker takes over after being loudest this many samples in a row; silence ends the turn
// after SILENT_SAMPLES: a word's gaps must not flicker the highlight.
export const TAKEOVER_SAMPLES = 2;
export const SILENT_SAMPLES = 3;

/** Who is speaking, from audio levels per participant (ours included), debounced. */
export class ActiveSpeaker {
  private current: string | null = null;
  private candidate: string | null = null;
  private streak = 0;
  private silent = 0;

  get id(): string | null {
    return this.current;
  }

  /** One sample of levels by participant id; returns the new active speaker when it changed, else undefined. */
  sample(levels: ReadonlyMap<string, number>): string | null | undefined {
    let loudest: string | null = null;
    let top = SPEAKING_LEVEL;
    for (const [id, level] of levels) {
      if (level >= top) {
        top = level;
        loudest = id;
      }
    }
    if (loudest === null) {
      this.candidate = null;
      this.streak = 0;
      if (this.current !== null && ++this.silent >= SILENT_SAMPLES) return this.set(null);
      return undefined;
    }
    this.silent = 0;
    if (loudest === this.current) {
      this.candidate = null;
      this.streak = 0;
      return undefined;
    }
    this.streak = loudest === this.candidate ? this.streak + 1 : 1;
    this.candidate = loudest;
    // The first speaker of a quiet room takes the floor at once; taking it from someone needs a streak.
    if (this.current === null || this.streak >= TAKEOVER_SAMPLES) return this.set(loudest);
    return undefined;
  }

  /** A participant left: it speaks no more. */
  forget(id: string): string | null | undefined {
    if (this.candidate === id) {
      this.candidate = null;
      this.streak = 0;
    }
    return this.current === id ? this.set(null) : undefined;
  }

  private set(id: string | null): string | null {
    this.current = id;
    this.candidate = null;
    this.streak = 0;
    this.silent = 0;
    return id;
  }
}
