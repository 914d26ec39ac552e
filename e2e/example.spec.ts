import { expect, test } from "meshmeet/testing";

test("three people meet, one leaves, the host ends it", async ({ mesh }) => {
  const [host, guest, leaver] = await mesh.join(3);
  await leaver.leave();
  await host.waitFor("participant-left", { id: leaver.id, leftReason: "left" });
  await guest.waitFor("participant-left", { id: leaver.id, leftReason: "left" });
  await host.end();
  for (const p of [host, guest]) await p.waitFor("meeting-left", { reason: "ended" });
  expect(await guest.sees()).toEqual([]);
});
