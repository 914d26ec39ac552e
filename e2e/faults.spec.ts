import { expect, test, type Browser } from "@playwright/test";
import { BrokerProcess, crash, cutAllUdp, freeze, isolate, recordFigure, restoreAllPaths } from "./faults.js";
import { Tab, openMeeting, uniqueMeetingId, waitForFullMesh } from "./support.js";

// Detection bounds from the reliability issue, with the library's default heartbeats (250 / 1800 ms).
const LOST_WITHIN_MS = 3000;
const CLOSE_WITHIN_MS = 500;
// How often the race-prone scenarios run in one go; every run must pass.
const REPEAT = Number(process.env.MESHMEET_REPEAT ?? 10);
// A path outage the links must ride out without anybody being declared gone.
const OUTAGE_MS = Number(process.env.MESHMEET_OUTAGE_MS ?? 700);

let tabs: Tab[] = [];
test.afterEach(async () => {
  restoreAllPaths();
  await Promise.all(tabs.map((tab) => tab.close()));
  tabs = [];
});

async function expectNoUncaught(list: Tab[]): Promise<void> {
  for (const tab of list) expect((await tab.snapshot()).uncaught, tab.participantId).toEqual([]);
}

/** Waits for every tab in `observers` to report `id` gone with `reason`; returns the slowest latency. */
async function departureSeen(observers: Tab[], id: string, reason: string, since: number, timeoutMs: number): Promise<number> {
  let worst = 0;
  for (const tab of observers) {
    const event = await tab.waitForEvent("participant-left", { id, leftReason: reason }, timeoutMs);
    worst = Math.max(worst, event.at - since);
  }
  return worst;
}

test("goodbye: leave() is seen by the others at once", async ({ browser }) => {
  tabs = await openMeeting(browser, 4);
  await waitForFullMesh(tabs);
  const since = Date.now();
  await tabs[3]!.call("leave");
  const worst = await departureSeen(tabs.slice(0, 3), "p3", "left", since, CLOSE_WITHIN_MS);
  recordFigure("goodbye", worst);
  expect(worst).toBeLessThan(CLOSE_WITHIN_MS);
});

test("tab close: the goodbye from pagehide reaches everyone within 0.5 s", async ({ browser }) => {
  tabs = await openMeeting(browser, 4);
  await waitForFullMesh(tabs);
  const since = Date.now();
  await tabs[3]!.page.close();
  const worst = await departureSeen(tabs.slice(0, 3), "p3", "left", since, CLOSE_WITHIN_MS + 1000);
  recordFigure("tab close", worst);
  expect(worst).toBeLessThan(CLOSE_WITHIN_MS);
});

test("renderer crash: everyone reports connection-lost within 3 s", async ({ browser }) => {
  tabs = await openMeeting(browser, 4);
  await waitForFullMesh(tabs);
  const since = Date.now();
  await crash(tabs[3]!);
  const worst = await departureSeen(tabs.slice(0, 3), "p3", "connection-lost", since, LOST_WITHIN_MS + 2000);
  recordFigure("crash", worst);
  expect(worst).toBeLessThan(LOST_WITHIN_MS);
  await expectNoUncaught(tabs.slice(0, 3));
  for (const tab of tabs.slice(0, 3)) expect((await tab.snapshot()).participants).toHaveLength(2);
});

test("frozen tab: everyone reports connection-lost within 3 s", async ({ browser }) => {
  tabs = await openMeeting(browser, 4);
  await waitForFullMesh(tabs);
  await freeze(tabs[3]!);
  const since = Date.now();
  const worst = await departureSeen(tabs.slice(0, 3), "p3", "connection-lost", since, LOST_WITHIN_MS + 2000);
  recordFigure("freeze", worst);
  expect(worst).toBeLessThan(LOST_WITHIN_MS);
});

test("lost path: the others drop the cut-off participant within 3 s, and it gets meeting-left connection-lost", async ({ browser }) => {
  tabs = await openMeeting(browser, 4);
  await waitForFullMesh(tabs);
  const since = Date.now();
  await isolate(tabs[2]!, [tabs[0]!, tabs[1]!, tabs[3]!]);
  const worst = await departureSeen([tabs[0]!, tabs[1]!, tabs[3]!], "p2", "connection-lost", since, LOST_WITHIN_MS + 2000);
  recordFigure("path lost", worst);
  expect(worst).toBeLessThan(LOST_WITHIN_MS);
  const left = await tabs[2]!.waitForEvent("meeting-left", { reason: "connection-lost" }, 15_000);
  recordFigure("cut-off participant's meeting-left", left.at - since);
  // The others carry on, with the same host.
  for (const tab of [tabs[0]!, tabs[1]!, tabs[3]!]) {
    const snap = await tab.snapshot();
    expect(snap.hostId).toBe("p0");
    expect(snap.participants).toHaveLength(2);
    expect(await tab.events("meeting-left")).toEqual([]);
  }
});

