// Bench records: each test appends its figures as JSON lines; the teardown summarises them.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import type { MediaFigures } from "./media.js";
import { RECORDS } from "./paths.js";
import type { BundleSize, ModuleSize } from "./sizes.js";

/**
 * "meshmeet-hb250": meshmeet with the old heartbeats (heartbeatInterval 250, heartbeatTimeout 1800);
 * "meshmeet-hb3000": with rare ones (3000 / 8000), for what the idle-CPU target would cost in crash detection.
 */
export type Impl = "meshmeet" | "meshmeet-hb250" | "meshmeet-hb3000" | "peerjs" | "simple-peer";

/** Repeated timings of one figure: ms per run, null where the event was not seen within `capMs`. */
export interface TimingRecord {
  kind: "timing";
  figure: string;
  impl: Impl;
  n: number;
  runs: (number | null)[];
  capMs: number;
  /** Runs that failed outright (e.g. the mesh never formed), with the reason. */
  failures: string[];
}

export interface SizeRecord {
  kind: "sizes";
  sizes: BundleSize[];
  /** Per module of meshmeet's own code, when sizes.ts offers moduleSizes(). */
  modules?: ModuleSize[];
}

export interface MemoryRecord {
  kind: "memory";
  impl: Impl;
  n: number;
  /** Proportional set size of the tabs' renderer processes (/proc/PID/smaps_rollup), per tab. */
  rendererPssKB: number;
  rendererRssKB: number;
  renderers: number;
  /** CDP Performance.getMetrics JSHeapUsedSize, mean over the tabs. */
  jsHeapUsedKB: number;
}

/** Idle CPU of a formed mesh (no media): all browser processes, cores, one value per run. */
export interface CpuRecord {
  kind: "cpu";
  impl: Impl;
  n: number;
  runs: (number | null)[];
  /** Per successful run: cores by Chromium process type (renderer, gpu-process, utility, browser). */
  byType: Record<string, number>[];
  settleMs: number;
  windowMs: number;
  failures: string[];
}

/** One call with camera and microphone on, measured over a window after a settle. */
export interface MediaRecord {
  kind: "media";
  /** "audio only": the same calls with cameras off, what a call costs besides its video. */
  mode: "adaptive" | "fixed" | "audio only";
  n: number;
  figures: MediaFigures | null;
  settleMs: number;
  failures: string[];
}

export type BenchRecord = TimingRecord | SizeRecord | MemoryRecord | CpuRecord | MediaRecord;

export function record(r: BenchRecord): void {
  appendFileSync(RECORDS, JSON.stringify(r) + "\n");
}

export function readRecords(): BenchRecord[] {
  if (!existsSync(RECORDS)) return [];
  return readFileSync(RECORDS, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as BenchRecord);
}

/** Median and worst; a run that never saw the event counts as infinitely slow. */
export function summary(runs: (number | null)[]): { median: number | null; worst: number | null; seen: number } {
  const values = runs.map((r) => (r === null ? Number.POSITIVE_INFINITY : r)).sort((a, b) => a - b);
  if (values.length === 0) return { median: null, worst: null, seen: 0 };
  const mid = Math.floor(values.length / 2);
  const median = values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
  const worst = values[values.length - 1]!;
  const finite = (v: number): number | null => (Number.isFinite(v) ? Math.round(v) : null);
  return { median: finite(median), worst: finite(worst), seen: runs.filter((r) => r !== null).length };
}
