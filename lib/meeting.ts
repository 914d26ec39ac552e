import mitt, { type Emitter } from "mitt";
import { util } from "peerjs";
import { peerjsOpener } from "./broker.js";
import { emitSafely } from "./emit.js";
import type { EventHandler } from "./meeting-events.js";
import { MeshError, isMeshError } from "./errors.js";
import { Lifecycle, type MeetingState } from "./lifecycle.js";
import type { Logger } from "./log.js";
import { resolveConfig, type MeetingConfig } from "./meeting-config.js";
import type { ConnectionState, MeetingEvents, Participant } from "./meeting-events.js";
import { Mesh, type MeetingLeftReason, type MeshConfig, type MeshEnv, type ParticipantLeftReason } from "./mesh.js";
import { getCameras, getMicrophones, type CameraDeviceInfo, type MicrophoneDeviceInfo } from "./devices.js";
import { LocalMedia, ParticipantStreams, RemoteMedia, STREAM_KINDS, type DeviceKind, type StreamChange, type StreamKind } from "./media.js";
import { MAX_APP_PAYLOAD, type JsonValue } from "./protocol.js";
import { captureScreen, choosePresenter, shareTrackOf } from "./screen-share.js";
import { PubSub, type PubSubApi } from "./pubsub.js";
import { CallMonitor } from "./call-monitor.js";
import type { ConnectionQuality } from "./call-stats.js";
import { bounded } from "./time.js";
import { simplePeerTransports } from "./webrtc.js";

export type { ConnectionState, JsonValue, MeetingConfig, MeetingEvents, MeetingLeftReason, MeetingState, Participant, ParticipantLeftReason };

// How long join() waits for camera and microphone (a permission prompt) before it joins without them.
const MEDIA_WAIT_MS = 3000;

class ParticipantRecord extends ParticipantStreams implements Participant {
  leftReason: ParticipantLeftReason | null = null;
  reconnecting = false;
  connectionQuality: ConnectionQuality | null = null;
  constructor(
    readonly id: string,
    readonly displayName: string,
    readonly local: boolean,
    private readonly remover: (id: string) => Promise<void>,
  ) {
    super();
  }

  remove(): Promise<void> {
    return this.remover(this.id);
  }
}

/** A meeting as one participant sees it. Create it with {@link initMeeting}. */
export class Meeting {
  readonly meetingId: string;
  /** Us. */
  readonly localParticipant: Participant;
  /** Messages on named topics, with history for late joiners (VideoSDK's `meeting.pubSub`). */
  readonly pubSub: PubSubApi;
  private readonly topics: PubSub;
  private readonly monitor: CallMonitor;
  private speakerId: string | null = null;
  private readonly local: ParticipantRecord;
  private readonly media: LocalMedia;
  private readonly remoteMedia = new RemoteMedia();
  private readonly wants: { mic: boolean; cam: boolean };
  private readonly remote = new Map<string, ParticipantRecord>();
  private readonly emitter: Emitter<MeetingEvents> = mitt<MeetingEvents>();
  private readonly meshConfig: MeshConfig;
  private readonly env: MeshEnv;
  private readonly log: Logger;
  private readonly lifecycle: Lifecycle;
  // One mesh per join attempt, so a failed join can simply be retried.
  private mesh: Mesh | null = null;
  private leaving: Promise<void> | null = null;
  private presenter: string | null = null;

