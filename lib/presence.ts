// Silent is not gone. A member whose link went quiet (or closed without a goodbye) stays a member,
// "reconnecting", while its link heals: we ask the broker whether its registration still exists (a
// crashed or closed tab's disappears at once, so "gone" is still told fast), offer a new link now and
// then, and give up only after the reconnect timeout.
import type { Registration } from "./broker.js";
import type { Cancel, Timers } from "./clock.js";
import type { Logger } from "./log.js";

export type { Registration };

export interface PresenceDeps {
  timers: Timers;
  log: Logger;
  reconnectTimeout: number;
  /** Asks the broker whether `id`'s registration still exists. Never rejects. */
  probe(id: string): Promise<Registration>;
  /** Offers `id` a new link (through the broker), unless one is being set up. */
  relink(id: string): void;
  /** `id` went silent (first time in this episode). */
  reconnecting(id: string): void;
  /** `id` is heard from again. */
  reconnected(id: string): void;
  /** `id` is gone: its registration disappeared, or it stayed silent for the reconnect timeout. */
  lost(id: string): void;
}

// A new link is offered this long after a member went silent, and again this often while it stays silent.
const RELINK_EVERY_MS = 1000;
// The broker is asked at once, then with these pauses, then every last one: a closed tab's socket can
// reach the broker a moment after its link closed.
const PROBE_PAUSES_MS = [300, 700, 1500, 3000];

interface Episode {
  since: number;
  timers: Cancel[];
  probes: number;
  probing: boolean;
}

export class Presence {
  private readonly silent = new Map<string, Episode>();
  private readonly doubting = new Set<string>();

  constructor(private readonly deps: PresenceDeps) {}

  /** Members reconnecting now. */
  get reconnecting(): ReadonlySet<string> {
    return new Set(this.silent.keys());
  }

  isSilent(id: string): boolean {
    return this.silent.has(id);
  }

  /** Every one of `ids` (at least one) is reconnecting, `also` counted as such: we are cut off from them all. */
  cutOffFrom(ids: Iterable<string>, also: string | null = null): boolean {
    let any = false;
    for (const id of ids) {
      if (id !== also && !this.silent.has(id)) return false;
      any = true;
    }
    return any;
  }

  /** `id` went silent: starts an episode (once), with probes, new links and the reconnect timeout. */
  quiet(id: string): void {
    if (this.silent.has(id)) return;
    const { timers } = this.deps;
    const episode: Episode = { since: timers.now(), timers: [], probes: 0, probing: false };
    this.silent.set(id, episode);
    this.deps.log.info(`${id} went silent; reconnecting`);
    episode.timers.push(
      timers.after(this.deps.reconnectTimeout, () => {
        if (this.silent.get(id) !== episode) return;
        this.deps.log.info(`${id} stayed silent for ${this.deps.reconnectTimeout} ms`);
        this.end(id);
        this.deps.lost(id);
      }),
      timers.every(RELINK_EVERY_MS, () => {
        if (this.silent.get(id) === episode) this.deps.relink(id);
      }),
    );
    this.deps.reconnecting(id);
    this.probe(id, episode);
  }

  /**
   * `id` has been quiet for a while, not yet long enough to count as silent: ask the broker now (once),
   * so that a crashed tab is told gone at about the heartbeat timeout. Still registered: nothing happens.
   */
  doubt(id: string): void {
    if (this.silent.has(id) || this.doubting.has(id)) return;
    this.doubting.add(id);
    void this.deps.probe(id).then((answer) => {
      this.doubting.delete(id);
      if (answer !== "gone") return;
      this.deps.log.info(`${id} went quiet and is no longer registered at the broker: gone`);
      this.end(id);
      this.deps.lost(id);
    });
  }

  /** Something arrived from `id`: the episode is over. */
  heard(id: string): void {
    if (!this.silent.has(id)) return;
    this.end(id);
    this.deps.log.info(`${id} is back`);
    this.deps.reconnected(id);
  }

  /** Our own signaling came back: every silent member gets a new link offer at once. */
  kick(): void {
    for (const id of this.silent.keys()) this.deps.relink(id);
  }

  /** `id` left (or was removed): its episode ends without a word. */
  forget(id: string): void {
    this.end(id);
  }

  private end(id: string): void {
    const episode = this.silent.get(id);
    if (!episode) return;
    this.silent.delete(id);
    for (const cancel of episode.timers) cancel();
  }

  private probe(id: string, episode: Episode): void {
    if (episode.probing || this.silent.get(id) !== episode) return;
    episode.probing = true;
    void this.deps.probe(id).then((answer) => {
      episode.probing = false;
      if (this.silent.get(id) !== episode) return;
      if (answer === "gone") {
        this.deps.log.info(`${id} is no longer registered at the broker: gone`);
        this.end(id);
        return this.deps.lost(id);
      }
      const pause = PROBE_PAUSES_MS[Math.min(episode.probes++, PROBE_PAUSES_MS.length - 1)]!;
      episode.timers.push(this.deps.timers.after(pause, () => this.probe(id, episode)));
    });
  }
}
