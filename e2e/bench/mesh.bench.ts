// npm run bench: meshmeet side by side with a raw PeerJS and a raw simple-peer full mesh, in one run,
// one browser, one broker (in its own process, see broker-main.ts). Every timing is wall-clock ms
// (Date.now() in Node, timeOrigin + now() in the pages: the same machine clock), taken right before
// the action, and every timed run comes after an untimed warm-up formation of the same tabs. Figures
// go to records.jsonl; teardown.ts prints the tables and writes bench-results/bench.json.
import type { Browser, Page } from "@playwright/test";
import { test, type MeshParticipant } from "meshmeet/testing";
import { browserCpu } from "./cpu.js";
import {
  BaselinePool,
  baselineDepartures,
  baselineFormation,
  endPropagation,
  hostOf,
  memoryPerTab,
  MeshPool,
  meshmeetFormation,
  type Baseline,
  type BaselineTab,
} from "./harness.js";
import { measureCall, playRemoteVideos, recordPeerConnections } from "./media.js";
import { BENCH_BROKER } from "./paths.js";
import { record, summary, type Impl, type TimingRecord } from "./records.js";
import * as sizes from "./sizes.js";

const numbers = (name: string, fallback: string): number[] => (process.env[name] ?? fallback).split(",").map(Number);
const knob = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** Repeats of every small figure (at least 5 for the published table). */
const RUNS = knob("MESHMEET_BENCH_RUNS", 5);
const SIZES = numbers("MESHMEET_BENCH_N", "2,4,6,8");
/**
 * Crash runs of meshmeet, default and old heartbeats: detection is bimodal (about 1 s or about the
 * heartbeat timeout, 1.8 s), so 5 runs of identical settings gave medians of 1035 and 1762 ms.
 */
const CRASH_RUNS = knob("MESHMEET_BENCH_CRASH_RUNS", 10);
/** Group size for the departure figures (one leaves, the others watch). */
const DEPARTURE_N = 4;
const FORMATION_TIMEOUT = 15_000;
/** How long a departure may take to be seen before it counts as "not seen". */
const MESHMEET_DEPARTURE_CAP = 10_000;
const BASELINE_DEPARTURE_CAP = knob("MESHMEET_BENCH_BASELINE_CAP", 25_000);
/** Scale: formation at each of these N for every implementation. */
const SCALE_N = numbers("MESHMEET_BENCH_SCALE_N", "10,12,14,16");
const SCALE_RUNS = knob("MESHMEET_BENCH_SCALE_RUNS", 2);
const SCALE_CAP = 30_000;
const MEMORY_N = 8;
/** Idle CPU of a formed mesh without media, at these N. */
const CPU_N = numbers("MESHMEET_BENCH_CPU_N", "8,16");
const CPU_RUNS = knob("MESHMEET_BENCH_CPU_RUNS", 2);
const CPU_SETTLE_MS = 3000;
const CPU_WINDOW_MS = knob("MESHMEET_BENCH_CPU_WINDOW_MS", 10_000);
/** Calls with camera and microphone, at these N, adaptive and fixed video. */
const MEDIA_N = numbers("MESHMEET_BENCH_MEDIA_N", "2,3,4,5");
const MEDIA_SETTLE_MS = 5000;
const MEDIA_WINDOW_MS = knob("MESHMEET_BENCH_MEDIA_WINDOW_MS", 10_000);
const MEDIA_FORMATION_TIMEOUT = 30_000;
/** A settle pause after the mesh formed, before the next action is timed. */
const SETTLE_MS = 300;
/** The heartbeats meshmeet had before they were made cheaper: crash detection must not get slower than this. */
const OLD_HEARTBEATS = { heartbeatInterval: 250, heartbeatTimeout: 1800 };
// Rare pings: what an idle mesh costs when crash detection waits for 0.6 x 8 s (idle CPU only).
const RARE_HEARTBEATS = { heartbeatInterval: 3000, heartbeatTimeout: 8000 };
type MeshImpl = "meshmeet" | "meshmeet-hb250" | "meshmeet-hb3000";
const HEARTBEATS: Record<MeshImpl, Record<string, number>> = { meshmeet: {}, "meshmeet-hb250": OLD_HEARTBEATS, "meshmeet-hb3000": RARE_HEARTBEATS };

