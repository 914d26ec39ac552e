// Devices and screen share without a browser: capture constraints from VideoSDK's options, the
// presenter rule, camera vs share tracks of a remote participant, and switching devices and custom
// tracks through a fake getUserMedia.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cameraConstraints, captureError, encoderSize, microphoneConstraints } from "../capture.js";
import { LocalMedia, ParticipantStreams, RemoteMedia, type RemoteMediaState } from "../media.js";
import { captureScreen, choosePresenter, createScreenShareVideoTrack, shareTrackOf } from "../screen-share.js";

class FakeTrack extends EventTarget {
  enabled = true;
  readyState: "live" | "ended" = "live";
  constructor(
    readonly kind: "audio" | "video",
    readonly id: string,
    private readonly deviceId: string | undefined = undefined,
  ) {
    super();
  }
  getSettings(): MediaTrackSettings {
    return this.deviceId ? { deviceId: this.deviceId } : {};
  }
  stop(): void {
    this.readyState = "ended";
  }
  /** What the browser's "Stop sharing" button (or an unplugged device) does. */
  end(): void {
    this.readyState = "ended";
    this.dispatchEvent(new Event("ended"));
  }
}
const track = (kind: "audio" | "video", id: string, deviceId?: string): MediaStreamTrack =>
  new FakeTrack(kind, id, deviceId) as unknown as MediaStreamTrack;
const said = (s: Partial<RemoteMediaState>): RemoteMediaState => ({ mic: false, cam: false, share: false, cs: null, ss: null, ...s });

describe("capture constraints", () => {
  test("a chosen device is asked for exactly; the default size stays 640x360", () => {
    assert.deepEqual(cameraConstraints({}).width, { ideal: 640 });
    assert.deepEqual(cameraConstraints({ deviceId: "cam-2" }).deviceId, { exact: "cam-2" });
    assert.equal(cameraConstraints({ deviceId: null }).deviceId, undefined);
    assert.deepEqual(microphoneConstraints({ deviceId: "mic-1" }), { deviceId: { exact: "mic-1" } });
    assert.equal(microphoneConstraints({}), true);
  });

  test("maxResolution caps the size: sd keeps 640x360 under 640x480, hd asks for 1280x720", () => {
    const sd = cameraConstraints({ maxResolution: "sd" });
    assert.deepEqual([sd.width, sd.height], [{ ideal: 640, max: 640 }, { ideal: 360, max: 480 }]);
    const hd = cameraConstraints({ maxResolution: "hd" });
    assert.deepEqual([hd.width, hd.height], [{ ideal: 1280, max: 1280 }, { ideal: 720, max: 720 }]);
    const capped = cameraConstraints({ maxResolution: "sd", encoderConfig: "h1080p_w1920p" });
    assert.deepEqual([capped.width, capped.height], [{ ideal: 640, max: 640 }, { ideal: 480, max: 480 }]);
  });

  test("VideoSDK's presets and facing modes; anything else is invalid-argument", () => {
    assert.deepEqual(encoderSize("h540p_w960p"), { width: 960, height: 540, frameRate: 25 });
    assert.deepEqual(encoderSize("h180p_w320p"), { width: 320, height: 180, frameRate: 15 });
    assert.equal(encoderSize("720p"), null);
    assert.equal(cameraConstraints({ facingMode: "front" }).facingMode, "user");
    assert.throws(() => cameraConstraints({ encoderConfig: "huge" }), { code: "invalid-argument" });
    assert.throws(() => cameraConstraints({ facingMode: "back" }), { code: "invalid-argument" });
    assert.deepEqual(microphoneConstraints({ encoderConfig: "high_quality_stereo", noiseConfig: { echoCancellation: false } }), {
      echoCancellation: false,
      channelCount: { ideal: 2 },
    });
    assert.throws(() => microphoneConstraints({ encoderConfig: "loud" }), { code: "invalid-argument" });
  });

  test("a chosen device that is not there is unknown-device; other failures media-unavailable", () => {
    const over = Object.assign(new Error("deviceId"), { name: "OverconstrainedError" });
    assert.equal(captureError("camera", over, "gone").code, "unknown-device");
    assert.equal(captureError("camera", over).code, "media-unavailable");
    assert.equal(captureError("camera", Object.assign(new Error("no"), { name: "NotAllowedError" }), "cam").code, "media-unavailable");
  });
});