test("a short outage inside the heartbeat timeout loses nobody", async ({ browser }) => {
  tabs = await openMeeting(browser, 3);
  await waitForFullMesh(tabs);
  const restore = cutAllUdp();
  // Well inside the 1800 ms heartbeat timeout, so nobody may be declared gone. (The fault itself
  // is timed here, not an event: this is the one place a fixed wait is the point of the test.)
  await tabs[0]!.page.waitForTimeout(OUTAGE_MS);
  restore();
  // Prove the links carry traffic again, then that nobody left meanwhile.
  await tabs[1]!.call("send", { after: "outage" });
  for (const tab of [tabs[0]!, tabs[2]!]) await tab.waitForEvent("message", { payload: { after: "outage" } }, 5000);
  for (const tab of tabs) {
    expect(await tab.events("participant-left")).toEqual([]);
    expect((await tab.snapshot()).state).toBe("joined");
  }
});

test("all UDP dropped: everyone loses everyone; the host stays, the others get meeting-left connection-lost", async ({ browser }) => {
  tabs = await openMeeting(browser, 3);
  await waitForFullMesh(tabs);
  cutAllUdp();
  for (const tab of tabs.slice(1)) await tab.waitForEvent("meeting-left", { reason: "connection-lost" }, 15_000);
  await tabs[0]!.waitForEvent("participant-left", { id: "p1", leftReason: "connection-lost" }, LOST_WITHIN_MS + 2000);
  await tabs[0]!.waitForEvent("participant-left", { id: "p2", leftReason: "connection-lost" }, LOST_WITHIN_MS + 2000);
  expect((await tabs[0]!.snapshot()).state).toBe("joined");
  expect((await tabs[0]!.snapshot()).isHost).toBe(true);
});

async function expectOneHost(list: Tab[], hostId: string): Promise<void> {
  for (const tab of list) {
    await expect.poll(async () => (await tab.snapshot()).hostId, { timeout: 10_000 }).toBe(hostId);
  }
  const hosts = (await Promise.all(list.map((t) => t.snapshot()))).filter((s) => s.isHost);
  expect(hosts.map((h) => h.localId)).toEqual([hostId]);
}

async function newcomerJoins(browser: Browser, list: Tab[], meetingId: string, participantId: string): Promise<Tab> {
  const newcomer = await Tab.open(browser, { meetingId, participantId });
  tabs.push(newcomer);
  await newcomer.join();
  await waitForFullMesh([...list, newcomer]);
  return newcomer;
}

for (let run = 1; run <= REPEAT; run++) {
  test(`host crash ${run}/${REPEAT}: survivors agree on one new host and a newcomer can join`, async ({ browser }) => {
    tabs = await openMeeting(browser, 4);
    await waitForFullMesh(tabs);
    const survivors = tabs.slice(1);
    const since = Date.now();
    await crash(tabs[0]!);
    let worst = 0;
    for (const tab of survivors) {
      const event = await tab.waitForEvent("host-changed", { hostId: "p1" }, LOST_WITHIN_MS + 2000);
      worst = Math.max(worst, event.at - since);
    }
    recordFigure("host crash re-election", worst);
    expect(worst).toBeLessThan(LOST_WITHIN_MS);
    await expectOneHost(survivors, "p1");
    const joinStart = Date.now();
    const newcomer = await newcomerJoins(browser, survivors, tabs[0]!.meetingId, "p9");
    recordFigure("newcomer join after host crash", Date.now() - joinStart);
    expect((await newcomer.snapshot()).hostId).toBe("p1");
    await expectNoUncaught(survivors);
  });
}