  /** Use {@link initMeeting}. Throws `invalid-id` / `invalid-argument`. */
  constructor(config: MeetingConfig);
  /** @internal With the outside world replaced (unit tests). */
  constructor(config: MeetingConfig, env: MeshEnv);
  constructor(config: MeetingConfig, env?: MeshEnv) {
    const resolved = resolveConfig(config);
    this.meshConfig = resolved.mesh;
    this.meetingId = resolved.mesh.meetingId;
    this.wants = resolved.wants;
    this.log = resolved.log;
    this.lifecycle = new Lifecycle(this.log, env?.strict ?? false);
    this.lifecycle.onChange((meetingState) => this.emit("meeting-state-changed", { state: CONNECTION_STATES[meetingState], meetingState }));
    this.localParticipant = this.local = new ParticipantRecord(resolved.mesh.participantId, resolved.mesh.name, true, () =>
      Promise.reject(new MeshError("invalid-argument", "remove() removes a remote participant; to go yourself, use leave()")),
    );
    this.media = new LocalMedia(undefined, resolved.media);
    // The browser's own "Stop sharing" button ends the track: the share stops for everyone.
    this.media.onShareEnded = () => this.localMediaChanged("share");
    this.monitor = new CallMonitor({
      selfId: this.local.id,
      remoteIds: () => [...this.remote.keys()],
      linkStats: (id) => this.mesh?.linkStats(id) ?? Promise.resolve(null),
      micOn: (id) => (id === this.local.id ? this.local : this.remote.get(id))?.micOn ?? false,
      wants: () => ({ quality: this.listens("connection-quality-changed"), speaker: this.listens("speaker-changed") }),
      sendVoice: (level) => this.mesh?.sendVoice(level),
      quality: (id, quality, changed) => {
        const participant = this.remote.get(id);
        if (!participant) return;
        participant.connectionQuality = quality;
        if (changed) this.emit("connection-quality-changed", { participant, quality });
      },
      speaker: (id) => {
        this.speakerId = id;
        this.emit("speaker-changed", { activeSpeakerId: id });
      },
    });
    this.pubSub = this.topics = new PubSub({
      selfId: this.local.id,
      selfName: this.local.displayName,
      inMeeting: () => this.lifecycle.inMeeting,
      has: (id) => this.remote.has(id),
      hostId: () => this.hostId,
      send: (record, to, chars, topic) => void this.mesh?.sendApp(record, to, chars, topic),
      rethrow: (error) =>
        setTimeout(() => {
          throw error;
        }, 0),
    });
    this.media.onEnded = (kind, error) => {
      this.localMediaChanged(kind);
      this.emit("error", error);
    };
    const iceServers = resolved.iceServers ?? util.defaultConfig.iceServers ?? [];
    this.env = env ?? {
      openChannel: peerjsOpener(resolved.broker, this.log),
      createTransport: simplePeerTransports(iceServers, this.log),
    };
    // Lets a test kit (meshmeet/testing) or devtools observe every meeting of a page, with no app changes.
    (globalThis as { __MESHMEET_HOOK__?: { register(meeting: Meeting): void } }).__MESHMEET_HOOK__?.register(this);
  }

  /** Everyone else in the meeting, by participant id. */
  get participants(): ReadonlyMap<string, Participant> {
    return this.remote;
  }

  /** The current host's participant id; null before join() resolved. */
  get hostId(): string | null {
    return this.lifecycle.is("idle", "joining") ? null : (this.mesh?.hostId ?? null);
  }

  /** The participant sharing a screen now (VideoSDK's `activePresenterId`); null when nobody does. */
  get activePresenterId(): string | null {
    return this.presenter;
  }

  get isHost(): boolean {
    return this.hostId === this.localParticipant.id;
  }

  get state(): MeetingState {
    return this.lifecycle.state;
  }

  /** Who is speaking now (VideoSDK's `activeSpeakerId`), while the app listens for `speaker-changed`; else null. */
  get activeSpeakerId(): string | null {
    return this.speakerId;
  }

  on<K extends keyof MeetingEvents>(type: K, handler: EventHandler<MeetingEvents[K]>): void {
    this.emitter.on(type, handler);
  }

  off<K extends keyof MeetingEvents>(type: K, handler?: EventHandler<MeetingEvents[K]>): void {
    this.emitter.off(type, handler);
  }

