// Media: the local camera and microphone, and the stream bookkeeping of every participant.
//
// How media rides the mesh (see webrtc.ts): each link carries at most one audio and one video sender,
// added the first time we have a track of that kind (one renegotiation, carried over the link's own
// data channel). Every later toggle swaps the sender's track with replaceTrack (null = send nothing):
// no renegotiation, so turning the camera or microphone off and on again is instant and glitch-free,
// and the other side keeps the same receiving track. What the others should show is told explicitly
// with a small link message ({t:"media", mic, cam, share, cs, ss}), because a receiving track cannot
// tell "the sender stopped" from "packets are late". A remote stream is enabled when its sender says
// it is on and its track has arrived. A screen share is a second video sender, in a MediaStream of its
// own: the message names the stream ids of camera and share, which is how a receiver tells them apart.
import mitt, { type Emitter } from "mitt";
import { emitSafely } from "./emit.js";
import type { EventHandler } from "./meeting-events.js";
import { cameraConstraints, captureError, microphoneConstraints, type MaxResolution } from "./capture.js";
import { insecureContext, type MeshError } from "./errors.js";

/** `audio` (microphone), `video` (camera) or `share` (screen share), as VideoSDK names them. */
export type StreamKind = "audio" | "video" | "share";
export const STREAM_KINDS: readonly StreamKind[] = ["audio", "video", "share"];
/** What a device (camera, microphone) gives: the kinds a LocalMedia opens and can switch. */
export type DeviceKind = "audio" | "video";

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
  /** Its current streams, by stream id: at most one `audio`, one `video` and one `share`. */
  readonly streams: ReadonlyMap<string, Stream>;
  /** True while it sends audio (an audio stream is in `streams`). */
  readonly micOn: boolean;
  /** True while it sends video (a video stream is in `streams`). */
  readonly webcamOn: boolean;
  /** True while it shares its screen (a `share` stream is in `streams`). */
  readonly screenShareOn: boolean;
  /**
   * VideoSDK's hint of the size a participant's video is shown at, so that its server can forward a
   * smaller layer. Accepted and ignored: in a mesh each sender encodes one layer per link.
   */
  setViewPort(width: number, height: number): void;
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

  get screenShareOn(): boolean {
    return this.find("share") !== null;
  }

  setViewPort(_width: number, _height: number): void {
    // No server picks layers for us: nothing to tell anyone (see ParticipantMedia.setViewPort).
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

/** What a remote participant says it sends (its `media` link message, without the envelope). */
export interface RemoteMediaState {
  mic: boolean;
  cam: boolean;
  share: boolean;
  /** Id of the MediaStream its camera rides in on our link (null: not said). */
  cs: string | null;
  /** Id of the MediaStream its screen share rides in on our link (null: not said). */
  ss: string | null;
}

// Remote video tracks kept per participant: one per stream (camera, share), a few more across relinks.
const MAX_REMOTE_VIDEO = 8;

/** What the remote side of each link told us and sent us, per participant id. */
export class RemoteMedia {
  private readonly peers = new Map<
    string,
    { said: RemoteMediaState; audio: MediaStreamTrack | null; video: { track: MediaStreamTrack; streamId: string | null }[] }
  >();

  private entry(id: string) {
    let entry = this.peers.get(id);
    if (!entry) {
      entry = { said: { mic: false, cam: false, share: false, cs: null, ss: null }, audio: null, video: [] };
      this.peers.set(id, entry);
    }
    return entry;
  }

  /** A track arrived from `id`, in the MediaStream `streamId` (its latest of that kind and stream wins). */
  track(id: string, track: MediaStreamTrack, streamId: string | null = null): void {
    const entry = this.entry(id);
    if (track.kind === "audio") entry.audio = track;
    else if (track.kind === "video") {
      entry.video = [...entry.video.filter((v) => v.streamId !== streamId), { track, streamId }].slice(-MAX_REMOTE_VIDEO);
    }
  }

  /** `id` says what it sends now. */
  state(id: string, said: RemoteMediaState): void {
    this.entry(id).said = { ...said };
  }

  forget(id: string): void {
    this.peers.delete(id);
  }

  /** The track to show for `id`'s `kind`: on by its word, arrived, and not ended; else null. */
  wanted(id: string, kind: StreamKind): MediaStreamTrack | null {
    const entry = this.peers.get(id);
    if (!entry) return null;
    const { said } = entry;
    let track: MediaStreamTrack | null = null;
    if (kind === "audio") track = said.mic ? entry.audio : null;
    else if (kind === "share") track = said.share && said.ss !== null ? this.latest(entry.video, (s) => s === said.ss) : null;
    // The camera: in its named stream; a sender that names none (older) sends no share either.
    else if (said.cam) track = this.latest(entry.video, (s) => (said.cs !== null ? s === said.cs : s !== said.ss || s === null));
    return track && track.readyState !== "ended" ? track : null;
  }

  private latest(video: { track: MediaStreamTrack; streamId: string | null }[], match: (streamId: string | null) => boolean): MediaStreamTrack | null {
    for (let i = video.length - 1; i >= 0; i--) if (match(video[i]!.streamId)) return video[i]!.track;
    return null;
  }
}

type GetUserMedia = (constraints: MediaStreamConstraints) => Promise<MediaStream>;

/** How the local camera and microphone are opened (initMeeting's options). */
export interface LocalMediaOptions {
  /** Caps the camera's capture size (initMeeting's `maxResolution`). */
  maxResolution?: MaxResolution | undefined;
  /** The app's own tracks, sent the first time that kind turns on instead of opening a device. */
  customTracks?: Partial<Record<DeviceKind, MediaStreamTrack>>;
}

/**
 * The local camera, microphone and screen share. A muted microphone keeps its track (unmuting is
 * instant), but sends nothing; a disabled camera is stopped, so the camera light goes off. The share
 * is a track the meeting holds while it is on (see screen-share.ts). A track the app hands over
 * (custom tracks, changeWebcam(stream)) is ours from then on: stopped when its kind goes off or is
 * replaced, and on leave, as VideoSDK's own devices are. `stop()` releases everything for good.
 */
export class LocalMedia {
  mic: MediaStreamTrack | null = null;
  cam: MediaStreamTrack | null = null;
  share: MediaStreamTrack | null = null;
  micOn = false;
  camOn = false;
  private stopped = false;
  // The devices chosen (changeWebcam / changeMic, or where a custom track came from); null: the default.
  private readonly chosen: Record<DeviceKind, string | null> = { audio: null, video: null };
  private readonly custom: Partial<Record<DeviceKind, MediaStreamTrack>>;
  // Counts the app's toggles per kind, so a late answer to join's request cannot undo a later toggle.
  private readonly toggles: Record<DeviceKind, number> = { audio: 0, video: 0 };
  /** Called when a device goes away by itself (unplugged, revoked): the kind is now off. */
  onEnded: ((kind: DeviceKind, error: MeshError) => void) | null = null;
  /** Called when the share ends by itself (the browser's "Stop sharing" button): it is now off. */
  onShareEnded: (() => void) | null = null;

  constructor(
    private readonly getUserMedia: GetUserMedia | null = defaultGetUserMedia(),
    private readonly options: LocalMediaOptions = {},
  ) {
    this.custom = { ...options.customTracks };
  }

  get shareOn(): boolean {
    return this.share !== null;
  }

  /** What every link should send of `kind` now. */
  track(kind: StreamKind): MediaStreamTrack | null {
    if (kind === "share") return this.share;
    return kind === "audio" ? (this.micOn ? this.mic : null) : this.camOn ? this.cam : null;
  }

  /** The device in use (or chosen) for `kind`; null: the browser's default. */
  device(kind: DeviceKind): string | null {
    return this.chosen[kind];
  }

  /** Usable again (a join after a failed one starts afresh). */
  reopen(): void {
    this.stopped = false;
  }

  /**
   * Acquires what is asked for; one request (one permission prompt) for both, then each alone when that
   * fails, so a missing camera does not cost the microphone. An app's custom track is used instead of
   * its device. Returns the errors of what is unavailable. The answer may come long after (a prompt
   * nobody has answered yet): a kind toggled meanwhile keeps the toggle, and its late track is stopped.
   */
  async start(audio: boolean, video: boolean): Promise<MeshError[]> {
    if (audio && this.takeCustom("audio")) audio = false;
    if (video && this.takeCustom("video")) video = false;
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
        for (const kind of DEVICE_KINDS) {
          try {
            const stream = await this.request(kind === "audio", kind === "video");
            for (const track of stream.getTracks()) adopt(track);
          } catch (e) {
            errors.push(captureError(deviceName(kind), e, this.chosen[kind]));
          }
        }
      } else {
        const kind: DeviceKind = audio ? "audio" : "video";
        errors.push(captureError(deviceName(kind), error, this.chosen[kind]));
      }
    }
    return errors;
  }

  /** Turns the microphone on (acquiring it if we have none). Throws `media-unavailable`. */
  async unmuteMic(): Promise<void> {
    this.toggles.audio++;
    if ((!this.mic || this.mic.readyState === "ended") && !this.takeCustom("audio")) {
      try {
        const stream = await this.request(true, false);
        stream.getTracks().forEach((t) => this.adopt(t));
      } catch (error) {
        throw captureError("microphone", error, this.chosen.audio);
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
    if (this.takeCustom("video")) return;
    try {
      const stream = await this.request(false, true);
      stream.getTracks().forEach((t) => this.adopt(t));
    } catch (error) {
      throw captureError("camera", error, this.chosen.video);
    }
  }

  disableWebcam(): void {
    this.toggles.video++;
    this.cam?.stop();
    this.hold("video", null);
  }

  /**
   * Switches `kind` to another device, or to the app's own track. A device id: a kind that is on moves
   * to that device at once (a muted microphone stays muted); one that is off only remembers the choice
   * for when it turns on. A track: sent at once (the kind turns on). Returns whether the track sent
   * changed. Throws `unknown-device` / `media-unavailable`, changing nothing.
   */
  async change(kind: DeviceKind, source: string | MediaStreamTrack): Promise<boolean> {
    this.toggles[kind]++;
    const asked = this.toggles[kind];
    if (typeof source !== "string") {
      this.adopt(source);
      return true;
    }
    const open = kind === "audio" ? this.mic !== null && this.mic.readyState === "live" : this.camOn;
    const previous = this.chosen[kind];
    this.chosen[kind] = source;
    if (!open) return false;
    let track: MediaStreamTrack | undefined;
    try {
      const stream = await this.request(kind === "audio", kind === "video");
      track = stream.getTracks().find((t) => kindOf(t) === kind);
      if (!track) throw new Error(`no ${kind} track came back`);
    } catch (error) {
      if (this.toggles[kind] === asked) this.chosen[kind] = previous;
      throw captureError(deviceName(kind), error, source);
    }
    // Toggled or changed again meanwhile, or we left: that call decides.
    if (this.toggles[kind] !== asked || this.stopped) {
      track.stop();
      return false;
    }
    const muted = kind === "audio" && !this.micOn;
    this.adopt(track);
    if (muted) {
      track.enabled = false;
      this.micOn = false;
    }
    return true;
  }

  /** Makes `track` the screen share (null: none). The previous share track is stopped. */
  setShare(track: MediaStreamTrack | null): void {
    if (track && this.stopped) return track.stop();
    const old = this.share;
    if (old === track) return;
    this.share = track;
    old?.stop();
    track?.addEventListener("ended", () => {
      if (this.share !== track || this.stopped) return;
      this.share = null;
      track.stop();
      this.onShareEnded?.();
    });
  }

  /** Stops every local track for good (readyState "ended"); anything acquired later is stopped at once. */
  stop(): void {
    this.stopped = true;
    this.mic?.stop();
    this.cam?.stop();
    this.share?.stop();
    this.mic = this.cam = this.share = null;
    this.micOn = this.camOn = false;
    for (const track of Object.values(this.custom)) track?.stop();
  }

  // The app's custom track of `kind`, once: adopted (the kind turns on). False when there is none.
  private takeCustom(kind: DeviceKind): boolean {
    const track = this.custom[kind];
    if (!track) return false;
    delete this.custom[kind];
    if (track.readyState === "ended") return false;
    this.adopt(track);
    return true;
  }

  private async request(audio: boolean, video: boolean): Promise<MediaStream> {
    if (!this.getUserMedia) {
      if ((globalThis as { isSecureContext?: boolean }).isSecureContext === false) {
        throw insecureContext("the camera and microphone (navigator.mediaDevices.getUserMedia)");
      }
      throw new Error("this page has no navigator.mediaDevices.getUserMedia");
    }
    return this.getUserMedia({
      audio: audio ? microphoneConstraints({ deviceId: this.chosen.audio }) : false,
      video: video ? cameraConstraints({ deviceId: this.chosen.video, maxResolution: this.options.maxResolution }) : false,
    });
  }

  private adopt(track: MediaStreamTrack): void {
    if (this.stopped) return track.stop();
    const kind = kindOf(track);
    const old = kind === "audio" ? this.mic : this.cam;
    if (old && old !== track) old.stop();
    // Where a track came from is the device to reopen after the kind was off (a custom track's camera).
    const device = (track as { getSettings?: () => MediaTrackSettings }).getSettings?.().deviceId;
    if (device) this.chosen[kind] = device;
    this.hold(kind, track);
    track.addEventListener("ended", () => {
      if ((kind === "audio" ? this.mic : this.cam) !== track || this.stopped) return;
      this.hold(kind, null);
      this.onEnded?.(kind, captureError(deviceName(kind), new Error("the device stopped")));
    });
  }

  // A kind's track and whether it is on change together (muting is the one way to hold a track that is off).
  private hold(kind: DeviceKind, track: MediaStreamTrack | null): void {
    if (kind === "audio") {
      this.mic = track;
      this.micOn = track !== null;
    } else {
      this.cam = track;
      this.camOn = track !== null;
    }
  }
}

const DEVICE_KINDS: readonly DeviceKind[] = ["audio", "video"];

function deviceName(kind: DeviceKind): string {
  return kind === "audio" ? "microphone" : "camera";
}

function kindOf(track: MediaStreamTrack): DeviceKind {
  return track.kind === "audio" ? "audio" : "video";
}

function defaultGetUserMedia(): GetUserMedia | null {
  const devices = (globalThis as { navigator?: { mediaDevices?: MediaDevices } }).navigator?.mediaDevices;
  return devices?.getUserMedia ? (constraints) => devices.getUserMedia(constraints) : null;
}
