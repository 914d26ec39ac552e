// Browsers Playwright cannot drive here, through puppeteer-core (an optional peer dependency of
// meshmeet/testing, loaded only when a test launches one): Debian's firefox-esr over WebDriver BiDi,
// and Chromium over CDP without Playwright's focus emulation, which keeps every page "visible" and so
// unthrottled even behind another tab.
import { existsSync } from "node:fs";
import type { Browser } from "puppeteer-core";
import { chromiumOptions } from "./chromium.js";

/**
 * Firefox prefs for WebRTC tests, the counterparts of the kit's Chromium flags: fake camera and
 * microphone without a prompt, real local addresses in ICE candidates instead of `<uuid>.local` names,
 * loopback candidates and peers accepted (as Chromium's `--allow-loopback-in-peer-connection`), audible
 * autoplay allowed (a remote audio track plays without a click), and no sound out.
 *
 * Loopback matters when every browser runs on one machine: Chromium may gather only its 127.0.0.1
 * candidate (it stops gathering once a pair works, and its loopback socket reaches the machine's own
 * 198.18.0.1), and a Firefox that refuses loopback never finishes that link (measured: 5 of about 60
 * Firefox-to-Chromium-host links stuck in "connecting" for 10 s).
 * Background-tab timer throttling is left at Firefox's defaults.
 */
export const FIREFOX_PREFS: Readonly<Record<string, unknown>> = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
  "media.peerconnection.ice.loopback": true,
  "media.autoplay.default": 0,
  "media.autoplay.blocking_policy": 0,
  "media.volume_scale": "0.0",
};

/** Where Firefox is looked for, in order: $MESHMEET_FIREFOX, Debian's firefox-esr, a plain firefox. */
const FIREFOX_PATHS = ["/usr/bin/firefox-esr", "/usr/bin/firefox"];

/** The Firefox executable the kit launches, or null when none is installed. */
export function firefoxPath(): string | null {
  const fromEnv = process.env["MESHMEET_FIREFOX"];
  if (fromEnv) return fromEnv;
  return FIREFOX_PATHS.find((path) => existsSync(path)) ?? null;
}

export interface LaunchPuppeteerOptions {
  /** Default "firefox" (WebDriver BiDi); "chrome" is Chromium over CDP with the kit's flags. */
  browser?: "firefox" | "chrome";
  /** Default: {@link firefoxPath} for Firefox, Debian's Chromium (else puppeteer's own) for Chrome. */
  executablePath?: string;
  /** Firefox prefs on top of {@link FIREFOX_PREFS}. */
  prefs?: Record<string, unknown>;
  /**
   * Chromium only: throttle hidden tabs as for users (no `--disable-background-timer-throttling` and
   * its two siblings, ours or puppeteer's). Default false, like the kit's Playwright launch options.
   */
  backgroundThrottling?: boolean;
  /** Default true. */
  headless?: boolean;
}

/** Launches Firefox (WebDriver BiDi) or Chromium (CDP) through puppeteer-core. */
export async function launchPuppeteer(options: LaunchPuppeteerOptions = {}): Promise<Browser> {
  // Loaded here, not at the top: an app that tests in Chromium only never needs puppeteer-core.
  const { default: puppeteer } = await import("puppeteer-core");
  const headless = options.headless ?? true;
  if (options.browser === "chrome") {
    const launch = chromiumOptions([], { backgroundThrottling: options.backgroundThrottling ?? false });
    const executablePath = options.executablePath ?? launch.executablePath;
    if (!executablePath) throw new Error("no Chromium found: install Debian's chromium or pass executablePath");
    return puppeteer.launch({
      browser: "chrome",
      headless,
      executablePath,
      args: launch.args,
      ignoreDefaultArgs: launch.ignoreDefaultArgs ?? [],
    });
  }
  const executablePath = options.executablePath ?? firefoxPath();
  if (!executablePath) throw new Error("no Firefox found: apt-get install firefox-esr, or set MESHMEET_FIREFOX");
  return puppeteer.launch({
    browser: "firefox",
    protocol: "webDriverBiDi",
    headless,
    executablePath,
    extraPrefsFirefox: { ...FIREFOX_PREFS, ...options.prefs },
  });
}