  /**
   * Joins the meeting: registers at the broker, becomes host if nobody is, else asks the host in and links
   * to every participant. Resolves after `meeting-joined`. Rejects with a {@link MeshError}:
   * `already-joined`, `duplicate-participant`, `broker-unreachable`, `host-unreachable`, and with a host
   * whose waiting room is on (we then wait up to `waitingRoomTimeout` for its decision, emitting
   * `entry-responded`) `entry-denied` or `entry-timeout`.
   * A failed join leaves the meeting `idle`, so join() may be called again.
   */
  async join(): Promise<void> {
    if (!this.lifecycle.is("idle")) {
      throw new MeshError(
        "already-joined",
        this.lifecycle.is("left") ? "this meeting is over; create a new one with initMeeting()" : `already ${this.state}`,
      );
    }
    this.lifecycle.to("joining");
    const mesh = new Mesh(this.meshConfig, this.env, { lifecycle: this.lifecycle, log: this.log });
    mesh.media = this.media;
    this.mesh = mesh;
    this.wireMesh(mesh);
    // Camera and microphone first, so that they ride in the first offer of every link. Missing media
    // does not stop the join: each failure is an `error` event (media-unavailable). Nor does a
    // permission prompt nobody answers: after MEDIA_WAIT_MS we join without, and the media follows
    // (one renegotiation per link) when the answer comes. A data-only join does not wait at all.
    this.media.reopen();
    if (this.wants.mic || this.wants.cam) {
      const acquired = this.media.start(this.wants.mic, this.wants.cam).then((errors) => {
        for (const error of errors) this.emit("error", error);
        for (const kind of STREAM_KINDS) this.localMediaChanged(kind);
      });
      await bounded(acquired, MEDIA_WAIT_MS);
    }
    try {
      // leave() while we waited for media: the mesh has already closed.
      if (!this.lifecycle.is("joining")) throw new MeshError("join-cancelled", "leave() was called before join() completed");
      await mesh.join();
    } catch (error) {
      const failure = isMeshError(error) ? error : new MeshError("internal", `join failed: ${String(error)}`, { cause: error });
      // A cancelled join ends like a leave (the mesh closes and meeting-left follows); any other
      // failure leaves the meeting idle for another try.
      if (failure.code !== "join-cancelled") {
        this.mesh = null;
        this.releaseMedia();
        this.remote.clear();
      }
      throw failure;
    }
    for (const type of UNLOAD_EVENTS) globalThis.addEventListener?.(type, this.onPageHide);
    this.emit("meeting-joined", { meetingId: this.meetingId, hostId: mesh.hostId ?? this.localParticipant.id });
    this.monitor.start();
    this.announceWhoIsHere();
  }

  // What happened while we joined, told now that the app listens (a VideoSDK app attaches its
  // participant.on("stream-enabled") handlers in meeting-joined and participant-joined): our streams,
  // then each participant already here and its streams. Handlers may leave() meanwhile: stop then.
  private announceWhoIsHere(): void {
    for (const kind of STREAM_KINDS) {
      if (!this.lifecycle.inMeeting) return;
      this.applyStreams(this.local, this.media.track(kind), kind);
    }
    for (const participant of [...this.remote.values()]) {
      if (!this.lifecycle.inMeeting || this.remote.get(participant.id) !== participant) continue;
      this.emit("participant-joined", participant);
      this.syncRemote(participant.id);
    }
  }

  /**
   * Leaves the meeting; everyone else stays. Says goodbye on every link (naming the next host if we are
   * host), then closes our links and our broker registration. Emits `meeting-left` with reason `left`.
   * During join() it cancels the join (join() rejects with `join-cancelled`) and still ends in
   * `meeting-left`. Rejects with `not-joined` before join() was called; once left, calling it again does nothing.
   */
  leave(): Promise<void> {
    if (this.lifecycle.is("leaving", "left")) return this.leaving ?? Promise.resolve();
    if (!this.mesh || !(this.lifecycle.inMeeting || this.lifecycle.is("joining"))) {
      return Promise.reject(new MeshError("not-joined", "leave() needs a meeting that is joining or joined"));
    }
    this.leaving = this.mesh.leave();
    return this.leaving;
  }

  /**
   * Ends the meeting for everyone: every participant, us included, emits `meeting-left` with reason
   * `ended`. Only the host, or the last participant left, may: anyone else gets `not-host` and nothing
   * is sent. Rejects with `not-joined` before join() resolved.
   */
  end(): Promise<void> {
    if (this.lifecycle.is("leaving", "left")) {
      return Promise.reject(new MeshError("not-joined", "this meeting is already over for us"));
    }
    const mesh = this.mesh;
    if (!mesh || !this.lifecycle.inMeeting) {
      return Promise.reject(new MeshError("not-joined", "end() needs a joined meeting; join() has not resolved"));
    }
    if (!mesh.mayEnd) {
      return Promise.reject(
        new MeshError("not-host", `only the host (${mesh.hostId}) or the last participant left may end the meeting`),
      );
    }
    this.leaving = mesh.end();
    return this.leaving;
  }

