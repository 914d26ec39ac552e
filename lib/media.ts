// Media: the local camera and microphone, and the stream bookkeeping of every participant.
//
// How media rides the mesh (see webrtc.ts): each link carries at most one audio and one video sender,
// added the first time we have a track of that kind (one renegotiation, carried over the link's own
// data channel). Every later toggle swaps the sender's track with replaceTrack (null = send nothing):
// no renegotiation, so turning the camera or microphone off and on again is instant and glitch-free,
// and the other side keeps the same receiving track. What the others should show is told explicitly
// with a small link message ({t:"media", mic, cam}), because a receiving track cannot tell "the sender
// stopped" from "packets are late". A remote stream is enabled when its sender says it is on and
// its track has arrived.
import mitt, { type Emitter } from "mitt";
import { emitSafely } from "./emit.js";
import type { EventHandler } from "./meeting-events.js";
import { MeshError, insecureContext } from "./errors.js";

export type StreamKind = "audio" | "video";
export const STREAM_KINDS: readonly StreamKind[] = ["audio", "video"];

/** One media stream of a participant (VideoSDK's shape): its id, kind and the track to play. */
export interface Stream {
  readonly id: string;
  readonly kind: StreamKind;
  readonly track: MediaStreamTrack;
}

/** Events of one participant. */
export type ParticipantEvents = {
  /** A stream of this participant started: play `stream.track`. */
  "stream-enabled": Stream;
  /** A stream of this participant stopped (muted, camera off, or the participant left): drop its element. */
  "stream-disabled": Stream;
};

/** The media side of a participant, local or remote. */
export interface ParticipantMedia {
  /** Its current streams, by stream id: at most one `audio` and one `video`. */
  readonly streams: ReadonlyMap<string, Stream>;
  /** True while it sends audio (an audio stream is in `streams`). */
  readonly micOn: boolean;
  /** True while it sends video (a video stream is in `streams`). */
  readonly webcamOn: boolean;
  on<K extends keyof ParticipantEvents>(type: K, handler: EventHandler<ParticipantEvents[K]>): void;
  off<K extends keyof ParticipantEvents>(type: K, handler?: EventHandler<ParticipantEvents[K]>): void;
}

export type StreamChange = ["stream-enabled" | "stream-disabled", Stream];

/** Stream bookkeeping and events of one participant; the meeting's participant records extend it. */
export class ParticipantStreams implements ParticipantMedia {
  readonly streams = new Map<string, Stream>();
  private readonly emitter: Emitter<ParticipantEvents> = mitt<ParticipantEvents>();

  get micOn(): boolean {
    return this.find("audio") !== null;
  }

  get webcamOn(): boolean {
    return this.find("video") !== null;
  }

  on<K extends keyof ParticipantEvents>(type: K, handler: EventHandler<ParticipantEvents[K]>): void {
    this.emitter.on(type, handler);
  }

  off<K extends keyof ParticipantEvents>(type: K, handler?: EventHandler<ParticipantEvents[K]>): void {
    this.emitter.off(type, handler);
  }

  /**
   * @internal Makes `track` (or nothing) this participant's stream of `kind`, emits on the participant,
   * and returns what changed, for the meeting's own events.
   */
  setStream(kind: StreamKind, track: MediaStreamTrack | null): StreamChange[] {
    const current = this.find(kind);
    if (current?.track === track) return [];
    const changes: StreamChange[] = [];
    if (current) {
      this.streams.delete(current.id);
      changes.push(["stream-disabled", current]);
    }
    if (track) {
      const stream: Stream = { id: track.id, kind, track };
      this.streams.set(stream.id, stream);
      changes.push(["stream-enabled", stream]);
    }
    for (const [type, stream] of changes) emitSafely(this.emitter, type, stream);
    return changes;
  }

  /** @internal Drops every stream (the participant left, or we did). */
  clearStreams(): StreamChange[] {
    return STREAM_KINDS.flatMap((kind) => this.setStream(kind, null));
  }

