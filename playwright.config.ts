import { existsSync } from "node:fs";
import { defineConfig } from "@playwright/test";

/** Port of the demo server (static files + PeerJS broker) the tests run against. */
export const TEST_PORT = Number(process.env.MESHMEET_TEST_PORT ?? 9417);

// The WebRTC flags from DESIGN.md: loopback ICE, real local IPs instead of mDNS names, fake media,
// and no throttling of background tabs (every participant but one is a background tab).
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--allow-loopback-in-peer-connection",
  "--disable-features=WebRtcHideLocalIpsWithMdns",
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
  "--mute-audio",
  "--disable-background-networking",
  "--disable-component-update",
];

const debianChromium = "/usr/bin/chromium";

export default defineConfig({
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
    launchOptions: {
      ...(existsSync(debianChromium) ? { executablePath: debianChromium } : {}),
      args: CHROMIUM_ARGS,
    },
  },
  webServer: {
    command: "node demo/server.mjs",
    env: { PORT: String(TEST_PORT), HOST: "127.0.0.1" },
    url: `http://127.0.0.1:${TEST_PORT}/e2e/pages/harness.html`,
    reuseExistingServer: !process.env.CI,
    timeout: 30_000,
  },
});