  /**
   * Sends app data (chat, state, anything JSON can encode, up to 16 KiB encoded) to every other
   * participant, or to one with `{ to: participantId }`. Each receiver emits `message` once; order is
   * kept per sender. A participant who is reconnecting gets it when its link is back (queued, bounded:
   * see `backlog-full`). Throws `not-joined`, `invalid-argument`, `payload-too-large` or `unknown-participant`.
   */
  send(payload: JsonValue, options?: { to?: string }): void {
    const mesh = this.mesh;
    if (!mesh || !this.lifecycle.inMeeting) {
      throw new MeshError("not-joined", "send() needs a joined meeting");
    }
    let encoded: string | undefined;
    try {
      encoded = JSON.stringify(payload);
    } catch (error) {
      throw new MeshError("invalid-argument", "send() takes a JSON value", { cause: error });
    }
    if (encoded === undefined) throw new MeshError("invalid-argument", "send() takes a JSON value");
    if (encoded.length > MAX_APP_PAYLOAD) {
      throw new MeshError("payload-too-large", `payload is ${encoded.length} characters of JSON; the limit is ${MAX_APP_PAYLOAD}`);
    }
    const to = options?.to;
    if (to !== undefined && !this.remote.has(to)) {
      throw new MeshError("unknown-participant", `no participant ${JSON.stringify(to)} in this meeting`);
    }
    mesh.sendApp(JSON.parse(encoded) as JsonValue, to ?? null, encoded.length);
  }

  /**
   * Turns the microphone on (asking for it if we have none), or sends `customAudioTrack` (a MediaStream
   * with an audio track, as VideoSDK's unmuteMic takes) instead. Rejects with `not-joined`,
   * `invalid-argument` or `media-unavailable`.
   */
  async unmuteMic(customAudioTrack?: MediaStream): Promise<void> {
    this.mustBeIn("unmuteMic");
    if (customAudioTrack !== undefined) return this.changeMic(customAudioTrack);
    await this.media.unmuteMic();
    this.localMediaChanged("audio");
  }

  /** Stops sending audio; the microphone stays open, so unmuteMic() is instant. Throws `not-joined`. */
  muteMic(): void {
    this.mustBeIn("muteMic");
    this.media.muteMic();
    this.localMediaChanged("audio");
  }

  /** Mutes a microphone that is on, else unmutes it (VideoSDK's toggleMic). Rejects like unmuteMic(). */
  async toggleMic(customAudioTrack?: MediaStream): Promise<void> {
    this.mustBeIn("toggleMic");
    if (this.local.micOn) this.muteMic();
    else await this.unmuteMic(customAudioTrack);
  }

  /**
   * Turns the camera on, or sends `customVideoTrack` (a MediaStream with a video track, e.g. from
   * createCameraVideoTrack()) instead. Rejects with `not-joined`, `invalid-argument` or `media-unavailable`.
   */
  async enableWebcam(customVideoTrack?: MediaStream): Promise<void> {
    this.mustBeIn("enableWebcam");
    if (customVideoTrack !== undefined) return this.changeWebcam(customVideoTrack);
    await this.media.enableWebcam();
    this.localMediaChanged("video");
  }

  /** Stops sending video and releases the camera (its light goes off). Throws `not-joined`. */
  disableWebcam(): void {
    this.mustBeIn("disableWebcam");
    this.media.disableWebcam();
    this.localMediaChanged("video");
  }

  /** Disables a camera that is on, else enables it (VideoSDK's toggleWebcam). Rejects like enableWebcam(). */
  async toggleWebcam(customVideoTrack?: MediaStream): Promise<void> {
    this.mustBeIn("toggleWebcam");
    if (this.local.webcamOn) this.disableWebcam();
    else await this.enableWebcam(customVideoTrack);
  }

  /** The cameras (VideoSDK's getWebcams(); the shape of getCameras()). Works in any state. */
  getWebcams(): Promise<CameraDeviceInfo[]> {
    return getCameras();
  }

  /** The microphones (VideoSDK's getMics(); the shape of getMicrophones()). Works in any state. */
  getMics(): Promise<MicrophoneDeviceInfo[]> {
    return getMicrophones();
  }

