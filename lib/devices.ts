// The SDK-level device calls of VideoSDK's JavaScript SDK (`VideoSDK.getCameras()` and company): what
// an app calls before and around a meeting, for a pre-join preview and device pickers. Nothing here
// needs a meeting; each call rejects with a MeshError, never with the browser's own exception.
import mitt from "mitt";
import {
  OPTIMIZATION_MODES,
  cameraConstraints,
  captureError,
  microphoneConstraints,
  type CameraEncoderConfig,
  type FacingMode,
  type MicrophoneEncoderConfig,
  type NoiseConfig,
  type OptimizationMode,
} from "./capture.js";
import { emitSafely } from "./emit.js";
import { MeshError, insecureContext } from "./errors.js";
import type { EventHandler } from "./meeting-events.js";

/** VideoSDK's `Constants`: `Constants.permission.AUDIO` / `VIDEO` / `AUDIO_AND_VIDEO`. */
export const Constants = {
  permission: { AUDIO: "audio", VIDEO: "video", AUDIO_AND_VIDEO: "audio_video" },
} as const;

/** A value of `Constants.permission`. */
export type Permission = (typeof Constants.permission)[keyof typeof Constants.permission];

/** A media device (VideoSDK's `DeviceInfo`): `kind` is `videoinput`, `audioinput` or `audiooutput`. */
export interface DeviceInfo {
  readonly deviceId: string;
  readonly groupId: string;
  readonly kind: "videoinput" | "audioinput" | "audiooutput";
  /** Empty until the page has camera or microphone permission (the browser hides labels before). */
  readonly label: string;
}
export type CameraDeviceInfo = DeviceInfo & { readonly kind: "videoinput" };
export type MicrophoneDeviceInfo = DeviceInfo & { readonly kind: "audioinput" };
export type PlaybackDeviceInfo = DeviceInfo & { readonly kind: "audiooutput" };

/** Options of {@link createCameraVideoTrack} (VideoSDK's names). */
export interface CameraVideoTrackOptions {
  /** The camera to open, exactly (a `deviceId` from getCameras()); default: the browser's choice. */
  cameraId?: string;
  /** Capture size and frame rate, e.g. `h360p_w640p`; default: 640×360. */
  encoderConfig?: CameraEncoderConfig;
  /** On phones: `front` or `environment` camera. */
  facingMode?: FacingMode;
  /** What the encoder favours: becomes the track's `contentHint` (`motion`, `text`, `detail`). */
  optimizationMode?: OptimizationMode;
  /** Accepted for VideoSDK compatibility; a mesh sends one layer per link, so it changes nothing. */
  multiStream?: boolean;
}

/** Options of {@link createMicrophoneAudioTrack} (VideoSDK's names). */
export interface MicrophoneAudioTrackOptions {
  /** The microphone to open, exactly (a `deviceId` from getMicrophones()); default: the browser's choice. */
  microphoneId?: string;
  /** A voice profile; the stereo ones ask for two channels, the others change nothing the browser exposes. */
  encoderConfig?: MicrophoneEncoderConfig;
  noiseConfig?: NoiseConfig;
}

/** Events of the SDK object (`MeshMeet.on(...)`). */
export type SdkEvents = {
  /** A camera, microphone or speaker was plugged in or removed: every device now. */
  "device-changed": DeviceInfo[];
};

function mediaDevices(what: string): MediaDevices {
  const devices = (globalThis as { navigator?: { mediaDevices?: MediaDevices } }).navigator?.mediaDevices;
  if (!devices) {
    if ((globalThis as { isSecureContext?: boolean }).isSecureContext === false) throw insecureContext(what);
    throw new MeshError("not-supported", `${what} is unavailable: this page has no navigator.mediaDevices`);
  }
  return devices;
}

function kindsOf(permission: unknown): ("audio" | "video")[] {
  switch (permission) {
    case Constants.permission.AUDIO:
      return ["audio"];
    case Constants.permission.VIDEO:
      return ["video"];
    case Constants.permission.AUDIO_AND_VIDEO:
      return ["audio", "video"];
    default:
      throw new MeshError("invalid-argument", 'permission must be one of Constants.permission: "audio", "video", "audio_video"');
  }
}

