// The semantics table of DESIGN.md, in real Chromium tabs, each participant in its own browser context.
import { expect, test } from "meshmeet/testing";
import { recordFigure } from "./faults.js";

test("four participants join and each sees the other three, with one host", async ({ mesh }) => {
  const first = await mesh.join(3);
  const fourth = await mesh.open({ participantId: "p3", name: "Participant 3" });
  const joined = await fourth.join();
  recordFigure("join of the 4th participant", joined.ms);
  const everyone = [...first, fourth];
  await mesh.fullMesh(everyone);
  for (const p of everyone) {
    const snap = await p.snapshot();
    expect(snap.state).toBe("joined");
    expect(snap.hostId).toBe("p0");
    expect(snap.participants.map((x) => x.id)).toEqual(["p0", "p1", "p2", "p3"].filter((id) => id !== p.id));
  }
  // The others learn of the fourth from participant-joined; it learns of them from `participants`, and
  // from participant-joined right after its meeting-joined (as VideoSDK apps expect).
  for (const p of first) await p.waitFor("participant-joined", { id: "p3", displayName: "Participant 3" });
  const told = (await fourth.events()).map((e) => e.type).filter((t) => t === "meeting-joined" || t === "participant-joined");
  expect(told).toEqual(["meeting-joined", "participant-joined", "participant-joined", "participant-joined"]);
  expect((await fourth.events("participant-joined")).map((e) => (e.payload as { id: string }).id).sort()).toEqual(["p0", "p1", "p2"]);
  expect((await fourth.snapshot()).participants.map((x) => x.displayName)).toEqual(["p0", "p1", "p2"]);
});

test("leave: the leaver gets meeting-left 'left', each other gets participant-left for exactly the leaver, the meeting goes on", async ({ mesh }) => {
  const everyone = await mesh.join(4);
  const leaver = everyone[2]!;
  const stayers = everyone.filter((p) => p !== leaver);
  const since = Date.now();
  await leaver.leave();
  await leaver.waitFor("meeting-left", { reason: "left" });
  let seen = 0;
  for (const p of stayers) {
    const event = await p.waitFor("participant-left", { id: "p2", leftReason: "left" });
    seen = Math.max(seen, event.at - since);
    expect(await p.events("participant-left")).toHaveLength(1);
    expect(await p.events("meeting-left")).toEqual([]);
  }
  recordFigure("leave seen by all others", seen);
  expect((await leaver.snapshot()).openPeerConnections).toBe(0);
  await expect.poll(async () => (await leaver.snapshot()).openSockets).toBe(0);
  // The rest still talk, and still see exactly each other.
  await stayers[1]!.send({ text: "still here" });
  await stayers[0]!.waitFor("message", { participant: { id: "p1" }, payload: { text: "still here" } });
  await stayers[2]!.waitFor("message", { participant: { id: "p1" }, payload: { text: "still here" } });
  await mesh.fullMesh(stayers);
  // A second leave() is a no-op.
  expect((await leaver.call("leave")).ok).toBe(true);
  expect(await leaver.events("meeting-left")).toHaveLength(1);
});

test("host end: all four get meeting-left 'ended' and every link is closed", async ({ mesh }) => {
  const everyone = await mesh.join(4);
  const since = Date.now();
  await everyone[0]!.end();
  let seen = 0;
  for (const p of everyone) {
    const event = await p.waitFor("meeting-left", { reason: "ended" });
    seen = Math.max(seen, event.at - since);
    expect(await p.events("meeting-left")).toHaveLength(1);
  }
  recordFigure("end seen by all four", seen);
  for (const p of everyone) {
    await expect.poll(async () => (await p.snapshot()).openPeerConnections).toBe(0);
    await expect.poll(async () => (await p.snapshot()).openSockets).toBe(0);
    const snap = await p.snapshot();
    expect(snap.state).toBe("left");
    expect(snap.participants).toEqual([]);
  }
});

test("non-host end() is rejected with not-host and nobody is affected", async ({ mesh }) => {
  const everyone = await mesh.join(4);
  const result = await everyone[1]!.call("end");
  expect(result).toMatchObject({ ok: false, code: "not-host" });
  // Nothing was sent: a message sent afterwards arrives, and nobody has left or seen an error.
  await everyone[1]!.send({ after: "end" });
  for (const p of everyone.filter((x) => x !== everyone[1])) {
    await p.waitFor("message", { payload: { after: "end" } });
    expect(await p.events("meeting-left")).toEqual([]);
    expect(await p.events("error")).toEqual([]);
  }
  for (const p of everyone) expect((await p.snapshot()).state).toBe("joined");
  await mesh.fullMesh(everyone);
});

test("a terminate forged by a non-host is ignored by everyone and reported", async ({ mesh }) => {
  const honest = await mesh.join(3);
  const mallory = await mesh.open({ participantId: "mallory" });
  await mallory.join();
  await mesh.fullMesh([...honest, mallory]);
  // Mallory reaches into the library's own links: the forged message goes out exactly as an honest end would.
  await mallory.page.evaluate(() => {
    const hook = (window as unknown as { __MESHMEET_HOOK__: { current(): unknown } }).__MESHMEET_HOOK__;
    const mesh = (hook.current() as { mesh: { links: { all(): { send(m: unknown): boolean }[] } } }).mesh;
    for (const link of mesh.links.all()) link.send({ v: 1, t: "end", nonce: "forged-nonce-1" });
  });
  for (const p of honest) {
    await p.waitFor("error", { code: "unauthorized-terminate", participantId: "mallory" });
    expect(await p.events("error")).toHaveLength(1);
  }
  for (const p of [...honest, mallory]) {
    expect(await p.events("meeting-left")).toEqual([]);
    expect((await p.snapshot()).state).toBe("joined");
  }
  // An honest end still ends it for all.
  await honest[0]!.end();
  for (const p of [...honest, mallory]) await p.waitFor("meeting-left", { reason: "ended" });
});