  /**
   * Switches the camera mid-call (VideoSDK's changeWebcam): to the camera `deviceId`, or to the app's own
   * MediaStream. Every link swaps the track it sends (RTCRtpSender.replaceTrack: no renegotiation, the
   * others keep the same receiving track and see no event); our own `video` stream is replaced
   * (`stream-disabled` then `stream-enabled` on localParticipant). A camera that is off stays off and opens
   * that device when it turns on; a MediaStream turns it on. Rejects with `not-joined`, `invalid-argument`,
   * `unknown-device` or `media-unavailable`, changing nothing.
   */
  async changeWebcam(deviceIdOrStream: string | MediaStream): Promise<void> {
    await this.changeDevice("changeWebcam", "video", deviceIdOrStream);
  }

  /** Switches the microphone mid-call (VideoSDK's changeMic), as changeWebcam; a muted microphone stays muted. */
  async changeMic(deviceIdOrStream: string | MediaStream): Promise<void> {
    await this.changeDevice("changeMic", "audio", deviceIdOrStream);
  }

  /**
   * Shares the screen (VideoSDK's enableScreenShare): asks the browser for a screen, window or tab, or
   * sends `customTrack` (a MediaStream with a video track) instead. Everyone gets a `share` stream and
   * `presenter-changed` with our id. One presenter at a time: while someone else presents it rejects with
   * `screen-share-busy`; two shares started at the same moment are settled the same way everywhere (the
   * participant whose id sorts first keeps it; the other stops, with an `error` event `screen-share-busy`).
   * The browser's own "Stop sharing" button stops it for everyone. Rejects with `not-joined`,
   * `invalid-argument`, `media-unavailable` (refused or cancelled) or `not-supported`. Already sharing, it
   * does nothing, or with `customTrack` sends that track instead.
   */
  async enableScreenShare(customTrack?: MediaStream): Promise<void> {
    this.mustBeIn("enableScreenShare");
    const custom = customTrack === undefined ? null : shareTrackOf(customTrack);
    // Already sharing: nothing to ask the browser again (an app's own track replaces ours, below).
    if (this.media.shareOn && !custom) return;
    this.mustBeFree();
    const track = custom ?? (await captureScreen());
    // The prompt can take long: still in, and still nobody else presenting?
    try {
      this.mustBeIn("enableScreenShare");
      this.mustBeFree();
    } catch (error) {
      if (!custom) track.stop();
      throw error;
    }
    this.media.setShare(track);
    this.localMediaChanged("share");
  }

  /** Stops sharing the screen (VideoSDK's disableScreenShare); nothing when we do not share. Throws `not-joined`. */
  disableScreenShare(): void {
    this.mustBeIn("disableScreenShare");
    if (!this.media.shareOn) return;
    this.media.setShare(null);
    this.localMediaChanged("share");
  }

  /** Stops our share if we share, else starts one (VideoSDK's toggleScreenShare). Rejects like enableScreenShare(). */
  async toggleScreenShare(customTrack?: MediaStream): Promise<void> {
    this.mustBeIn("toggleScreenShare");
    if (this.media.shareOn) this.disableScreenShare();
    else await this.enableScreenShare(customTrack);
  }

  private mustBeFree(): void {
    if (this.presenter !== null && this.presenter !== this.local.id) {
      throw new MeshError("screen-share-busy", `${this.presenter} is presenting; one presenter at a time`, { participantId: this.presenter });
    }
  }

  private async changeDevice(method: string, kind: DeviceKind, source: unknown): Promise<void> {
    this.mustBeIn(method);
    let changed: boolean;
    if (typeof source === "string") {
      if (source.length === 0) throw new MeshError("invalid-argument", `${method}() takes a deviceId or a MediaStream`);
      const known = kind === "video" ? await getCameras() : await getMicrophones();
      // Ids are hidden ("") before any permission: then only opening the device can tell.
      if (known.some((d) => d.deviceId !== "") && !known.some((d) => d.deviceId === source)) {
        throw new MeshError("unknown-device", `${method}(): no ${kind === "video" ? "camera" : "microphone"} ${JSON.stringify(source)}`);
      }
      changed = await this.media.change(kind, source);
    } else {
      const stream = source as Partial<MediaStream> | null;
      const track = typeof stream?.getTracks === "function" ? stream.getTracks().find((t) => t.kind === kind && t.readyState === "live") : undefined;
      if (!track) throw new MeshError("invalid-argument", `${method}() takes a deviceId or a MediaStream with a live ${kind} track`);
      this.mustBeIn(method);
      changed = await this.media.change(kind, track);
    }
    // We may have left while the device opened: change() then stopped the new track.
    if (changed && this.lifecycle.inMeeting) this.localMediaChanged(kind);
  }

