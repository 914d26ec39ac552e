// The host removes someone (participant.remove(), a signed removal every member checks and relays), and
// the waiting room (initMeeting({ waitingRoom: true }): entry-requested with allow()/deny() on the host,
// entry-responded on the newcomer), in real Chromium tabs.
import { expect, test, type MeshParticipant } from "meshmeet/testing";
import { cutLink, restoreAllPaths } from "./faults.js";
import { hostile, type HostileWindow } from "./hostile-page.js";

test.afterEach(() => restoreAllPaths());

type DoorWindow = {
  __MESHMEET_HOOK__: { current(): unknown; events: { type: string; at: number; payload: unknown }[] };
  __requests: Map<string, { allow(): void; deny(): void }>;
};

/**
 * Records entry-requested and entry-responded in the page's event log (the kit's hook records the core
 * events only), keeping each request's allow()/deny() in the page for decide().
 */
async function watchDoor(p: MeshParticipant): Promise<void> {
  await p.page.evaluate(() => {
    const w = window as unknown as DoorWindow;
    const meeting = w.__MESHMEET_HOOK__.current() as { on(type: string, handler: (e: Record<string, unknown>) => void): void };
    const now = (): number => performance.timeOrigin + performance.now();
    w.__requests = new Map();
    meeting.on("entry-requested", (r) => {
      w.__requests.set(r["participantId"] as string, r as unknown as { allow(): void; deny(): void });
      w.__MESHMEET_HOOK__.events.push({ type: "entry-requested", at: now(), payload: { participantId: r["participantId"], name: r["name"] } });
    });
    meeting.on("entry-responded", (r) => w.__MESHMEET_HOOK__.events.push({ type: "entry-responded", at: now(), payload: { ...r } }));
  });
}

/** The host app's allow() or deny() for a waiting newcomer. */
function decide(host: MeshParticipant, id: string, decision: "allow" | "deny"): Promise<void> {
  return host.page.evaluate(([i, d]) => (window as unknown as DoorWindow).__requests.get(i)![d](), [id, decision] as const);
}

/** participant.remove() in `host`'s page, on its Participant object for `id`; the outcome as plain data. */
function remove(by: MeshParticipant, id: string): Promise<{ ok: boolean; code?: string }> {
  return by.page.evaluate(async (target) => {
    const meeting = (window as unknown as DoorWindow).__MESHMEET_HOOK__.current() as { participants: Map<string, { remove(): Promise<void> }> };
    try {
      await meeting.participants.get(target)!.remove();
      return { ok: true };
    } catch (error) {
      return { ok: false, code: (error as { code?: string }).code };
    }
  }, id);
}

test("the host removes a participant: it gets meeting-left 'removed', the others participant-left 'removed', and it cannot come back", async ({ mesh }) => {
  const everyone = await mesh.join(4);
  const [host, , removed] = everyone;
  const stayers = everyone.filter((p) => p !== removed);
  expect(await remove(host, "p2")).toEqual({ ok: true });
  await removed.waitFor("meeting-left", { reason: "removed" });
  for (const p of stayers) await p.waitFor("participant-left", { id: "p2", leftReason: "removed" });
  for (const p of stayers) {
    expect(await p.events("meeting-left"), p.id).toEqual([]);
    expect((await p.events("participant-left")).length, p.id).toBe(1);
  }
  await expect.poll(async () => (await removed.snapshot()).openPeerConnections).toBe(0);
  await expect.poll(async () => (await removed.snapshot()).openSockets).toBe(0);
  await mesh.fullMesh(stayers);
  // The same participant id again, in a new tab: the host refuses it for the rest of the meeting.
  const again = await mesh.open({ participantId: "p2", joinTimeout: 5000 });
  expect(await again.call("join")).toMatchObject({ ok: false, code: "entry-denied" });
  for (const p of stayers) expect(await p.sees(), p.id).not.toContain("p2");
});