/** Every media device (VideoSDK's `getDevices()`). Labels are empty before any permission was granted. */
export async function getDevices(): Promise<DeviceInfo[]> {
  const devices = mediaDevices("the device list");
  let found: MediaDeviceInfo[];
  try {
    found = await devices.enumerateDevices();
  } catch (error) {
    throw new MeshError("media-unavailable", `the device list is unavailable: ${String(error)}`, { cause: error });
  }
  // Plain objects: MediaDeviceInfo does not survive structured cloning or JSON.
  return found.map(({ deviceId, groupId, kind, label }) => ({ deviceId, groupId, kind, label }));
}

/** The cameras (VideoSDK's `getCameras()`). */
export async function getCameras(): Promise<CameraDeviceInfo[]> {
  return (await getDevices()).filter((d): d is CameraDeviceInfo => d.kind === "videoinput");
}

/** The microphones (VideoSDK's `getMicrophones()`). */
export async function getMicrophones(): Promise<MicrophoneDeviceInfo[]> {
  return (await getDevices()).filter((d): d is MicrophoneDeviceInfo => d.kind === "audioinput");
}

/** The speakers and headphones (VideoSDK's `getPlaybackDevices()`). */
export async function getPlaybackDevices(): Promise<PlaybackDeviceInfo[]> {
  return (await getDevices()).filter((d): d is PlaybackDeviceInfo => d.kind === "audiooutput");
}

/**
 * Whether the page may use the camera and/or microphone, without asking (VideoSDK's `checkPermissions()`):
 * a Map from `audio` / `video` to true when granted. Rejects with `not-supported` where the browser's
 * Permissions API cannot tell (VideoSDK throws there too), `invalid-argument` for an unknown permission.
 */
export async function checkPermissions(permission: Permission = Constants.permission.AUDIO_AND_VIDEO): Promise<Map<string, boolean>> {
  const kinds = kindsOf(permission);
  const permissions = (globalThis as { navigator?: { permissions?: Permissions } }).navigator?.permissions;
  if (!permissions?.query) throw new MeshError("not-supported", "this browser cannot check permissions (no navigator.permissions)");
  const result = new Map<string, boolean>();
  for (const kind of kinds) {
    try {
      const status = await permissions.query({ name: (kind === "audio" ? "microphone" : "camera") as PermissionName });
      result.set(kind, status.state === "granted");
    } catch (error) {
      throw new MeshError("not-supported", `this browser cannot check the ${kind} permission: ${String(error)}`, { cause: error });
    }
  }
  return result;
}

/**
 * Asks for the camera and/or microphone (VideoSDK's `requestPermission()`): one prompt for both, then each
 * alone if that failed. Resolves with a Map from `audio` / `video` to whether it was granted; the tracks
 * opened to ask are stopped at once. Rejects with `media-unavailable` when no device of any kind asked
 * for exists (VideoSDK throws "when matching media is not available").
 */
export async function requestPermission(permission: Permission = Constants.permission.AUDIO_AND_VIDEO): Promise<Map<string, boolean>> {
  const kinds = kindsOf(permission);
  const devices = mediaDevices("the camera and microphone");
  const ask = async (wanted: ("audio" | "video")[]): Promise<void> => {
    const stream = await devices.getUserMedia({ audio: wanted.includes("audio"), video: wanted.includes("video") });
    for (const track of stream.getTracks()) track.stop();
  };
  const result = new Map<string, boolean>();
  try {
    await ask(kinds);
    for (const kind of kinds) result.set(kind, true);
    return result;
  } catch (error) {
    if (kinds.length === 1) return settle(result, kinds[0]!, error);
  }
  const missing: unknown[] = [];
  for (const kind of kinds) {
    try {
      await ask([kind]);
      result.set(kind, true);
    } catch (error) {
      if (refused(error)) result.set(kind, false);
      else {
        missing.push(error);
        result.set(kind, false);
      }
    }
  }
  if (missing.length === kinds.length) throw captureError("the camera and microphone", missing[0]);
  return result;
}

// Refused (permission denied, or blocked by policy) answers false; anything else (no such device) rejects.
function settle(result: Map<string, boolean>, kind: "audio" | "video", error: unknown): Map<string, boolean> {
  if (!refused(error)) throw captureError(kind === "audio" ? "microphone" : "camera", error);
  result.set(kind, false);
  return result;
}

