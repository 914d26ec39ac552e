import type { Browser, BrowserContext, CDPSession, Page } from "@playwright/test";
import type { BrokerOptions } from "../broker.js";
import { within } from "../time.js";
import { installPageHook, type InboundRtp, type PageHook, type PageSnapshot, type RecordedEvent, type UdpPair } from "./page-hook.js";

/** What the page needs to create one participant's meeting. */
export interface JoinInfo {
  meetingId: string;
  participantId: string;
  name: string;
  broker: BrokerOptions;
  iceServers: RTCIceServer[];
  /** Any further initMeeting options the test passed. */
  [option: string]: unknown;
}

/**
 * Creates the participant's meeting in its page. The default loads nothing: it calls
 * `window.MeshMeet.initMeeting(info)` (the browser-global build) on the page. An app whose UI
 * creates the meeting itself (e.g. a Join form) passes its own: fill the form, click.
 */
export type CreateMeeting = (page: Page, info: JoinInfo) => Promise<void>;

/**
 * Runs in the page (any driver's `page.evaluate(initMeetingInPage, info)`): `window.MeshMeet.initMeeting(info)`
 * with the outcome as plain data. Self-contained, since drivers send its source text.
 */
export function initMeetingInPage(options: unknown): { ok: boolean; code?: string; message?: string } {
  const mm = (window as unknown as { MeshMeet?: { initMeeting(o: unknown): unknown } }).MeshMeet;
  if (!mm) return { ok: false, code: "no-global-build", message: "the page did not load meshmeet.global.js" };
  try {
    mm.initMeeting(options);
    return { ok: true };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { ok: false, code: e.code, message: e.message };
  }
}

export const createWithGlobalBuild: CreateMeeting = async (page, info) => {
  const created = await page.evaluate(initMeetingInPage, info);
  if (!created.ok) throw new MeshTestError(created.code ?? "error", created.message ?? "initMeeting failed");
};

/** A failed call in a page, with the MeshError code the page saw. */
export class MeshTestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "MeshTestError";
  }
}

/** Meeting methods a test can call in the page. */
export type MeetingMethod =
  | "join" | "leave" | "end" | "send" | "muteMic" | "unmuteMic" | "enableWebcam" | "disableWebcam"
  | "toggleMic" | "toggleWebcam" | "changeWebcam" | "changeMic" | "enableScreenShare" | "disableScreenShare" | "toggleScreenShare";

/** The outcome of a Meeting method called in the page. */
export interface CallResult {
  ok: boolean;
  /** How long the call took, in the page. */
  ms: number;
  code?: string;
  message?: string;
}

type Hooked = { __MESHMEET_HOOK__: PageHook };