describe("presenter rule", () => {
  test("nobody, one, or the id that sorts first when two shares overlap", () => {
    assert.equal(choosePresenter([]), null);
    assert.equal(choosePresenter(["bob"]), "bob");
    assert.equal(choosePresenter(["cat", "ann", "bob"]), "ann");
  });

  test("enableScreenShare(customTrack) needs a live video track", () => {
    const live = track("video", "s");
    const stream = (tracks: MediaStreamTrack[]) => ({ getVideoTracks: () => tracks }) as unknown as MediaStream;
    assert.equal(shareTrackOf(stream([live])), live);
    assert.throws(() => shareTrackOf(stream([])), { code: "invalid-argument" });
    assert.throws(() => shareTrackOf("screen"), { code: "invalid-argument" });
    live.stop();
    assert.throws(() => shareTrackOf(stream([live])), { code: "invalid-argument" });
  });
});

describe("screen capture", () => {
  const display = (fail?: string) => {
    const asked: DisplayMediaStreamOptions[] = [];
    const extra = track("audio", "tab-audio");
    const gdm = async (o: DisplayMediaStreamOptions): Promise<MediaStream> => {
      asked.push(o);
      if (fail) throw Object.assign(new Error("no"), { name: fail });
      const video = Object.assign(track("video", "screen"), { contentHint: "" });
      return { getVideoTracks: () => [video], getAudioTracks: () => [extra], getTracks: () => [video, extra] } as unknown as MediaStream;
    };
    return { gdm, asked, extra };
  };

  test("createScreenShareVideoTrack: VideoSDK's presets become height and frame rate; bad options are invalid-argument", async () => {
    const { gdm, asked } = display();
    const stream = await createScreenShareVideoTrack({ encoderConfig: "h1080p_30fps", optimizationMode: "text", withAudio: "enable" }, gdm);
    assert.deepEqual(asked[0], { video: { height: { ideal: 1080, max: 1080 }, frameRate: { ideal: 30, max: 30 } }, audio: true });
    assert.equal(stream.getVideoTracks()[0]!.contentHint, "text");
    await createScreenShareVideoTrack({}, gdm);
    assert.deepEqual(asked[1]!.video, { height: { ideal: 720, max: 720 }, frameRate: { ideal: 15, max: 15 } });
    await assert.rejects(createScreenShareVideoTrack({ encoderConfig: "__proto__" as never }, gdm), { code: "invalid-argument" });
    await assert.rejects(createScreenShareVideoTrack({ withAudio: "yes" as never }, gdm), { code: "invalid-argument" });
    await assert.rejects(createScreenShareVideoTrack({}, null), { code: "not-supported" });
  });

  test("captureScreen keeps the video only; a cancelled picker is media-unavailable", async () => {
    const { gdm, extra } = display();
    assert.equal((await captureScreen(gdm)).kind, "video");
    assert.equal(extra.readyState, "ended");
    await assert.rejects(captureScreen(display("NotAllowedError").gdm), { code: "media-unavailable" });
    await assert.rejects(captureScreen(null), { code: "not-supported" });
  });
});

