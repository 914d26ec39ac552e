import { expect, test } from "@playwright/test";
import { Tab, openMeeting, uniqueMeetingId, waitForFullMesh } from "./support.js";

// Every tab of a test is closed afterwards, whatever happened.
let tabs: Tab[] = [];
test.afterEach(async () => {
  for (const tab of tabs) {
    const { uncaught } = await tab.snapshot().catch(() => ({ uncaught: [] as string[] }));
    expect(uncaught, `uncaught errors in ${tab.participantId}`).toEqual([]);
  }
  await Promise.all(tabs.map((tab) => tab.close()));
  tabs = [];
});

test("four participants join and each sees the other three, with one host", async ({ browser }) => {
  tabs = await openMeeting(browser, 3);
  const fourth = await Tab.open(browser, { meetingId: tabs[0]!.meetingId, participantId: "p3", name: "Participant 3" });
  tabs.push(fourth);
  const joined = await fourth.join();
  test.info().annotations.push({ type: "join of 4th participant (ms)", description: joined.ms.toFixed(0) });
  await waitForFullMesh(tabs);
  for (const tab of tabs) {
    const snap = await tab.snapshot();
    expect(snap.state).toBe("joined");
    expect(snap.hostId).toBe("p0");
    expect(snap.participants.map((p) => p.id)).toEqual(["p0", "p1", "p2", "p3"].filter((id) => id !== tab.participantId));
  }
  // The fourth learns about the others from meeting-joined and `participants`; the others from events.
  const fourthView = await fourth.snapshot();
  expect(fourthView.participants.map((p) => p.displayName)).toEqual(["Participant 0", "Participant 1", "Participant 2"]);
  for (const tab of tabs.slice(0, 3)) await tab.waitForEvent("participant-joined", { id: "p3", displayName: "Participant 3" });
  expect(await fourth.events("participant-joined")).toEqual([]);
});

test("leave: the leaver gets meeting-left 'left', each other gets participant-left for exactly the leaver, the meeting goes on", async ({ browser }) => {
  tabs = await openMeeting(browser, 4);
  await waitForFullMesh(tabs);
  const leaver = tabs[2]!;
  expect((await leaver.call("leave")).ok).toBe(true);
  await leaver.waitForEvent("meeting-left", { reason: "left" });
  const stayers = tabs.filter((t) => t !== leaver);
  for (const tab of stayers) {
    await tab.waitForEvent("participant-left", { id: "p2", leftReason: "left" });
    expect(await tab.events("participant-left")).toHaveLength(1);
    expect(await tab.events("meeting-left")).toEqual([]);
  }
  expect((await leaver.snapshot()).openPeerConnections).toBe(0);
  await expect.poll(async () => (await leaver.snapshot()).openSockets).toBe(0);
  // The rest still talk to each other, and still see exactly each other.
  expect((await stayers[1]!.call("send", { text: "still here" })).ok).toBe(true);
  await stayers[0]!.waitForEvent("message", { participant: { id: "p1" }, payload: { text: "still here" } });
  await stayers[2]!.waitForEvent("message", { participant: { id: "p1" }, payload: { text: "still here" } });
  for (const tab of stayers) expect((await tab.snapshot()).participants).toHaveLength(2);
  // A second leave() is a no-op.
  expect((await leaver.call("leave")).ok).toBe(true);
  expect(await leaver.events("meeting-left")).toHaveLength(1);
});

test("host end: all four get meeting-left 'ended' and every link is closed", async ({ browser }) => {
  tabs = await openMeeting(browser, 4);
  await waitForFullMesh(tabs);
  expect((await tabs[0]!.call("end")).ok).toBe(true);
  for (const tab of tabs) {
    await tab.waitForEvent("meeting-left", { reason: "ended" });
    expect(await tab.events("meeting-left")).toHaveLength(1);
  }
  for (const tab of tabs) {
    await expect.poll(async () => (await tab.snapshot()).openPeerConnections).toBe(0);
    await expect.poll(async () => (await tab.snapshot()).openSockets).toBe(0);
    const snap = await tab.snapshot();
    expect(snap.state).toBe("left");
    expect(snap.participants).toEqual([]);
  }
});

test("non-host end() is rejected with not-host and nobody is affected", async ({ browser }) => {
  tabs = await openMeeting(browser, 4);
  await waitForFullMesh(tabs);
  const result = await tabs[1]!.call("end");
  expect(result.ok).toBe(false);
  expect(result.code).toBe("not-host");
  // Nothing was sent: a message sent afterwards arrives first, and nobody has left.
  expect((await tabs[1]!.call("send", { after: "end" })).ok).toBe(true);
  for (const tab of tabs.filter((t) => t !== tabs[1])) {
    await tab.waitForEvent("message", { payload: { after: "end" } });
    expect(await tab.events("meeting-left")).toEqual([]);
    expect(await tab.events("error")).toEqual([]);
  }
  for (const tab of tabs) expect((await tab.snapshot()).state).toBe("joined");
  await waitForFullMesh(tabs);
});

