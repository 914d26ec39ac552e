/**
 * Every failure meshmeet reports, as a machine-readable code.
 *
 * - `invalid-id`: a meeting or participant id breaks the id rule (see README).
 * - `invalid-argument`: an option or argument has the wrong type or range.
 * - `not-joined`: the call needs a joined meeting (e.g. `leave()` before `join()` resolved).
 * - `already-joined`: `join()` was called on a meeting that is joining, joined or over.
 * - `meeting-ended`: the meeting ended before our `join()` completed.
 * - `not-host`: `end()` by someone who is neither the host nor the last participant left, or `participant.remove()`
 *   by anyone but the host.
 * - `entry-denied`: the host of a meeting with a waiting room denied us entry (`join()` rejects with it).
 * - `entry-timeout`: the host of a meeting with a waiting room decided nothing within `waitingRoomTimeout`.
 * - `unauthorized-remove`: a participant sent a removal the host did not sign (forged, replayed, stale); it was ignored.
 * - `duplicate-participant`: another tab is already in this meeting with the same participantId.
 * - `broker-unreachable`: the PeerJS broker could not be reached (or refused us) in time.
 * - `host-unreachable`: the meeting's host never answered our knock before the join timeout.
 * - `host-unverified`: the meeting's anchor answered, but not as its host can (an unsigned or forged welcome,
 *   or none proving the meeting password): someone squats this meeting id.
 * - `payload-too-large`: `send()` got more than 16 KiB of JSON.
 * - `unknown-participant`: `send({ to })` names nobody in the meeting.
 * - `unauthorized-terminate`: a participant who is not the host tried to end the meeting; it was ignored.
 * - `signaling-lost`: the connection to the broker dropped; links keep working, newcomers cannot join until it is back.
 * - `media-unavailable`: the camera or microphone could not be used (permission refused, no device, device gone).
 * - `insecure-context`: the page is not a secure context (plain http from a LAN address), so WebCrypto or the
 *   camera and microphone are unavailable; serve it over https or from localhost (see README).
 * - `backlog-full`: a message from `send()` could not be queued for a participant whose link is healing: too many
 *   earlier messages (1,000, or 2 MiB) still wait for it. `participantId` says who; the others got it.
 * - `links-failed`: `join()` reached the meeting's host through the broker, but no direct link to anyone in it
 *   came up (a network that needs a TURN server in `iceServers`, or a firewall that drops WebRTC).
 * - `join-cancelled`: `leave()` was called while `join()` was still running; the join stopped and released everything.
 * - `unknown-device`: a camera or microphone id (changeWebcam, changeMic, createCameraVideoTrack, ...) names no
 *   device this browser has now.
 * - `not-supported`: the browser lacks what the call needs (e.g. `checkPermissions()` without the Permissions
 *   API, `enableScreenShare()` without getDisplayMedia).
 * - `screen-share-busy`: `enableScreenShare()` while someone else presents (one presenter at a time), or our
 *   share was stopped because another participant's started at the same moment and won.
 * - `internal`: something failed inside meshmeet that should not have (a bug); `cause` has the original error.
 */
export type MeshErrorCode =
  | "invalid-id"
  | "invalid-argument"
  | "not-joined"
  | "already-joined"
  | "meeting-ended"
  | "not-host"
  | "entry-denied"
  | "entry-timeout"
  | "unauthorized-remove"
  | "duplicate-participant"
  | "broker-unreachable"
  | "host-unreachable"
  | "host-unverified"
  | "payload-too-large"
  | "unknown-participant"
  | "unauthorized-terminate"
  | "signaling-lost"
  | "media-unavailable"
  | "insecure-context"
  | "join-cancelled"
  | "backlog-full"
  | "links-failed"
  | "unknown-device"
  | "not-supported"
  | "screen-share-busy"
  | "internal";

/** The one error type meshmeet throws, rejects with, or emits through the `error` event. */
export class MeshError extends Error {
  /** Machine-readable reason; switch on this, not on `message`. */
  readonly code: MeshErrorCode;
  /** Participant the error is about, when there is one (e.g. the sender of a forged terminate). */
  readonly participantId?: string;

  constructor(code: MeshErrorCode, message: string, options?: { participantId?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MeshError";
    this.code = code;
    if (options?.participantId !== undefined) this.participantId = options.participantId;
  }
}

/** True when `value` is a MeshError, even one from another copy of the bundle. */
export function isMeshError(value: unknown): value is MeshError {
  return value instanceof MeshError || (value instanceof Error && value.name === "MeshError" && "code" in value);
}

/** `what` is missing: `insecure-context` when the page is not a secure context, which is the usual reason. */
export function insecureContext(what: string): MeshError {
  const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
  return new MeshError(
    "insecure-context",
    secure === false
      ? `${what} is unavailable: this page is not a secure context (serve it over https, or from localhost)`
      : `${what} is unavailable in this environment`,
  );
}

/** The broker could not be reached (or refused us) while registering. */
export function brokerUnreachable(error: unknown): MeshError {
  return new MeshError("broker-unreachable", `cannot reach the broker: ${String((error as Error).message)}`, { cause: error });
}
