// npm run bench: meshmeet side by side with a raw PeerJS and a raw simple-peer full mesh, in one run,
// one browser, one broker. Every timing is wall-clock ms (Date.now() in Node, timeOrigin + now() in
// the pages: the same machine clock), taken right before the action. Figures go to records.jsonl;
// teardown.ts prints the table and writes bench-results/bench.json.
import type { Browser, Page } from "@playwright/test";
import { test, type MeshParticipant } from "meshmeet/testing";
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
  type Broker,
} from "./harness.js";
import { record, summary, type TimingRecord } from "./records.js";
import { bundleSizes } from "./sizes.js";

/** Repeats of every figure (at least 5 for the published table). */
const RUNS = Number(process.env.MESHMEET_BENCH_RUNS ?? 5);
const SIZES = (process.env.MESHMEET_BENCH_N ?? "2,4,6,8").split(",").map(Number);
/** Group size for the departure figures (one leaves, the others watch). */
const DEPARTURE_N = 4;
const FORMATION_TIMEOUT = 15_000;
/** How long a departure may take to be seen before it counts as "not seen". */
const MESHMEET_DEPARTURE_CAP = 10_000;
const BASELINE_DEPARTURE_CAP = Number(process.env.MESHMEET_BENCH_BASELINE_CAP ?? 25_000);
/** Scale: the largest N whose mesh forms within this, trying SCALE_FROM, +2, ... up to SCALE_MAX. */
const SCALE_LIMIT = 10_000;
const SCALE_FROM = Number(process.env.MESHMEET_BENCH_SCALE_FROM ?? 10);
const SCALE_MAX = Number(process.env.MESHMEET_BENCH_SCALE_MAX ?? 24);
const SCALE_RUNS = Number(process.env.MESHMEET_BENCH_SCALE_RUNS ?? 2);
const MEMORY_N = 8;
/** A settle pause after the mesh formed, before the next action is timed. */
const SETTLE_MS = 300;

const settle = (ms = SETTLE_MS): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const message = (error: unknown): string => (error instanceof Error ? error.message.split("\n")[0]! : String(error));

function timing(figure: string, impl: TimingRecord["impl"], n: number, capMs: number): TimingRecord {
  return { kind: "timing", figure, impl, n, runs: [], capMs, failures: [] };
}

function log(r: TimingRecord): void {
  const s = summary(r.runs);
  console.log(`  ${r.figure} ${r.impl} N=${r.n}: median ${s.median ?? "-"} ms, worst ${s.worst ?? "-"} ms, seen ${s.seen}/${r.runs.length}${r.failures.length ? `, failures: ${r.failures.join("; ")}` : ""}`);
}

test.describe.configure({ timeout: 300_000 });

// Tabs are reused across runs and tests (a reload between runs): one pool per implementation.
let meshPool: MeshPool | undefined;
const baselinePools = new Map<Baseline, BaselinePool>();
const poolOf = (browser: Browser, broker: Broker): MeshPool => (meshPool ??= new MeshPool(broker, browser));
function baselinePool(browser: Browser, impl: Baseline): BaselinePool {
  const pool = baselinePools.get(impl) ?? new BaselinePool(browser, impl);
  baselinePools.set(impl, pool);
  return pool;
}
async function disposePools(): Promise<void> {
  await meshPool?.dispose();
  meshPool = undefined;
  for (const pool of baselinePools.values()) await pool.dispose();
  baselinePools.clear();
}

/**
 * Memory per tab of a formed mesh. Only the measured tabs are open then (the formation tests run one
 * implementation at a time, and each pool grows to the largest N), since /proc is read for every
 * renderer process of this browser.
 */
