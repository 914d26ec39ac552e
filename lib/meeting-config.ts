// The options of initMeeting(): their types, defaults and checks. Bad options throw here, before
// anything is created or sent.
import type { BrokerOptions } from "./broker.js";
import { MAX_RESOLUTIONS, type MaxResolution } from "./capture.js";
import { MeshError } from "./errors.js";
import { checkId, randomId } from "./ids.js";
import { leveled, type Logger, type LogLevel } from "./log.js";
import type { LocalMediaOptions } from "./media.js";
import type { MeshConfig } from "./mesh.js";
import { DEFAULT_UPLINK_BUDGET } from "./video-plan.js";

/** Options of {@link initMeeting}. */
export interface MeetingConfig {
  /** The meeting to join; everyone who uses the same id (and broker) meets. */
  meetingId: string;
  /** Unique within the meeting; default: random. */
  participantId?: string;
  /** Shown to others as `participant.displayName`; default: the participantId. */
  name?: string;
  /** The PeerJS broker; default: PeerJS's own defaults (its public cloud broker). */
  broker?: BrokerOptions;
  /** ICE servers for the links; default: PeerJS's default STUN list. Pass [] on a private network. */
  iceServers?: RTCIceServer[];
  /**
   * How often an idle link proves it is alive, in ms (default 250): a link that carried any message
   * within the interval sends no ping. A link quiet for 2 intervals (or 0.6 of `heartbeatTimeout`, if
   * longer) makes us ask the broker whether that participant is gone, which is how a crashed tab is told
   * at about 1.1 s. 700 costs an idle mesh about half the CPU (see the README's Performance).
   */
  heartbeatInterval?: number;
  /**
   * Silence after which a participant's link counts as broken, in ms (default 1800): it is then
   * `participant-reconnecting` (or gone, if the broker says its tab is), not yet gone.
   */
  heartbeatTimeout?: number;
  /**
   * Video adapts to the meeting (default true): each link's camera and screen share get their part of
   * `uplinkBudget` and of one encoder's work, sized and paced to fit (smaller and slower as the meeting
   * grows, lower where the browser reports a limited link or CPU), the screen share before the camera,
   * audio first of all. False leaves every sender at the browser's defaults (each link encodes the
   * camera at full size, about 1.7 Mbps).
   */
  adaptiveVideo?: boolean;
  /** Upload of this participant over all its links, in bits/s (default 2_500_000); see `adaptiveVideo`. */
  uplinkBudget?: number;
  /**
   * How long a participant whose link broke stays in the meeting while the link heals, in ms (default
   * 30000); then it leaves with `connection-lost`. Cut off from everyone ourselves, this is also how long
   * we wait in `reconnecting` before `meeting-left`.
   */
  reconnectTimeout?: number;
  /** Bound on join(), in ms (default 15000). */
  joinTimeout?: number;
  /** Join with the microphone on (join() asks for it first, waiting up to 3 s for a permission prompt; default false). */
  micEnabled?: boolean;
  /** Join with the camera on (join() asks for it first, waiting up to 3 s for a permission prompt; default false). */
  webcamEnabled?: boolean;
  /**
   * What the library tells about itself (state changes, dropped messages, errors it handled): default
   * `silent`, or `info` when a `logger` is given.
   */
  logLevel?: LogLevel;
  /** Where log lines go (default: `console`). */
  logger?: Logger;
  /**
   * A waiting room (VideoSDK's waiting lobby): as host, every newcomer waits until the app calls
   * `allow()` or `deny()` of its `entry-requested` event (default false). It is the host's setting that
   * counts, since the host admits newcomers; a participant who becomes host applies its own, so give
   * everyone the same value.
   */
  waitingRoom?: boolean;
  /**
   * As a newcomer the host put in its waiting room: how long join() waits for the host's decision, in ms
   * (default 300000, five minutes), after which it rejects with `entry-timeout`. Until the host says it
   * is deciding, join() is bounded by `joinTimeout` as usual.
   */
  waitingRoomTimeout?: number;
  /**
   * A meeting password (1-256 characters; put it in the invite link). Everyone must use the same one.
   * The meeting's broker ids are derived from it and welcomes carry its HMAC, so someone who knows only
   * the meeting id can neither find, squat nor flood the meeting, nor pass for its host (see README, Security).
   */
  password?: string;
  /**
   * The app's own camera track (VideoSDK's option: e.g. from `createCameraVideoTrack()`), sent instead of
   * opening the camera the first time the camera turns on (`webcamEnabled`, or `enableWebcam()`). The
   * meeting owns it from then on: disabling the camera, switching it and leaving stop it.
   */
  customCameraVideoTrack?: MediaStream;
  /** The app's own microphone track (e.g. from `createMicrophoneAudioTrack()`); as customCameraVideoTrack. */
  customMicrophoneAudioTrack?: MediaStream;
  /** Caps the camera's capture size: `sd` (640×480) or `hd` (1280×720, and asks for it); default 640×360 ideal. */
  maxResolution?: MaxResolution;
}

/** The options after defaults and checks. */
export interface ResolvedConfig {
  mesh: MeshConfig;
  wants: { mic: boolean; cam: boolean };
  media: LocalMediaOptions;
  iceServers: RTCIceServer[] | undefined;
  broker: BrokerOptions;
  log: Logger;
}

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new MeshError("invalid-argument", `${name} must be a positive number of milliseconds`);
  }
  return value;
}

