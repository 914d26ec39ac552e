import {
  test as base,
  type Browser,
  type PlaywrightTestArgs,
  type PlaywrightTestOptions,
  type PlaywrightWorkerArgs,
  type PlaywrightWorkerOptions,
  type TestType,
} from "@playwright/test";
import { within } from "../time.js";
import { startBroker, type TestBroker } from "./broker.js";
import { createWithGlobalBuild, MeshParticipant, type CreateMeeting, type JoinInfo } from "./participant.js";

/** The app page participants open, and how a meeting is created there. */
export interface MeshApp {
  /** Relative to `use.baseURL`. Default "/". */
  url: string;
  /** How a participant's meeting is created on that page. Default: {@link createWithGlobalBuild}. */
  create?: CreateMeeting;
}

/** Options a test file sets with `test.use({...})`. */
export interface MeshOptions {
  meshApp: MeshApp;
  /** initMeeting options for every participant (e.g. `{ heartbeatTimeout: 3000 }`). */
  meshOptions: Record<string, unknown>;
  /** Fail the test when a participant's page had an uncaught error. Default true. */
  meshCheckUncaught: boolean;
}

/** `count` participants as a tuple, so `const [host, guest] = await mesh.join(2)` needs no checks. */
export type Participants<N extends number, R extends MeshParticipant[] = []> = number extends N
  ? MeshParticipant[]
  : R["length"] extends N
    ? R
    : Participants<N, [...R, MeshParticipant]>;

let meetings = 0;
function freshMeetingId(): string {
  meetings += 1;
  return `t${Date.now().toString(36)}${process.pid.toString(36)}n${meetings}`;
}

/** One meeting of a test: opens participants, each in its own browser context. */
export class MeshKit {
  /** A meeting id no other test uses. */
  readonly meetingId = freshMeetingId();
  /** Every participant this test opened, in order. */
  readonly participants: MeshParticipant[] = [];
  private next = 0;

  constructor(
    private readonly browser: Browser,
    /** The broker every participant uses. */
    readonly broker: TestBroker["broker"],
    private readonly options: MeshOptions,
  ) {}

  /**
   * Opens one participant on the test's page and creates its meeting, without joining. Ids default
   * to p0, p1, ... in opening order; pass `participantId`, `name`, `meetingId` or any initMeeting option.
   */
  async open(overrides: Partial<JoinInfo> = {}): Promise<MeshParticipant> {
    const participantId = overrides.participantId ?? `p${this.next}`;
    this.next += 1;
    const info: JoinInfo = {
      meetingId: this.meetingId,
      name: overrides.name ?? participantId,
      broker: this.broker,
      iceServers: [],
      ...this.options.meshOptions,
      ...overrides,
      participantId,
    };
    const app = this.options.meshApp;
    const participant = await MeshParticipant.open(this.browser, app.url, info, app.create ?? createWithGlobalBuild);
    this.participants.push(participant);
    return participant;
  }

  /** Opens `count` participants and joins them one after another (the first is host); waits for a full mesh. */
  async join<N extends number>(count: N, overrides: Partial<JoinInfo> = {}): Promise<Participants<N>> {
    const joined: MeshParticipant[] = [];
    for (let i = 0; i < count; i++) {
      const participant = await this.open(overrides);
      await participant.join();
      joined.push(participant);
    }
    await this.fullMesh(joined);
    return joined as Participants<N>;
  }

  /**
   * Waits until each of `group` sees exactly the others of `group`. On timeout the error says what each
   * one saw instead.
   */
  async fullMesh(group: MeshParticipant[], timeout = 15_000): Promise<void> {
    const ids = group.map((p) => p.id);
    const formed = Promise.all(
      group.map((participant) =>
        participant.page.waitForFunction(
          (expected) => {
            const hook = (window as unknown as { __MESHMEET_HOOK__: { snapshot(): { participants: { id: string }[] } } })
              .__MESHMEET_HOOK__;
            const seen = hook.snapshot().participants.map((p) => p.id).sort();
            return JSON.stringify(seen) === JSON.stringify(expected);
          },
          ids.filter((id) => id !== participant.id).sort(),
          { timeout, polling: 20 },
        ),
      ),
    );
    try {
      await formed;
    } catch (error) {
      const views = await Promise.all(
        group.map(async (p) => {
          const snap = await within(p.snapshot(), 2000, null);
          if (!snap) return `${p.id}: no answer`;
          return `${p.id} (${snap.state}, host ${snap.hostId}) sees [${snap.participants.map((x) => x.id).sort().join(", ")}]`;
        }),
      );
      throw new Error(`no full mesh of ${ids.join(", ")} within ${timeout} ms:\n  ${views.join("\n  ")}`, { cause: error });
    }
  }

  /** Teardown: every page's uncaught errors, then every context closed (the fixture calls it; a harness that makes its own kit does too). */
  async dispose(): Promise<string[]> {
    const problems: string[] = [];
    for (const participant of this.participants) {
      if (!this.options.meshCheckUncaught || participant.page.isClosed()) continue;
      // A crashed or frozen page cannot answer; it has nothing more to report either.
      const snapshot = await within(participant.snapshot(), 1000, null);
      for (const error of snapshot?.uncaught ?? []) problems.push(`${participant.id}: ${error}`);
    }
    await Promise.all(this.participants.map((p) => p.close()));
    return problems;
  }
}

/**
 * Playwright's `test` with meeting fixtures: `mesh` (participants of one fresh meeting, each in its own
 * browser context) and, per worker, `meshBroker` (a real PeerJS broker on a free port).
 */
// Spelled out so that the declaration names "@playwright/test" (what a project installs), not the
// "playwright/test" TypeScript would infer (a package of its own, not resolvable under strict installs).
export const test: TestType<
  PlaywrightTestArgs & PlaywrightTestOptions & MeshOptions & { mesh: MeshKit },
  PlaywrightWorkerArgs & PlaywrightWorkerOptions & { meshBroker: TestBroker }
> = base.extend<MeshOptions & { mesh: MeshKit }, { meshBroker: TestBroker }>({
  meshApp: [{ url: "/" }, { option: true }],
  meshOptions: [{}, { option: true }],
  meshCheckUncaught: [true, { option: true }],
  meshBroker: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const broker = await startBroker();
      await use(broker);
      await broker.close();
    },
    { scope: "worker" },
  ],
  mesh: async ({ browser, meshBroker, meshApp, meshOptions, meshCheckUncaught }, use, testInfo) => {
    const kit = new MeshKit(browser, meshBroker.broker, { meshApp, meshOptions, meshCheckUncaught });
    await use(kit);
    // A failed multi-tab test is hard to read from one stack trace: what did each tab see?
    if (testInfo.status !== testInfo.expectedStatus) {
      const reports = await Promise.all(kit.participants.map(async (p) => `${p.id}:\n  ${(await p.report()).join("\n  ")}`));
      const text = reports.join("\n");
      await testInfo.attach("participants.txt", { body: text, contentType: "text/plain" });
      console.log(`What each participant saw:\n${text}`);
    }
    const problems = await kit.dispose();
    if (problems.length > 0) throw new Error(`uncaught errors in participants' pages:\n${problems.join("\n")}`);
  },
});

export { expect } from "@playwright/test";