  private find(kind: StreamKind): Stream | null {
    for (const stream of this.streams.values()) if (stream.kind === kind) return stream;
    return null;
  }
}

/** What the remote side of each link told us and sent us, per participant id. */
export class RemoteMedia {
  private readonly peers = new Map<string, { mic: boolean; cam: boolean; audio: MediaStreamTrack | null; video: MediaStreamTrack | null }>();

  private entry(id: string) {
    let entry = this.peers.get(id);
    if (!entry) {
      entry = { mic: false, cam: false, audio: null, video: null };
      this.peers.set(id, entry);
    }
    return entry;
  }

  /** A track arrived from `id` (its latest of that kind wins). */
  track(id: string, track: MediaStreamTrack): void {
    const entry = this.entry(id);
    if (track.kind === "audio") entry.audio = track;
    else if (track.kind === "video") entry.video = track;
  }

  /** `id` says what it sends now. */
  state(id: string, mic: boolean, cam: boolean): void {
    const entry = this.entry(id);
    entry.mic = mic;
    entry.cam = cam;
  }

  forget(id: string): void {
    this.peers.delete(id);
  }

  /** The track to show for `id`'s `kind`: on by its word, arrived, and not ended; else null. */
  wanted(id: string, kind: StreamKind): MediaStreamTrack | null {
    const entry = this.peers.get(id);
    if (!entry) return null;
    const on = kind === "audio" ? entry.mic : entry.cam;
    const track = kind === "audio" ? entry.audio : entry.video;
    return on && track && track.readyState !== "ended" ? track : null;
  }
}

type GetUserMedia = (constraints: MediaStreamConstraints) => Promise<MediaStream>;

// Small-group meshes encode each video once per link: a modest default keeps 4-6 people within a
// laptop's CPU.
const VIDEO_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 640 },
  height: { ideal: 360 },
  frameRate: { ideal: 24, max: 30 },
};

function unavailable(what: string, error: unknown): MeshError {
  if (error instanceof MeshError) return error;
  const e = error as { name?: string; message?: string } | undefined;
  const why = e?.name ? `${e.name}${e.message ? `: ${e.message}` : ""}` : String(error);
  return new MeshError("media-unavailable", `${what} unavailable: ${why}`, { cause: error });
}

/**
 * The local camera and microphone. A muted microphone keeps its track (unmuting is instant), but sends
 * nothing; a disabled camera is stopped, so the camera light goes off. `stop()` releases both for good.
 */
export class LocalMedia {
  mic: MediaStreamTrack | null = null;
  cam: MediaStreamTrack | null = null;
  micOn = false;
  camOn = false;
  private stopped = false;
  // Counts the app's toggles per kind, so a late answer to join's request cannot undo a later toggle.
  private readonly toggles: Record<StreamKind, number> = { audio: 0, video: 0 };
  /** Called when a device goes away by itself (unplugged, revoked): the kind is now off. */
  onEnded: ((kind: StreamKind, error: MeshError) => void) | null = null;

  constructor(private readonly getUserMedia: GetUserMedia | null = defaultGetUserMedia()) {}

  /** What every link should send of `kind` now. */
  track(kind: StreamKind): MediaStreamTrack | null {
    return kind === "audio" ? (this.micOn ? this.mic : null) : this.camOn ? this.cam : null;
  }

  /** Usable again (a join after a failed one starts afresh). */
  reopen(): void {
    this.stopped = false;
  }