test("remove() by a non-host rejects with not-host and nobody is affected", async ({ mesh }) => {
  const everyone = await mesh.join(3);
  expect(await remove(everyone[1], "p2")).toEqual({ ok: false, code: "not-host" });
  expect(await remove(everyone[1], "p0")).toEqual({ ok: false, code: "not-host" });
  await everyone[1].send({ after: "remove" });
  for (const p of [everyone[0], everyone[2]]) await p.waitFor("message", { payload: { after: "remove" } });
  for (const p of everyone) {
    expect(await p.events("participant-left"), p.id).toEqual([]);
    expect(await p.events("error"), p.id).toEqual([]);
  }
  await mesh.fullMesh(everyone);
});

test("the host's link to the removed participant is cut: the removal reaches it through a relay", async ({ mesh }) => {
  const everyone = await mesh.join(3);
  const [host, other, victim] = everyone;
  await cutLink(host, victim);
  expect(await remove(host, "p2")).toEqual({ ok: true });
  await victim.waitFor("meeting-left", { reason: "removed" }, { timeout: 5000 });
  await other.waitFor("participant-left", { id: "p2", leftReason: "removed" });
  await host.waitFor("participant-left", { id: "p2", leftReason: "removed" });
});

test("forged, self-signed, stale and replayed removals from a hostile member are ignored by everyone; the host's own removes her", async ({ browser, mesh }) => {
  test.setTimeout(120_000);
  // Meeting one: mallory keeps the host's signed removal of p2.
  const first = await mesh.join(3);
  const spy = await hostile(browser, mesh, 3);
  for (const p of first) await p.waitFor("participant-joined", { id: "mallory" });
  expect(await remove(first[0], "p2")).toEqual({ ok: true });
  await first[2].waitFor("meeting-left", { reason: "removed" });
  await expect.poll(() => spy.evaluate(() => (window as unknown as HostileWindow).Hostile.capturedRemove() !== null)).toBe(true);
  const replay = await spy.evaluate(() => (window as unknown as HostileWindow).Hostile.capturedRemove());
  await first[0].end();
  await spy.context().close();

  // Meeting two: the same meeting id and participant ids, new keys.
  const honest: MeshParticipant[] = [];
  for (const id of ["p0", "p1", "p2"]) {
    const p = await mesh.open({ participantId: id });
    await p.join();
    honest.push(p);
  }
  await mesh.fullMesh(honest);
  const mallory = await hostile(browser, mesh, 3);
  for (const p of honest) await p.waitFor("participant-joined", { id: "mallory" });
  const forged = await mallory.evaluate((r) => (window as unknown as HostileWindow).Hostile.forgedRemoves("p2", r), replay);
  expect(forged).toHaveLength(6);
  for (const text of forged) await mallory.evaluate((t) => (window as unknown as HostileWindow).Hostile.sendRaw(t), text);
  for (const p of honest) await p.waitFor("error", { code: "unauthorized-remove", participantId: "mallory" });
  // Nothing moved: nobody left, the host is the host, everyone still sees everyone.
  for (const p of honest) {
    const snap = await p.snapshot();
    expect(snap.state, p.id).toBe("joined");
    expect(snap.hostId, p.id).toBe("p0");
    expect(await p.events("participant-left"), p.id).toEqual([]);
    expect(await p.events("meeting-left"), p.id).toEqual([]);
    expect(await p.sees(), p.id).toEqual(["mallory", "p0", "p1", "p2"].filter((id) => id !== p.id));
  }
  // The host's own removal of mallory is obeyed by everyone.
  expect(await remove(honest[0]!, "mallory")).toEqual({ ok: true });
  for (const p of honest) await p.waitFor("participant-left", { id: "mallory", leftReason: "removed" });
  await mesh.fullMesh(honest);
  await mallory.context().close();
});

