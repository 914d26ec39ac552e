// Playwright globalSetup of the bench: builds the baseline pages into dist/bench/ (the demo server
// serves dist/), starts the broker in its own process, and starts a fresh record file. `npm run build`
// has built dist/meshmeet.global.js.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, setPriority } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { BENCH_DIST, BENCH_SRC, BROKER_PID, BROKER_PORT, BROKER_SCRIPT, BROKER_STATS, RECORDS, RESULTS_DIR, ROOT, STARTED } from "./paths.js";

/** The broker's nice value (lower runs first). */
const BROKER_NICE = -10;

async function buildPages(): Promise<void> {
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
}

/** Spawns the broker process and waits until it serves; teardown.ts stops it by the pid written here. */
async function startBrokerProcess(): Promise<void> {
  await build({
    entryPoints: [join(BENCH_SRC, "broker-main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: BROKER_SCRIPT,
    logLevel: "warning",
  });
  rmSync(BROKER_STATS, { force: true });
  const child = spawn(process.execPath, [BROKER_SCRIPT, String(BROKER_PORT), BROKER_STATS], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  const deadline = Date.now() + 10_000;
  // Served once its HTTP endpoint answers (the PeerJS server answers GET on its path).
  while (!(await fetch(`http://127.0.0.1:${BROKER_PORT}/broker`).then((r) => r.ok, () => false))) {
    if (exited !== undefined) throw new Error(`the bench broker exited (${exited}) before it served`);
    if (Date.now() > deadline) throw new Error("the bench broker did not serve within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.unref();
  // A real broker runs on a machine of its own; here it shares 2 cores with every tab, and at load
  // averages of 15-40 (other browsers on this machine) it stalled for seconds. Ahead of the browsers
  // in the scheduler, its stalls stay out of every implementation's figures alike. Needs root (the
  // namespace runner is); without it the broker runs at normal priority and says so.
  try {
    setPriority(child.pid!, BROKER_NICE);
  } catch {
    // Not permitted: the broker reports its own priority.
  }
  writeFileSync(BROKER_PID, String(child.pid));
}

export default async function setup(): Promise<void> {
  if (!existsSync(join(ROOT, "dist", "meshmeet.global.js"))) throw new Error("run `npm run build` first (npm run bench does)");
  mkdirSync(BENCH_DIST, { recursive: true });
  mkdirSync(RESULTS_DIR, { recursive: true });
  await buildPages();
  rmSync(RECORDS, { force: true });
  await startBrokerProcess();
  writeFileSync(STARTED, JSON.stringify({ at: Date.now(), loadavg: loadavg() }));
}