/** One participant: its own browser context and page, observed through the page hook. */
export class MeshParticipant {
  private frozenBy: CDPSession | null = null;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly id: string,
    readonly meetingId: string,
  ) {}

  /** Opens a fresh context on `url`, with the hook installed before the page's own scripts. */
  static async open(browser: Browser, url: string, info: JoinInfo, create: CreateMeeting): Promise<MeshParticipant> {
    const context = await browser.newContext();
    await context.addInitScript(installPageHook);
    const page = await context.newPage();
    await page.goto(url);
    const participant = new MeshParticipant(context, page, info.participantId, info.meetingId);
    try {
      await create(page, info);
    } catch (error) {
      await context.close();
      throw error;
    }
    return participant;
  }

  /** Calls a Meeting method in the page; never throws for a rejected call (see `ok` and `code`). */
  call(method: MeetingMethod, ...args: unknown[]): Promise<CallResult> {
    return this.page.evaluate(([m, a]) => (window as unknown as Hooked).__MESHMEET_HOOK__.call(m, a), [method, args] as const);
  }

  private async must(method: MeetingMethod, ...args: unknown[]): Promise<CallResult> {
    const result = await this.call(method, ...args);
    if (!result.ok) throw new MeshTestError(result.code ?? "error", `${method}() of ${this.id}: ${result.message}`);
    return result;
  }

  /** join(), unless the page's own UI already joined; resolves once joined. Throws MeshTestError. */
  async join(): Promise<CallResult> {
    const state = (await this.snapshot()).state;
    if (state === "joined") return { ok: true, ms: 0 };
    if (state !== "idle") {
      await this.waitFor("meeting-joined");
      return { ok: true, ms: 0 };
    }
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

  /**
   * Records these events too, from now on (the kit leaves out `speaker-changed` and
   * `connection-quality-changed`: listening to them makes the page measure its links every second).
   */
  record(...types: string[]): Promise<void> {
    return this.page.evaluate((t) => (window as unknown as Hooked).__MESHMEET_HOOK__.record(t), types);
  }

  /** Events recorded so far, optionally of one type. */
  events(type?: string): Promise<RecordedEvent[]> {
    return this.page.evaluate(
      (t) => (window as unknown as Hooked).__MESHMEET_HOOK__.events.filter((e) => t === undefined || e.type === t),
      type,
    );
  }

  /**
   * Waits for an event whose payload deep-matches `match` (e.g. `{ id: "bob", leftReason: "left" }`),
   * recorded at or after `after` (wall-clock ms, e.g. Date.now() taken before the action). Bounded by
   * `timeout` (default 10 s). Returns the event; its `at` is on the same clock as Date.now().
   */
  async waitFor(
    type: string,
    match?: unknown,
    options: { timeout?: number; after?: number } = {},
  ): Promise<RecordedEvent> {
    const handle = await this.page.waitForFunction(
      ([t, m, a]) => (window as unknown as Hooked).__MESHMEET_HOOK__.find(t, m, a),
      [type, match, options.after ?? 0] as const,
      { timeout: options.timeout ?? 10_000, polling: 20 },
    );
    return (await handle.jsonValue()) as RecordedEvent;
  }

  /** The ids of everyone this participant sees, sorted. */
  async sees(): Promise<string[]> {
    return (await this.snapshot()).participants.map((p) => p.id);
  }

  /** Closes the tab the way a user does: pagehide runs, so the goodbye goes out. */
  async closeTab(): Promise<void> {
    await this.page.close();
  }

  /** Crashes the renderer (CDP Page.crash): no pagehide, no goodbye. */
  async crash(): Promise<void> {
    const cdp = await this.context.newCDPSession(this.page);
    // The call never returns: the page that would answer is gone.
    void cdp.send("Page.crash").catch(() => undefined);
  }

  /**
   * Freezes the tab: its main thread stops, its sockets and WebRTC transports stay open. CDP's
   * Page.setWebLifecycleState "frozen" alone did not stop timers in headless Chromium 156 (every
   * 100 ms timer still fired), so the debugger also pauses the page's JavaScript.
   */
  async freeze(): Promise<void> {
    const cdp = await this.context.newCDPSession(this.page);
    this.frozenBy = cdp;
    await cdp.send("Page.setWebLifecycleState", { state: "frozen" });
    await cdp.send("Debugger.enable");
    await cdp.send("Debugger.pause");
  }

  /** Wakes a tab frozen with {@link MeshParticipant.freeze}: its timers and handlers run again. */
  async thaw(): Promise<void> {
    const cdp = this.frozenBy;
    if (!cdp) throw new MeshTestError("not-frozen", `${this.id} is not frozen`);
    this.frozenBy = null;
    await cdp.send("Debugger.resume");
    await cdp.send("Debugger.disable");
    await cdp.send("Page.setWebLifecycleState", { state: "active" });
    await cdp.detach();
  }

  /** What happened in the page (events, then connection states), as lines; bounded, one line saying so from a page that cannot answer. */
  async report(): Promise<string[]> {
    if (this.page.isClosed()) return ["(tab closed)"];
    const lines = this.page.evaluate(() => (window as unknown as Hooked).__MESHMEET_HOOK__.report());
    return within(lines.catch(() => ["(no answer: crashed?)"]), 1000, ["(no answer: frozen?)"]);
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
