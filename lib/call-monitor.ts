// Once a second: how loud our own microphone was (its media source, from one link's getStats), told
// to everyone while we speak; and, while the app listens, every link's quality and the active speaker.
// Each participant measures its own voice because a receiver's inbound audio statistics only count
// audio the page plays out, and an app need not play it (or may be muted) to show who speaks.
import { ActiveSpeaker, SPEAKING_LEVEL, levelBetween, qualityOf, sampleOf, type AudioTotals, type ConnectionQuality, type LinkSample } from "./call-stats.js";

export const MONITOR_INTERVAL_MS = 1000;
// A member's last word on its voice counts this long (a lost "silent" must not keep it speaking).
const VOICE_FRESH_MS = 2500;

export interface CallMonitorDeps {
  selfId: string;
  /** Remote participants now. */
  remoteIds(): string[];
  linkStats(id: string): Promise<RTCStatsReport | null>;
  /** Whether `id`'s microphone is on (ours for selfId). */
  micOn(id: string): boolean;
  /** Whether the app listens for quality changes / speaker changes now. */
  wants(): { quality: boolean; speaker: boolean };
  /** Tells everyone how loud our microphone was over the last interval. */
  sendVoice(level: number): void;
  /** A participant's quality was measured; `changed` when its score differs from the last one. */
  quality(id: string, quality: ConnectionQuality, changed: boolean): void;
  speaker(id: string | null): void;
}

export class CallMonitor {
  private readonly samples = new Map<string, LinkSample>();
  private readonly scores = new Map<string, ConnectionQuality["score"]>();
  private readonly voices = new Map<string, { level: number; at: number }>();
  private readonly speaking = new ActiveSpeaker();
  private ownTotals: AudioTotals | null = null;
  private ownLevel: number | null = null;
  private saidLoud = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;

  constructor(private readonly deps: CallMonitorDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.samples.clear();
    this.scores.clear();
    this.voices.clear();
  }

  /** A member told us how loud it was. */
  heard(id: string, level: number): void {
    this.voices.set(id, { level, at: performance.now() });
  }

  /** A participant left. */
  forget(id: string): void {
    this.samples.delete(id);
    this.scores.delete(id);
    this.voices.delete(id);
    const changed = this.speaking.forget(id);
    if (changed !== undefined) this.deps.speaker(changed);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.tick()
        .catch(() => undefined)
        .finally(() => {
          if (this.running) this.schedule();
        });
    }, MONITOR_INTERVAL_MS);
  }

  private async tick(): Promise<void> {
    await this.measureOwnVoice();
    const wants = this.deps.wants();
    if (wants.quality) await this.measureLinks();
    else this.samples.clear(); // rates must never span an unwatched gap
    if (wants.speaker && this.running) this.pickSpeaker();
  }

  private async measureOwnVoice(): Promise<void> {
    const via = this.deps.remoteIds()[0];
    const report = via !== undefined && this.deps.micOn(this.deps.selfId) ? await this.deps.linkStats(via) : null;
    const totals = report ? sampleOf(report, 0).audioOut : null;
    this.ownLevel = levelBetween(this.ownTotals, totals);
    this.ownTotals = totals;
    const loud = (this.ownLevel ?? 0) >= SPEAKING_LEVEL;
    // Loud: say so every interval; quiet again: say it once.
    if (this.running && (loud || this.saidLoud)) this.deps.sendVoice(loud ? this.ownLevel! : 0);
    this.saidLoud = loud;
  }

  private async measureLinks(): Promise<void> {
    const ids = this.deps.remoteIds();
    const reports = await Promise.all(ids.map((id) => this.deps.linkStats(id)));
    if (!this.running) return;
    const at = performance.now();
    ids.forEach((id, i) => {
      const report = reports[i];
      if (!report) return;
      const sample = sampleOf(report, at);
      const quality = qualityOf(this.samples.get(id) ?? null, sample);
      this.samples.set(id, sample);
      const changed = this.scores.get(id) !== quality.score;
      this.scores.set(id, quality.score);
      this.deps.quality(id, quality, changed);
    });
  }

  private pickSpeaker(): void {
    const now = performance.now();
    const levels = new Map<string, number>();
    for (const [id, voice] of this.voices) {
      if (now - voice.at <= VOICE_FRESH_MS && this.deps.micOn(id)) levels.set(id, voice.level);
    }
    if (this.ownLevel !== null && this.deps.micOn(this.deps.selfId)) levels.set(this.deps.selfId, this.ownLevel);
    const speaker = this.speaking.sample(levels);
    if (speaker !== undefined) this.deps.speaker(speaker);
  }
}