test("waiting room, allow: the host gets entry-requested, the newcomer entry-responded 'allowed', and it joins the full mesh", async ({ mesh }) => {
  const host = await mesh.open({ participantId: "p0", waitingRoom: true });
  await host.join();
  await watchDoor(host);
  const member = await mesh.open({ participantId: "p1", name: "Participant 1" });
  await watchDoor(member);
  const memberJoins = member.call("join");
  await host.waitFor("entry-requested", { participantId: "p1", name: "Participant 1" });
  expect((await member.snapshot()).state).toBe("joining");
  await decide(host, "p1", "allow");
  expect(await memberJoins).toMatchObject({ ok: true });
  await member.waitFor("entry-responded", { participantId: "p1", decision: "allowed" });
  await host.waitFor("entry-responded", { participantId: "p1", decision: "allowed" });
  const late = await mesh.open({ participantId: "p2" });
  await watchDoor(late);
  const lateJoins = late.call("join");
  await host.waitFor("entry-requested", { participantId: "p2" });
  await decide(host, "p2", "allow");
  expect(await lateJoins).toMatchObject({ ok: true });
  await late.waitFor("entry-responded", { participantId: "p2", decision: "allowed" });
  await mesh.fullMesh([host, member, late]);
  expect((await late.snapshot()).hostId).toBe("p0");
});

test("waiting room, deny: the newcomer's join() rejects with entry-denied, after entry-responded 'denied'; it got no links", async ({ mesh }) => {
  const host = await mesh.open({ participantId: "p0", waitingRoom: true });
  await host.join();
  await watchDoor(host);
  const guest = await mesh.open({ participantId: "p1" });
  await watchDoor(guest);
  const joining = guest.call("join");
  await host.waitFor("entry-requested", { participantId: "p1" });
  await decide(host, "p1", "deny");
  expect(await joining).toMatchObject({ ok: false, code: "entry-denied" });
  await guest.waitFor("entry-responded", { participantId: "p1", decision: "denied" });
  const snap = await guest.snapshot();
  expect(snap.state).toBe("idle");
  expect(snap.openPeerConnections).toBe(0);
  expect(await host.sees()).toEqual([]);
  expect(await host.events("participant-joined")).toEqual([]);
});

test("waiting room: a newcomer waits past its joinTimeout for the host's decision and does not found a meeting of its own", async ({ mesh }) => {
  const host = await mesh.open({ participantId: "p0", waitingRoom: true });
  await host.join();
  await watchDoor(host);
  const guest = await mesh.open({ participantId: "p1", joinTimeout: 2000 });
  const joining = guest.call("join");
  const asked = await host.waitFor("entry-requested", { participantId: "p1" });
  // What is tested is time passing: a second past the guest's joinTimeout (on the page's clock), its
  // join() still waits, and however often it knocked, the host was asked once.
  await host.page.waitForFunction((t) => performance.timeOrigin + performance.now() > t, asked.at + 3000, { timeout: 10_000 });
  expect((await guest.snapshot()).state).toBe("joining");
  expect(await host.events("entry-requested")).toHaveLength(1);
  await decide(host, "p1", "allow");
  expect(await joining).toMatchObject({ ok: true });
  await mesh.fullMesh([host, guest]);
});

for (const way of ["leaves", "crashes"] as const) {
  test(`waiting room: the host ${way} while a newcomer waits; its heir is asked, and its allow() lets the newcomer in`, async ({ mesh }) => {
    const host = await mesh.open({ participantId: "p0", waitingRoom: true });
    await host.join();
    await watchDoor(host);
    const heir = await mesh.open({ participantId: "p1", waitingRoom: true });
    await watchDoor(heir);
    const heirJoins = heir.call("join");
    await host.waitFor("entry-requested", { participantId: "p1" });
    await decide(host, "p1", "allow");
    expect(await heirJoins).toMatchObject({ ok: true });
    const guest = await mesh.open({ participantId: "p2" });
    await watchDoor(guest);
    const guestJoins = guest.call("join");
    await host.waitFor("entry-requested", { participantId: "p2" });
    if (way === "leaves") await host.leave();
    else await host.crash();
    await heir.waitFor("host-changed", { hostId: "p1" }, { timeout: 15_000 });
    await heir.waitFor("entry-requested", { participantId: "p2" }, { timeout: 15_000 });
    expect((await guest.snapshot()).state).toBe("joining");
    await decide(heir, "p2", "allow");
    expect(await guestJoins).toMatchObject({ ok: true });
    await guest.waitFor("entry-responded", { participantId: "p2", decision: "allowed" });
    expect((await guest.snapshot()).hostId).toBe("p1");
    await mesh.fullMesh([heir, guest]);
  });
}
