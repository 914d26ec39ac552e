import { within } from "../time.js";
import type { PageSnapshot } from "./page-hook.js";

/** Any participant handle of the kit (Playwright's MeshParticipant, PuppeteerParticipant): what a group wait needs. */
export interface SnapshotSource {
  readonly id: string;
  snapshot(): Promise<PageSnapshot>;
}

/**
 * Waits until each of `group` sees exactly the others of `group`, whatever drives each one (a mixed
 * Chromium and Firefox meeting). Polls from Node every 25 ms. On timeout the error says what each saw.
 */
export async function waitForFullMesh(group: SnapshotSource[], timeout = 15_000): Promise<void> {
  const ids = group.map((p) => p.id);
  const expected = (self: string): string => JSON.stringify(ids.filter((id) => id !== self).sort());
  const deadline = Date.now() + timeout;
  for (;;) {
    const views = await Promise.all(group.map((p) => within(p.snapshot(), 2000, null)));
    const formed = views.every((snap, i) => snap && JSON.stringify(snap.participants.map((x) => x.id).sort()) === expected(ids[i]!));
    if (formed) return;
    if (Date.now() >= deadline) {
      const seen = views.map((snap, i) =>
        snap
          ? `${ids[i]} (${snap.state}, host ${snap.hostId}) sees [${snap.participants.map((x) => x.id).sort().join(", ")}]`
          : `${ids[i]}: no answer`,
      );
      throw new Error(`no full mesh of ${ids.join(", ")} within ${timeout} ms:\n  ${seen.join("\n  ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
