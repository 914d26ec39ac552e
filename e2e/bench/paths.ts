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
