import type { Browser, BrowserContext, Page } from "puppeteer-core";
import { within } from "../time.js";
import { installPageHook, type InboundRtp, type PageHook, type PageSnapshot, type RecordedEvent, type UdpPair } from "./page-hook.js";
import { initMeetingInPage, MeshTestError, type CallResult, type JoinInfo, type MeetingMethod } from "./participant.js";

type Hooked = { __MESHMEET_HOOK__: PageHook };

/** How many console lines a participant keeps for its report. */
const CONSOLE_KEPT = 300;

/** How a puppeteer participant's meeting is created on its page. Default: the browser-global build. */
export type CreatePuppeteerMeeting = (page: Page, info: JoinInfo) => Promise<void>;

export const createWithGlobalBuildIn: CreatePuppeteerMeeting = async (page, info) => {
  const created = await page.evaluate(initMeetingInPage, info);
  if (!created.ok) throw new MeshTestError(created.code ?? "error", created.message ?? "initMeeting failed");
};

/**
 * One participant in a browser that puppeteer drives (Firefox over WebDriver BiDi, or Chromium over CDP,
 * see `launchPuppeteer`): its own browser context and its own window, observed through the same page
 * hook as the Playwright kit's `MeshParticipant`, with the same methods where the drivers allow.
 */
export class PuppeteerParticipant {
  private cover: Page | null = null;
  /** The page's console lines (meshmeet's log with `logLevel`), the last CONSOLE_KEPT of them. */
  readonly console: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly id: string,
    readonly meetingId: string,
  ) {}

  /**
   * Opens a fresh browser context with one window on `url` (absolute: e.g. the Playwright config's
   * baseURL + "/e2e/pages/blank.html"), the hook installed before the page's own scripts, and creates
   * the meeting (not joined). A window of its own keeps the page visible, so not throttled, until
   * {@link toBackground}: in Firefox every tab of one window but the front one is hidden.
   */
  static async open(
    browser: Browser,
    url: string,
    info: JoinInfo,
    create: CreatePuppeteerMeeting = createWithGlobalBuildIn,
  ): Promise<PuppeteerParticipant> {
    const context = await browser.createBrowserContext();
    try {
      const page = await context.newPage({ type: "window" });
      const participant = new PuppeteerParticipant(context, page, info.participantId, info.meetingId);
      page.on("console", (message) => {
        participant.console.push(`${new Date().toISOString().slice(11, 23)} ${message.type()} ${message.text()}`);
        if (participant.console.length > CONSOLE_KEPT) participant.console.shift();
      });
      await page.evaluateOnNewDocument(installPageHook);
      await page.goto(url);
      await create(page, info);
      return participant;
    } catch (error) {
      await context.close().catch(() => undefined);
      throw error;
    }
  }

  /** Calls a Meeting method in the page; never throws for a rejected call (see `ok` and `code`). */
  call(method: MeetingMethod, ...args: unknown[]): Promise<CallResult> {
    return this.page.evaluate((m, a) => (window as unknown as Hooked).__MESHMEET_HOOK__.call(m, a), method, args);
  }

  private async must(method: MeetingMethod, ...args: unknown[]): Promise<CallResult> {
    const result = await this.call(method, ...args);
    if (!result.ok) throw new MeshTestError(result.code ?? "error", `${method}() of ${this.id}: ${result.message}`);
    return result;
  }

  /** join(); resolves once joined. Throws MeshTestError. */
  join(): Promise<CallResult> {
    return this.must("join");
  }

  leave(): Promise<CallResult> {
    return this.must("leave");
  }

  end(): Promise<CallResult> {
    return this.must("end");
  }

  send(payload: unknown, options?: { to?: string }): Promise<CallResult> {
    return options ? this.must("send", payload, options) : this.must("send", payload);
  }

  snapshot(): Promise<PageSnapshot> {
    return this.page.evaluate(() => (window as unknown as Hooked).__MESHMEET_HOOK__.snapshot());
  }

  /** Events recorded so far, optionally of one type. */
  events(type?: string): Promise<RecordedEvent[]> {
    return this.page.evaluate(
      (t: string | null) => (window as unknown as Hooked).__MESHMEET_HOOK__.events.filter((e) => t === null || e.type === t),
      type ?? null,
    );
  }

  /**
   * Waits for an event whose payload deep-matches `match`, recorded at or after `after` (wall-clock ms).
   * Bounded by `timeout` (default 10 s). Returns the event; its `at` is on the same clock as Date.now().
   * Polls from Node, not in the page: a page in a background tab runs its own timers only about once a
   * second, which would slow the wait, not the event.
   */
  async waitFor(type: string, match?: unknown, options: { timeout?: number; after?: number } = {}): Promise<RecordedEvent> {
    const timeout = options.timeout ?? 10_000;
    const deadline = Date.now() + timeout;
    for (;;) {
      // Wrapped: an undefined `match` (match anything) must stay undefined, not turn into null.
      const found = await this.page.evaluate(
        (t: string, w: { match?: unknown }, a: number) => (window as unknown as Hooked).__MESHMEET_HOOK__.find(t, w.match, a),
        type,
        { match },
        options.after ?? 0,
      );
      if (found) return found;
      if (Date.now() >= deadline) {
        throw new Error(`${this.id}: no ${type} ${JSON.stringify(match ?? {})} within ${timeout} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The ids of everyone this participant sees, sorted. */
  async sees(): Promise<string[]> {
    return (await this.snapshot()).participants.map((p) => p.id);
  }

  /** Closes the tab the way a user does (no beforeunload prompt; pagehide and unload run). */
  async closeTab(): Promise<void> {
    await this.page.close();
  }

  /** The page's document.visibilityState. */
  visibility(): Promise<string> {
    return this.page.evaluate(() => document.visibilityState);
  }

  /**
   * Puts the participant's tab in the background the way a user does: another tab of its window (same
   * browser context) opened on `url` and brought to the front. Resolves once the page reports `hidden`
   * (bounded, 5 s), else throws: the tab is not in the background.
   */
  async toBackground(url = "about:blank"): Promise<void> {
    // Firefox opens a new tab in the window that has focus: make that ours first.
    await this.page.bringToFront();
    this.cover ??= await this.context.newPage();
    await this.cover.goto(url);
    await this.cover.bringToFront();
    const deadline = Date.now() + 5000;
    while ((await this.visibility()) !== "hidden") {
      if (Date.now() >= deadline) throw new Error(`${this.id}: its tab did not go to the background (still visible)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Brings the participant's tab back to the front (the cover tab stays open behind it). */
  async toForeground(): Promise<void> {
    await this.page.bringToFront();
  }

  /**
   * Runs a `setInterval(intervalMs)` in the page for at least `overMs`: how often it fired and over how
   * long (ms, in the page). A visible tab gets about overMs / intervalMs ticks; a throttled background
   * tab far fewer.
   */
  timerTicks(intervalMs = 250, overMs = 4000): Promise<TimerTicks> {
    return this.page.evaluate(countTimerTicks, { interval: intervalMs, over: overMs });
  }

  /** What happened in the page (events, then connection states, then its console), as lines; bounded. */
  async report(): Promise<string[]> {
    const consoleLines = this.console.length > 0 ? ["console:", ...this.console.map((line) => `  ${line}`)] : [];
    if (this.page.isClosed()) return ["(tab closed)", ...consoleLines];
    const lines = this.page.evaluate(() => (window as unknown as Hooked).__MESHMEET_HOOK__.report());
    return [...(await within(lines.catch(() => ["(no answer: crashed?)"]), 1000, ["(no answer: frozen?)"])), ...consoleLines];
  }

  /** Local and remote address and UDP port of the page's live WebRTC connections (selected pairs). */
  udpPairs(): Promise<UdpPair[]> {
    return this.page.evaluate(() => (window as unknown as Hooked).__MESHMEET_HOOK__.udpPairs());
  }

  /** Inbound RTP counters of the page's open connections (media received, per receiving track). */
  inboundRtp(): Promise<InboundRtp[]> {
    return this.page.evaluate(() => (window as unknown as Hooked).__MESHMEET_HOOK__.inboundRtp());
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }
}

/**
 * Runs in the page (any driver's `page.evaluate(countTimerTicks, { interval, over })`, Playwright's too):
 * a `setInterval(interval)` for at least `over` ms; how often it fired, over how long, and the longest
 * gap between two firings (ms, in the page). Self-contained.
 */
export function countTimerTicks({ interval, over }: { interval: number; over: number }): Promise<TimerTicks> {
  return new Promise((resolve) => {
    let ticks = 0;
    let maxGapMs = 0;
    const started = performance.now();
    let last = started;
    const timer = setInterval(() => {
      const now = performance.now();
      ticks += 1;
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
      if (now - started >= over) {
        clearInterval(timer);
        resolve({ ticks, ms: now - started, maxGapMs });
      }
    }, interval);
  });
}

/** What {@link countTimerTicks} measured. */
export interface TimerTicks {
  ticks: number;
  ms: number;
  maxGapMs: number;
}
