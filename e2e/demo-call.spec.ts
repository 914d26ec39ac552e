// The demo's call features (issue 15): the host's waiting room (admit, deny), chat on a pubSub topic
// with history for late joiners, the active speaker's outlined tile, a connection-quality dot per
// participant, and the host's Remove button. Writes a screenshot of the host's view to the report.
import type { Page } from "@playwright/test";
import { expect, test, type JoinInfo, type MeshParticipant } from "meshmeet/testing";

test.use({
  meshApp: {
    url: "/?ice=none",
    create: async (page, info: JoinInfo) => {
      await page.setViewportSize({ width: 1280, height: 800 });
      const query = new URLSearchParams({ ice: "none", hbt: "5000", meeting: info.meetingId, name: info.name, pid: info.participantId });
      await page.goto(`/?${query}`);
      if (info["waitingRoom"] === true) await page.getByTestId("join-waiting-room").check();
      await page.getByTestId("join-button").click();
    },
  },
});

const tile = (page: Page, id: string) => page.locator(`[data-testid=participant-tile][data-participant-id="${id}"]`);

async function sendChat(p: MeshParticipant, text: string): Promise<void> {
  await p.page.getByTestId("chat-input").fill(text);
  await p.page.getByTestId("chat-send").click();
}

test("waiting room, chat history, active speaker, connection quality and Remove, as people use them", async ({ mesh }) => {
  const ada = await mesh.open({ name: "Ada Lovelace", waitingRoom: true });
  await ada.join();
  await expect(ada.page.getByTestId("meeting-view")).toBeVisible();
  // Ada says something while alone: it is persisted, so whoever comes later reads it.
  await sendChat(ada, "Welcome, everyone");
  await expect(ada.page.getByTestId("chat-message").filter({ hasText: "Welcome, everyone" })).toHaveCount(1);

  // Grace knocks: Ada sees her in the waiting room and admits her.
  const grace = await mesh.open({ name: "Grace Hopper" });
  const graceIn = grace.join();
  const request = ada.page.getByTestId("entry-request").filter({ hasText: "Grace Hopper wants to join" });
  await expect(request).toBeVisible({ timeout: 15_000 });
  await ada.page.screenshot({ path: test.info().outputPath("waiting-room.png") });
  await test.info().attach("waiting-room", { path: test.info().outputPath("waiting-room.png"), contentType: "image/png" });
  await request.getByTestId("entry-allow").click();
  await graceIn;
  await expect(grace.page.getByTestId("meeting-view")).toBeVisible();
  await expect(ada.page.getByTestId("entry-requests")).toBeHidden();
  // Grace reads what was said before she came.
  await expect(grace.page.getByTestId("chat-message").filter({ hasText: "Welcome, everyone" })).toHaveCount(1, { timeout: 10_000 });

  // Alan knocks and is turned away: he reads why, and gets no call.
  const alan = await mesh.open({ name: "Alan Turing" });
  const alanIn = alan.call("join");
  const alanRequest = ada.page.getByTestId("entry-request").filter({ hasText: "Alan Turing wants to join" });
  await expect(alanRequest).toBeVisible({ timeout: 15_000 });
  await alanRequest.getByTestId("entry-deny").click();
  await expect(alan.page.getByTestId("join-error")).toContainText("The host did not let you in", { timeout: 10_000 });
  void alanIn;

  // Chat both ways, each message once.
  await sendChat(grace, "Glad to be here");
  for (const p of [ada, grace]) await expect(p.page.getByTestId("chat-message").filter({ hasText: "Glad to be here" })).toHaveCount(1);

  // The fake microphones beep: someone's tile is outlined as the active speaker, one at a time.
  for (const p of [ada, grace]) {
    await expect(p.page.locator('[data-testid=participant-tile][data-speaking="true"]')).toHaveCount(1, { timeout: 15_000 });
  }
  // A clean link: Ada's dot for Grace says good.
  await expect(ada.page.locator(`[data-testid=participant][data-participant-id="${grace.id}"] [data-testid=connection-quality]`)).toHaveAttribute(
    "data-score",
    "good",
    { timeout: 15_000 },
  );
  await ada.page.screenshot({ path: test.info().outputPath("host-view.png") });
  await test.info().attach("host-view", { path: test.info().outputPath("host-view.png"), contentType: "image/png" });

  // Grace shares her screen (Chromium's fake screen): a screen tile plays on Ada's page; Ada cannot
  // share over her; Grace stops, and the tile goes.
  await grace.page.getByTestId("toggle-share").click();
  await expect(grace.page.getByTestId("toggle-share")).toHaveAttribute("aria-pressed", "true", { timeout: 10_000 });
  await ada.page.waitForFunction(
    (id) => {
      const video = document.querySelector<HTMLVideoElement>(`[data-testid=share-tile][data-participant-id="${id}"] video`);
      return !!video && video.videoWidth > 0;
    },
    grace.id,
    { timeout: 15_000, polling: 100 },
  );
  await expect(ada.page.getByTestId("toggle-share")).toBeDisabled();
  await ada.page.screenshot({ path: test.info().outputPath("screen-share.png") });
  await test.info().attach("screen-share", { path: test.info().outputPath("screen-share.png"), contentType: "image/png" });
  await grace.page.getByTestId("toggle-share").click();
  await expect(ada.page.getByTestId("share-tile")).toHaveCount(0, { timeout: 10_000 });
  await expect(ada.page.getByTestId("toggle-share")).toBeEnabled();

  // The device pickers list the fake devices, the ones in use selected.
  await grace.page.getByTestId("devices-panel").locator("summary").click();
  for (const id of ["camera-select", "mic-select"]) {
    await expect(grace.page.getByTestId(id)).toBeVisible();
    const select = grace.page.getByTestId(id);
    await expect(select.locator("option")).not.toHaveCount(0);
    expect(await select.inputValue()).not.toBe("");
  }

  // Only the host has Remove; it takes Grace out, and she is told so.
  await expect(grace.page.getByTestId("remove-participant")).toHaveCount(0);
  await ada.page.locator(`[data-testid=participant][data-participant-id="${grace.id}"]`).getByTestId("remove-participant").click();
  await expect(grace.page.getByTestId("left-view")).toBeVisible({ timeout: 10_000 });
  await expect(grace.page.getByTestId("left-reason")).toContainText("removed");
  await expect(tile(ada.page, grace.id)).toHaveCount(0);
  await ada.waitFor("participant-left", { id: grace.id, leftReason: "removed" });
});
