// What the page reads from its URL, and what it derives from it: ids, names, broker and ICE options.
import type { BrokerOptions } from "../lib/index.js";

const ADJECTIVES = [
  "amber", "brisk", "calm", "cosy", "daring", "eager", "fuzzy", "gentle", "happy", "jolly",
  "keen", "lively", "mellow", "nimble", "proud", "quiet", "rapid", "sunny", "tidy", "witty",
];
const NOUNS = [
  "otter", "falcon", "maple", "comet", "harbor", "lynx", "meadow", "pebble", "river", "willow",
  "badger", "cedar", "heron", "koala", "panda", "puffin", "quartz", "tiger", "walrus", "zebra",
];

function randomIndex(length: number): number {
  const [value = 0] = crypto.getRandomValues(new Uint32Array(1));
  return value % length;
}

const pick = (words: readonly string[]): string => words[randomIndex(words.length)] ?? words[0] ?? "";

/** A readable meeting id that obeys the id rule, e.g. "brisk-otter-42". */
export function randomMeetingId(): string {
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${10 + randomIndex(90)}`;
}

/** "Guest-k3f9" */
export function randomGuestName(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  let suffix = "";
  for (let i = 0; i < 4; i++) suffix += alphabet[randomIndex(alphabet.length)];
  return `Guest-${suffix}`;
}

export interface PageSettings {
  meetingId: string;
  name: string;
  /** Optional fixed participant id (`?pid=`), e.g. to try `duplicate-participant` in two tabs. */
  participantId: string | undefined;
  /** `?ice=none`: no STUN servers, for offline or private networks. */
  noIce: boolean;
  /** `?hbt=ms`: heartbeat timeout (the library's default when absent), for overloaded test machines. */
  heartbeatTimeout: number | undefined;
}

export function readSettings(url = new URL(location.href)): PageSettings {
  const params = url.searchParams;
  return {
    meetingId: params.get("meeting") ?? randomMeetingId(),
    name: params.get("name") ?? randomGuestName(),
    participantId: params.get("pid") ?? undefined,
    noIce: params.get("ice") === "none",
    heartbeatTimeout: Number(params.get("hbt")) > 0 ? Number(params.get("hbt")) : undefined,
  };
}

/** The broker embedded in demo/server.mjs, on the page's own origin. */
export function brokerOptions(): BrokerOptions {
  const secure = location.protocol === "https:";
  return {
    host: location.hostname,
    port: Number(location.port) || (secure ? 443 : 80),
    path: "/broker",
    secure,
  };
}

/** The link that invites someone into `meetingId`: this page, same options, no personal fields. */
export function inviteLink(meetingId: string): string {
  const url = new URL(location.href);
  url.searchParams.delete("name");
  url.searchParams.delete("pid");
  url.searchParams.set("meeting", meetingId);
  url.hash = "";
  return url.toString();
}

/** Puts the joined meeting in the address bar, so reloading rejoins the same meeting. */
export function rememberMeetingInUrl(meetingId: string): void {
  const url = new URL(location.href);
  url.searchParams.set("meeting", meetingId);
  history.replaceState(null, "", url);
}
