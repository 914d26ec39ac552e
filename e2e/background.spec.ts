// Meetings with participants in background tabs, under the browsers' default timer throttling: the
// "background" project launches Chromium without the flags that switch throttling off. Background
// Chromium participants are driven over CDP by puppeteer (Playwright's focus emulation keeps every
// page it opens visible, so never throttled); Firefox ones over WebDriver BiDi, default prefs. A tab
// goes to the background as a user's does: another tab of its window is brought to the front.
import { countTimerTicks, type PageSnapshot, type TimerTicks, type PuppeteerParticipant, waitForFullMesh } from "meshmeet/testing";
import { recordFigure } from "./faults.js";
import { expect, test } from "./mixed.js";

// How long the background participants stay in the background. The duration is the point of these
// tests: long past the heartbeat timeout (1.8 s) and Chromium's 10 s before budget-based throttling.
const BACKGROUND_MS = Number(process.env.MESHMEET_BACKGROUND_MS ?? 40_000);
const TICK_MS = 250;

/** A 250 ms timer's rate (ticks per second, 2 decimals) and its longest gap (ms). */
const rate = (t: TimerTicks): { perSecond: number; maxGapMs: number } => ({
  perSecond: Math.round((t.ticks / t.ms) * 100_000) / 100,
  maxGapMs: Math.round(t.maxGapMs),
});

interface Watched {
  readonly id: string;
  snapshot(): Promise<PageSnapshot>;
  events(type?: string): Promise<{ type: string; payload: unknown }[]>;
}

/**
 * Nobody in `group` lost anybody or the meeting: the meeting stayed whole. Any participant-reconnecting
 * (a library that tells silent links from departures) is not a departure; it is noted in the report.
 */
async function stayedWhole(group: Watched[]): Promise<void> {
  for (const p of group) {
    const reconnecting = await p.events("participant-reconnecting");
    if (reconnecting.length > 0) {
      const who = reconnecting.map((e) => (e.payload as { id: string }).id).join(", ");
      test.info().annotations.push({ type: `${p.id} saw participant-reconnecting`, description: who });
      console.log(`${p.id} saw participant-reconnecting for: ${who}`);
    }
    expect(await p.events("participant-left"), `${p.id}'s participant-left events`).toEqual([]);
    expect(await p.events("meeting-left"), `${p.id}'s meeting-left events`).toEqual([]);
    expect((await p.snapshot()).state, `${p.id}'s state`).toBe("joined");
  }
  await waitForFullMesh(group, 5000);
}

/** Sends one message from each of `group` and waits until each of the others got it (bounded). */
async function everyoneHearsEveryone(group: (Watched & { send(p: unknown): Promise<unknown>; waitFor(t: string, m: unknown, o: { timeout: number }): Promise<unknown> })[], tag: string): Promise<void> {
  for (const sender of group) await sender.send({ tag, from: sender.id });
  for (const receiver of group) {
    for (const sender of group) {
      if (sender === receiver) continue;
      await receiver.waitFor("message", { participant: { id: sender.id }, payload: { tag, from: sender.id } }, { timeout: 10_000 });
    }
  }
}

/** Puts each of `hidden` in the background and proves it: document.visibilityState is 'hidden'. */
async function toBackground(hidden: PuppeteerParticipant[]): Promise<void> {
  for (const p of hidden) {
    await p.toBackground();
    expect(await p.visibility(), `${p.id} is in a background tab`).toBe("hidden");
  }
}

test.describe.configure({ timeout: BACKGROUND_MS + 120_000 });

