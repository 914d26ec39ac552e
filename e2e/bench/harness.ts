// The bench's side of the tabs: meshmeet meetings through meshmeet/testing, baseline meshes through
// their own pages, and memory read from /proc and CDP.
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, CDPSession, Page } from "@playwright/test";
import { createWithGlobalBuild, MeshKit, type MeshParticipant, type TestBroker } from "meshmeet/testing";
import type { BaselinePage, LinkEvent } from "./baseline-api.js";
import { browserProcesses } from "./cpu.js";

export type Broker = TestBroker["broker"];

type Hooked = { __MESHMEET_HOOK__: { call(m: string, a: unknown[]): Promise<unknown> } };
type Benched = { __BENCH__: BaselinePage };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const BLANK = "/e2e/pages/blank.html";

/** MESHMEET_BENCH_TRACE=1 prints how long the untimed steps (opening tabs, reloading them) take. */
export async function traced<T>(what: string, work: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await work();
  } finally {
    if (process.env.MESHMEET_BENCH_TRACE) console.log(`    [${what}: ${Date.now() - start} ms]`);
  }
}

/** Waits until each of `group` sees exactly the others (as MeshKit.fullMesh, for pooled tabs). */
async function fullMesh(group: MeshParticipant[], timeout: number): Promise<void> {
  const ids = group.map((p) => p.id);
  await Promise.all(
    group.map((p) =>
      p.page.waitForFunction(
        (expected) => {
          const hook = (window as unknown as { __MESHMEET_HOOK__: { snapshot(): { participants: { id: string }[] } } }).__MESHMEET_HOOK__;
          return JSON.stringify(hook.snapshot().participants.map((q) => q.id).sort()) === JSON.stringify(expected);
        },
        ids.filter((id) => id !== p.id).sort(),
        { timeout, polling: 20 },
      ),
    ),
  );
}

/** The participant that holds the host role now (whoever won the anchor when all joined at once). */
export async function hostOf(group: MeshParticipant[]): Promise<MeshParticipant> {
  for (const p of group) if ((await p.snapshot()).isHost) return p;
  throw new Error("nobody is host");
}

/**
 * meshmeet participants (meshmeet/testing's MeshParticipant, each in its own browser context) reused
 * across runs: a released tab is reloaded, which ends its meeting, and the next run creates a meeting
 * with a fresh id in it. Opening a context costs seconds on a loaded 2-core machine; a reload does not.
 */
export class MeshPool {
  private readonly kit: MeshKit;
  private readonly free: MeshParticipant[] = [];
  private opened = 0;
  private meetings = 0;
  /** Sizes this pool already formed a mesh of, untimed, so that no timed run is a tab's first. */
  private readonly warmed = new Set<number>();

  /**
   * `meetingOptions` go to every initMeeting (e.g. old heartbeats, camera on); `initScripts` run in
   * each tab before the page's own scripts, as the kit's page hook does.
   */
  constructor(
    private readonly broker: Broker,
    browser: Browser,
    private readonly meetingOptions: Record<string, unknown> = {},
    initScripts: (() => void)[] = [],
    readonly label = "meshmeet",
  ) {
    this.kit = new MeshKit(browser, broker, {
      meshApp: {
        url: BLANK,
        // The kit adds its own hook before the page loads; these go in once the context exists, and
        // the reload makes them run before anything else of the page (reused tabs keep them).
        create: async (page, info) => {
          if (initScripts.length > 0) {
            for (const script of initScripts) await page.context().addInitScript(script);
            await page.reload({ waitUntil: "domcontentloaded" });
          }
          await createWithGlobalBuild(page, info);
        },
      },
      meshOptions: meetingOptions,
      meshCheckUncaught: false,
    });
  }

  /** `n` participants of a fresh meeting, not joined yet (untimed). */
  take(n: number): Promise<MeshParticipant[]> {
    this.meetings += 1;
    const meetingId = `${this.kit.meetingId}r${this.meetings}`;
    const reused = this.free.splice(0, n);
    return traced(`take ${n} ${this.label} tabs (${n - reused.length} new)`, () =>
      Promise.all([
        ...reused.map(async (p) => {
          await createWithGlobalBuild(p.page, { ...this.meetingOptions, meetingId, participantId: p.id, name: p.id, broker: this.broker, iceServers: [] });
          return p;
        }),
        ...Array.from({ length: n - reused.length }, () => {
          this.opened += 1;
          return this.kit.open({ meetingId, participantId: `p${this.opened}` });
        }),
      ]),
    );
  }