function logger(config: MeetingConfig, participantId: string): Logger {
  const { logLevel, logger: sink } = config;
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
    throw new MeshError("invalid-argument", `logLevel must be one of ${LOG_LEVELS.join(", ")}`);
  }
  const methods = ["debug", "info", "warn", "error"] as const;
  if (sink !== undefined && (typeof sink !== "object" || sink === null || methods.some((m) => typeof sink[m] !== "function"))) {
    throw new MeshError("invalid-argument", "logger must have debug, info, warn and error methods (console fits)");
  }
  return leveled(logLevel ?? (sink ? "info" : "silent"), sink ?? console, `[meshmeet ${participantId}]`);
}

/** Checks `config` and fills in defaults. Throws `invalid-id` / `invalid-argument`. */
export function resolveConfig(config: MeetingConfig): ResolvedConfig {
  if (typeof config !== "object" || config === null) {
    throw new MeshError("invalid-argument", "initMeeting needs an options object with a meetingId");
  }
  const meetingId = checkId("meetingId", config.meetingId);
  const participantId = config.participantId === undefined ? randomId() : checkId("participantId", config.participantId);
  const name = config.name ?? participantId;
  if (typeof name !== "string" || name.length > 256) {
    throw new MeshError("invalid-argument", "name must be a string of at most 256 characters");
  }
  if (config.iceServers !== undefined && !Array.isArray(config.iceServers)) {
    throw new MeshError("invalid-argument", "iceServers must be an array of RTCIceServer");
  }
  const heartbeatInterval = positive("heartbeatInterval", config.heartbeatInterval, 250);
  const heartbeatTimeout = positive("heartbeatTimeout", config.heartbeatTimeout, 1800);
  if (heartbeatTimeout <= heartbeatInterval) {
    throw new MeshError("invalid-argument", "heartbeatTimeout must be longer than heartbeatInterval");
  }
  const joinTimeout = positive("joinTimeout", config.joinTimeout, 15000);
  const reconnectTimeout = positive("reconnectTimeout", config.reconnectTimeout, 30000);
  const waitingRoomTimeout = positive("waitingRoomTimeout", config.waitingRoomTimeout, 300_000);
  if (config.waitingRoom !== undefined && typeof config.waitingRoom !== "boolean") {
    throw new MeshError("invalid-argument", "waitingRoom must be true or false");
  }
  for (const option of ["micEnabled", "webcamEnabled"] as const) {
    if (config[option] !== undefined && typeof config[option] !== "boolean") {
      throw new MeshError("invalid-argument", `${option} must be true or false`);
    }
  }
  if (config.adaptiveVideo !== undefined && typeof config.adaptiveVideo !== "boolean") {
    throw new MeshError("invalid-argument", "adaptiveVideo must be true or false");
  }
  const uplinkBudget = config.uplinkBudget ?? DEFAULT_UPLINK_BUDGET;
  // Below 64 kbps not even one link's voice fits.
  if (typeof uplinkBudget !== "number" || !Number.isFinite(uplinkBudget) || uplinkBudget < 64_000) {
    throw new MeshError("invalid-argument", "uplinkBudget must be a number of bits per second, at least 64000");
  }
  const media = mediaOptions(config);
  const { password } = config;
  if (password !== undefined && (typeof password !== "string" || password.length === 0 || password.length > 256)) {
    throw new MeshError("invalid-argument", "password must be a string of 1-256 characters");
  }
  return {
    mesh: {
      meetingId,
      participantId,
      name,
      heartbeatInterval,
      heartbeatTimeout,
      joinTimeout,
      linkTimeout: 10000,
      reconnectTimeout,
      waitingRoom: config.waitingRoom === true,
      waitingRoomTimeout,
      adaptiveVideo: config.adaptiveVideo !== false,
      uplinkBudget,
      ...(password === undefined ? {} : { password }),
    },
    wants: { mic: config.micEnabled === true, cam: config.webcamEnabled === true },
    media,
    iceServers: config.iceServers,
    broker: config.broker ?? {},
    log: logger(config, participantId),
  };
}

// The custom tracks (a MediaStream with a live track of the right kind each) and maxResolution.
function mediaOptions(config: MeetingConfig): LocalMediaOptions {
  const { maxResolution } = config;
  if (maxResolution !== undefined && !MAX_RESOLUTIONS.includes(maxResolution)) {
    throw new MeshError("invalid-argument", `maxResolution must be one of ${MAX_RESOLUTIONS.join(", ")}`);
  }
  const customTracks: NonNullable<LocalMediaOptions["customTracks"]> = {};
  for (const [option, kind] of [["customCameraVideoTrack", "video"], ["customMicrophoneAudioTrack", "audio"]] as const) {
    const stream: unknown = config[option];
    if (stream === undefined) continue;
    const ok = typeof stream === "object" && stream !== null && typeof (stream as MediaStream).getTracks === "function";
    const track = ok ? (stream as MediaStream).getTracks().find((t) => t.kind === kind && t.readyState === "live") : undefined;
    if (!track) throw new MeshError("invalid-argument", `${option} must be a MediaStream with a live ${kind} track`);
    customTracks[kind] = track;
  }
  return { maxResolution, customTracks };
}
