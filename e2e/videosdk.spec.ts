// An app written for VideoSDK's JavaScript SDK, with only its SDK lines changed (e2e/pages/videosdk-app.html):
// whoever joins late must see everyone already there, with their video playing, as in VideoSDK.
import { expect, test, type MeshKit, type MeshParticipant } from "meshmeet/testing";

test.use({
  meshApp: {
    url: "/e2e/pages/videosdk-app.html",
    create: async (page, info) => {
      await page.goto("/e2e/pages/videosdk-app.html");
      await page.evaluate((options) => (window as unknown as { startApp(o: unknown): void }).startApp(options), info);
    },
  },
});

/** Ids whose tile in `p`'s page plays video (decoded frames), sorted. */
async function playing(p: MeshParticipant): Promise<string[]> {
  return p.page.evaluate(() =>
    [...document.querySelectorAll<HTMLVideoElement>("#videos video")]
      .filter((v) => v.videoWidth > 0)
      .map((v) => v.id.slice(2))
      .sort(),
  );
}

/** Three participants whose pages join by themselves (the app calls join()), one after another, in one full mesh. */
async function threeJoinInTurn(mesh: MeshKit): Promise<MeshParticipant[]> {
  const people: MeshParticipant[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await mesh.open();
    await p.waitFor("meeting-joined", {}, { timeout: 15_000 });
    people.push(p);
  }
  await mesh.fullMesh(people, 20_000);
  return people;
}

test("three join one after another: every page shows every participant's video, the late joiners' included", async ({ mesh }) => {
  const people = await threeJoinInTurn(mesh);
  const ids = people.map((p) => p.id).sort();
  for (const p of people) await expect.poll(() => playing(p), { timeout: 20_000 }).toEqual(ids);
  // The last one learned of the first two from participant-joined, right after meeting-joined, and
  // of their cameras from stream-enabled on each participant (attached in participant-joined).
  const last = people[2]!;
  const joined = (await last.events("participant-joined")).map((e) => (e.payload as { id: string }).id).sort();
  expect(joined).toEqual([people[0]!.id, people[1]!.id].sort());
  const enabled = await last.events("stream-enabled");
  const remoteVideo = enabled.filter((e) => {
    const { participant, stream } = e.payload as { participant: { id: string }; stream: { kind: string } };
    return participant.id !== last.id && stream.kind === "video";
  });
  expect(remoteVideo).toHaveLength(2);
  // meeting-state-changed in VideoSDK's names.
  const states = (await last.events("meeting-state-changed")).map((e) => (e.payload as { state: string }).state);
  expect(states).toEqual(["CONNECTING", "CONNECTED"]);
});

test.describe("VideoSDK's fuller example app: pre-call screen, the app's own tracks, pubSub chat, screen share", () => {
  test.use({
    meshApp: {
      url: "/e2e/pages/videosdk-example.html",
      create: async (page, info) => {
        await page.goto("/e2e/pages/videosdk-example.html");
        await page.evaluate((options) => (window as unknown as { startApp(o: unknown): Promise<void> }).startApp(options), info);
      },
    },
  });

  test("three join one after another: each page lists devices, sends the tracks it made, and plays everyone; chat and a shared screen reach all", async ({ mesh }) => {
    const people = await threeJoinInTurn(mesh);
    const ids = people.map((p) => p.id).sort();
    for (const p of people) {
      await expect.poll(() => playing(p), { timeout: 20_000 }).toEqual(ids);
      // The pre-call screen listed the fake devices (labels: permission was given).
      const counts = await p.page.evaluate(() => ["cameras", "microphones"].map((id) => document.querySelectorAll(`#${id} option`).length));
      expect(Math.min(...counts)).toBeGreaterThan(0);
    }
    // The late joiner subscribed in meeting-joined, as the example does: chat from the first reaches it.
    const [first, , last] = people as [MeshParticipant, MeshParticipant, MeshParticipant];
    await first.page.evaluate(() => (window as unknown as { sendChat(t: string): Promise<void> }).sendChat("hello from the first"));
    for (const p of people) await expect(p.page.locator(".chat", { hasText: "hello from the first" })).toHaveCount(1);
    // The first shares its screen: the last plays it.
    expect(await first.call("enableScreenShare")).toMatchObject({ ok: true });
    await last.page.waitForFunction(() => (document.getElementById("screen") as HTMLVideoElement).videoWidth > 0, undefined, { timeout: 15_000 });
  });
});

