// Host authority under attack: a participant that speaks the wire protocol itself (e2e/pages/hostile.ts,
// no library internals) tries every way found to seize the host role, end the meeting, make someone
// leave or lock newcomers out. The honest host must stay host everywhere, nobody may leave, newcomers
// must still get in.
import type { Browser, Page } from "@playwright/test";
import { expect, test, type MeshKit, type MeshParticipant } from "meshmeet/testing";

type Hostile = {
  join(o: unknown): Promise<string[]>;
  anchorTokens(): string[];
  registerAnchor(token?: string): Promise<string>;
  squat(o: unknown, answer: boolean): Promise<string>;
  knockFlood(o: unknown, count: number): Promise<number>;
  offerFlood(o: unknown, target: string, count: number): Promise<number>;
  endFlood(count: number): void;
  leave(): void;
  openLinks(): number;
};

async function hostilePage(browser: Browser): Promise<{ page: Page; run: <T>(fn: (h: Hostile, arg: unknown) => T | Promise<T>, arg?: unknown) => Promise<T> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (error) => console.log(`hostile page error: ${error.message}`));
  await page.goto("/e2e/pages/hostile.html");
  const run = <T,>(fn: (h: Hostile, arg: unknown) => T | Promise<T>, arg?: unknown): Promise<T> =>
    page.evaluate(
      ([source, a]) => {
        const f = new Function("h", "arg", `return (${source})(h, arg);`) as (h: unknown, arg: unknown) => T;
        return f((window as unknown as { Hostile: unknown }).Hostile, a);
      },
      [fn.toString(), arg] as const,
    ) as Promise<T>;
  return { page, run };
}

// Mallory here sends no heartbeats: the honest keep her as reconnecting for reconnectTimeout (30 s by
// default), shortened so that she is dropped within the tests' waits, as a silent member would be.
test.use({ meshOptions: { reconnectTimeout: 3000 } });

function options(mesh: MeshKit, participantId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { meetingId: mesh.meetingId, participantId, broker: mesh.broker, ...extra };
}

async function hostEverywhere(group: MeshParticipant[], host: string): Promise<void> {
  for (const p of group) {
    const snap = await p.snapshot();
    expect(snap.state, p.id).toBe("joined");
    expect(snap.hostId, p.id).toBe(host);
    expect(await p.events("meeting-left"), p.id).toEqual([]);
  }
}

test("a member can neither learn the anchor token nor take the anchor: the host stays host, newcomers get in", async ({ browser, mesh }) => {
  const honest = await mesh.join(3); // p1 is the host's heir
  const mallory = await hostilePage(browser);
  expect(await mallory.run((h, o) => h.join(o), options(mesh, "mallory"))).toHaveLength(3);
  await mesh.fullMesh(honest);
  expect(await mallory.run((h) => h.anchorTokens())).toEqual([]);
  // Without the token the broker refuses the anchor to her.
  expect(await mallory.run((h) => h.registerAnchor())).toBe("unavailable-id");
  expect(await mallory.run((h) => h.registerAnchor("guessedtoken123"))).toBe("unavailable-id");
  await hostEverywhere(honest, "p0");
  const newcomer = await mesh.open({ participantId: "p9" });
  await newcomer.join();
  await mesh.fullMesh([...honest, newcomer]);
  expect((await newcomer.snapshot()).hostId).toBe("p0");
});

test("a member that claims join number 0 does not become host when the host leaves", async ({ browser, mesh }) => {
  const honest = await mesh.join(3);
  const mallory = await hostilePage(browser);
  expect(await mallory.run((h, o) => h.join(o), options(mesh, "mallory", { claimSeq: 0 }))).toHaveLength(3);
  for (const p of honest) await p.waitFor("participant-joined", { id: "mallory" });
  await honest[0].leave();
  const rest = honest.slice(1);
  for (const p of rest) await p.waitFor("host-changed", { hostId: "p1" });
  await hostEverywhere(rest, "p1");
  for (const p of rest) expect((await p.events("host-changed")).map((e) => (e.payload as { hostId: string }).hostId)).toEqual(["p1"]);
});

