// Screen share: capturing the screen, and who the presenter is. One presenter at a time: a share is
// refused while someone else presents, and when two start at the same moment (each before hearing of
// the other; a mesh has no server to order them) the participant whose id sorts first keeps it and
// the other stops its own. Every participant computes the same presenter from the same shares.
import { MeshError, insecureContext } from "./errors.js";
import { OPTIMIZATION_MODES, captureError, type OptimizationMode } from "./capture.js";

type GetDisplayMedia = (options: DisplayMediaStreamOptions) => Promise<MediaStream>;

// A shared screen is mostly text: a modest frame rate keeps the encoder cheap (once per link) and the
// text sharp.
const SCREEN_CONSTRAINTS: DisplayMediaStreamOptions = { video: { frameRate: { ideal: 15, max: 30 } }, audio: false };

/** The video track of an app's own share stream (`enableScreenShare(customTrack)`). Throws `invalid-argument`. */
export function shareTrackOf(stream: unknown): MediaStreamTrack {
  const track = isStream(stream) ? stream.getVideoTracks()[0] : undefined;
  if (!track || track.readyState === "ended") {
    throw new MeshError("invalid-argument", "enableScreenShare() takes a MediaStream with a live video track");
  }
  return track;
}

/** Asks the browser for a screen, window or tab. Throws `media-unavailable` (refused, cancelled) or `not-supported`. */
export async function captureScreen(getDisplayMedia: GetDisplayMedia | null = defaultGetDisplayMedia()): Promise<MediaStreamTrack> {
  if (!getDisplayMedia) {
    if ((globalThis as { isSecureContext?: boolean }).isSecureContext === false) throw insecureContext("screen sharing (getDisplayMedia)");
    throw new MeshError("not-supported", "this browser cannot share a screen (no navigator.mediaDevices.getDisplayMedia)");
  }
  let stream: MediaStream;
  try {
    stream = await getDisplayMedia(SCREEN_CONSTRAINTS);
  } catch (error) {
    throw captureError("screen", error);
  }
  const [track, ...rest] = stream.getVideoTracks();
  for (const other of [...rest, ...stream.getAudioTracks()]) other.stop();
  if (!track) throw new MeshError("media-unavailable", "the screen capture gave no video");
  return track;
}

/** VideoSDK's screen-share presets: `h<height>p_<fps>fps`. */
export type ScreenShareEncoderConfig = "h360p_30fps" | "h720p_5fps" | "h720p_15fps" | "h1080p_15fps" | "h1080p_30fps";
const SCREEN_PRESETS: Record<ScreenShareEncoderConfig, { height: number; frameRate: number }> = {
  h360p_30fps: { height: 360, frameRate: 30 },
  h720p_5fps: { height: 720, frameRate: 5 },
  h720p_15fps: { height: 720, frameRate: 15 },
  h1080p_15fps: { height: 1080, frameRate: 15 },
  h1080p_30fps: { height: 1080, frameRate: 30 },
};

/** Options of {@link createScreenShareVideoTrack} (VideoSDK's names). */
export interface ScreenShareVideoTrackOptions {
  /** Height and frame rate asked of the capture; default `h720p_15fps`. */
  encoderConfig?: ScreenShareEncoderConfig;
  /** What the encoder favours: becomes the track's `contentHint` (`motion`, `text`, `detail`). */
  optimizationMode?: OptimizationMode;
  /** `enable`: ask for the shared tab's or screen's audio too (the browser may give none); default `disable`. */
  withAudio?: "enable" | "disable";
}

/**
 * Asks the browser for a screen, window or tab ahead of sharing it (VideoSDK's
 * `createScreenShareVideoTrack()`), for `meeting.enableScreenShare(stream)`. Rejects with
 * `media-unavailable` (refused or cancelled), `not-supported` or `invalid-argument`.
 */
export async function createScreenShareVideoTrack(
  options: ScreenShareVideoTrackOptions = {},
  getDisplayMedia: GetDisplayMedia | null = defaultGetDisplayMedia(),
): Promise<MediaStream> {
  if (typeof options !== "object" || options === null) throw new MeshError("invalid-argument", "createScreenShareVideoTrack() takes an options object");
  const { encoderConfig = "h720p_15fps", optimizationMode, withAudio = "disable" } = options;
  const preset = SCREEN_PRESETS[encoderConfig];
  if (!Object.hasOwn(SCREEN_PRESETS, encoderConfig) || !preset) {
    throw new MeshError("invalid-argument", `encoderConfig must be one of ${Object.keys(SCREEN_PRESETS).join(", ")}`);
  }
  if (optimizationMode !== undefined && !OPTIMIZATION_MODES.includes(optimizationMode)) {
    throw new MeshError("invalid-argument", `optimizationMode must be one of ${OPTIMIZATION_MODES.join(", ")}`);
  }
  if (withAudio !== "enable" && withAudio !== "disable") throw new MeshError("invalid-argument", 'withAudio must be "enable" or "disable"');
  if (!getDisplayMedia) throw new MeshError("not-supported", "this browser cannot share a screen (no navigator.mediaDevices.getDisplayMedia)");
  let stream: MediaStream;
  try {
    stream = await getDisplayMedia({
      video: { height: { ideal: preset.height, max: preset.height }, frameRate: { ideal: preset.frameRate, max: preset.frameRate } },
      audio: withAudio === "enable",
    });
  } catch (error) {
    throw captureError("screen", error);
  }
  if (optimizationMode) for (const track of stream.getVideoTracks()) track.contentHint = optimizationMode;
  return stream;
}

/** The presenter among everyone who shares now (ids): the one whose id sorts first; null when nobody shares. */
export function choosePresenter(sharing: Iterable<string>): string | null {
  let first: string | null = null;
  for (const id of sharing) if (first === null || id < first) first = id;
  return first;
}

function isStream(value: unknown): value is MediaStream {
  return typeof value === "object" && value !== null && typeof (value as MediaStream).getVideoTracks === "function";
}

function defaultGetDisplayMedia(): GetDisplayMedia | null {
  const devices = (globalThis as { navigator?: { mediaDevices?: MediaDevices } }).navigator?.mediaDevices;
  return devices?.getDisplayMedia ? (options) => devices.getDisplayMedia(options) : null;
}