  // participant.remove(): the host's signed removal. Checked here, so that a refusal sends nothing.
  private async removeParticipant(id: string, participant: ParticipantRecord): Promise<void> {
    const mesh = this.mesh;
    if (!mesh || !this.lifecycle.inMeeting) throw new MeshError("not-joined", "remove() needs a joined meeting");
    if (!mesh.signedHost) {
      throw new MeshError("not-host", `only the host (${String(mesh.hostId)}) may remove a participant`, { participantId: id });
    }
    if (this.remote.get(id) !== participant) {
      throw new MeshError("unknown-participant", `${id} is no longer in this meeting`, { participantId: id });
    }
    await mesh.remove(id);
  }

  private mustBeIn(method: string): void {
    if (!this.lifecycle.inMeeting) {
      throw new MeshError("not-joined", `${method}() needs a joined meeting`);
    }
  }

  // Our media changed: tell the links and the others, and update our own streams.
  private localMediaChanged(kind: StreamKind): void {
    if (this.lifecycle.is("left")) this.media.stop();
    this.mesh?.mediaChanged(kind);
    this.applyStreams(this.local, this.media.track(kind), kind);
  }

  private applyStreams(participant: ParticipantRecord, track: MediaStreamTrack | null, kind: StreamKind): void {
    // While joining, streams wait: announceWhoIsHere() tells them after meeting-joined.
    if (this.lifecycle.is("joining") && track !== null) return;
    this.emitStreams(participant, participant.setStream(kind, track));
  }

  private emitStreams(participant: ParticipantRecord, changes: StreamChange[]): void {
    for (const [type, stream] of changes) this.emit(type, { participant, stream });
    if (changes.some(([, stream]) => stream.kind === "share")) this.updatePresenter();
  }

  // The presenter follows the share streams (ours and everyone's), by the rule of screen-share.ts.
  private updatePresenter(): void {
    const sharing = [this.local, ...this.remote.values()].filter((p) => p.screenShareOn).map((p) => p.id);
    const presenter = choosePresenter(sharing);
    if (this.media.shareOn && presenter !== this.local.id) {
      // Someone else's share started at the same moment as ours and won: ours stops (which comes back here).
      this.media.setShare(null);
      this.localMediaChanged("share");
      this.emit("error", new MeshError("screen-share-busy", `${presenter} started presenting at the same moment; our share stopped`, presenter ? { participantId: presenter } : undefined));
      return;
    }
    if (presenter === this.presenter) return;
    this.presenter = presenter;
    this.emit("presenter-changed", presenter);
  }

  // A remote participant's streams follow what it says it sends and what has arrived.
  private syncRemote(id: string): void {
    const participant = this.remote.get(id);
    if (participant) for (const kind of STREAM_KINDS) this.applyStreams(participant, this.remoteMedia.wanted(id, kind), kind);
  }

  // Out of the meeting: every local track stopped (camera and microphone released), every stream dropped.
  private releaseMedia(): void {
    this.media.stop();
    this.emitStreams(this.local, this.local.clearStreams());
    for (const participant of this.remote.values()) this.emitStreams(participant, participant.clearStreams());
  }

  // Closing or reloading the tab: say goodbye at once, so others see us leave rather than vanish. Firefox
  // may cut a pagehide handler off while the tab closes; unload and the visibilitychange in between get
  // another go (leaveNow() sends the goodbye once). A tab merely hidden is not leaving.
  private unloading = false;
  private readonly onPageHide = (event: Event): void => {
    if (event.type === "pagehide" || event.type === "unload") this.unloading = true;
    if (this.unloading) this.mesh?.leaveNow();
  };