async function measureMemory(impl: Baseline | "meshmeet", pages: Page[]): Promise<void> {
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

test.afterAll(async () => {
  await meshPool?.dispose();
  for (const pool of baselinePools.values()) await pool.dispose();
});

test("bundle sizes", async () => {
  const sizes = await bundleSizes();
  record({ kind: "sizes", sizes });
  for (const s of sizes) console.log(`  ${s.name}: ${s.minBytes} B min, ${s.gzipBytes} B gzip`);
});

for (const n of SIZES) {
  test(`meshmeet: mesh formation and end propagation, N=${n}`, async ({ browser, meshBroker }) => {
    const pool = poolOf(browser, meshBroker.broker);
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

for (const impl of ["peerjs", "simple-peer"] as const satisfies readonly Baseline[]) {
  test(`${impl}: mesh formation, N=${SIZES.join(",")}`, async ({ browser, meshBroker }) => {
    // Only this implementation's tabs stay open, for the memory figure.
    await disposePools();
    const pool = baselinePool(browser, impl);
    for (const n of SIZES) {
      const formation = timing("formation", impl, n, FORMATION_TIMEOUT);
      for (let run = 0; run < RUNS; run++) {
        const tabs = await pool.take(n);
        try {
          formation.runs.push(await baselineFormation(tabs, meshBroker.broker, FORMATION_TIMEOUT));
          if (n === MEMORY_N && run === RUNS - 1) await measureMemory(impl, tabs.map((t) => t.page));
        } catch (error) {
          formation.runs.push(null);
          formation.failures.push(`run ${run + 1}: ${message(error)}`);
        } finally {
          await pool.release(tabs);
        }
      }
      record(formation);
      log(formation);
    }
  });
}

// What the others see: a departure (participant-left with `reason`), or, for a frozen tab, which is silent
// but not gone (its broker registration stays), participant-reconnecting.
const DEPARTURES: { figure: string; reason: string | null; act: (p: MeshParticipant) => Promise<void> }[] = [
  { figure: "goodbye", reason: "left", act: async (p) => void (await p.leave()) },
  { figure: "tab close", reason: "left", act: (p) => p.closeTab() },
  { figure: "crash", reason: "connection-lost", act: (p) => p.crash() },
  { figure: "freeze: reconnecting", reason: null, act: (p) => p.freeze() },
];

test(`meshmeet: a departure seen by the others, N=${DEPARTURE_N}`, async ({ browser, meshBroker }) => {
  const pool = poolOf(browser, meshBroker.broker);
  for (const departure of DEPARTURES) {
    const figure = timing(departure.figure, "meshmeet", DEPARTURE_N, MESHMEET_DEPARTURE_CAP);
    for (let run = 0; run < RUNS; run++) {
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
});

test(`raw PeerJS and raw simple-peer: remote tab close and crash seen by the others, N=${DEPARTURE_N}`, async ({ browser, meshBroker }) => {
  // Their detection is timer-driven (or absent) and takes seconds: all runs of both baselines go at
  // once, one mesh per run; in each mesh one tab is closed and another crashed at the same moment.
  const impls = ["peerjs", "simple-peer"] as const satisfies readonly Baseline[];
  const meshes: { impl: Baseline; tabs: BaselineTab[] }[] = [];
  const failures: string[] = [];
  try {
    for (const impl of impls) {
      for (let run = 0; run < RUNS; run++) {
        // Formed one after another (forming 40 tabs at once timed out on a loaded 2-core machine).
        const tabs = await baselinePool(browser, impl).take(DEPARTURE_N);
        try {
          await baselineFormation(tabs, meshBroker.broker, FORMATION_TIMEOUT);
          meshes.push({ impl, tabs });
        } catch (error) {
          failures.push(`${impl} run ${run + 1}: mesh did not form: ${message(error)}`);
          await baselinePool(browser, impl).release(tabs);
        }
      }
    }
    await settle();
    const seen = await baselineDepartures(meshes.map((m) => m.tabs), BASELINE_DEPARTURE_CAP);
    for (const impl of impls) {
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


test(`meshmeet: scale, the largest N whose mesh forms within ${SCALE_LIMIT / 1000} s`, async ({ browser, meshBroker }) => {
  // Only meshmeet's tabs stay open, for the memory figure at each N.
  for (const pool of baselinePools.values()) await pool.dispose();
  baselinePools.clear();
  const pool = poolOf(browser, meshBroker.broker);
  const tried: { n: number; runs: (number | null)[]; failures: string[] }[] = [];
  let largestN: number | null = null;
  for (let n = SCALE_FROM; n <= SCALE_MAX; n += 2) {
    const step = { n, runs: [] as (number | null)[], failures: [] as string[] };
    tried.push(step);
    for (let run = 0; run < SCALE_RUNS; run++) {
      const group = await pool.take(n);
      try {
        const ms = await meshmeetFormation(group, SCALE_LIMIT + 5000);
        step.runs.push(ms <= SCALE_LIMIT ? ms : null);
        // The pool holds exactly these n tabs (it grows with n), so the renderers are theirs.
        if (run === SCALE_RUNS - 1 && ms <= SCALE_LIMIT) record({ kind: "memory", impl: "meshmeet", n, ...(await memoryPerTab(group.map((p) => p.page))) });
      } catch (error) {
        step.runs.push(null);
        step.failures.push(`run ${run + 1}: ${message(error)}`);
      } finally {
        await pool.release(group);
      }
      if (step.runs.at(-1) === null) break;
    }
    console.log(`  scale N=${n}: ${step.runs.map((r) => r ?? "not within limit").join(", ")} ${step.failures.join("; ")}`);
    // Every run must form within the limit for N to count.
    if (step.runs.length < SCALE_RUNS || step.runs.some((r) => r === null)) break;
    largestN = n;
  }
  record({ kind: "scale", impl: "meshmeet", limitMs: SCALE_LIMIT, tried, largestN });
});
