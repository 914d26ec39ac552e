import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const BENCH_SRC = join(ROOT, "e2e", "bench");
export const BENCH_DIST = join(ROOT, "dist", "bench");
export const RESULTS_DIR = join(ROOT, "bench-results");
/** One JSON record per line, appended by each bench test; the teardown turns them into bench.json. */
export const RECORDS = join(RESULTS_DIR, "records.jsonl");
export const STARTED = join(RESULTS_DIR, "started");
export const BENCH_JSON = join(RESULTS_DIR, "bench.json");
export const BENCH_TABLE = join(RESULTS_DIR, "bench.md");
/** The broker's own process (setup.ts starts it, teardown.ts stops it): its pid and its event-loop figures. */
export const BROKER_PID = join(RESULTS_DIR, "broker.pid");
export const BROKER_STATS = join(RESULTS_DIR, "broker-stats.json");
export const BROKER_SCRIPT = join(BENCH_DIST, "broker.mjs");
/** Fixed, so every worker finds the broker without being told (the bench runs in its own network namespace). */
export const BROKER_PORT = Number(process.env.MESHMEET_BENCH_BROKER_PORT ?? 9458);
export const BENCH_BROKER = { host: "127.0.0.1", port: BROKER_PORT, path: "/broker", key: "peerjs", secure: false } as const;
