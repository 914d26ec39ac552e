import { existsSync } from "node:fs";

/** The flags that switch off Chromium's throttling of background and occluded tabs. */
export const UNTHROTTLED_ARGS: readonly string[] = [
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
];

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
  ...UNTHROTTLED_ARGS,
  "--mute-audio",
  "--disable-background-networking",
  "--disable-component-update",
];

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/** Launch options for Playwright (`use.launchOptions`) or puppeteer (`launch()`): the same shape. */
export interface ChromiumLaunchOptions {
  executablePath?: string;
  args: string[];
  /** Default flags of the driver left out (Playwright and puppeteer both add the throttling switches). */
  ignoreDefaultArgs?: string[];
}

/**
 * Launch options for Playwright's `use.launchOptions`: Debian's /usr/bin/chromium when it exists,
 * else Playwright's own Chromium. With `{ backgroundThrottling: true }`, Chromium throttles hidden tabs
 * the way it does for users: the three switches that turn it off are left out, both ours and the ones
 * Playwright and puppeteer add by default.
 */
export function chromiumOptions(
  extraArgs: readonly string[] = [],
  options: { backgroundThrottling?: boolean } = {},
): ChromiumLaunchOptions {
  const base = options.backgroundThrottling ? CHROMIUM_ARGS.filter((a) => !UNTHROTTLED_ARGS.includes(a)) : CHROMIUM_ARGS;
  const args = [...base, ...extraArgs];
  const launch: ChromiumLaunchOptions = existsSync(DEBIAN_CHROMIUM) ? { executablePath: DEBIAN_CHROMIUM, args } : { args };
  if (options.backgroundThrottling) launch.ignoreDefaultArgs = [...UNTHROTTLED_ARGS];
  return launch;
}
