// What a call app shows beside the videos: who is speaking (speaker-changed) and how good each
// participant's connection is (connection-quality-changed), measured from real links' getStats.
// Chromium's fake microphone beeps, so a participant with its mic on "speaks".
import { expect, test, type MeshParticipant } from "meshmeet/testing";

const options = { micEnabled: true, webcamEnabled: false, heartbeatTimeout: 5000 };

test("the one participant whose microphone is on is the active speaker for everyone; when another takes over, everyone follows", async ({ mesh }) => {
  const people: MeshParticipant[] = [];
  for (let i = 0; i < 3; i++) {
    const p = await mesh.open(options);
    await p.join();
    people.push(p);
  }
  await mesh.fullMesh(people);
  for (const p of people) await p.record("speaker-changed");
  const [p0, p1, p2] = people as [MeshParticipant, MeshParticipant, MeshParticipant];
  // Only p0 speaks.
  await p1.call("muteMic");
  await p2.call("muteMic");
  for (const p of people) await p.waitFor("speaker-changed", { activeSpeakerId: p0.id }, { timeout: 15_000 });
  // p0 stops, p2 starts: everyone moves to p2.
  const since = Date.now();
  await p0.call("muteMic");
  await p2.call("unmuteMic");
  for (const p of people) await p.waitFor("speaker-changed", { activeSpeakerId: p2.id }, { timeout: 15_000, after: since });
});

test("connection quality per participant: good on a clean link, with a round-trip time and bitrate", async ({ mesh }) => {
  const [p0, p1] = await mesh.join(2, options);
  await p0!.record("connection-quality-changed");
  const event = await p0!.waitFor("connection-quality-changed", { participant: { id: p1!.id } }, { timeout: 15_000 });
  const { quality } = event.payload as { quality: { score: string; rttMs: number | null; inboundKbps: number; outboundKbps: number } };
  expect(quality.score).toBe("good");
  expect(quality.rttMs).not.toBeNull();
  expect(quality.rttMs!).toBeLessThan(250);
  await expect
    .poll(async () => p0!.page.evaluate((id) => {
      const hook = (window as unknown as { __MESHMEET_HOOK__: { meetings: { participants: Map<string, { connectionQuality: { inboundKbps: number } | null }> }[] } }).__MESHMEET_HOOK__;
      return hook.meetings.at(-1)?.participants.get(id)?.connectionQuality?.inboundKbps ?? 0;
    }, p1!.id), { timeout: 10_000 })
    .toBeGreaterThan(0);
});
