// A test scene: one fake network, the Meetings created on it, a log of every event each one emitted,
// and a cleanup that leaves every meeting so that no link, registration or timer outlives the test.

import type { TestContext } from "node:test";
import { anchorBrokerId, participantBrokerId } from "../ids.js";
import type { Meeting, MeetingConfig, MeetingEvents } from "../meeting.js";
import type { Mesh, MeshConfig, MeshEvents } from "../mesh.js";
import { FakeNetwork, type FakeBrokerOptions } from "./fakes.js";
import { subject } from "./load-subject.js";
import { until, within } from "./wait.js";

export const MEETING_ID = "room-1";
// How much of the meetings' debug log a timed-out wait prints.
const LOG_LINES_ON_FAILURE = 40;

/**
 * Short heartbeats so that a lost participant is noticed in under a second. The timeout is not
 * shorter on purpose: on a loaded CI machine (2 CPUs next to a Chromium e2e run) this process can be
 * descheduled for a few hundred ms, and a 300 ms timeout then drops healthy links.
 */
export const FAST = { heartbeatInterval: 50, heartbeatTimeout: 800, joinTimeout: 4000, reconnectTimeout: 1500 } as const;

const EVENT_TYPES = [
  "meeting-joined",
  "meeting-left",
  "participant-joined",
  "participant-left",
  "host-changed",
  "participant-reconnecting",
  "participant-reconnected",
  "message",
  "meeting-state-changed",
  "error",
  "stream-enabled",
  "stream-disabled",
  "presenter-changed",
  "connection-quality-changed",
  "speaker-changed",
  "entry-requested",
  "entry-responded",
] as const satisfies readonly (keyof MeetingEvents)[];

// Fails to compile when MeetingEvents gains an event the list above does not record.
type Unrecorded = Exclude<keyof MeetingEvents, (typeof EVENT_TYPES)[number]>;
const allRecorded: [Unrecorded] extends [never] ? true : never = true;
void allRecorded;

export type Recorded = { [K in keyof MeetingEvents]: { type: K; payload: MeetingEvents[K]; at: number } }[keyof MeetingEvents];

export type MeshRecorded = { [K in keyof MeshEvents]: { type: K; payload: MeshEvents[K] } }[keyof MeshEvents];

export class Scene {
  readonly net: FakeNetwork;
  readonly meetingId: string;
  private readonly all: Meeting[] = [];
  private readonly meshes: Mesh[] = [];
  private readonly meshLogs = new Map<Mesh, MeshRecorded[]>();
  private readonly logs = new Map<Meeting, Recorded[]>();
  private readonly wakers = new Set<() => void>();
  private readonly lines: string[] = [];

  constructor(t: TestContext, options: FakeBrokerOptions & { meetingId?: string } = {}) {
    this.net = new FakeNetwork(options);
    this.meetingId = options.meetingId ?? MEETING_ID;
    t.after(() => this.close());
  }

  /** A Meeting for `participantId` on the fake network (not joined yet); its events are recorded. */
  meeting(participantId: string, extra: Partial<MeetingConfig> = {}, owner = participantId): Meeting {
    // Every meeting's debug log is kept, so that a wait that times out can say what happened.
    const at = (message: string): void => void this.lines.push(`${performance.now().toFixed(0)} ${message}`);
    const logger = { debug: at, info: at, warn: at, error: (m: string, d?: unknown) => at(`${m} ${String(d)}`) };
    const meeting = new subject.Meeting(
      { meetingId: this.meetingId, participantId, iceServers: [], ...FAST, logLevel: "debug", logger, ...extra },
      this.net.env(owner),
    );
    this.track(meeting);
    return meeting;
  }

  /** Records a meeting's events and closes it with the scene. */
  track(meeting: Meeting): void {
    const log: Recorded[] = [];
    this.logs.set(meeting, log);
    this.all.push(meeting);
    const record = <K extends keyof MeetingEvents>(type: K): void => {
      meeting.on(type, (payload) => {
        log.push({ type, payload, at: performance.now() } as Extract<Recorded, { type: K }>);
        for (const wake of this.wakers) wake();
      });
    };
    for (const type of EVENT_TYPES) record(type);
  }

