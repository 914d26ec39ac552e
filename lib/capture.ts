// Capture constraints: what getUserMedia is asked for, from VideoSDK's options (maxResolution,
// encoderConfig, facingMode, noiseConfig) and a chosen device. Pure rules, tested alone; failures of a
// capture become MeshErrors here too, so that every opener reports them the same way.
import { MeshError } from "./errors.js";

/** initMeeting's `maxResolution` (VideoSDK's values): `sd` caps the camera at 640×480, `hd` at 1280×720. */
export type MaxResolution = "sd" | "hd";
export const MAX_RESOLUTIONS: readonly MaxResolution[] = ["sd", "hd"];

/** VideoSDK's camera encoder presets: `h<height>p_w<width>p`. */
export type CameraEncoderConfig =
  | "h90p_w160p" | "h180p_w320p" | "h216p_w384p" | "h360p_w640p" | "h540p_w960p" | "h720p_w1280p"
  | "h1080p_w1920p" | "h1440p_w2560p" | "h2160p_w3840p" | "h120p_w160p" | "h180p_w240p" | "h240p_w320p"
  | "h360p_w480p" | "h480p_w640p" | "h540p_w720p" | "h720p_w960p" | "h1080p_w1440p" | "h1440p_w1920p";

/** VideoSDK's microphone presets. */
export type MicrophoneEncoderConfig =
  | "speech_low_quality" | "speech_standard" | "music_standard" | "standard_stereo" | "high_quality" | "high_quality_stereo";
export const MICROPHONE_ENCODER_CONFIGS: readonly MicrophoneEncoderConfig[] = [
  "speech_low_quality", "speech_standard", "music_standard", "standard_stereo", "high_quality", "high_quality_stereo",
];

/** VideoSDK's `facingMode` values: `front` is the browser's `user`. */
export type FacingMode = "front" | "environment";
/** VideoSDK's `optimizationMode`: becomes the track's `contentHint`. */
export type OptimizationMode = "motion" | "text" | "detail";
export const OPTIMIZATION_MODES: readonly OptimizationMode[] = ["motion", "text", "detail"];

export interface NoiseConfig {
  echoCancellation?: boolean;
  autoGainControl?: boolean;
  noiseSuppression?: boolean;
}

// A mesh encodes each video once per link: without maxResolution the camera is asked for 640×360
// (what meshmeet has always asked for), with it for the most that resolution allows.
const DEFAULT_VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24, max: 30 } };
const CAPS: Record<MaxResolution, { width: number; height: number }> = { sd: { width: 640, height: 480 }, hd: { width: 1280, height: 720 } };

/** Width, height and frame rate of a VideoSDK camera preset (frame rates as VideoSDK's table has them). */
export function encoderSize(config: string): { width: number; height: number; frameRate: number } | null {
  const match = /^h(\d{2,4})p_w(\d{3,4})p$/.exec(config);
  if (!match) return null;
  const height = Number(match[1]);
  const width = Number(match[2]);
  const frameRate = height <= 240 ? 15 : height <= 360 ? 20 : height <= 540 ? 25 : 30;
  return { width, height, frameRate };
}

/**
 * The camera's constraints: a chosen device exactly (`deviceId: { exact }`, so another camera is never
 * opened instead), the size of `encoderConfig` (or meshmeet's default), capped by `maxResolution`.
 * Throws `invalid-argument` for an encoderConfig or facingMode VideoSDK does not have.
 */