describe("RemoteMedia: camera and share are both video", () => {
  test("each is told apart by the stream it rides in, whatever arrives first", () => {
    const r = new RemoteMedia();
    const screen = track("video", "screen");
    const cam = track("video", "cam");
    // The share's track arrives before anything is said: shown as nothing.
    r.track("bob", screen, "S");
    assert.equal(r.wanted("bob", "video"), null);
    r.state("bob", said({ cam: true, share: true, cs: "C", ss: "S" }));
    assert.equal(r.wanted("bob", "share"), screen);
    assert.equal(r.wanted("bob", "video"), null); // the camera's track is still on its way
    r.track("bob", cam, "C");
    assert.equal(r.wanted("bob", "video"), cam);
    r.state("bob", said({ cam: true, share: false, cs: "C", ss: "S" }));
    assert.equal(r.wanted("bob", "share"), null);
    assert.equal(r.wanted("bob", "video"), cam);
  });

  test("a sender that names no streams (before screen share) has its video shown as the camera", () => {
    const r = new RemoteMedia();
    const video = track("video", "v");
    r.track("old", video, "X");
    r.state("old", said({ cam: true }));
    assert.equal(r.wanted("old", "video"), video);
    assert.equal(r.wanted("old", "share"), null);
  });

  test("a participant's share is a stream of kind share", () => {
    const p = new ParticipantStreams();
    const kinds: string[] = [];
    p.on("stream-enabled", (s) => kinds.push(s.kind));
    p.setStream("share", track("video", "s1"));
    assert.deepEqual([p.screenShareOn, p.webcamOn, kinds], [true, false, ["share"]]);
    p.setViewPort(320, 180); // a hint, accepted and ignored
  });
});

describe("LocalMedia: devices, custom tracks and the share", () => {
  const devices = (present: string[] = ["cam-1", "cam-2", "mic-1", "mic-2"]) => {
    const asked: MediaStreamConstraints[] = [];
    let n = 0;
    const gum = async (c: MediaStreamConstraints): Promise<MediaStream> => {
      asked.push(c);
      const pick = (kind: "audio" | "video", constraints: boolean | MediaTrackConstraints | undefined): MediaStreamTrack[] => {
        if (!constraints) return [];
        const exact = typeof constraints === "object" ? (constraints.deviceId as { exact?: string } | undefined)?.exact : undefined;
        if (exact && !present.includes(exact)) throw Object.assign(new Error("deviceId"), { name: "OverconstrainedError" });
        return [track(kind, `${kind}${++n}`, exact ?? (kind === "audio" ? "mic-1" : "cam-1"))];
      };
      const tracks = [...pick("audio", c.audio), ...pick("video", c.video)];
      return { getTracks: () => tracks } as unknown as MediaStream;
    };
    return { gum, asked };
  };

  test("changing an open camera opens exactly that device and stops the old one", async () => {
    const { gum, asked } = devices();
    const media = new LocalMedia(gum, { maxResolution: "sd" });
    await media.start(false, true);
    const first = media.cam!;
    assert.equal(await media.change("video", "cam-2"), true);
    assert.deepEqual((asked[1]!.video as MediaTrackConstraints).deviceId, { exact: "cam-2" });
    assert.deepEqual((asked[1]!.video as MediaTrackConstraints).width, { ideal: 640, max: 640 });
    assert.equal(first.readyState, "ended");
    assert.equal(media.track("video")?.getSettings().deviceId, "cam-2");
    assert.equal(media.device("video"), "cam-2");
  });

  test("an unknown device rejects with unknown-device and changes nothing", async () => {
    const { gum } = devices();
    const media = new LocalMedia(gum);
    await media.start(true, false);
    const mic = media.mic!;
    await assert.rejects(media.change("audio", "mic-9"), { code: "unknown-device" });
    assert.equal(media.track("audio"), mic);
    assert.equal(mic.readyState, "live");
    assert.equal(media.device("audio"), "mic-1");
  });

  test("a camera that is off stays off and opens the chosen device when enabled; a muted mic stays muted", async () => {
    const { gum, asked } = devices();
    const media = new LocalMedia(gum);
    assert.equal(await media.change("video", "cam-2"), false);
    assert.equal(asked.length, 0);
    await media.enableWebcam();
    assert.equal(media.cam?.getSettings().deviceId, "cam-2");
    await media.start(true, false);
    media.muteMic();
    await media.change("audio", "mic-2");
    assert.equal(media.track("audio"), null);
    assert.equal(media.mic?.enabled, false);
    assert.equal(media.mic?.getSettings().deviceId, "mic-2");
  });

  test("custom tracks are sent instead of opening devices, and owned: stopped when replaced and on stop()", async () => {
    const { gum, asked } = devices();
    const custom = track("video", "custom", "cam-2");
    const media = new LocalMedia(gum, { customTracks: { video: custom } });
    assert.deepEqual(await media.start(true, true), []);
    assert.deepEqual(asked.map((c) => [Boolean(c.audio), Boolean(c.video)]), [[true, false]]);
    assert.equal(media.track("video"), custom);
    // Off and on again: the camera it came from, opened by the meeting.
    media.disableWebcam();
    assert.equal(custom.readyState, "ended");
    await media.enableWebcam();
    assert.equal(media.cam?.getSettings().deviceId, "cam-2");
    const mine = track("video", "app");
    await media.change("video", mine);
    assert.equal(media.track("video"), mine);
    media.stop();
    assert.equal(mine.readyState, "ended");
  });

  test("the share: one track, replaced or ended by the browser's button", () => {
    const media = new LocalMedia(devices().gum);
    let ended = 0;
    media.onShareEnded = () => ended++;
    const first = track("video", "s1");
    media.setShare(first);
    assert.equal(media.track("share"), first);
    const second = track("video", "s2");
    media.setShare(second);
    assert.equal(first.readyState, "ended");
    (first as unknown as FakeTrack).end(); // a stale track's end changes nothing
    assert.equal(ended, 0);
    (second as unknown as FakeTrack).end();
    assert.deepEqual([ended, media.shareOn, media.track("share")], [1, false, null]);
    media.setShare(track("video", "s3"));
    media.stop();
    assert.equal(media.shareOn, false);
  });
});

