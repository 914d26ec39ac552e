import type { Browser, BrowserContext, Page } from "@playwright/test";

/** An event as the harness page recorded it. */
export interface Recorded {
  type: string;
  at: number;
  payload: Record<string, unknown> | undefined;
}

export interface CallResult {
  ok: boolean;
  ms: number;
  code?: string;
  message?: string;
}

export interface Snapshot {
  state: string;
  hostId: string | null;
  isHost: boolean;
  localId: string;
  participants: { id: string; displayName: string; leftReason: string | null }[];
  openPeerConnections: number;
  openSockets: number;
  sockets: number;
  uncaught: string[];
}

export interface TabOptions {
  meetingId: string;
  participantId?: string;
  name?: string;
  [key: string]: unknown;
}

interface HarnessWindow {
  harness: {
    init(options: unknown): { ok: boolean; code?: string; message?: string };
    call(method: string, ...args: unknown[]): Promise<CallResult>;
    snapshot(): Snapshot;
    events: Recorded[];
    find(type: string, match: unknown, after: number): Recorded | null;
  };
}
declare const window: HarnessWindow;

/** One participant: its own browser context and page, driving one Meeting through the harness page. */
export class Tab {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly participantId: string,
    readonly meetingId: string,
  ) {}

  /** Opens a new context on the harness page and creates the meeting (does not join). */
  static async open(browser: Browser, options: TabOptions): Promise<Tab> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto("/e2e/pages/harness.html");
    const created = await page.evaluate((o) => window.harness.init(o), options);
    if (!created.ok) throw new Error(`initMeeting failed: ${created.code} ${created.message}`);
    const participantId = await page.evaluate(() => window.harness.snapshot().localId);
    return new Tab(context, page, participantId, options.meetingId);
  }

  call(method: "join" | "leave" | "end" | "send", ...args: unknown[]): Promise<CallResult> {
    return this.page.evaluate(([m, a]) => window.harness.call(m, ...a), [method, args] as const);
  }

  async join(): Promise<CallResult> {
    const result = await this.call("join");
    if (!result.ok) throw new Error(`join of ${this.participantId} failed: ${result.code} ${result.message}`);
    return result;
  }

  snapshot(): Promise<Snapshot> {
    return this.page.evaluate(() => window.harness.snapshot());
  }

  events(type?: string): Promise<Recorded[]> {
    return this.page.evaluate((t) => window.harness.events.filter((e) => t === undefined || e.type === t), type);
  }

  /**
   * Waits (bounded) for an event whose payload deep-matches `match`, recorded at or after `after`
   * (wall-clock ms, e.g. Date.now() before the action); returns it.
   */
  async waitForEvent(type: string, match?: unknown, timeoutMs = 10_000, after = 0): Promise<Recorded> {
    const handle = await this.page.waitForFunction(
      ([t, m, a]) => window.harness.find(t, m, a),
      [type, match, after] as const,
      { timeout: timeoutMs, polling: 20 },
    );
    return (await handle.jsonValue()) as Recorded;
  }

  /** Wall-clock ms with sub-ms precision, on the same clock as recorded events' `at`. */
  now(): Promise<number> {
    return this.page.evaluate(() => performance.timeOrigin + performance.now());
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }
}

let counter = 0;
/** A meeting id no other test uses. */
export function uniqueMeetingId(prefix = "t"): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** Opens `n` participants of one meeting and joins them one after another; the first is the host. */
export async function openMeeting(browser: Browser, n: number, meetingId = uniqueMeetingId()): Promise<Tab[]> {
  const tabs: Tab[] = [];
  for (let i = 0; i < n; i++) {
    const tab = await Tab.open(browser, { meetingId, participantId: `p${i}`, name: `Participant ${i}` });
    tabs.push(tab);
    await tab.join();
  }
  return tabs;
}

/** Waits until every tab sees every other tab. */
export async function waitForFullMesh(tabs: Tab[], timeoutMs = 15_000): Promise<void> {
  const expected = tabs.length - 1;
  await Promise.all(
    tabs.map((tab) =>
      tab.page.waitForFunction((n) => window.harness.snapshot().participants.length === n, expected, {
        timeout: timeoutMs,
        polling: 20,
      }),
    ),
  );
}