test("frozen host: the successor takes the anchor over and a newcomer can join", async ({ browser }) => {
  tabs = await openMeeting(browser, 3);
  await waitForFullMesh(tabs);
  const since = Date.now();
  await freeze(tabs[0]!);
  for (const tab of tabs.slice(1)) await tab.waitForEvent("host-changed", { hostId: "p1" }, LOST_WITHIN_MS + 2000);
  await expectOneHost(tabs.slice(1), "p1");
  const newcomer = await newcomerJoins(browser, tabs.slice(1), tabs[0]!.meetingId, "p9");
  recordFigure("newcomer admitted after host freeze", Date.now() - since);
  expect((await newcomer.snapshot()).hostId).toBe("p1");
});

for (let run = 1; run <= REPEAT; run++) {
  test(`concurrent join ${run}/${REPEAT}: five tabs join a new meeting at once, one host, full mesh`, async ({ browser }) => {
    const meetingId = uniqueMeetingId("cj");
    tabs = await Promise.all([0, 1, 2, 3, 4].map((i) => Tab.open(browser, { meetingId, participantId: `c${i}` })));
    const results = await Promise.all(tabs.map((tab) => tab.call("join")));
    expect(results.map((r) => r.code ?? "ok")).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    await waitForFullMesh(tabs, 15_000);
    const snaps = await Promise.all(tabs.map((t) => t.snapshot()));
    const hostIds = new Set(snaps.map((s) => s.hostId));
    expect(hostIds.size).toBe(1);
    expect(snaps.filter((s) => s.isHost)).toHaveLength(1);
    recordFigure("concurrent join of 5 (slowest join)", Math.max(...results.map((r) => r.ms)));
  });
}

test("rejoin: the same participantId joins again right after leaving, and right after crashing", async ({ browser }) => {
  tabs = await openMeeting(browser, 3);
  await waitForFullMesh(tabs);
  await tabs[2]!.call("leave");
  const again = await Tab.open(browser, { meetingId: tabs[0]!.meetingId, participantId: "p2" });
  tabs.push(again);
  await again.join();
  await waitForFullMesh([tabs[0]!, tabs[1]!, again]);
  await crash(again);
  const third = await Tab.open(browser, { meetingId: tabs[0]!.meetingId, participantId: "p2" });
  tabs.push(third);
  const start = Date.now();
  await third.join();
  recordFigure("rejoin right after crash", Date.now() - start);
  await waitForFullMesh([tabs[0]!, tabs[1]!, third]);
});

test("broker outage: the meeting goes on, state says so, and newcomers join once it is back", async ({ browser }) => {
  const broker = new BrokerProcess(9431);
  await broker.start();
  const meetingId = uniqueMeetingId("bo");
  const brokerOptions = { host: "127.0.0.1", port: broker.port, path: "/broker" };
  try {
    for (let i = 0; i < 4; i++) {
      const tab = await Tab.open(browser, { meetingId, participantId: `b${i}`, broker: brokerOptions });
      tabs.push(tab);
      await tab.join();
    }
    await waitForFullMesh(tabs);
    const since = Date.now();
    await broker.kill();
    let worst = 0;
    for (const tab of tabs) {
      const event = await tab.waitForEvent("meeting-state-changed", { state: "reconnecting" }, 10_000);
      worst = Math.max(worst, event.at - since);
    }
    recordFigure("broker outage noticed", worst);
    // Links, messages and leave keep working without the broker.
    await tabs[1]!.call("send", { during: "outage" });
    for (const tab of [tabs[0]!, tabs[2]!, tabs[3]!]) await tab.waitForEvent("message", { payload: { during: "outage" } });
    await tabs[3]!.call("leave");
    for (const tab of tabs.slice(0, 3)) await tab.waitForEvent("participant-left", { id: "b3", leftReason: "left" });
    // Back again: everyone reconnects on its own and a newcomer gets in.
    const restart = Date.now();
    await broker.start();
    let back = 0;
    for (const tab of tabs.slice(0, 3)) {
      const event = await tab.waitForEvent("meeting-state-changed", { state: "joined" }, 15_000, restart);
      back = Math.max(back, event.at - restart);
    }
    recordFigure("signaling back after broker restart", back);
    const newcomer = await Tab.open(browser, { meetingId, participantId: "b9", broker: brokerOptions });
    tabs.push(newcomer);
    await newcomer.join();
    await waitForFullMesh([...tabs.slice(0, 3), newcomer]);
    expect((await newcomer.snapshot()).hostId).toBe("b0");
    // And end still reaches everyone.
    await tabs[0]!.call("end");
    for (const tab of [...tabs.slice(0, 3), newcomer]) await tab.waitForEvent("meeting-left", { reason: "ended" });
  } finally {
    await broker.kill();
  }
});
