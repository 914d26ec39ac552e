// `npm run bench`: the benchmarks, in their own Playwright project (not part of `npm test`).
import { defineConfig } from "@playwright/test";
import { chromiumOptions, type MeshOptions } from "meshmeet/testing";

const BENCH_PORT = Number(process.env.MESHMEET_BENCH_PORT ?? 9457);

export default defineConfig<MeshOptions>({
  testDir: ".",
  testMatch: "*.bench.ts",
  globalSetup: "./setup.ts",
  globalTeardown: "./teardown.ts",
  // One test at a time, one browser: the timings are the point.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 600_000,
  // A full run takes about 25 minutes on a 2-core machine; room for a loaded one.
  globalTimeout: 45 * 60_000,
  reporter: [["list"]],
  outputDir: "../../test-results/bench",
  use: {
    baseURL: `http://127.0.0.1:${BENCH_PORT}/`,
    browserName: "chromium",
    launchOptions: chromiumOptions(),
    meshApp: { url: "/e2e/pages/blank.html" },
  },
  webServer: {
    command: "node demo/server.mjs",
    cwd: "../..",
    env: { PORT: String(BENCH_PORT), HOST: "127.0.0.1" },
    url: `http://127.0.0.1:${BENCH_PORT}/e2e/pages/blank.html`,
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
