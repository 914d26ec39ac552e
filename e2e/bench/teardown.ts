// Playwright globalTeardown of the bench: the records of this run as a table (stdout and
// bench-results/bench.md) and as JSON (bench-results/bench.json), with each target checked.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { BENCH_JSON, BENCH_TABLE, STARTED } from "./paths.js";
import { readRecords, summary, type Impl, type MemoryRecord, type ScaleRecord, type SizeRecord, type TimingRecord } from "./records.js";

const IMPLS: Impl[] = ["meshmeet", "peerjs", "simple-peer"];
const HEAD: Record<Impl, string> = { meshmeet: "meshmeet", peerjs: "raw PeerJS", "simple-peer": "raw simple-peer" };

interface Target {
  name: string;
  goal: string;
  /** The measured value the target is judged on, or null when never seen. */
  value: number | null;
  limit: number;
  unit: string;
}

function chromiumVersion(): string {
  try {
    return execFileSync("/usr/bin/chromium", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "Playwright's bundled Chromium";
  }
}

function cpuModel(): string {
  const info = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  return /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpus()[0]?.model ?? "unknown";
}

function fmtMs(ms: number | null, capMs: number): string {
  if (ms === null) return `not within ${capMs / 1000} s`;
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

function cell(r: TimingRecord | undefined): string {
  if (!r) return "";
  if (r.runs.length === 0) return `failed (${r.failures.join("; ")})`;
  const s = summary(r.runs);
  const never = r.runs.every((v) => v === null);
  if (never) return `never (not within ${r.capMs / 1000} s, ${r.runs.length} runs)`;
  const runs = r.failures.length > 0 ? `, ${r.failures.length} failed runs` : "";
  return `${fmtMs(s.median, r.capMs)} / ${fmtMs(s.worst, r.capMs)}${s.seen < r.runs.length ? ` (seen in ${s.seen}/${r.runs.length})` : ""}${runs}`;
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

export default function teardown(): void {
  const records = readRecords();
  const timings = records.filter((r): r is TimingRecord => r.kind === "timing");
  const sizes = records.find((r): r is SizeRecord => r.kind === "sizes")?.sizes ?? [];
  const memory = records.filter((r): r is MemoryRecord => r.kind === "memory");
  const scale = records.find((r): r is ScaleRecord => r.kind === "scale");
  const find = (figure: string, impl: Impl, n: number): TimingRecord | undefined =>
    timings.find((t) => t.figure === figure && t.impl === impl && t.n === n);
  const startInfo = existsSync(STARTED) ? (JSON.parse(readFileSync(STARTED, "utf8")) as { at: number; loadavg: number[] }) : { at: Date.now(), loadavg: loadavg() };
  const started = startInfo.at;
  const totalSeconds = Math.round((Date.now() - started) / 1000);
  const runs = Math.max(0, ...timings.map((t) => t.runs.length));

  const lines: string[] = [];
  lines.push(`| figure | N | ${IMPLS.map((i) => HEAD[i]).join(" | ")} |`);
  lines.push(`|---|---|${IMPLS.map(() => "---").join("|")}|`);
  const rows: [string, string][] = [
    ["formation", "Mesh formation (all join at once → everyone sees everyone)"],
    ["end", "End propagation (host's end() → last meeting-left)"],
    ["goodbye", "Leave seen by others: leave() (goodbye)"],
    ["tab close", "Leave seen by others: tab closed"],
    ["crash", "Leave seen by others: renderer crash"],
    ["freeze: reconnecting", "Frozen tab seen as reconnecting by the others (gone at reconnectTimeout)"],
  ];
  for (const [figure, label] of rows) {
    const ns = [...new Set(timings.filter((t) => t.figure === figure).map((t) => t.n))].sort((a, b) => a - b);
    for (const n of ns) {
      lines.push(`| ${label} | ${n} | ${IMPLS.map((i) => cell(find(figure, i, n)) || "n/a").join(" | ")} |`);
    }
  }
  for (const n of [...new Set(memory.map((m) => m.n))].sort((a, b) => a - b)) {
    const cells = IMPLS.map((i) => {
      const m = memory.find((r) => r.impl === i && r.n === n);
      return m ? `${(m.rendererPssKB / 1024).toFixed(0)} MiB renderer PSS, JS heap ${(m.jsHeapUsedKB / 1024).toFixed(1)} MiB` : "n/a";
    });
    lines.push(`| Memory per tab (formed mesh) | ${n} | ${cells.join(" | ")} |`);
  }
  if (scale) {
    const tried = scale.tried.map((t) => `N=${t.n}: ${t.runs.map((r) => (r === null ? "no" : `${(r / 1000).toFixed(1)} s`)).join(", ")}`).join("; ");
    // The scale search starts above the largest formation size; below it, the formation runs count.
    const formation8 = find("formation", "meshmeet", 8);
    const eightOk = formation8 !== undefined && formation8.runs.length > 0 && formation8.runs.every((r) => r !== null && r <= scale.limitMs);
    const largest = scale.largestN ?? (eightOk ? 8 : null);
    lines.push(`| Scale: largest N whose mesh formed within ${scale.limitMs / 1000} s in every run | ${largest ?? "none"} | ${tried} | not measured | not measured |`);
  }
  const sizeLines = ["| bundle | minified | gzipped |", "|---|---|---|"];
  for (const s of sizes) sizeLines.push(`| ${s.name} (${s.what}) | ${kb(s.minBytes)} | ${kb(s.gzipBytes)} |`);

  const median = (figure: string, impl: Impl, n: number): number | null => {
    const r = find(figure, impl, n);
    return r ? summary(r.runs).median : null;
  };
  const worst = (figure: string, impl: Impl, n: number): number | null => {
    const r = find(figure, impl, n);
    return r ? summary(r.runs).worst : null;
  };
  const own = sizes.find((s) => s.name === "meshmeet's own code");
  const targets: Target[] = [
    { name: "End propagation, N=6, median", goal: "< 50 ms", value: median("end", "meshmeet", 6), limit: 50, unit: "ms" },
    { name: "Crash seen by others, N=4, worst", goal: "< 3000 ms", value: worst("crash", "meshmeet", 4), limit: 3000, unit: "ms" },
    { name: "Mesh formation, N=6, median", goal: "< 2000 ms", value: median("formation", "meshmeet", 6), limit: 2000, unit: "ms" },
    { name: "meshmeet's own code, gzipped", goal: "< 10 KiB", value: own ? own.gzipBytes : null, limit: 10 * 1024, unit: "B" },
  ];
  const targetLines = ["| target | goal | measured | |", "|---|---|---|---|"];
  for (const t of targets) {
    const met = t.value !== null && t.value < t.limit;
    const by = t.value === null ? "not measured" : met ? "met" : `missed by ${t.value - t.limit} ${t.unit}`;
    targetLines.push(`| ${t.name} | ${t.goal} | ${t.value ?? "-"} ${t.unit} | ${by} |`);
  }

  const machine = {
    cpus: cpus().length,
    cpuModel: cpuModel(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    chromium: chromiumVersion(),
    node: process.version,
    date: new Date().toISOString(),
    /** 1-minute load average at the start and at the end (other work on the machine perturbs timings). */
    loadAverage: { start: startInfo.loadavg[0], end: loadavg()[0] },
  };
  const header = `${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.chromium} (headless), Node ${machine.node}, ${machine.date}; load average ${machine.loadAverage.start?.toFixed(1)} at start, ${machine.loadAverage.end?.toFixed(1)} at end; ${runs} runs per figure, cells are median / worst; bench took ${totalSeconds} s`;
  const table = [header, "", ...lines, "", ...sizeLines, "", ...targetLines].join("\n");
  writeFileSync(BENCH_TABLE, table + "\n");
  writeFileSync(BENCH_JSON, JSON.stringify({ machine, totalSeconds, records, targets }, null, 2) + "\n");
  console.log(`\n${table}\n\nwritten: ${BENCH_JSON}, ${BENCH_TABLE}`);
}
