// Meetings mixing browsers: the kit's `mesh` (Playwright's Chromium) plus participants driven through
// puppeteer-core (Debian's firefox-esr over WebDriver BiDi, or Chromium over CDP), in the same meeting
// and on the same broker. One puppeteer browser per worker (a test file), one context per participant.
import { launchPuppeteer, PuppeteerParticipant, test as meshTest, type JoinInfo, type MeshKit } from "meshmeet/testing";
import type { Browser } from "puppeteer-core";

/** Participants of the test's meeting in a puppeteer-driven browser; ids `${prefix}0`, `${prefix}1`, ... */
export class PuppeteerKit {
  readonly participants: PuppeteerParticipant[] = [];
  private next = 0;

  constructor(
    private readonly browser: Browser,
    private readonly mesh: MeshKit,
    private readonly url: string,
    private readonly options: Record<string, unknown>,
    private readonly prefix: string,
  ) {}

  /** Opens one participant of the mesh's meeting (same meeting id, same broker), not joined. */
  async open(overrides: Partial<JoinInfo> = {}): Promise<PuppeteerParticipant> {
    const participantId = overrides.participantId ?? `${this.prefix}${this.next}`;
    this.next += 1;
    const info: JoinInfo = {
      meetingId: this.mesh.meetingId,
      name: overrides.name ?? participantId,
      broker: this.mesh.broker,
      iceServers: [],
      ...this.options,
      ...overrides,
      participantId,
    };
    const participant = await PuppeteerParticipant.open(this.browser, this.url, info);
    this.participants.push(participant);
    return participant;
  }

  /** Opens and joins one participant. */
  async join(overrides: Partial<JoinInfo> = {}): Promise<PuppeteerParticipant> {
    const participant = await this.open(overrides);
    await participant.join();
    return participant;
  }

  /** Teardown: uncaught errors of the pages still open, then every context closed. */
  async dispose(): Promise<string[]> {
    const problems: string[] = [];
    for (const p of this.participants) {
      if (p.page.isClosed()) continue;
      const snapshot = await Promise.race([p.snapshot(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 1000))]).catch(() => null);
      for (const error of snapshot?.uncaught ?? []) problems.push(`${p.id}: ${error}`);
    }
    await Promise.all(this.participants.map((p) => p.close()));
    return problems;
  }
}

/** Reports what each participant of a failed test saw, then closes them; throws on uncaught page errors. */
async function settle(kit: PuppeteerKit, label: string, failed: boolean, attach: (name: string, body: string) => Promise<void>): Promise<void> {
  if (failed) {
    const reports = await Promise.all(kit.participants.map(async (p) => `${p.id} (${label}):\n  ${(await p.report()).join("\n  ")}`));
    const text = reports.join("\n");
    await attach(`${label}-participants.txt`, text);
    console.log(`What each ${label} participant saw:\n${text}`);
  }
  const problems = await kit.dispose();
  if (problems.length > 0) throw new Error(`uncaught errors in ${label} participants' pages:\n${problems.join("\n")}`);
}

/**
 * The kit's `test` plus `firefox` (Firefox participants, ids f0, f1, ...) and `chrome` (Chromium
 * participants over puppeteer's CDP, ids c0, c1, ..., launched with real background throttling and
 * without Playwright's focus emulation, so that their tabs can go to the background). Each browser is
 * launched once per worker (a test file), and only when a test uses it.
 */
export const test = meshTest.extend<{ firefox: PuppeteerKit; chrome: PuppeteerKit }, { firefoxBrowser: Browser; chromeBrowser: Browser }>({
  firefoxBrowser: [
    async ({}, use) => {
      const browser = await launchPuppeteer({ browser: "firefox" });
      await use(browser);
      await browser.close();
    },
    { scope: "worker" },
  ],
  chromeBrowser: [
    async ({}, use) => {
      const browser = await launchPuppeteer({ browser: "chrome", backgroundThrottling: true });
      await use(browser);
      await browser.close();
    },
    { scope: "worker" },
  ],
  firefox: async ({ firefoxBrowser, mesh, meshApp, meshOptions, baseURL }, use, testInfo) => {
    const kit = new PuppeteerKit(firefoxBrowser, mesh, new URL(meshApp.url, baseURL).href, meshOptions, "f");
    await use(kit);
    await settle(kit, "Firefox", testInfo.status !== testInfo.expectedStatus, (name, body) => testInfo.attach(name, { body, contentType: "text/plain" }));
  },
  chrome: async ({ chromeBrowser, mesh, meshApp, meshOptions, baseURL }, use, testInfo) => {
    const kit = new PuppeteerKit(chromeBrowser, mesh, new URL(meshApp.url, baseURL).href, meshOptions, "c");
    await use(kit);
    await settle(kit, "Chromium (puppeteer)", testInfo.status !== testInfo.expectedStatus, (name, body) => testInfo.attach(name, { body, contentType: "text/plain" }));
  },
});

export { expect } from "meshmeet/testing";
