// The types the coordinator (mesh.ts) shares with the Meeting and the tests.
import type { OpenChannel } from "./broker.js";
import type { Clock } from "./clock.js";
import type { MeshError } from "./errors.js";
import type { Lifecycle } from "./lifecycle.js";
import type { CreateTransport } from "./link.js";
import type { Logger } from "./log.js";
import type { JsonValue } from "./protocol.js";
import type { Member } from "./roster.js";

/** Why a remote participant is no longer in the meeting. */
export type ParticipantLeftReason = "left" | "connection-lost" | "protocol-violation" | "removed";
/** Why the local participant is no longer in the meeting. */
export type MeetingLeftReason = "left" | "ended" | "connection-lost" | "removed";
/** The host's answer to a newcomer in its waiting room. */
export type EntryDecision = "allowed" | "denied";

export interface MeshConfig {
  meetingId: string;
  participantId: string;
  name: string;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  joinTimeout: number;
  /** How long a link may take to open and say hello before it is given up. */
  linkTimeout: number;
  /** How long a silent member stays in the meeting (reconnecting) before it counts as gone. */
  reconnectTimeout: number;
  /** As host: newcomers wait for allow()/deny() (see waiting-room.ts). */
  waitingRoom: boolean;
  /** As a newcomer told to wait: how long join() waits for the host's decision. */
  waitingRoomTimeout: number;
  /** Video sized and paced to fit `uplinkBudget` (see video-tuner.ts); false: the browser's defaults. */
  adaptiveVideo: boolean;
  /** Our upload over all links, bits/s. */
  uplinkBudget: number;
  /** The meeting password, if any (see Scope). */
  password?: string;
}

/** Everything the mesh needs from the outside world; swapped for in-memory fakes in unit tests. */
export interface MeshEnv {
  openChannel: OpenChannel;
  createTransport: CreateTransport;
  /** Where time comes from (default: the real clock). */
  clock?: Clock;
  /** An illegal state transition throws instead of being logged (unit tests). */
  strict?: boolean;
}

/** What the mesh shares with the Meeting that made it. */
export interface MeshShared {
  lifecycle?: Lifecycle;
  log?: Logger;
}

export type MeshEvents = {
  "member-joined": Member;
  "member-left": { member: Member; reason: ParticipantLeftReason };
  /** A member's link went silent or closed without a goodbye: still a member, its link is healing. */
  "member-reconnecting": Member;
  /** A reconnecting member is heard from again. */
  "member-reconnected": Member;
  "host-changed": { hostId: string };
  /** As host with a waiting room: a newcomer knocks; one of allow()/deny() decides (the first call counts). */
  "entry-requested": { id: string; name: string; allow(): void; deny(): void };
  /** The host decided on a newcomer at its waiting room (as host: our own decision; as newcomer: ours). */
  "entry-responded": { id: string; decision: EntryDecision };
  /** A member says how loud its microphone was over the last second. */
  "member-voice": { id: string; level: number };
  /** App data; `topic` for a meeting.pubSub message (null for meeting.send()). */
  "member-message": { member: Member; payload: JsonValue; direct: boolean; topic: string | null };
  /** The mesh is over for us; it has already released everything. */
  closed: { reason: MeetingLeftReason };
  error: MeshError;
  /** Media (see media.ts): a remote track arrived over `id`'s link; `id` says what it sends now. */
  "member-track": { id: string; track: MediaStreamTrack; streamId: string | null };
  "member-media": { id: string; mic: boolean; cam: boolean; share: boolean; cs: string | null; ss: string | null };
};