const BROKER = BENCH_BROKER;
const BASELINES = ["peerjs", "simple-peer"] as const satisfies readonly Baseline[];

const settle = (ms = SETTLE_MS): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const message = (error: unknown): string => (error instanceof Error ? error.message.split("\n")[0]! : String(error));

function timing(figure: string, impl: Impl, n: number, capMs: number): TimingRecord {
  return { kind: "timing", figure, impl, n, runs: [], capMs, failures: [] };
}

function log(r: TimingRecord): void {
  const s = summary(r.runs);
  console.log(`  ${r.figure} ${r.impl} N=${r.n}: median ${s.median ?? "-"} ms, worst ${s.worst ?? "-"} ms, seen ${s.seen}/${r.runs.length}${r.failures.length ? `, failures: ${r.failures.join("; ")}` : ""}`);
}

test.describe.configure({ timeout: 600_000 });

// Tabs are reused across runs and tests (a reload between runs): one pool per implementation (and
// per set of meeting options).
const meshPools = new Map<string, MeshPool>();
const baselinePools = new Map<Baseline, BaselinePool>();
function meshPool(browser: Browser, label: MeshImpl | string, options: Record<string, unknown> = {}, initScripts: (() => void)[] = []): MeshPool {
  const pool = meshPools.get(label) ?? new MeshPool(BROKER, browser, options, initScripts, label);
  meshPools.set(label, pool);
  return pool;
}
const meshmeetPool = (browser: Browser, impl: MeshImpl): MeshPool => meshPool(browser, impl, HEARTBEATS[impl]);
function baselinePool(browser: Browser, impl: Baseline): BaselinePool {
  const pool = baselinePools.get(impl) ?? new BaselinePool(browser, impl, BROKER);
  baselinePools.set(impl, pool);
  return pool;
}
/** Closes every tab: CPU and memory are read for the whole browser, so only the measured tabs may be open. */
async function disposePools(): Promise<void> {
  for (const pool of meshPools.values()) await pool.dispose();
  meshPools.clear();
  for (const pool of baselinePools.values()) await pool.dispose();
  baselinePools.clear();
}

/**
 * Memory per tab of a formed mesh. Only the measured tabs are open then (the formation tests run one
 * implementation at a time, and each pool grows to the largest N), since /proc is read for every
 * renderer process of this browser.
 */
async function measureMemory(impl: Impl, pages: Page[]): Promise<void> {
  await settle(1000);
  record({ kind: "memory", impl, n: pages.length, ...(await memoryPerTab(pages)) });
}

/** Who saw whom when a mesh did not form, e.g. "p1 sees p2,p3 (host p1)". */
async function whoSeesWhom(group: MeshParticipant[]): Promise<string> {
  const seen = await Promise.all(
    group.map(async (p) => {
      const snap = await p.snapshot().catch(() => null);
      return snap ? `${p.id} ${snap.state} sees ${snap.participants.map((q) => q.id).join(",") || "nobody"} (host ${snap.hostId})` : `${p.id} ?`;
    }),
  );
  return seen.join("; ");
}

test.afterAll(disposePools);

test("bundle sizes", async () => {
  const bundles = await sizes.bundleSizes();
  record({ kind: "sizes", sizes: bundles, modules: await sizes.moduleSizes() });
  for (const s of bundles) console.log(`  ${s.name}: ${s.minBytes} B min, ${s.gzipBytes} B gzip`);
});

for (const n of SIZES) {
  test(`meshmeet: mesh formation and end propagation, N=${n}`, async ({ browser }) => {
    for (const pool of baselinePools.values()) await pool.dispose();
    baselinePools.clear();
    const pool = meshmeetPool(browser, "meshmeet");
    await pool.warmUp(Math.max(...SIZES), FORMATION_TIMEOUT);
    const formation = timing("formation", "meshmeet", n, FORMATION_TIMEOUT);
    const end = timing("end", "meshmeet", n, 5000);
    for (let run = 0; run < RUNS; run++) {
      const group = await pool.take(n);
      try {
        formation.runs.push(await meshmeetFormation(group, FORMATION_TIMEOUT));
        if (n === MEMORY_N && run === RUNS - 1) await measureMemory("meshmeet", group.map((p) => p.page));
        await settle();
        // Whoever won the anchor when everyone joined at once is the host.
        const host = await hostOf(group);
        const seen = await endPropagation(host, group.filter((p) => p !== host), end.capMs);
        end.runs.push(seen.some((v) => v === null) ? null : Math.max(...(seen as number[])));
      } catch (error) {
        // A mesh that did not form counts as a run that never finished (it is in median and worst).
        formation.runs.push(null);
        formation.failures.push(`run ${run + 1}: ${message(error)}; ${await whoSeesWhom(group)}`);
      } finally {
        await pool.release(group);
      }
    }
    record(formation);
    record(end);
    log(formation);
    log(end);
  });
}

