// The public shapes a Meeting hands to the app: participants and the events it emits.
import type { MeshError } from "./errors.js";
import type { MeetingState } from "./lifecycle.js";
import type { ConnectionQuality } from "./call-stats.js";
import type { ParticipantMedia, Stream } from "./media.js";
import type { EntryDecision, MeetingLeftReason, ParticipantLeftReason } from "./mesh-types.js";
import type { JsonValue } from "./protocol.js";

/** An app's event handler: called with the event's payload (mitt's `Handler`, kept out of the public types). */
export type EventHandler<T> = (event: T) => void;

/**
 * VideoSDK's name for a meeting's connection state, as `meeting-state-changed` reports it: `CONNECTING`
 * (joining), `CONNECTED` (joined), `RECONNECTING`, `FAILED` (join() failed; the meeting may join again),
 * `CLOSING` (leaving) and `CLOSED` (left). meshmeet never reports `DISCONNECTED`: a lost connection is
 * `RECONNECTING` until it heals or `reconnectTimeout` runs out, then `CLOSED` with `meeting-left`.
 */
export type ConnectionState = "CONNECTING" | "CONNECTED" | "RECONNECTING" | "FAILED" | "CLOSING" | "CLOSED";

/** One person in the meeting, local or remote; its media (streams, micOn, webcamOn, stream events) in ParticipantMedia. */

export interface Participant extends ParticipantMedia {
  /** The participantId this participant joined with; unique within the meeting. */
  readonly id: string;
  /** The `name` it joined with (defaults to its id). Not unique. */
  readonly displayName: string;
  /** True for `meeting.localParticipant`. */
  readonly local: boolean;
  /** Why it left; null while it is in the meeting. */
  readonly leftReason: ParticipantLeftReason | null;
  /** True while its link heals (between `participant-reconnecting` and `participant-reconnected`); always false for us. */
  readonly reconnecting: boolean;
  /**
   * Our link to it, measured once a second while the app listens for `connection-quality-changed` or
   * `speaker-changed`; null before the first measurement, and always for us.
   */
  readonly connectionQuality: ConnectionQuality | null;
  /**
   * As host: removes this (remote) participant from the meeting (VideoSDK's `participant.remove()`). It
   * gets `meeting-left` with reason `removed`, everyone else `participant-left` with `leftReason`
   * `removed`, and it cannot come back into this meeting. Resolves once the signed removal is sent.
   * Rejects with `not-joined`, `not-host` (nothing is sent), `invalid-argument` (on
   * `localParticipant`: use `leave()`), or `unknown-participant` (it is no longer in the meeting).
   */
  remove(): Promise<void>;
}

/** A newcomer at the host's waiting room (`entry-requested`). */
export interface EntryRequest {
  /** The newcomer's participantId. */
  participantId: string;
  /** The `name` it joined with. */
  name: string;
  /** Lets it in (the first of allow()/deny() counts; later calls do nothing). */
  allow(): void;
  /** Turns it away: its join() rejects with `entry-denied`. */
  deny(): void;
}

/** The events a Meeting emits, each with its one payload. */
export type MeetingEvents = {
  /** join() completed; `participants` holds everyone already in the meeting. */
  "meeting-joined": { meetingId: string; hostId: string };
  /** We are out of the meeting: we left, the host ended it, or we lost every link. */
  "meeting-left": { reason: MeetingLeftReason };
  /**
   * Someone joined. Right after `meeting-joined`, also once for each participant who was already there
   * (then `stream-enabled` for each of its streams already on), as VideoSDK apps expect.
   */
  "participant-joined": Participant;
  /** Someone is gone; `participant.leftReason` says why. */
  "participant-left": Participant;
  /**
   * Someone's link broke (network blip, frozen tab): it stays in `participants` while the link heals, and
   * what we send it meanwhile waits for it. `participant-reconnected` or, after `reconnectTimeout`,
   * `participant-left` follows.
   */
  "participant-reconnecting": Participant;
  /** A reconnecting participant is back: media and messages flow again. */
  "participant-reconnected": Participant;
  "host-changed": { hostId: string };
  /** App data from `meeting.send()` of another participant; `direct` when it was sent to us only. */
  message: { participant: Participant; payload: JsonValue; direct: boolean };
  /**
   * Our own state changed: `state` in VideoSDK's names (see {@link ConnectionState}), `meetingState` in
   * meshmeet's (`meeting.state`). `reconnecting`: we reach neither the broker nor anyone in the meeting,
   * or not the broker (links keep working): we are still in, and back to `joined` once that heals.
   */
  "meeting-state-changed": { state: ConnectionState; meetingState: MeetingState };
  /**
   * As host with `waitingRoom`: a newcomer asks to join (VideoSDK's `entry-requested`). Nothing happens
   * until `allow()` or `deny()`; the newcomer waits (up to its `waitingRoomTimeout`).
   */
  "entry-requested": EntryRequest;
  /**
   * The host decided on a newcomer at its waiting room (VideoSDK's `entry-responded`): on the newcomer
   * (its `participantId` is ours; before join() settles) and on the host that decided.
   */
  "entry-responded": { participantId: string; decision: EntryDecision };
  /** Something went wrong that did not end the meeting (e.g. a forged terminate was ignored). */
  error: MeshError;
  /**
   * A participant's stream started (also emitted on the participant itself); `participant.local` for ours.
   * Streams that start while we join are announced right after `meeting-joined` (ours first, then each
   * participant's after its `participant-joined`), so that handlers attached then see every one.
   */
  "stream-enabled": { participant: Participant; stream: Stream };
  /**
   * A participant's connection quality changed score (`good`, `fair`, `poor`); `participant.connectionQuality`
   * has the latest figures. Measured only while some handler listens for it (or for `speaker-changed`).
   */
  "connection-quality-changed": { participant: Participant; quality: ConnectionQuality };
  /**
   * Who is speaking changed (VideoSDK's event): the loudest participant with its microphone on, us
   * included, debounced; null after a few seconds of silence. Each participant measures its own
   * microphone and tells the others while it speaks; picked only while some handler listens.
   */
  "speaker-changed": { activeSpeakerId: string | null };
  /** A participant's stream stopped (also emitted on the participant itself). */
  "stream-disabled": { participant: Participant; stream: Stream };
  /**
   * Who presents (shares a screen) changed: the presenter's participant id, or null when nobody shares
   * (VideoSDK's event, with its bare id). One presenter at a time (see `enableScreenShare()`).
   */
  "presenter-changed": string | null;
};
