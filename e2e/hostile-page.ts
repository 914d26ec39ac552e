// The hostile participant's page (e2e/pages/hostile.ts: a participant that speaks the wire protocol
// itself), opened and joined to a kit's meeting, for the security and moderation specs.
import type { Browser, Page } from "@playwright/test";
import { expect, type MeshKit } from "meshmeet/testing";

/** What the hostile page offers (window.Hostile). */
export interface HostileApi {
  join(o: unknown): Promise<string[]>;
  sendRaw(text: string): number;
  openLinks(): number;
  capturedEnd(): string | null;
  forgedEnds(replay: string | null): Promise<string[]>;
  capturedRemove(): string | null;
  forgedRemoves(target: string, replay: string | null): Promise<string[]>;
  hostileButWellFormed(i: number): string;
  malformed(i: number): string;
  close(): void;
}
export type HostileWindow = { Hostile: HostileApi };

/** Opens a hostile participant's page ("mallory") and joins it to the kit's meeting; expects `expectLinks` links. */
export async function hostile(browser: Browser, mesh: MeshKit, expectLinks: number): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (error) => console.log(`hostile page error: ${error.message}`));
  await page.goto("/e2e/pages/hostile.html");
  const linked = await page.evaluate(
    (o) => (window as unknown as HostileWindow).Hostile.join(o),
    { meetingId: mesh.meetingId, participantId: "mallory", broker: mesh.broker, answerPings: true },
  );
  expect(linked).toHaveLength(expectLinks);
  return page;
}