function refused(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === "NotAllowedError" || name === "SecurityError";
}

/**
 * Opens a camera (VideoSDK's `createCameraVideoTrack()`): a MediaStream with one video track, from exactly
 * the `cameraId` asked for (never another camera instead), for a preview or for initMeeting's
 * `customCameraVideoTrack` / `changeWebcam(stream)`. Rejects with `unknown-device` when that camera is not
 * there, `media-unavailable` when refused, `invalid-argument` for an option VideoSDK does not have.
 */
export async function createCameraVideoTrack(options: CameraVideoTrackOptions = {}): Promise<MediaStream> {
  if (typeof options !== "object" || options === null) throw new MeshError("invalid-argument", "createCameraVideoTrack() takes an options object");
  const { cameraId, encoderConfig, facingMode, optimizationMode, multiStream } = options;
  if (cameraId !== undefined && (typeof cameraId !== "string" || cameraId.length === 0)) {
    throw new MeshError("invalid-argument", "cameraId must be a deviceId from getCameras()");
  }
  if (optimizationMode !== undefined && !OPTIMIZATION_MODES.includes(optimizationMode)) {
    throw new MeshError("invalid-argument", `optimizationMode must be one of ${OPTIMIZATION_MODES.join(", ")}`);
  }
  if (multiStream !== undefined && typeof multiStream !== "boolean") throw new MeshError("invalid-argument", "multiStream must be true or false");
  const video = cameraConstraints({ deviceId: cameraId, encoderConfig, facingMode });
  const devices = mediaDevices("the camera");
  let stream: MediaStream;
  try {
    stream = await devices.getUserMedia({ video, audio: false });
  } catch (error) {
    throw captureError("camera", error, cameraId);
  }
  if (optimizationMode) for (const track of stream.getVideoTracks()) track.contentHint = optimizationMode;
  return stream;
}

/**
 * Opens a microphone (VideoSDK's `createMicrophoneAudioTrack()`): a MediaStream with one audio track, from
 * exactly the `microphoneId` asked for. Rejects like {@link createCameraVideoTrack}.
 */
export async function createMicrophoneAudioTrack(options: MicrophoneAudioTrackOptions = {}): Promise<MediaStream> {
  if (typeof options !== "object" || options === null) throw new MeshError("invalid-argument", "createMicrophoneAudioTrack() takes an options object");
  const { microphoneId, encoderConfig, noiseConfig } = options;
  if (microphoneId !== undefined && (typeof microphoneId !== "string" || microphoneId.length === 0)) {
    throw new MeshError("invalid-argument", "microphoneId must be a deviceId from getMicrophones()");
  }
  const audio = microphoneConstraints({ deviceId: microphoneId, encoderConfig, noiseConfig });
  const devices = mediaDevices("the microphone");
  try {
    return await devices.getUserMedia({ audio, video: false });
  } catch (error) {
    throw captureError("microphone", error, microphoneId);
  }
}

// device-changed: one browser listener while anyone listens.
const sdkEvents = mitt<SdkEvents>();
let listening: MediaDevices | null = null;
const onDeviceChange = (): void => {
  getDevices().then(
    (devices) => emitSafely(sdkEvents, "device-changed", devices),
    () => undefined,
  );
};

/** Listens to an SDK event (VideoSDK's `VideoSDK.on("device-changed", handler)`). */
export function on<K extends keyof SdkEvents>(type: K, handler: EventHandler<SdkEvents[K]>): void {
  if (type !== "device-changed") throw new MeshError("invalid-argument", `no SDK event ${JSON.stringify(type)} (only "device-changed")`);
  sdkEvents.on(type, handler);
  if (!listening) {
    const devices = (globalThis as { navigator?: { mediaDevices?: MediaDevices } }).navigator?.mediaDevices ?? null;
    devices?.addEventListener("devicechange", onDeviceChange);
    listening = devices;
  }
}

/** Stops listening (every handler of `type` when none is given). */
export function off<K extends keyof SdkEvents>(type: K, handler?: EventHandler<SdkEvents[K]>): void {
  sdkEvents.off(type, handler);
  if (listening && (sdkEvents.all.get("device-changed")?.length ?? 0) === 0) {
    listening.removeEventListener("devicechange", onDeviceChange);
    listening = null;
  }
}