test("a terminate forged by a non-host is ignored by everyone and reported", async ({ browser }) => {
  tabs = await openMeeting(browser, 3);
  await waitForFullMesh(tabs);
  const meetingId = tabs[0]!.meetingId;
  // A participant that speaks the wire protocol directly and sends an "end" of its own.
  const mallory = await Tab.open(browser, { meetingId, participantId: "mallory" });
  tabs.push(mallory);
  await mallory.join();
  await waitForFullMesh(tabs);
  await mallory.page.evaluate(() => {
    const w = window as unknown as { harness: { meeting: unknown } };
    // Reach into the library's own link objects: the forged message goes out exactly as an honest end would.
    const mesh = (w.harness.meeting as { mesh: { links: Map<string, { send(m: unknown): boolean }> } }).mesh;
    for (const link of mesh.links.values()) link.send({ v: 1, t: "end", nonce: "forged-nonce-1" });
  });
  for (const tab of tabs.slice(0, 3)) {
    const error = await tab.waitForEvent("error", { code: "unauthorized-terminate", participantId: "mallory" });
    expect(error.payload?.["code"]).toBe("unauthorized-terminate");
  }
  for (const tab of tabs) {
    expect(await tab.events("meeting-left")).toEqual([]);
    expect((await tab.snapshot()).state).toBe("joined");
  }
  // An honest end still ends it for all.
  expect((await tabs[0]!.call("end")).ok).toBe(true);
  for (const tab of tabs) await tab.waitForEvent("meeting-left", { reason: "ended" });
});

test("host leaves: the earliest joiner becomes host everywhere and a newcomer can still join", async ({ browser }) => {
  tabs = await openMeeting(browser, 4);
  await waitForFullMesh(tabs);
  const meetingId = tabs[0]!.meetingId;
  expect((await tabs[0]!.call("leave")).ok).toBe(true);
  const rest = tabs.slice(1);
  for (const tab of rest) {
    await tab.waitForEvent("host-changed", { hostId: "p1" });
    await tab.waitForEvent("participant-left", { id: "p0", leftReason: "left" });
    const snap = await tab.snapshot();
    expect(snap.hostId).toBe("p1");
    expect(snap.isHost).toBe(tab.participantId === "p1");
  }
  const newcomer = await Tab.open(browser, { meetingId, participantId: "p9" });
  tabs.push(newcomer);
  await newcomer.join();
  await waitForFullMesh(tabs.slice(1));
  expect((await newcomer.snapshot()).hostId).toBe("p1");
  for (const tab of rest) await tab.waitForEvent("participant-joined", { id: "p9" });
  // The new host may end the meeting; the others may not.
  expect((await tabs[2]!.call("end")).code).toBe("not-host");
  expect((await tabs[1]!.call("end")).ok).toBe(true);
  for (const tab of tabs.slice(1)) await tab.waitForEvent("meeting-left", { reason: "ended" });
});

test("a second participant with the same participantId is refused with duplicate-participant", async ({ browser }) => {
  tabs = await openMeeting(browser, 2);
  const twin = await Tab.open(browser, { meetingId: tabs[0]!.meetingId, participantId: "p1" });
  tabs.push(twin);
  const result = await twin.call("join");
  expect(result).toMatchObject({ ok: false, code: "duplicate-participant" });
  expect((await twin.snapshot()).state).toBe("idle");
  // The original p1 is untouched.
  expect((await tabs[1]!.snapshot()).state).toBe("joined");
  expect(await tabs[0]!.events("participant-left")).toEqual([]);
});

test("invalid ids are refused with invalid-id before anything is sent", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/e2e/pages/harness.html");
  for (const options of [
    { meetingId: "" },
    { meetingId: "has/slash" },
    { meetingId: "-leading" },
    { meetingId: "x".repeat(65) },
    { meetingId: "ok", participantId: "bad..id" },
    { meetingId: "ok", participantId: "ünïcode" },
  ]) {
    const created = await page.evaluate((o) => (window as unknown as { harness: { init(o: unknown): { ok: boolean; code?: string } } }).harness.init(o), options);
    expect(created, JSON.stringify(options)).toMatchObject({ ok: false, code: "invalid-id" });
  }
  const sockets = await page.evaluate(() => (window as unknown as { __sockets: unknown[] }).__sockets.length);
  expect(sockets).toBe(0);
  await context.close();
});

test("an unreachable broker makes join() reject with broker-unreachable, in bounded time", async ({ browser }) => {
  const tab = await Tab.open(browser, { meetingId: uniqueMeetingId(), broker: { host: "127.0.0.1", port: 9, path: "/broker" } });
  tabs = [tab];
  const result = await tab.call("join");
  expect(result).toMatchObject({ ok: false, code: "broker-unreachable" });
  expect(result.ms).toBeLessThan(6000);
  test.info().annotations.push({ type: "broker-unreachable after (ms)", description: result.ms.toFixed(0) });
  expect((await tab.snapshot()).state).toBe("idle");
});

test("leave() and end() before join() resolved reject with not-joined and send nothing", async ({ browser }) => {
  tabs = await openMeeting(browser, 1);
  const late = await Tab.open(browser, { meetingId: tabs[0]!.meetingId, participantId: "late" });
  tabs.push(late);
  expect(await late.call("leave")).toMatchObject({ ok: false, code: "not-joined" });
  expect(await late.call("end")).toMatchObject({ ok: false, code: "not-joined" });
  // While join() is under way, too.
  const during = await late.page.evaluate(async () => {
    const h = (window as unknown as { harness: { call(m: string): Promise<{ code?: string }> } }).harness;
    const joining = h.call("join");
    const results = [await h.call("leave"), await h.call("end"), await h.call("join")];
    await joining;
    return results.map((r) => r.code);
  });
  expect(during).toEqual(["not-joined", "not-joined", "already-joined"]);
  await tabs[0]!.waitForEvent("participant-joined", { id: "late" });
  expect((await late.snapshot()).state).toBe("joined");
});