/** Formation runs of a baseline at `n`, on tabs already warmed up. */
async function baselineFormations(pool: BaselinePool, figure: string, n: number, runs: number, cap: number, memoryAt?: number): Promise<TimingRecord> {
  const formation = timing(figure, pool.impl, n, cap);
  for (let run = 0; run < runs; run++) {
    const tabs = await pool.take(n);
    try {
      formation.runs.push(await baselineFormation(tabs, BROKER, cap));
      if (n === memoryAt && run === runs - 1) await measureMemory(pool.impl, tabs.map((t) => t.page));
    } catch (error) {
      formation.runs.push(null);
      formation.failures.push(`run ${run + 1}: ${message(error)}`);
    } finally {
      await pool.release(tabs);
    }
  }
  record(formation);
  log(formation);
  return formation;
}

for (const impl of BASELINES) {
  test(`${impl}: mesh formation, N=${SIZES.join(",")}`, async ({ browser }) => {
    // Only this implementation's tabs stay open, for the memory figure.
    await disposePools();
    const pool = baselinePool(browser, impl);
    await pool.warmUp(Math.max(...SIZES), FORMATION_TIMEOUT);
    for (const n of SIZES) await baselineFormations(pool, "formation", n, RUNS, FORMATION_TIMEOUT, MEMORY_N);
  });
}

// What the others see: a departure (participant-left with `reason`), or, for a frozen tab, which is silent
// but not gone (its broker registration stays), participant-reconnecting.
interface Departure {
  figure: string;
  reason: string | null;
  act: (p: MeshParticipant) => Promise<void>;
}
const DEPARTURES: Departure[] = [
  { figure: "goodbye", reason: "left", act: async (p) => void (await p.leave()) },
  { figure: "tab close", reason: "left", act: (p) => p.closeTab() },
  { figure: "crash", reason: "connection-lost", act: (p) => p.crash() },
  { figure: "freeze: reconnecting", reason: null, act: (p) => p.freeze() },
];

/** Departures of one kind in meshmeet meetings of DEPARTURE_N: ms until the slowest other saw it. */
async function meshmeetDepartures(pool: MeshPool, impl: Impl, departure: Departure): Promise<void> {
  const figure = timing(departure.figure, impl, DEPARTURE_N, MESHMEET_DEPARTURE_CAP);
  const runs = departure.figure === "crash" ? CRASH_RUNS : RUNS;
  for (let run = 0; run < runs; run++) {
    const group = await pool.take(DEPARTURE_N);
    let leaver: MeshParticipant | undefined;
    try {
      await meshmeetFormation(group, FORMATION_TIMEOUT);
      await settle();
      // The leaver is not the host (a host departure also re-elects; the fault suite covers it).
      const host = await hostOf(group);
      leaver = group.filter((p) => p !== host).at(-1)!;
      const gone = leaver;
      const start = Date.now();
      await departure.act(gone);
      const seen = await Promise.all(
        group
          .filter((p) => p !== gone)
          .map((p) =>
            p
              .waitFor(
                departure.reason === null ? "participant-reconnecting" : "participant-left",
                departure.reason === null ? { id: gone.id } : { id: gone.id, leftReason: departure.reason },
                { timeout: MESHMEET_DEPARTURE_CAP, after: start },
              )
              .then((e) => e.at - start, () => null),
          ),
      );
      figure.runs.push(seen.some((v) => v === null) ? null : Math.max(...(seen as number[])));
    } catch (error) {
      figure.failures.push(`run ${run + 1}: ${message(error)}`);
    } finally {
      // A crashed, frozen or closed tab is not reused; one that only said goodbye is.
      await pool.release(group, leaver && departure.figure !== "goodbye" ? [leaver] : []);
    }
  }
  record(figure);
  log(figure);
}