export function cameraConstraints(options: {
  deviceId?: string | null | undefined;
  maxResolution?: MaxResolution | undefined;
  encoderConfig?: string | undefined;
  facingMode?: string | undefined;
}): MediaTrackConstraints {
  const constraints: MediaTrackConstraints = { ...DEFAULT_VIDEO };
  if (options.encoderConfig !== undefined) {
    const size = typeof options.encoderConfig === "string" ? encoderSize(options.encoderConfig) : null;
    if (!size) throw new MeshError("invalid-argument", `encoderConfig ${JSON.stringify(options.encoderConfig)} is not one of VideoSDK's (e.g. "h360p_w640p")`);
    constraints.width = { ideal: size.width };
    constraints.height = { ideal: size.height };
    constraints.frameRate = { ideal: size.frameRate, max: size.frameRate };
  }
  if (options.maxResolution) {
    const cap = CAPS[options.maxResolution];
    // "hd" with no preset: the app asks for HD, so ask the camera for it; otherwise the preset (or the
    // default) as far as the cap allows.
    const asked = options.maxResolution === "hd" && options.encoderConfig === undefined;
    const ideal = (c: MediaTrackConstraints["width"]): number => (typeof c === "object" && typeof c.ideal === "number" ? c.ideal : 0);
    constraints.width = { ideal: asked ? cap.width : Math.min(ideal(constraints.width), cap.width), max: cap.width };
    constraints.height = { ideal: asked ? cap.height : Math.min(ideal(constraints.height), cap.height), max: cap.height };
  }
  if (options.facingMode !== undefined) {
    if (options.facingMode !== "front" && options.facingMode !== "environment") {
      throw new MeshError("invalid-argument", 'facingMode must be "front" or "environment"');
    }
    constraints.facingMode = options.facingMode === "front" ? "user" : "environment";
  }
  if (options.deviceId) constraints.deviceId = { exact: options.deviceId };
  return constraints;
}

/** The microphone's constraints: a chosen device exactly, noise processing, stereo for the stereo presets. */
export function microphoneConstraints(options: {
  deviceId?: string | null | undefined;
  encoderConfig?: string | undefined;
  noiseConfig?: NoiseConfig | undefined;
}): MediaTrackConstraints | true {
  const { deviceId, encoderConfig, noiseConfig } = options;
  if (encoderConfig !== undefined && !MICROPHONE_ENCODER_CONFIGS.includes(encoderConfig as MicrophoneEncoderConfig)) {
    throw new MeshError("invalid-argument", `encoderConfig must be one of ${MICROPHONE_ENCODER_CONFIGS.join(", ")}`);
  }
  if (noiseConfig !== undefined && (typeof noiseConfig !== "object" || noiseConfig === null)) {
    throw new MeshError("invalid-argument", "noiseConfig must be an object of booleans");
  }
  const constraints: MediaTrackConstraints = {};
  if (deviceId) constraints.deviceId = { exact: deviceId };
  for (const key of ["echoCancellation", "autoGainControl", "noiseSuppression"] as const) {
    const value = noiseConfig?.[key];
    if (value === undefined) continue;
    if (typeof value !== "boolean") throw new MeshError("invalid-argument", `noiseConfig.${key} must be true or false`);
    constraints[key] = value;
  }
  if (encoderConfig?.endsWith("stereo")) constraints.channelCount = { ideal: 2 };
  return Object.keys(constraints).length === 0 ? true : constraints;
}

/**
 * A capture that failed, as a MeshError: `unknown-device` when the chosen device is not there (the
 * browser's OverconstrainedError on deviceId, or NotFoundError with a device named), else
 * `media-unavailable` (refused, missing, busy).
 */
export function captureError(what: string, error: unknown, deviceId?: string | null): MeshError {
  if (error instanceof MeshError) return error;
  const e = error as { name?: string; message?: string; constraint?: string } | undefined;
  const why = e?.name ? `${e.name}${e.message ? `: ${e.message}` : ""}` : String(error);
  if (deviceId && (e?.name === "OverconstrainedError" || e?.name === "NotFoundError")) {
    return new MeshError("unknown-device", `${what} ${JSON.stringify(deviceId)} is not available: ${why}`, { cause: error });
  }
  return new MeshError("media-unavailable", `${what} unavailable: ${why}`, { cause: error });
}
