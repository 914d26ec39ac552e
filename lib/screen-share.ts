// Screen share: capturing the screen, and who the presenter is. One presenter at a time: a share is
// refused while someone else presents, and when two start at the same moment (each before hearing of
// the other; a mesh has no server to order them) the participant whose id sorts first keeps it and
// the other stops its own. Every participant computes the same presenter from the same shares.
import { MeshError, insecureContext } from "./errors.js";
import { captureError } from "./capture.js";

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