test(`meshmeet: a departure seen by the others, N=${DEPARTURE_N}`, async ({ browser }) => {
  await disposePools();
  const pool = meshmeetPool(browser, "meshmeet");
  await pool.warmUp(DEPARTURE_N, FORMATION_TIMEOUT);
  for (const departure of DEPARTURES) await meshmeetDepartures(pool, "meshmeet", departure);
  // The same crash with the old heartbeats: the cheaper defaults must not detect a crash later.
  await pool.dispose();
  meshPools.delete("meshmeet");
  const old = meshmeetPool(browser, "meshmeet-hb250");
  await old.warmUp(DEPARTURE_N, FORMATION_TIMEOUT);
  await meshmeetDepartures(old, "meshmeet-hb250", DEPARTURES.find((d) => d.figure === "crash")!);
});

test(`raw PeerJS and raw simple-peer: remote tab close and crash seen by the others, N=${DEPARTURE_N}`, async ({ browser }) => {
  // Their detection is timer-driven (or absent) and takes seconds: all runs of both baselines go at
  // once, one mesh per run; in each mesh one tab is closed and another crashed at the same moment.
  await disposePools();
  const meshes: { impl: Baseline; tabs: BaselineTab[] }[] = [];
  const failures: string[] = [];
  try {
    for (const impl of BASELINES) {
      await baselinePool(browser, impl).warmUp(DEPARTURE_N, FORMATION_TIMEOUT);
      for (let run = 0; run < RUNS; run++) {
        // Formed one after another (forming 40 tabs at once timed out on a loaded 2-core machine).
        const tabs = await baselinePool(browser, impl).take(DEPARTURE_N);
        try {
          await baselineFormation(tabs, BROKER, FORMATION_TIMEOUT);
          meshes.push({ impl, tabs });
        } catch (error) {
          failures.push(`${impl} run ${run + 1}: mesh did not form: ${message(error)}`);
          await baselinePool(browser, impl).release(tabs);
        }
      }
    }
    await settle();
    const seen = await baselineDepartures(meshes.map((m) => m.tabs), BASELINE_DEPARTURE_CAP);
    for (const impl of BASELINES) {
      const tabClose = timing("tab close", impl, DEPARTURE_N, BASELINE_DEPARTURE_CAP);
      const crash = timing("crash", impl, DEPARTURE_N, BASELINE_DEPARTURE_CAP);
      meshes.forEach((m, i) => {
        if (m.impl !== impl) return;
        tabClose.runs.push(seen.tabClose[i]!);
        crash.runs.push(seen.crash[i]!);
      });
      tabClose.failures.push(...failures.filter((f) => f.startsWith(impl)));
      record(tabClose);
      record(crash);
      log(tabClose);
      log(crash);
    }
  } catch (error) {
    failures.push(message(error));
    console.log(`  baseline departures failed: ${failures.join("; ")}`);
  } finally {
    for (const m of meshes) await baselinePool(browser, m.impl).release(m.tabs, m.tabs.slice(-2));
  }
});

/** SCALE_RUNS meshmeet formations at `n` (tabs warmed up); memory per tab after the last when `memory`. */
async function meshmeetScale(pool: MeshPool, n: number, memory: boolean): Promise<void> {
  const formation = timing("scale", "meshmeet", n, SCALE_CAP);
  for (let run = 0; run < SCALE_RUNS; run++) {
    const group = await pool.take(n);
    try {
      formation.runs.push(await meshmeetFormation(group, SCALE_CAP));
      if (memory && run === SCALE_RUNS - 1) await measureMemory("meshmeet", group.map((p) => p.page));
    } catch (error) {
      formation.runs.push(null);
      formation.failures.push(`run ${run + 1}: ${message(error)}; ${await whoSeesWhom(group)}`);
    } finally {
      await pool.release(group);
    }
  }
  record(formation);
  log(formation);
}

for (const impl of ["meshmeet", ...BASELINES] as const) {
  test(`${impl}: scale, mesh formation at N=${SCALE_N.join(",")}`, async ({ browser }) => {
    // Only this implementation's tabs are open. Memory per tab is read at the largest N only: the
    // warm-up there opened all the tabs, so at a smaller N some of the renderers would be idle spares.
    await disposePools();
    const top = Math.max(...SCALE_N);
    if (impl === "meshmeet") {
      const pool = meshmeetPool(browser, "meshmeet");
      await pool.warmUp(top, SCALE_CAP);
      for (const n of SCALE_N) await meshmeetScale(pool, n, n === top);
    } else {
      const pool = baselinePool(browser, impl);
      await pool.warmUp(top, SCALE_CAP);
      for (const n of SCALE_N) await baselineFormations(pool, "scale", n, SCALE_RUNS, SCALE_CAP, top);
    }
  });
}

