// The public shapes a Meeting hands to the app: participants and the events it emits.
import type { MeshError } from "./errors.js";
import type { MeetingState } from "./lifecycle.js";
import type { ParticipantMedia, Stream } from "./media.js";
import type { MeetingLeftReason, ParticipantLeftReason } from "./mesh-types.js";
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
  /** Something went wrong that did not end the meeting (e.g. a forged terminate was ignored). */
  error: MeshError;
  /**
   * A participant's stream started (also emitted on the participant itself); `participant.local` for ours.
   * Streams that start while we join are announced right after `meeting-joined` (ours first, then each
   * participant's after its `participant-joined`), so that handlers attached then see every one.
   */
  "stream-enabled": { participant: Participant; stream: Stream };
  /** A participant's stream stopped (also emitted on the participant itself). */
  "stream-disabled": { participant: Participant; stream: Stream };
  /**
   * Who presents (shares a screen) changed: the presenter's participant id, or null when nobody shares
   * (VideoSDK's event, with its bare id). One presenter at a time (see `enableScreenShare()`).
   */
  "presenter-changed": string | null;
};