  /**
   * One untimed formation of `n` (once per size): the first formation in fresh tabs cost 2-4x for
   * every implementation, which is tab start-up, not the mesh.
   */
  async warmUp(n: number, timeout: number): Promise<void> {
    if (this.warmed.has(n)) return;
    this.warmed.add(n);
    const group = await this.take(n);
    try {
      await traced(`warm-up ${this.label} N=${n}`, () => meshmeetFormation(group, timeout));
    } catch (error) {
      console.log(`  warm-up ${this.label} N=${n} did not form: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    } finally {
      await this.release(group);
    }
  }

  /** Reloads the live tabs of a run for reuse; closes the ones in `broken` (crashed, frozen, closed). */
  release(group: MeshParticipant[], broken: MeshParticipant[] = []): Promise<void> {
    return traced(`release ${group.length} meshmeet tabs`, async () => {
      await Promise.all(
        group.map(async (p) => {
          if (!broken.includes(p) && !p.page.isClosed()) {
            const ok = await p.page.goto(BLANK, { waitUntil: "domcontentloaded" }).then(() => true, () => false);
            if (ok) return void this.free.push(p);
          }
          await p.close();
        }),
      );
    });
  }

  async dispose(): Promise<void> {
    await this.kit.dispose();
  }
}

/**
 * Every participant calls join() at once; returns ms from just before the first join() call until
 * the last participant saw every other (from the pages' own event times), or throws.
 */
export async function meshmeetFormation(group: MeshParticipant[], timeout: number): Promise<number> {
  const start = Date.now();
  const joins = await Promise.all(group.map((p) => p.call("join")));
  const failed = joins.find((r) => !r.ok);
  if (failed) throw new Error(`join failed: ${failed.code}: ${failed.message}`);
  await fullMesh(group, Math.max(1000, timeout - (Date.now() - start)));
  let last = 0;
  for (const p of group) {
    const others = new Set(group.filter((q) => q !== p).map((q) => q.id));
    const events = await p.events();
    const joined = events.find((e) => e.type === "meeting-joined");
    if (!joined) throw new Error(`${p.id}: no meeting-joined`);
    // Each other participant is seen from meeting-joined (already there) or its participant-joined.
    let seenAll = joined.at;
    for (const e of events) {
      const id = (e.payload as { id?: string } | null)?.id;
      if (e.type === "participant-joined" && id !== undefined && others.has(id)) seenAll = Math.max(seenAll, e.at);
    }
    last = Math.max(last, seenAll);
  }
  return last - start;
}

/** The host ends the meeting: ms from the start of its end() call to each other participant's meeting-left. */
export async function endPropagation(host: MeshParticipant, receivers: MeshParticipant[], timeout: number): Promise<(number | null)[]> {
  const started = await host.page.evaluate(() => {
    const t0 = performance.timeOrigin + performance.now();
    void (window as unknown as Hooked).__MESHMEET_HOOK__.call("end", []);
    return t0;
  });
  return Promise.all(
    receivers.map((p) =>
      p.waitFor("meeting-left", { reason: "ended" }, { timeout }).then(
        (e) => e.at - started,
        () => null,
      ),
    ),
  );
}

/** One tab of a baseline mesh. */
export interface BaselineTab {
  id: string;
  context: BrowserContext;
  page: Page;
}

export const BASELINE_PAGES = { peerjs: "/dist/bench/peerjs.html", "simple-peer": "/dist/bench/simplepeer.html" } as const;
export type Baseline = keyof typeof BASELINE_PAGES;

let baselineMeshes = 0;

/** Baseline tabs reused across runs the same way: a released tab is reloaded. */
export class BaselinePool {
  private readonly free: { context: BrowserContext; page: Page }[] = [];
  private readonly all: BrowserContext[] = [];

  private readonly warmed = new Set<number>();

  constructor(
    private readonly browser: Browser,
    readonly impl: Baseline,
    private readonly broker: Broker,
  ) {}

  /** One untimed formation of `n` (once per size), as {@link MeshPool.warmUp}. */
  async warmUp(n: number, timeout: number): Promise<void> {
    if (this.warmed.has(n)) return;
    this.warmed.add(n);
    const tabs = await this.take(n);
    try {
      await traced(`warm-up ${this.impl} N=${n}`, () => baselineFormation(tabs, this.broker, timeout));
    } catch (error) {
      console.log(`  warm-up ${this.impl} N=${n} did not form: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    } finally {
      await this.release(tabs);
    }
  }

  /** `n` fresh tabs with ids no other mesh uses (untimed). */
  take(n: number): Promise<BaselineTab[]> {
    baselineMeshes += 1;
    const prefix = `b${Date.now().toString(36)}${process.pid.toString(36)}m${baselineMeshes}`;
    const reused = this.free.splice(0, n);
    return traced(`take ${n} ${this.impl} tabs (${n - reused.length} new)`, async () => {
      const opened = await Promise.all(
        Array.from({ length: n - reused.length }, async () => {
          const context = await this.browser.newContext();
          this.all.push(context);
          const page = await context.newPage();
          await page.goto(BASELINE_PAGES[this.impl]);
          return { context, page };
        }),
      );
      return [...reused, ...opened].map((t, i) => ({ ...t, id: `${prefix}p${i}` }));
    });
  }

  release(tabs: BaselineTab[], broken: BaselineTab[] = []): Promise<void> {
    return traced(`release ${tabs.length} ${this.impl} tabs`, async () => {
      await Promise.all(
        tabs.map(async (t) => {
          if (!broken.includes(t) && !t.page.isClosed()) {
            const ok = await t.page.goto(BASELINE_PAGES[this.impl], { waitUntil: "domcontentloaded" }).then(() => true, () => false);
            if (ok) return void this.free.push({ context: t.context, page: t.page });
          }
          await t.context.close().catch(() => undefined);
        }),
      );
    });
  }

  async dispose(): Promise<void> {
    await Promise.all(this.all.map((c) => c.close().catch(() => undefined)));
  }
}

/** Every tab starts at once; ms from just before the first start until the last tab had all links open. */
export async function baselineFormation(tabs: BaselineTab[], broker: Broker, timeout: number): Promise<number> {
  const ids = tabs.map((t) => t.id);
  const start = Date.now();
  await Promise.all(
    tabs.map((t) =>
      t.page.evaluate(
        (options) => (window as unknown as Benched).__BENCH__.start(options),
        { self: t.id, ids, broker, iceServers: [] },
      ),
    ),
  );
  const fullAt = await Promise.all(
    tabs.map(async (t) => {
      const handle = await t.page.waitForFunction(() => (window as unknown as Benched).__BENCH__.fullAt(), undefined, {
        timeout: Math.max(1000, timeout - (Date.now() - start)),
        polling: 20,
      });
      return (await handle.jsonValue()) as number;
    }),
  );
  return Math.max(...fullAt) - start;
}

export function baselineEvents(tab: BaselineTab): Promise<LinkEvent[]> {
  return tab.page.evaluate(() => (window as unknown as Benched).__BENCH__.events);
}

/**
 * For each baseline mesh (already formed), closes the last tab and crashes the one before it at the
 * same moment; the other tabs watch. Returns per mesh the slowest observer's ms to a `close` of the
 * closed and of the crashed tab (null: not within `capMs`).
 */
export async function baselineDepartures(
  meshes: BaselineTab[][],
  capMs: number,
): Promise<{ tabClose: (number | null)[]; crash: (number | null)[] }> {
  const crashers: CDPSession[] = [];
  for (const tabs of meshes) {
    const victim = tabs[tabs.length - 2]!;
    crashers.push(await victim.context.newCDPSession(victim.page));
  }
  const start = Date.now();
  for (const [i, tabs] of meshes.entries()) {
    void tabs[tabs.length - 1]!.page.close();
    void crashers[i]!.send("Page.crash").catch(() => undefined);
  }
  const slowest = async (observers: BaselineTab[], gone: string): Promise<number | null> => {
    let worst = 0;
    for (const o of observers) {
      const events = await baselineEvents(o);
      const close = events.find((e) => e.type === "close" && e.peer === gone && e.at >= start);
      if (!close) return null;
      worst = Math.max(worst, close.at - start);
    }
    return worst;
  };
  const tabClose: (number | null)[] = meshes.map(() => null);
  const crash: (number | null)[] = meshes.map(() => null);
  // Poll until every figure is in or the cap has passed (the pages record the exact times).
  while (Date.now() - start < capMs) {
    for (const [i, tabs] of meshes.entries()) {
      const observers = tabs.slice(0, tabs.length - 2);
      tabClose[i] ??= await slowest(observers, tabs[tabs.length - 1]!.id);
      crash[i] ??= await slowest(observers, tabs[tabs.length - 2]!.id);
    }
    if ([...tabClose, ...crash].every((v) => v !== null)) break;
    await sleep(250);
  }
  const capped = (v: number | null): number | null => (v !== null && v <= capMs ? v : null);
  return { tabClose: tabClose.map(capped), crash: crash.map(capped) };
}

/** Renderer processes under this worker (Chromium is its child): PSS and RSS from /proc, in kB. */
function rendererMemory(): { pssKB: number; rssKB: number; renderers: number } {
  const descendants = browserProcesses();
  let pssKB = 0;
  let rssKB = 0;
  let renderers = 0;
  for (const pid of descendants) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=renderer")) continue;
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      pssKB += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      rssKB += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      renderers += 1;
    } catch {
      // The process ended meanwhile.
    }
  }
  return { pssKB, rssKB, renderers };
}

/** Memory per tab of the only tabs open now: renderer PSS/RSS from /proc, JS heap from CDP. */
export async function memoryPerTab(pages: Page[]): Promise<{ rendererPssKB: number; rendererRssKB: number; renderers: number; jsHeapUsedKB: number }> {
  let heap = 0;
  for (const page of pages) {
    const cdp = await page.context().newCDPSession(page);
    // Garbage of earlier runs in a reused tab is not memory the mesh needs.
    await cdp.send("HeapProfiler.collectGarbage");
    await cdp.send("Performance.enable");
    const { metrics } = await cdp.send("Performance.getMetrics");
    heap += metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0;
    await cdp.detach();
  }
  const mem = rendererMemory();
  return {
    rendererPssKB: Math.round(mem.pssKB / pages.length),
    rendererRssKB: Math.round(mem.rssKB / pages.length),
    renderers: mem.renderers,
    jsHeapUsedKB: Math.round(heap / pages.length / 1024),
  };
}