  private wireMesh(mesh: Mesh): void {
    const events = mesh.events;
    events.on("member-joined", (member) => {
      const participant = new ParticipantRecord(member.id, member.name, false, (id) => this.removeParticipant(id, participant));
      const replaced = this.remote.get(member.id);
      if (replaced) this.emitStreams(replaced, replaced.clearStreams());
      this.remote.set(member.id, participant);
      // Members who were there before us are announced right after meeting-joined (announceWhoIsHere).
      if (!this.lifecycle.is("joining") && !replaced) this.emit("participant-joined", participant);
      // A newcomer gets the topics' history from the host (a reload, too: it lost what it had).
      if (!this.lifecycle.is("joining") && this.isHost) this.topics.handTo(member.id);
      this.syncRemote(member.id);
    });
    events.on("member-track", ({ id, track, streamId }) => {
      this.remoteMedia.track(id, track, streamId);
      this.syncRemote(id);
    });
    events.on("member-voice", ({ id, level }) => this.monitor.heard(id, level));
    events.on("member-media", ({ id, ...said }) => {
      this.remoteMedia.state(id, said);
      this.syncRemote(id);
    });
    events.on("member-left", ({ member, reason }) => {
      const participant = this.remote.get(member.id);
      if (!participant) return;
      this.remote.delete(member.id);
      this.monitor.forget(member.id);
      this.remoteMedia.forget(member.id);
      this.emitStreams(participant, participant.clearStreams());
      participant.leftReason = reason;
      if (!this.lifecycle.is("joining")) this.emit("participant-left", participant);
    });
    events.on("member-reconnecting", (member) => {
      const participant = this.remote.get(member.id);
      if (!participant) return;
      participant.reconnecting = true;
      if (!this.lifecycle.is("joining")) this.emit("participant-reconnecting", participant);
    });
    events.on("member-reconnected", (member) => {
      const participant = this.remote.get(member.id);
      if (!participant) return;
      participant.reconnecting = false;
      if (!this.lifecycle.is("joining")) this.emit("participant-reconnected", participant);
    });
    events.on("member-message", ({ member, payload, direct, topic }) => {
      const participant = this.remote.get(member.id);
      if (!participant) return;
      if (topic === null) this.emit("message", { participant, payload, direct });
      else this.topics.received(topic, payload, participant.id, participant.displayName, JSON.stringify(payload).length);
    });
    events.on("host-changed", ({ hostId }) => {
      if (!this.lifecycle.is("joining")) this.emit("host-changed", { hostId });
    });
    events.on("error", (error) => this.emit("error", error));
    events.on("entry-requested", ({ id, name, allow, deny }) => this.emit("entry-requested", { participantId: id, name, allow, deny }));
    events.on("entry-responded", ({ id, decision }) => this.emit("entry-responded", { participantId: id, decision }));
    events.on("closed", ({ reason }) => {
      this.monitor.stop();
      this.releaseMedia();
      // Out of the meeting, nobody is "in it" with us any more; no participant-left for each of them.
      this.remote.clear();
      // Unloading, the next unload events still say the goodbye again (see Mesh.leaveNow()).
      if (!this.unloading) for (const type of UNLOAD_EVENTS) globalThis.removeEventListener?.(type, this.onPageHide);
      this.emit("meeting-left", { reason });
    });
  }

  private listens(type: keyof MeetingEvents): boolean {
    return (this.emitter.all.get(type)?.length ?? 0) > 0;
  }

  private emit<K extends keyof MeetingEvents>(type: K, payload: MeetingEvents[K]): void {
    emitSafely(this.emitter, type, payload);
  }
}

// meeting-state-changed's `state`, in VideoSDK's names.
const CONNECTION_STATES: Readonly<Record<MeetingState, ConnectionState>> = {
  idle: "FAILED",
  joining: "CONNECTING",
  joined: "CONNECTED",
  reconnecting: "RECONNECTING",
  leaving: "CLOSING",
  left: "CLOSED",
};

// The events a closing tab gets, in the order browsers fire them.
const UNLOAD_EVENTS = ["pagehide", "visibilitychange", "unload"] as const;

/** Creates a meeting; nothing is sent until {@link Meeting.join}. Throws `invalid-id` / `invalid-argument`. */
export function initMeeting(config: MeetingConfig): Meeting {
  return new Meeting(config);
}
