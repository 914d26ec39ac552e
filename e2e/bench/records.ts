// Bench records: each test appends its figures as JSON lines; the teardown summarises them.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { RECORDS } from "./paths.js";
import type { BundleSize } from "./sizes.js";

export type Impl = "meshmeet" | "peerjs" | "simple-peer";

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

export interface ScaleRecord {
  kind: "scale";
  impl: Impl;
  limitMs: number;
  /** Every N tried: formation ms per run (null: did not form within the limit). */
  tried: { n: number; runs: (number | null)[]; failures: string[] }[];
  largestN: number | null;
}

export type BenchRecord = TimingRecord | SizeRecord | MemoryRecord | ScaleRecord;

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