  /** A bare Mesh (below the Meeting API) on the same network; its events are recorded. */
  mesh(participantId: string, extra: Partial<MeshConfig> = {}, owner = participantId): Mesh {
    const config: MeshConfig = {
      meetingId: this.meetingId,
      participantId,
      name: participantId,
      ...FAST,
      linkTimeout: 2000,
      waitingRoom: false,
      waitingRoomTimeout: 60_000,
      adaptiveVideo: true,
      uplinkBudget: 2_500_000,
      ...extra,
    };
    const mesh = new subject.Mesh(config, this.net.env(owner));
    const log: MeshRecorded[] = [];
    this.meshLogs.set(mesh, log);
    this.meshes.push(mesh);
    mesh.events.on("*", (type, payload) => {
      log.push({ type, payload } as MeshRecorded);
      for (const wake of this.wakers) wake();
    });
    return mesh;
  }

  /** The payloads of one event type that `mesh` emitted so far. */
  meshEvents<K extends keyof MeshEvents>(mesh: Mesh, type: K): MeshEvents[K][] {
    const out: MeshEvents[K][] = [];
    for (const entry of this.meshLogs.get(mesh) ?? []) if (entry.type === type) out.push(entry.payload as MeshEvents[K]);
    return out;
  }

  /** Creates and joins meetings one after another, each joined before the next starts. */
  async joinInOrder(...participantIds: string[]): Promise<Meeting[]> {
    const meetings: Meeting[] = [];
    for (const id of participantIds) {
      const meeting = this.meeting(id);
      await within(`${id} to join`, meeting.join(), 5000);
      meetings.push(meeting);
    }
    return meetings;
  }

  /** Joined meetings that all see each other (each one's participants are exactly the others). */
  async fullMesh(...participantIds: string[]): Promise<Meeting[]> {
    const meetings = await this.joinInOrder(...participantIds);
    await this.settled("everyone to see everyone", () => meshComplete(meetings));
    return meetings;
  }

  /** Everything `meeting` emitted so far. */
  log(meeting: Meeting): Recorded[] {
    const log = this.logs.get(meeting);
    if (!log) throw new Error("meeting not tracked by this scene");
    return log;
  }

  /** The payloads of one event type that `meeting` emitted so far. */
  events<K extends keyof MeetingEvents>(meeting: Meeting, type: K): MeetingEvents[K][] {
    const out: MeetingEvents[K][] = [];
    for (const entry of this.log(meeting)) if (entry.type === type) out.push(entry.payload as MeetingEvents[K]);
    return out;
  }

