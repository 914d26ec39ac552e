// What the demo tells a person when something fails: what happened and what to do, in words, instead
// of an error code. Pure functions of the error (and where the page runs), so they are tested alone.
import type { MeshErrorCode } from "../lib/index.js";

/** The parts of a MeshError the wording needs (plain data, so tests need no browser). */
export interface ErrorLike {
  code: string;
  message: string;
  cause?: unknown;
}

/** Where the page runs: named in the advice ("the meeting server at 192.168.1.20:8080"). */
export interface PageContext {
  /** host:port of the page, which is also the broker's. */
  server: string;
}

export type Device = "camera" | "microphone";

/** Why a device could not be used, as far as the browser's error name tells. */
export type MediaTrouble = "blocked" | "dismissed" | "missing" | "busy" | "stopped" | "insecure" | "other";

const INSECURE =
  "Camera, microphone and signing need https or localhost. Start the demo with `npm start -- --https` and open the https URL it prints.";

const NEW_MEETING = "Start a new meeting with a new id.";

/** Every library error code gets words; a code added to the library must be given some here. */
const WORDS: Record<MeshErrorCode, (error: ErrorLike, page: PageContext) => string> = {
  "invalid-id": () => "This id can't be used. Use letters and digits, optionally joined by single -, _ or spaces.",
  "invalid-argument": (e) => `Something in the form isn't valid (${e.message}). Check it and try again.`,
  "not-joined": () => "You are not in the meeting any more.",
  "already-joined": () => "You are already in this meeting.",
  "meeting-ended": () => `This meeting ended while you were joining. ${NEW_MEETING}`,
  "not-host": () => "Only the host can end the meeting for everyone. You can still leave.",
  "duplicate-participant": () =>
    "You are already in this meeting in another tab or window. Leave it there (or close that tab), then try again.",
  "broker-unreachable": (_, page) =>
    `Can't reach the meeting server at ${page.server}. Is \`npm start\` still running? Check this device is on the same network, then try again.`,
  "signaling-lost": (_, page) =>
    `Lost the connection to the meeting server at ${page.server}. The call goes on, but nobody new can join until it is back. Is \`npm start\` still running?`,
  "host-unreachable": () =>
    "The meeting's host did not answer. They may have just left or lost their connection: try again in a moment, or start a new meeting.",
  "host-unverified": () =>
    `Someone answers for this meeting id but cannot prove they are its host, so you were not let in. ${NEW_MEETING}`,
  "payload-too-large": () => "That message is too long to send. Shorten it and send it again.",
  "unknown-participant": () => "That person is no longer in the meeting.",
  "unauthorized-terminate": () => "Someone who isn't the host tried to end the meeting. It was ignored: the meeting goes on.",
  "media-unavailable": (e) => describeMediaErrors([e]),
  "insecure-context": () => INSECURE,
  "join-cancelled": () => "You left before joining had finished.",
  "backlog-full": () =>
    "A chat message could not be delivered to someone whose connection is recovering. They may not see it: send it again later.",
  "links-failed": () =>
    "The meeting was found, but no direct connection to anyone in it came up. A VPN or firewall may block calls: try another network.",
  "unknown-device": () => "That camera or microphone isn't there any more. Pick another one (it may have been unplugged).",
  "not-supported": () => "This browser can't do that (screen sharing or permission checks). Try a current Chrome, Edge or Firefox.",
  "screen-share-busy": () => "Someone else is sharing their screen. Only one person can share at a time: ask them to stop first.",
  "entry-denied": () => `The host did not let you in. ${NEW_MEETING}`,
  "entry-timeout": () => "The host did not answer your request to join. Try again in a moment, or ask them to let you in.",
  "unauthorized-remove": () => "Someone who isn't the host tried to remove a participant. It was ignored.",
  internal: () => "Something went wrong inside meshmeet. Reload the page and try again; the event log below has the details.",
};

const isKnownCode = (code: string): code is MeshErrorCode => Object.hasOwn(WORDS, code);

