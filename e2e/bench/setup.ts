// Playwright globalSetup of the bench: builds the baseline pages into dist/bench/ (the demo server
// serves dist/), and starts a fresh record file. `npm run build` has built dist/meshmeet.global.js.
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { BENCH_DIST, BENCH_SRC, RECORDS, RESULTS_DIR, ROOT, STARTED } from "./paths.js";

export default async function setup(): Promise<void> {
  if (!existsSync(join(ROOT, "dist", "meshmeet.global.js"))) throw new Error("run `npm run build` first (npm run bench does)");
  mkdirSync(BENCH_DIST, { recursive: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  // Built the way meshmeet's own global bundle is: minified, es2022, browser IIFE.
  await build({
    entryPoints: [join(BENCH_SRC, "peerjs-mesh.ts"), join(BENCH_SRC, "simplepeer-mesh.ts")],
    bundle: true,
    format: "iife",
    target: "es2022",
    minify: true,
    outdir: BENCH_DIST,
    logLevel: "warning",
  });
  for (const page of ["peerjs.html", "simplepeer.html"]) copyFileSync(join(BENCH_SRC, page), join(BENCH_DIST, page));
  rmSync(RECORDS, { force: true });
  writeFileSync(STARTED, JSON.stringify({ at: Date.now(), loadavg: loadavg() }));
}
