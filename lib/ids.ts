import { MeshError } from "./errors.js";

// PeerJS's own id rule; broker ids are built from these, so user ids must obey it too.
const ID_RULE = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;
/** Longest meeting or participant id accepted. */
export const MAX_ID_LENGTH = 64;

/** Returns `value` when it is a valid meeting/participant id, else throws `invalid-id`. */
export function checkId(kind: "meetingId" | "participantId", value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH || !ID_RULE.test(value)) {
    throw new MeshError(
      "invalid-id",
      `${kind} ${JSON.stringify(value)} is invalid: use 1-${MAX_ID_LENGTH} letters or digits, ` +
        `optionally separated by single '-', '_' or spaces`,
    );
  }
  return value;
}

// The meeting id's length goes first so that no (meeting, participant) pair can spell
// another pair's broker id: "a" + "b_p_c" and "a_p_b" + "c" stay distinct.
function meetingPrefix(meetingId: string): string {
  return `mm_${meetingId.length}_${meetingId}_`;
}

/** Broker id under which one participant registers. */
export function participantBrokerId(meetingId: string, participantId: string): string {
  return `${meetingPrefix(meetingId)}p_${participantId}`;
}

/** Broker id of the meeting's anchor; whoever holds it is the host. */
export function anchorBrokerId(meetingId: string): string {
  return `${meetingPrefix(meetingId)}host`;
}

/** The participant id behind a broker id of this meeting, or null for anything else. */
export function participantFromBrokerId(meetingId: string, brokerId: unknown): string | null {
  if (typeof brokerId !== "string") return null;
  const prefix = `${meetingPrefix(meetingId)}p_`;
  if (!brokerId.startsWith(prefix)) return null;
  const id = brokerId.slice(prefix.length);
  return id.length > 0 && id.length <= MAX_ID_LENGTH && ID_RULE.test(id) ? id : null;
}

/** A random id that satisfies the id rule (URL-safe letters and digits). */
export function randomId(length = 12): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