  /**
   * Acquires what is asked for; one request (one permission prompt) for both, then each alone when that
   * fails, so a missing camera does not cost the microphone. Returns the errors of what is unavailable.
   * The answer may come long after (a prompt nobody has answered yet): a kind toggled meanwhile keeps
   * the toggle, and its late track is stopped.
   */
  async start(audio: boolean, video: boolean): Promise<MeshError[]> {
    if (!audio && !video) return [];
    const asked = { ...this.toggles };
    const adopt = (track: MediaStreamTrack): void => {
      const kind = kindOf(track);
      if (this.toggles[kind] === asked[kind]) this.adopt(track);
      else track.stop();
    };
    const errors: MeshError[] = [];
    try {
      const stream = await this.request(audio, video);
      for (const track of stream.getTracks()) adopt(track);
    } catch (error) {
      if (audio && video) {
        for (const kind of STREAM_KINDS) {
          try {
            const stream = await this.request(kind === "audio", kind === "video");
            for (const track of stream.getTracks()) adopt(track);
          } catch (e) {
            errors.push(unavailable(kind === "audio" ? "microphone" : "camera", e));
          }
        }
      } else {
        errors.push(unavailable(audio ? "microphone" : "camera", error));
      }
    }
    return errors;
  }

  /** Turns the microphone on (acquiring it if we have none). Throws `media-unavailable`. */
  async unmuteMic(): Promise<void> {
    this.toggles.audio++;
    if (!this.mic || this.mic.readyState === "ended") {
      try {
        const stream = await this.request(true, false);
        stream.getTracks().forEach((t) => this.adopt(t));
      } catch (error) {
        throw unavailable("microphone", error);
      }
    }
    if (this.mic) {
      this.mic.enabled = true;
      this.micOn = true;
    }
  }

  muteMic(): void {
    this.toggles.audio++;
    if (this.mic) this.mic.enabled = false;
    this.micOn = false;
  }

  /** Turns the camera on: a fresh track, as disabling released the camera. Throws `media-unavailable`. */
  async enableWebcam(): Promise<void> {
    this.toggles.video++;
    if (this.camOn && this.cam?.readyState === "live") return;
    try {
      const stream = await this.request(false, true);
      stream.getTracks().forEach((t) => this.adopt(t));
    } catch (error) {
      throw unavailable("camera", error);
    }
  }

  disableWebcam(): void {
    this.toggles.video++;
    this.cam?.stop();
    this.hold("video", null);
  }

  /** Stops every local track for good (readyState "ended"); anything acquired later is stopped at once. */
  stop(): void {
    this.stopped = true;
    this.mic?.stop();
    this.cam?.stop();
    this.mic = this.cam = null;
    this.micOn = this.camOn = false;
  }

  private async request(audio: boolean, video: boolean): Promise<MediaStream> {
    if (!this.getUserMedia) {
      if ((globalThis as { isSecureContext?: boolean }).isSecureContext === false) {
        throw insecureContext("the camera and microphone (navigator.mediaDevices.getUserMedia)");
      }
      throw new Error("this page has no navigator.mediaDevices.getUserMedia");
    }
    return this.getUserMedia({ audio, video: video ? VIDEO_CONSTRAINTS : false });
  }

  private adopt(track: MediaStreamTrack): void {
    if (this.stopped) return track.stop();
    const kind = kindOf(track);
    const old = kind === "audio" ? this.mic : this.cam;
    if (old && old !== track) old.stop();
    this.hold(kind, track);
    track.addEventListener("ended", () => {
      if ((kind === "audio" ? this.mic : this.cam) !== track || this.stopped) return;
      this.hold(kind, null);
      this.onEnded?.(kind, unavailable(kind === "audio" ? "microphone" : "camera", new Error("the device stopped")));
    });
  }

  // A kind's track and whether it is on change together (muting is the one way to hold a track that is off).
  private hold(kind: StreamKind, track: MediaStreamTrack | null): void {
    if (kind === "audio") {
      this.mic = track;
      this.micOn = track !== null;
    } else {
      this.cam = track;
      this.camOn = track !== null;
    }
  }
}

function kindOf(track: MediaStreamTrack): StreamKind {
  return track.kind === "audio" ? "audio" : "video";
}

function defaultGetUserMedia(): GetUserMedia | null {
  const devices = (globalThis as { navigator?: { mediaDevices?: MediaDevices } }).navigator?.mediaDevices;
  return devices?.getUserMedia ? (constraints) => devices.getUserMedia(constraints) : null;
}
