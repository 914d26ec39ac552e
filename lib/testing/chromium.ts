import { existsSync } from "node:fs";

/**
 * Chromium flags for WebRTC tests: ICE over loopback, real local addresses instead of mDNS names,
 * fake camera and microphone, and no throttling of background tabs (every participant but one is one).
 */
export const CHROMIUM_ARGS: readonly string[] = [
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

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/**
 * Launch options for Playwright's `use.launchOptions`: Debian's /usr/bin/chromium when it exists,
 * else Playwright's own Chromium.
 */
export function chromiumOptions(extraArgs: readonly string[] = []): { executablePath?: string; args: string[] } {
  const args = [...CHROMIUM_ARGS, ...extraArgs];
  return existsSync(DEBIAN_CHROMIUM) ? { executablePath: DEBIAN_CHROMIUM, args } : { args };
}