  /** Re-checks every settled() waiting now: for what a test observes outside the recorded events. */
  wake(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /**
   * Waits (bounded) until `check()` holds, re-checking after every event any meeting or mesh of the
   * scene emits and after every broker registration or link that comes or goes.
   */
  settled(what: string, check: () => boolean, ms = 3000): Promise<void> {
    return until(
      what,
      check,
      (wake) => {
        this.wakers.add(wake);
        this.net.broker.watchers.add(wake);
        this.net.transports.watchers.add(wake);
        return () => {
          this.wakers.delete(wake);
          this.net.broker.watchers.delete(wake);
          this.net.transports.watchers.delete(wake);
        };
      },
      ms,
      () => this.describe(),
    );
  }

  /** Each meeting's view (state, host, participants), for failure messages. */
  describe(): string {
    const meetings = this.all.map(
      (m) => `${m.localParticipant.id}: ${m.state}, host ${String(m.hostId)}, sees [${seen(m).join(", ")}]`,
    );
    const meshes = this.meshes.map(
      (m) => `mesh ${m.id}: host ${String(m.hostId)}, members [${[...m.members.keys()].sort().join(", ")}]`,
    );
    const log = this.lines.filter((l) => !l.includes("stale signal")).slice(-LOG_LINES_ON_FAILURE);
    return [...meetings, ...meshes].join("; ") + (log.length ? `\n  last log lines:\n    ${log.join("\n    ")}` : "");
  }

  /** Waits (bounded) for the next `type` event of `meeting` that passes `filter`. */
  next<K extends keyof MeetingEvents>(
    meeting: Meeting,
    type: K,
    filter: (payload: MeetingEvents[K]) => boolean = () => true,
    ms = 3000,
  ): Promise<MeetingEvents[K]> {
    const seen = this.events(meeting, type).length;
    let found: MeetingEvents[K] | undefined;
    return this.settled(`${meeting.localParticipant.id} to emit ${type}`, () => {
      found = this.events(meeting, type).slice(seen).find(filter);
      return found !== undefined;
    }, ms).then(() => found as MeetingEvents[K]);
  }

  selfBrokerId(participantId: string): string {
    return participantBrokerId(this.meetingId, participantId);
  }

  /**
   * Runs `action` once, the moment `from` first sends `to` a link signal through the broker (a race
   * made exact); returns a getter for what it returned, null until then.
   */
  onFirstSignal<T>(from: string, to: string, action: () => T): () => T | null {
    let result: { value: T } | null = null;
    const [src, dst] = [this.selfBrokerId(from), this.selfBrokerId(to)];
    this.net.broker.taps.add((s, d, message) => {
      if (result === null && s === src && d === dst && message.t === "signal") result = { value: action() };
    });
    return () => result?.value ?? null;
  }

  get anchorId(): string {
    return anchorBrokerId(this.meetingId);
  }

  /** Leaves every meeting of the scene; a test's last word, also run when it fails. */
  async close(): Promise<void> {
    // One at a time: someone who is leaving does not ack another's goodbye, so simultaneous leaves
    // would each wait out the goodbye bound (500 ms).
    for (const meeting of this.all) {
      await (async () => {
        if (meeting.state === "joining") {
          // Let the join finish (or fail) first; it is bounded by joinTimeout.
          await new Promise<void>((resolve) => {
            const done = (): void => {
              if (meeting.state !== "joining") {
                meeting.off("meeting-state-changed", done);
                resolve();
              }
            };
            meeting.on("meeting-state-changed", done);
          });
        }
        if (meeting.state === "joined" || meeting.state === "reconnecting" || meeting.state === "leaving") {
          await meeting.leave();
        }
      })();
    }
    for (const mesh of this.meshes) {
      await mesh.leave();
      mesh.close("left");
    }
    // Out of the meeting, nobody may keep a link or a broker registration (a frozen tab's stay: it
    // cannot close anything), whatever else the test did.
    await this.settled("every link and registration to be released", () =>
      this.net.transports.liveCount() === 0 && this.net.broker.registeredIds(true).length === 0,
      2000,
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}; live links: ${this.net.transports.liveCount()}, ` +
          `registrations: ${this.net.broker.registeredIds(true).join(", ")}`,
      );
    });
  }
}

/** True when every meeting sees exactly the others, and all agree on one host among them. */
export function meshComplete(meetings: readonly Meeting[]): boolean {
  const ids = meetings.map((m) => m.localParticipant.id);
  const hosts = new Set(meetings.map((m) => m.hostId));
  if (hosts.size !== 1) return false;
  const [host] = hosts;
  if (host === null || host === undefined || !ids.includes(host)) return false;
  return meetings.every((m) => {
    const others = ids.filter((id) => id !== m.localParticipant.id).sort();
    const seen = [...m.participants.keys()].sort();
    return m.state === "joined" && others.length === seen.length && others.every((id, i) => id === seen[i]);
  });
}

/** The ids a meeting sees, sorted. */
export function seen(meeting: Meeting): string[] {
  return [...meeting.participants.keys()].sort();
}