describe("SDK-level calls (a fake navigator.mediaDevices)", () => {
  type Fake = { mediaDevices: EventTarget; permissions?: { query(d: { name: string }): Promise<{ state: string }> } };
  const install = (missing: ("audio" | "video")[] = [], refuse = false) => {
    const asked: MediaStreamConstraints[] = [];
    const stopped: string[] = [];
    const mediaDevices = Object.assign(new EventTarget(), {
      enumerateDevices: async () => [
        { deviceId: "cam-1", groupId: "g1", kind: "videoinput", label: "Camera" },
        { deviceId: "mic-1", groupId: "g1", kind: "audioinput", label: "Mic" },
        { deviceId: "spk-1", groupId: "g2", kind: "audiooutput", label: "Speaker" },
      ],
      getUserMedia: async (c: MediaStreamConstraints) => {
        asked.push(c);
        if (refuse) throw Object.assign(new Error("denied"), { name: "NotAllowedError" });
        for (const kind of ["audio", "video"] as const) {
          if (c[kind] && missing.includes(kind)) throw Object.assign(new Error("none"), { name: "NotFoundError" });
        }
        const exact = (k: "audio" | "video") => ((c[k] as MediaTrackConstraints | undefined)?.deviceId as { exact?: string } | undefined)?.exact;
        for (const kind of ["audio", "video"] as const) {
          const id = exact(kind);
          if (id && id !== "cam-1" && id !== "mic-1") throw Object.assign(new Error("deviceId"), { name: "OverconstrainedError" });
        }
        const tracks = (["audio", "video"] as const)
          .filter((k) => c[k])
          .map((k) => Object.assign(track(k, `${k}-track`), { stop: () => stopped.push(k), contentHint: "" }));
        return { getTracks: () => tracks, getVideoTracks: () => tracks.filter((t) => t.kind === "video") } as unknown as MediaStream;
      },
    });
    const fake: Fake = { mediaDevices, permissions: { query: async ({ name }) => ({ state: name === "camera" ? "granted" : "prompt" }) } };
    Object.defineProperty(globalThis, "navigator", { value: fake, configurable: true });
    return { asked, stopped, mediaDevices };
  };
  const uninstall = () => Reflect.deleteProperty(globalThis, "navigator");

  test("device lists are plain VideoSDK DeviceInfo objects, by kind", async () => {
    const sdk = await import("../devices.js");
    install();
    try {
      assert.deepEqual(await sdk.getCameras(), [{ deviceId: "cam-1", groupId: "g1", kind: "videoinput", label: "Camera" }]);
      assert.deepEqual((await sdk.getMicrophones()).map((d) => d.deviceId), ["mic-1"]);
      assert.deepEqual((await sdk.getPlaybackDevices()).map((d) => d.deviceId), ["spk-1"]);
      assert.equal((await sdk.getDevices()).length, 3);
    } finally {
      uninstall();
    }
  });

  test("checkPermissions and requestPermission answer Maps keyed audio / video", async () => {
    const { Constants, checkPermissions, requestPermission } = await import("../devices.js");
    const { stopped } = install(["video"]);
    try {
      assert.deepEqual([...(await checkPermissions())], [["audio", false], ["video", true]]);
      assert.deepEqual([...(await checkPermissions(Constants.permission.VIDEO))], [["video", true]]);
      // No camera: the microphone is still granted; the camera answers false; what was opened is stopped.
      assert.deepEqual([...(await requestPermission(Constants.permission.AUDIO_AND_VIDEO))], [["audio", true], ["video", false]]);
      assert.deepEqual(stopped, ["audio"]);
      // Asked only for what is missing: VideoSDK throws "when matching media is not available".
      await assert.rejects(requestPermission(Constants.permission.VIDEO), { code: "media-unavailable" });
      await assert.rejects(checkPermissions("camera" as never), { code: "invalid-argument" });
    } finally {
      uninstall();
    }
    install([], true);
    try {
      assert.deepEqual([...(await requestPermission())], [["audio", false], ["video", false]]);
    } finally {
      uninstall();
    }
  });

  test("createCameraVideoTrack asks for exactly the camera; an unknown one is unknown-device", async () => {
    const { createCameraVideoTrack, createMicrophoneAudioTrack } = await import("../devices.js");
    const { asked } = install();
    try {
      const stream = await createCameraVideoTrack({ cameraId: "cam-1", encoderConfig: "h540p_w960p", optimizationMode: "detail", multiStream: false });
      const video = asked[0]!.video as MediaTrackConstraints;
      assert.deepEqual([video.deviceId, video.width, asked[0]!.audio], [{ exact: "cam-1" }, { ideal: 960 }, false]);
      assert.equal(stream.getVideoTracks()[0]!.contentHint, "detail");
      await assert.rejects(createCameraVideoTrack({ cameraId: "cam-9" }), { code: "unknown-device" });
      await assert.rejects(createCameraVideoTrack({ optimizationMode: "speed" as never }), { code: "invalid-argument" });
      await assert.rejects(createMicrophoneAudioTrack({ microphoneId: "mic-9" }), { code: "unknown-device" });
      await createMicrophoneAudioTrack({ microphoneId: "mic-1", noiseConfig: { noiseSuppression: false } });
      assert.deepEqual(asked.at(-1)!.audio, { deviceId: { exact: "mic-1" }, noiseSuppression: false });
    } finally {
      uninstall();
    }
  });

  test("device-changed: every device, to every handler, while anyone listens", async () => {
    const { on, off } = await import("../devices.js");
    const { mediaDevices } = install();
    try {
      const got: number[] = [];
      const handler = (devices: unknown[]) => got.push(devices.length);
      on("device-changed", handler);
      mediaDevices.dispatchEvent(new Event("devicechange"));
      await new Promise((resolve) => setTimeout(resolve, 0));
      assert.deepEqual(got, [3]);
      off("device-changed", handler);
      mediaDevices.dispatchEvent(new Event("devicechange"));
      await new Promise((resolve) => setTimeout(resolve, 0));
      assert.deepEqual(got, [3]);
      assert.throws(() => on("devices" as never, handler), { code: "invalid-argument" });
    } finally {
      uninstall();
    }
  });
});