test("the host's heir leaves and comes back for the anchor with the token it was given: it cannot keep it, the lone host stays", async ({ browser, mesh }) => {
  const host = await mesh.open({ participantId: "p0", logLevel: "debug" });
  if (process.env.MESHMEET_DEBUG) host.page.on("console", (m) => console.log(`p0: ${m.text()}`));
  await host.join();
  const mallory = await hostilePage(browser);
  expect(await mallory.run((h, o) => h.join(o), options(mesh, "mallory"))).toHaveLength(1);
  await host.waitFor("participant-joined", { id: "mallory" });
  // As the host's only other member, mallory is its heir: she is handed the token.
  await expect.poll(() => mallory.run((h) => h.anchorTokens().length)).toBe(1);
  const [token] = await mallory.run((h) => h.anchorTokens());
  await mallory.run((h) => h.leave());
  await host.waitFor("participant-left", { id: "mallory", leftReason: "left" });
  // The host gives the anchor a fresh token when its heir leaves; should she be quicker than that, the
  // host (the roster's host) takes the anchor back with its token and replaces it. Either way the old
  // token ends up taking nothing over.
  await expect.poll(() => mallory.run((h, t) => h.registerAnchor(t as string), token), { timeout: 30_000 }).toBe("unavailable-id");
  await hostEverywhere([host], "p0");
  const newcomer = await mesh.open({ participantId: "p9" });
  await newcomer.join();
  await mesh.fullMesh([host, newcomer]);
});

test("an outsider who offers links straight to a member (no admission, or a forged one) gets no connection; a newcomer still links", async ({ browser, mesh }) => {
  const honest = await mesh.join(3);
  const eve = await hostilePage(browser);
  const opened = await eve.run((h, o) => h.offerFlood(o, "p1", 40), options(mesh, "eve"));
  expect(opened).toBe(0);
  await hostEverywhere(honest, "p0");
  const newcomer = await mesh.open({ participantId: "p9" });
  await newcomer.join();
  await mesh.fullMesh([...honest, newcomer]);
});

test("seventy knocking ids do not lock newcomers out", async ({ browser, mesh }) => {
  const honest = await mesh.join(2);
  const eve = await hostilePage(browser);
  expect(await eve.run((h, o) => h.knockFlood(o, 70), options(mesh, "eve"))).toBe(70);
  const newcomer = await mesh.open({ participantId: "p9" });
  await newcomer.join();
  await mesh.fullMesh([...honest, newcomer]);
  await hostEverywhere(honest, "p0");
});

test("a member that floods unsigned ends is reported once and disconnected; nobody leaves", async ({ browser, mesh }) => {
  const honest = await mesh.join(3);
  const mallory = await hostilePage(browser);
  expect(await mallory.run((h, o) => h.join(o), options(mesh, "mallory"))).toHaveLength(3);
  for (const p of honest) await p.waitFor("participant-joined", { id: "mallory" });
  await mallory.run((h) => h.endFlood(500));
  for (const p of honest) await p.waitFor("participant-left", { id: "mallory", leftReason: "protocol-violation" });
  for (const p of honest) expect((await p.events("error")).length, p.id).toBe(1);
  await hostEverywhere(honest, "p0");
  await mesh.fullMesh(honest);
});

test("an outsider squats the meeting id before anyone joins: join() says so in bounded time; with a password the meeting cannot be found", async ({ browser, mesh }) => {
  const eve = await hostilePage(browser);
  expect(await eve.run((h, o) => h.squat(o, true), options(mesh, "eve"))).toBe("open");
  const victim = await mesh.open({ participantId: "p0", joinTimeout: 5000 });
  const result = await victim.call("join");
  expect(result).toMatchObject({ ok: false, code: "host-unverified" });
  expect(result.ms).toBeLessThan(8000);
  expect((await victim.snapshot()).state).toBe("idle");
  // The same meeting id with a password lives under other broker ids: the squatter is not in the way.
  const host = await mesh.open({ participantId: "q0", password: "correct horse battery staple" });
  await host.join();
  const guest = await mesh.open({ participantId: "q1", password: "correct horse battery staple" });
  await guest.join();
  await mesh.fullMesh([host, guest]);
  expect((await guest.snapshot()).hostId).toBe("q0");
});

test("a silent squatter: join() fails with host-unreachable and a message that names the possibility", async ({ browser, mesh }) => {
  const eve = await hostilePage(browser);
  expect(await eve.run((h, o) => h.squat(o, false), options(mesh, "eve"))).toBe("open");
  const victim = await mesh.open({ participantId: "p0", joinTimeout: 4000 });
  const result = await victim.call("join");
  expect(result).toMatchObject({ ok: false, code: "host-unreachable" });
  expect(result.message).toMatch(/held by someone who does not answer/);
});
