// A hostile participant that speaks the wire protocol directly, and an end that must reach everyone.
import { expect, test, type MeshParticipant } from "meshmeet/testing";
import { cutLink, recordFigure, restoreAllPaths } from "./faults.js";
import { hostile, type HostileWindow } from "./hostile-page.js";

test.afterEach(() => restoreAllPaths());

async function honestAndUnmoved(group: MeshParticipant[], host: string, others: string[]): Promise<void> {
  for (const p of group) {
    const snap = await p.snapshot();
    expect(snap.state, p.id).toBe("joined");
    expect(snap.hostId, p.id).toBe(host);
    expect(snap.participants.map((x) => x.id), p.id).toEqual(others.filter((id) => id !== p.id).sort());
    expect(await p.events("meeting-left"), p.id).toEqual([]);
    expect((await p.events("participant-left")).map((e) => (e.payload as { id: string }).id), p.id).toEqual([]);
    const codes = new Set((await p.events("error")).map((e) => (e.payload as { code: string }).code));
    expect([...codes].filter((c) => c !== "unauthorized-terminate"), p.id).toEqual([]);
  }
}

test("a hostile participant: forged, replayed and self-signed terminates, posing as host, 1,000+ fuzzed messages; the meeting goes on and an honest end still ends it", async ({ browser, mesh }) => {
  test.setTimeout(180_000);
  // Meeting one: mallory is an ordinary member and keeps the host's signed end when the host ends it.
  const first = await mesh.join(3);
  const spy = await hostile(browser, mesh, 3);
  await first[0].end();
  for (const p of first) await p.waitFor("meeting-left", { reason: "ended" });
  await expect.poll(() => spy.evaluate(() => (window as unknown as HostileWindow).Hostile.capturedEnd() !== null)).toBe(true);
  const replay = await spy.evaluate(() => (window as unknown as HostileWindow).Hostile.capturedEnd());
  await spy.context().close();

  // Meeting two: same meeting id, same participant ids, new keys.
  const honest: MeshParticipant[] = [];
  for (const id of ["p0", "p1", "p2"]) {
    const p = await mesh.open({ participantId: id });
    await p.join();
    honest.push(p);
  }
  await mesh.fullMesh(honest);
  const mallory = await hostile(browser, mesh, 3);
  for (const p of honest) await p.waitFor("participant-joined", { id: "mallory" });
  const everyone = ["p0", "p1", "p2", "mallory"];

  // Forged terminates: unsigned, signed by mallory as the host and as itself, a stale one, a zero
  // signature, and the real host's end from meeting one.
  const forged = await mallory.evaluate((r) => (window as unknown as HostileWindow).Hostile.forgedEnds(r), replay);
  expect(forged.length).toBe(7);
  for (const text of forged) await mallory.evaluate((t) => (window as unknown as HostileWindow).Hostile.sendRaw(t), text);
  // Each honest participant refuses them all and says so once (reports are limited per sender).
  for (const p of honest) await p.waitFor("error", { code: "unauthorized-terminate", participantId: "mallory" });

  // 1,000 well-formed hostile messages of every type (posing as host included) and 40 malformed
  // ones, paced under the rate limit so that each one is parsed and judged.
  const sent = await mallory.evaluate(async () => {
    const h = (window as unknown as HostileWindow).Hostile;
    let n = 0;
    for (let i = 0; i < 1040; i++) {
      h.sendRaw(i % 26 === 25 ? h.malformed(i) : h.hostileButWellFormed(i));
      n++;
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 120));
    }
    return n;
  });
  const total = forged.length + sent;
  recordFigure("hostile messages sent (count)", total);
  test.info().annotations.push({ type: "hostile messages", description: String(total) });
  expect(total).toBeGreaterThanOrEqual(1000);
  // Nothing moved: mallory is still linked to all three, no one left, the host is the host.
  expect(await mallory.evaluate(() => (window as unknown as HostileWindow).Hostile.openLinks())).toBe(3);
  await honestAndUnmoved(honest, "p0", everyone);

  // Garbage without end: mallory is cut off, with a reason of its own.
  await mallory.evaluate(() => {
    const h = (window as unknown as HostileWindow).Hostile;
    for (let i = 0; i < 80; i++) h.sendRaw(h.malformed(i));
  });
  for (const p of honest) await p.waitFor("participant-left", { id: "mallory", leftReason: "protocol-violation" });

  // An honest end still ends it for all.
  await honest[0]!.end();
  for (const p of honest) await p.waitFor("meeting-left", { reason: "ended" });
  await mallory.context().close();
});

test("the host's link to one participant is cut: the signed terminate reaches it through a relay", async ({ mesh }) => {
  const everyone = await mesh.join(4);
  const [host, , victim] = everyone;
  await cutLink(host, victim);
  // Straight away, well inside the heartbeat timeout: the victim still counts the host as present.
  const since = Date.now();
  await host.end();
  const event = await victim.waitFor("meeting-left", { reason: "ended" }, { timeout: 5000 });
  recordFigure("end through a relay", event.at - since);
  for (const p of everyone) await p.waitFor("meeting-left", { reason: "ended" });
  expect(await victim.events("meeting-left")).toHaveLength(1);
});
