import { defineConfig } from "@playwright/test";
import { chromiumOptions, type MeshOptions } from "meshmeet/testing";

/** Port of the demo server (static files for the test pages) the tests run against. */
const TEST_PORT = Number(process.env.MESHMEET_TEST_PORT ?? 9417);

export default defineConfig<MeshOptions>({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  // Multi-tab WebRTC tests on a 2-core machine: one test at a time keeps timings meaningful.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${TEST_PORT}/`,
    browserName: "chromium",
    // The page each participant opens: it only loads the browser-global build.
    meshApp: { url: "/e2e/pages/blank.html" },
  },
  projects: [
    {
      // Chromium with background throttling switched off (--disable-background-timer-throttling and
      // its siblings), Firefox participants in windows of their own: nobody is throttled.
      name: "chromium",
      testIgnore: "**/background.spec.ts",
      use: { launchOptions: chromiumOptions() },
    },
    {
      // Chromium as users run it: hidden tabs throttled. Participants put in background tabs.
      name: "background",
      testMatch: "**/background.spec.ts",
      use: { launchOptions: chromiumOptions([], { backgroundThrottling: true }) },
    },
  ],
  webServer: {
    command: "node demo/server.mjs",
    env: { PORT: String(TEST_PORT), HOST: "127.0.0.1" },
    url: `http://127.0.0.1:${TEST_PORT}/e2e/pages/blank.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 30_000,
  },
});