/** One sentence or two for any error: what happened, then what to do. */
export function describeError(error: ErrorLike, page: PageContext): string {
  if (isKnownCode(error.code)) return WORDS[error.code](error, page);
  const detail = error.message ? ` (${error.message})` : "";
  return `Something went wrong${detail}. Reload the page and try again.`;
}

/** Which device a media error is about: the library's message starts with it ("camera unavailable: ..."). */
export function deviceOf(error: ErrorLike): Device | null {
  if (error.message.startsWith("camera")) return "camera";
  if (error.message.startsWith("microphone")) return "microphone";
  return null;
}

function causeOf(error: ErrorLike): { name: string; message: string } {
  const cause = error.cause as { name?: unknown; message?: unknown } | null | undefined;
  return {
    name: typeof cause?.name === "string" ? cause.name : "",
    message: typeof cause?.message === "string" ? cause.message : "",
  };
}

/** Reads the browser's reason (the DOMException's name) behind a media error. */
export function mediaTrouble(error: ErrorLike): MediaTrouble {
  if (error.code === "insecure-context") return "insecure";
  const cause = causeOf(error);
  switch (cause.name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      // Chromium says "Permission dismissed" when the prompt was closed without an answer.
      return /dismissed/i.test(cause.message) ? "dismissed" : "blocked";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "missing";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
  }
  return /device stopped/i.test(cause.message) || /device stopped/i.test(error.message) ? "stopped" : "other";
}

/** "Camera", "Microphone", "Camera and microphone". */
function devicesNamed(devices: readonly Device[]): { name: string; plural: boolean } {
  const both = devices.includes("camera") && devices.includes("microphone");
  if (both) return { name: "Camera and microphone", plural: true };
  const one = devices[0];
  if (!one) return { name: "Camera or microphone", plural: false };
  return { name: one === "camera" ? "Camera" : "Microphone", plural: false };
}

const SITE_SETTINGS = "the browser's site settings (the icon left of the address bar)";

function troubleSentence(trouble: MediaTrouble, devices: readonly Device[]): string {
  const { name, plural } = devicesNamed(devices);
  const lower = name.toLowerCase();
  const them = plural ? "them" : "it";
  const is = plural ? "are" : "is";
  switch (trouble) {
    case "blocked":
      return `${name} ${is} blocked. Allow ${them} in ${SITE_SETTINGS}, then turn ${them} on again.`;
    case "dismissed":
      return `${name} ${plural ? "were" : "was"} not allowed: the permission prompt was closed. Turn ${them} on again and choose Allow.`;
    case "missing":
      return `No ${plural ? "camera or microphone" : lower} found. Connect ${plural ? "them" : "one"} (or enable ${them} in the system settings), then turn ${them} on again.`;
    case "busy":
      return `${name} could not be started: another app may be using ${them}. Close that app, then turn ${them} on again.`;
    case "stopped":
      return `${name} stopped (unplugged or switched off). Turn ${them} on again once ${plural ? "they are" : "it is"} back.`;
    case "insecure":
      return INSECURE;
    case "other":
      return `${name} could not be used. Check that ${plural ? "they work" : "it works"} in other apps, then turn ${them} on again.`;
  }
}

/**
 * The words for media errors that came together (a join asks for camera and microphone at once, and
 * reports each refusal as its own error): one sentence per kind of trouble, naming every device it hit.
 */
export function describeMediaErrors(errors: readonly ErrorLike[]): string {
  const byTrouble = new Map<MediaTrouble, Device[]>();
  for (const error of errors) {
    const trouble = mediaTrouble(error);
    const devices = byTrouble.get(trouble) ?? [];
    const device = deviceOf(error);
    if (device && !devices.includes(device)) devices.push(device);
    byTrouble.set(trouble, devices);
  }
  const order: Device[] = ["camera", "microphone"];
  return [...byTrouble]
    .map(([trouble, devices]) => troubleSentence(trouble, order.filter((d) => devices.includes(d))))
    .join(" ");
}
