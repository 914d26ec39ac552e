// An app written for VideoSDK's JavaScript SDK, with only its SDK lines changed (e2e/pages/videosdk-app.html):
// whoever joins late must see everyone already there, with their video playing, as in VideoSDK.
import { expect, test, type MeshParticipant } from "meshmeet/testing";

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
    [...document.querySelectorAll<HTMLVideoElement>("video")]
      .filter((v) => v.videoWidth > 0)
      .map((v) => v.id.slice(2))
      .sort(),
  );
}

test("three join one after another: every page shows every participant's video, the late joiners' included", async ({ mesh }) => {
  const people: MeshParticipant[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await mesh.open();
    await p.waitFor("meeting-joined", {}, { timeout: 15_000 });
    people.push(p);
  }
  await mesh.fullMesh(people, 20_000);
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