test("host leaves: the earliest joiner becomes host everywhere and a newcomer can still join", async ({ mesh }) => {
  const everyone = await mesh.join(4);
  await everyone[0]!.leave();
  const rest = everyone.slice(1);
  for (const p of rest) {
    await p.waitFor("host-changed", { hostId: "p1" });
    await p.waitFor("participant-left", { id: "p0", leftReason: "left" });
    const snap = await p.snapshot();
    expect(snap.hostId).toBe("p1");
    expect(snap.isHost).toBe(p.id === "p1");
  }
  const newcomer = await mesh.open({ participantId: "p9" });
  await newcomer.join();
  await mesh.fullMesh([...rest, newcomer]);
  expect((await newcomer.snapshot()).hostId).toBe("p1");
  for (const p of rest) await p.waitFor("participant-joined", { id: "p9" });
  // The new host may end the meeting; the others may not.
  expect((await rest[1]!.call("end")).code).toBe("not-host");
  await rest[0]!.end();
  for (const p of [...rest, newcomer]) await p.waitFor("meeting-left", { reason: "ended" });
});

test("a second participant with the same participantId is refused with duplicate-participant", async ({ mesh }) => {
  const [host, p1] = await mesh.join(2);
  const twin = await mesh.open({ participantId: "p1" });
  expect(await twin.call("join")).toMatchObject({ ok: false, code: "duplicate-participant" });
  expect((await twin.snapshot()).state).toBe("idle");
  // The original p1 is untouched.
  expect((await p1!.snapshot()).state).toBe("joined");
  expect(await host!.events("participant-left")).toEqual([]);
});

test("invalid ids are refused with invalid-id before anything is sent", async ({ page }) => {
  await page.addInitScript(() => {
    const Native = WebSocket;
    (window as unknown as { sockets: number }).sockets = 0;
    window.WebSocket = function (...args: ConstructorParameters<typeof WebSocket>) {
      (window as unknown as { sockets: number }).sockets += 1;
      return new Native(...args);
    } as unknown as typeof WebSocket;
  });
  await page.goto("/e2e/pages/blank.html");
  for (const options of [
    { meetingId: "" },
    { meetingId: "has/slash" },
    { meetingId: "-leading" },
    { meetingId: "x".repeat(65) },
    { meetingId: "ok", participantId: "bad..id" },
    { meetingId: "ok", participantId: "ünïcode" },
  ]) {
    const code = await page.evaluate((o) => {
      try {
        (window as unknown as { MeshMeet: { initMeeting(o: unknown): unknown } }).MeshMeet.initMeeting(o);
        return "created";
      } catch (error) {
        return (error as { code?: string }).code;
      }
    }, options);
    expect(code, JSON.stringify(options)).toBe("invalid-id");
  }
  expect(await page.evaluate(() => (window as unknown as { sockets: number }).sockets)).toBe(0);
});

test("an unreachable broker makes join() reject with broker-unreachable, in bounded time", async ({ mesh }) => {
  const lonely = await mesh.open({ broker: { host: "127.0.0.1", port: 9, path: "/broker" } });
  const result = await lonely.call("join");
  expect(result).toMatchObject({ ok: false, code: "broker-unreachable" });
  expect(result.ms).toBeLessThan(6000);
  test.info().annotations.push({ type: "broker-unreachable after (ms)", description: result.ms.toFixed(0) });
  expect((await lonely.snapshot()).state).toBe("idle");
});

test("leave() and end() before join() reject with not-joined; leave() during join() cancels it", async ({ mesh }) => {
  const [host] = await mesh.join(1);
  const late = await mesh.open({ participantId: "late" });
  expect(await late.call("leave")).toMatchObject({ ok: false, code: "not-joined" });
  expect(await late.call("end")).toMatchObject({ ok: false, code: "not-joined" });
  // While join() is under way: end() is refused, leave() cancels the join (as a view that unmounts would).
  const during = await late.page.evaluate(async () => {
    const hook = (window as unknown as {
      __MESHMEET_HOOK__: { call(m: string, a: unknown[]): Promise<{ ok: boolean; code?: string }> };
    }).__MESHMEET_HOOK__;
    const joining = hook.call("join", []);
    const results = [await hook.call("end", []), await hook.call("leave", []), await hook.call("join", []), await joining];
    return results.map((r) => r.code ?? (r.ok ? "ok" : "?"));
  });
  expect(during).toEqual(["not-joined", "ok", "already-joined", "join-cancelled"]);
  expect((await late.snapshot()).state).toBe("left");
  await late.waitFor("meeting-left", { reason: "left" });
  // The host goes on alone, and the cancelled participant's id is free: a new meeting object can join.
  await expect.poll(() => host!.sees()).toEqual([]);
  const again = await mesh.open({ participantId: "late" });
  await again.join();
  await mesh.fullMesh([host!, again]);
});