test("Chromium tabs in the background: the meeting stays whole, messages arrive, leave and end work", async ({ mesh, chrome }) => {
  const p0 = await mesh.open();
  await p0.join();
  const c0 = await chrome.join();
  const c1 = await chrome.join();
  const p1 = await mesh.open();
  await p1.join();
  const everyone = [p0, c0, c1, p1];
  await waitForFullMesh(everyone);

  await toBackground([c0, c1]);
  // The foreground ones are visible (Playwright's pages always are).
  for (const p of [p0, p1]) expect(await p.page.evaluate(() => document.visibilityState)).toBe("visible");
  const since = Date.now();
  // The fixed wait of this test: BACKGROUND_MS in the background, every participant counting the
  // ticks of a 250 ms interval meanwhile, and messages both ways at its start.
  const counting = Promise.all([
    ...[c0, c1].map((p) => p.page.evaluate(countTimerTicks, { interval: TICK_MS, over: BACKGROUND_MS })),
    p0.page.evaluate(countTimerTicks, { interval: TICK_MS, over: BACKGROUND_MS }),
  ]);
  await everyoneHearsEveryone(everyone, "early");
  const [bg0, bg1, fg] = await counting;
  const rates = { c0: rate(bg0!), c1: rate(bg1!), p0: rate(fg!) };
  test.info().annotations.push({ type: "250 ms timer, ticks per second (Chromium)", description: JSON.stringify(rates) });
  console.log(`Chromium 250 ms timer over ${BACKGROUND_MS} ms, ticks/s: ${JSON.stringify(rates)}`);
  // Throttled for real: a hidden tab's 250 ms timer fires at most about once a second; a visible one 4 times.
  expect(rates.c0.perSecond).toBeLessThan(1.5);
  expect(rates.c1.perSecond).toBeLessThan(1.5);
  expect(rates.p0.perSecond).toBeGreaterThan(3);
  for (const p of [c0, c1]) expect(await p.visibility()).toBe("hidden");

  await stayedWhole(everyone);
  recordFigure("Chromium: time in the background without anybody leaving", Date.now() - since);
  await everyoneHearsEveryone(everyone, "late");

  // A background participant leaves; the others see it 'left'.
  const leftAt = Date.now();
  await c1.leave();
  for (const p of [p0, c0, p1]) await p.waitFor("participant-left", { id: c1.id, leftReason: "left" }, { after: leftAt });
  // The host ends; the background participant is out too.
  const endAt = Date.now();
  await p0.end();
  for (const p of [p0, c0, p1]) await p.waitFor("meeting-left", { reason: "ended" }, { after: endAt });
});

test("a Firefox tab in the background (it is the host): the meeting stays whole, messages arrive, leave and end work", async ({ mesh, firefox }) => {
  const f0 = await firefox.join();
  const p0 = await mesh.open();
  await p0.join();
  const f1 = await firefox.join();
  const everyone = [f0, p0, f1];
  await waitForFullMesh(everyone);

  await toBackground([f0]);
  expect(await f1.visibility(), "f1 stays in a window of its own, in front").toBe("visible");
  const since = Date.now();
  // The fixed wait of this test, as above.
  const counting = Promise.all([
    f0.page.evaluate(countTimerTicks, { interval: TICK_MS, over: BACKGROUND_MS }),
    f1.page.evaluate(countTimerTicks, { interval: TICK_MS, over: BACKGROUND_MS }),
  ]);
  await everyoneHearsEveryone(everyone, "early");
  const [bg, fg] = await counting;
  const rates = { f0: rate(bg), f1: rate(fg) };
  test.info().annotations.push({ type: "250 ms timer, ticks per second (Firefox)", description: JSON.stringify(rates) });
  console.log(`Firefox 250 ms timer over ${BACKGROUND_MS} ms, ticks/s: ${JSON.stringify(rates)}`);
  expect(rates.f0.perSecond).toBeLessThan(1.5);
  expect(rates.f1.perSecond).toBeGreaterThan(3);
  expect(await f0.visibility()).toBe("hidden");

  await stayedWhole(everyone);
  recordFigure("Firefox: time in the background without anybody leaving", Date.now() - since);
  await everyoneHearsEveryone(everyone, "late");

  const leftAt = Date.now();
  await f1.leave();
  for (const p of [f0, p0]) await p.waitFor("participant-left", { id: f1.id, leftReason: "left" }, { after: leftAt });
  // The host, still in the background, ends the meeting.
  const endAt = Date.now();
  await f0.end();
  for (const p of [f0, p0]) await p.waitFor("meeting-left", { reason: "ended" }, { after: endAt });
});