/** Forms a mesh of `n` with one implementation; returns the tabs' release, or throws. */
async function formIdle(browser: Browser, impl: Impl, n: number): Promise<() => Promise<void>> {
  if (impl !== "peerjs" && impl !== "simple-peer") {
    const pool = meshmeetPool(browser, impl);
    await pool.warmUp(n, SCALE_CAP);
    const group = await pool.take(n);
    try {
      await meshmeetFormation(group, SCALE_CAP);
    } catch (error) {
      await pool.release(group);
      throw error;
    }
    return () => pool.release(group);
  }
  const pool = baselinePool(browser, impl);
  await pool.warmUp(n, SCALE_CAP);
  const tabs = await pool.take(n);
  try {
    await baselineFormation(tabs, BROKER, SCALE_CAP);
  } catch (error) {
    await pool.release(tabs);
    throw error;
  }
  return () => pool.release(tabs);
}

for (const impl of ["meshmeet", "meshmeet-hb250", "meshmeet-hb3000", ...BASELINES] as const) {
  test(`${impl}: idle CPU of a formed mesh, N=${CPU_N.join(",")}`, async ({ browser }) => {
    // The whole browser is measured: only this implementation's tabs may be open, and the pool
    // grows with N (the smaller N first), so no spare tab idles along.
    await disposePools();
    for (const n of [...CPU_N].sort((a, b) => a - b)) {
      const cpu = { kind: "cpu" as const, impl, n, runs: [] as (number | null)[], byType: [] as Record<string, number>[], settleMs: CPU_SETTLE_MS, windowMs: CPU_WINDOW_MS, failures: [] as string[] };
      for (let run = 0; run < CPU_RUNS; run++) {
        try {
          const release = await formIdle(browser, impl, n);
          try {
            await settle(CPU_SETTLE_MS);
            const window = await browserCpu(CPU_WINDOW_MS);
            cpu.runs.push(Math.round(window.cores * 1000) / 1000);
            cpu.byType.push(window.byType);
          } finally {
            await release();
          }
        } catch (error) {
          cpu.runs.push(null);
          cpu.failures.push(`run ${run + 1}: ${message(error)}`);
        }
      }
      record(cpu);
      console.log(`  idle CPU ${impl} N=${n}: ${cpu.runs.map((c) => (c === null ? "failed" : `${c} cores`)).join(", ")}${cpu.failures.length ? `; ${cpu.failures.join("; ")}` : ""}`);
    }
  });
}

// "audio only": the same calls with every camera off, to show what a call costs besides its video.
for (const mode of ["adaptive", "fixed", "audio only"] as const) {
  test(`meshmeet: calls with camera and microphone, ${mode} video, N=${MEDIA_N.join(",")}`, async ({ browser }) => {
    await disposePools();
    const options = { micEnabled: true, webcamEnabled: mode !== "audio only", ...(mode === "fixed" ? { adaptiveVideo: false } : {}) };
    const pool = meshPool(browser, `meshmeet-${mode}`, options, [recordPeerConnections]);
    for (const n of MEDIA_N) {
      const media = { kind: "media" as const, mode, n, figures: null as Awaited<ReturnType<typeof measureCall>> | null, settleMs: MEDIA_SETTLE_MS, failures: [] as string[] };
      const group = await pool.take(n);
      try {
        for (const p of group) await playRemoteVideos(p.page);
        await meshmeetFormation(group, MEDIA_FORMATION_TIMEOUT);
        await settle(MEDIA_SETTLE_MS);
        media.figures = await measureCall(group.map((p) => p.page), MEDIA_WINDOW_MS);
      } catch (error) {
        media.failures.push(`${message(error)}; ${await whoSeesWhom(group)}`);
      } finally {
        await pool.release(group);
      }
      record(media);
      console.log(`  media ${mode} N=${n}: ${media.figures ? JSON.stringify(media.figures) : media.failures.join("; ")}`);
    }
  });
}
