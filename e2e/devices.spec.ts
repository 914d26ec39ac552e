// Devices and screen share, VideoSDK's calls, in real Chromium tabs: three fake cameras
// (--use-fake-device-for-media-stream=device-count=3), Chromium's fake microphones and speakers, and
// getDisplayMedia, which headless Chromium answers here with a fake 1280x720 screen
// (--use-fake-ui-for-media-stream picks it without a prompt).
import { chromiumOptions, expect, test, type MeshKit, type MeshParticipant } from "meshmeet/testing";

const base = chromiumOptions();
test.use({
  launchOptions: {
    ...base,
    args: [...base.args.filter((a) => a !== "--use-fake-device-for-media-stream"), "--use-fake-device-for-media-stream=device-count=3"],
  },
});
// Chromium's fake cameras cycle pixel formats: fake_device_0 I420, fake_device_1 Y16 (a depth camera,
// which WebRTC sends no frames of), fake_device_2 MJPEG. The other camera the tests switch to is the last.
const OTHER_CAMERA = "fake_device_2";

// As media.spec.ts: a loaded 2-core machine can starve a page with video past the default 1.8 s.
const QUIET = { heartbeatTimeout: 5000 };
const CALL = { ...QUIET, micEnabled: true, webcamEnabled: true };

type PageStream = { id: string; kind: string; track: MediaStreamTrack };
type PageParticipant = { id: string; streams: Map<string, PageStream> };
type PageMeeting = {
  localParticipant: PageParticipant;
  participants: Map<string, PageParticipant>;
  activePresenterId: string | null;
  [method: string]: unknown;
};
type Sdk = Record<string, (...args: unknown[]) => Promise<unknown>> & { Constants: { permission: Record<string, string> } };
type Win = { MeshMeet: Sdk; __MESHMEET_HOOK__: { current(): PageMeeting }; __kept?: MediaStreamTrack };

/** The id of the track `p` shows for `of`'s stream of `kind` (null: none). */
async function trackOf(p: MeshParticipant, of: string, kind: string): Promise<string | null> {
  return p.page.evaluate(
    ([id, k]) => {
      const meeting = (window as unknown as Win).__MESHMEET_HOOK__.current();
      const who = meeting.localParticipant.id === id ? meeting.localParticipant : meeting.participants.get(id);
      for (const s of who?.streams.values() ?? []) if (s.kind === k) return s.track.id;
      return null;
    },
    [of, kind] as const,
  );
}

/** Frames `p` decoded so far of the receiving track `trackId` (getStats inbound-rtp). */
async function framesOf(p: MeshParticipant, trackId: string): Promise<number> {
  return (await p.inboundRtp()).find((r) => r.trackIdentifier === trackId)?.framesDecoded ?? 0;
}

/**
 * `p` shows `of`'s `kind` stream in a playing <video>, as an app does (Chromium stops decoding a
 * received video nobody shows after a few frames), and decodes more frames of it than it had (bounded
 * poll, no sleep).
 */
async function decodes(p: MeshParticipant, of: string, kind: string): Promise<void> {
  const id = await trackOf(p, of, kind);
  expect(id, `${p.id} has a ${kind} stream of ${of}`).not.toBeNull();
  await p.page.evaluate(
    ([who, k]) => {
      const meeting = (window as unknown as Win).__MESHMEET_HOOK__.current();
      const track = [...(meeting.participants.get(who)?.streams.values() ?? [])].find((s) => s.kind === k)?.track;
      if (!track || document.querySelector(`video[data-track="${track.id}"]`)) return;
      const video = document.createElement("video");
      video.dataset["track"] = track.id;
      video.muted = true;
      video.srcObject = new MediaStream([track]);
      document.body.append(video);
      void video.play().catch(() => undefined);
    },
    [of, kind] as const,
  );
  const before = await framesOf(p, id!);
  await expect.poll(() => framesOf(p, id!), { timeout: 15_000, intervals: [250] }).toBeGreaterThan(before);
}

/** Joins `n` participants (options for each) and waits for the full mesh. */
async function meeting(mesh: MeshKit, options: Record<string, unknown>[]): Promise<MeshParticipant[]> {
  const everyone: MeshParticipant[] = [];
  for (const o of options) {
    const p = await mesh.open(o);
    await p.join();
    everyone.push(p);
  }
  await mesh.fullMesh(everyone, 30_000);
  return everyone;
}

const presenterChanges = async (p: MeshParticipant): Promise<unknown[]> => (await p.events("presenter-changed")).map((e) => e.payload);

test("device lists, permissions and createCameraVideoTrack / createMicrophoneAudioTrack open exactly the chosen device", async ({ mesh }) => {
  const p = await mesh.open();
  const seen = await p.page.evaluate(async () => {
    const sdk = (window as unknown as Win).MeshMeet;
    const err = async (call: () => Promise<unknown>): Promise<string> => {
      try {
        await call();
        return "resolved";
      } catch (e) {
        return String((e as { code?: string }).code);
      }
    };
    const { AUDIO, VIDEO, AUDIO_AND_VIDEO } = sdk.Constants.permission;
    const requested = (await sdk.requestPermission!(AUDIO_AND_VIDEO)) as Map<string, boolean>;
    const checked = (await sdk.checkPermissions!(VIDEO)) as Map<string, boolean>;
    type Info = { deviceId: string; groupId: string; kind: string; label: string };
    const cameras = (await sdk.getCameras!()) as Info[];
    const mics = (await sdk.getMicrophones!()) as Info[];
    const speakers = (await sdk.getPlaybackDevices!()) as Info[];
    const all = (await sdk.getDevices!()) as Info[];
    const wanted = cameras[2]!;
    const camera = (await sdk.createCameraVideoTrack!({ cameraId: wanted.deviceId, encoderConfig: "h180p_w320p", optimizationMode: "text" })) as MediaStream;
    const cameraTrack = camera.getVideoTracks()[0]!;
    const mic = (await sdk.createMicrophoneAudioTrack!({ microphoneId: mics[2]!.deviceId, noiseConfig: { echoCancellation: false } })) as MediaStream;
    const micTrack = mic.getAudioTracks()[0]!;
    const result = {
      permissionValues: [AUDIO, VIDEO, AUDIO_AND_VIDEO],
      requested: Object.fromEntries(requested),
      checked: Object.fromEntries(checked),
      cameras: cameras.map((c) => `${c.kind}:${c.label}`),
      mics: mics.map((c) => c.kind),
      speakers: speakers.map((c) => c.kind),
      all: all.length,
      shape: Object.keys(cameras[0]!).sort(),
      camera: { device: cameraTrack.getSettings().deviceId === wanted.deviceId, label: cameraTrack.label, width: cameraTrack.getSettings().width, hint: cameraTrack.contentHint, tracks: camera.getTracks().length },
      mic: { device: micTrack.getSettings().deviceId === mics[2]!.deviceId, echo: micTrack.getSettings().echoCancellation },
      unknownCamera: await err(() => sdk.createCameraVideoTrack!({ cameraId: "no-such-camera" })),
      unknownMic: await err(() => sdk.createMicrophoneAudioTrack!({ microphoneId: "no-such-mic" })),
      badPreset: await err(() => sdk.createCameraVideoTrack!({ encoderConfig: "h9000p" })),
      badPermission: await err(() => sdk.checkPermissions!("camera")),
      badEvent: await err(async () => (sdk.on as unknown as (t: string, h: () => void) => void)("devices", () => undefined)),
    };
    cameraTrack.stop();
    micTrack.stop();
    const handler = (): void => undefined;
    (sdk.on as unknown as (t: string, h: () => void) => void)("device-changed", handler);
    (sdk.off as unknown as (t: string, h: () => void) => void)("device-changed", handler);
    return result;
  });
  expect(seen).toMatchObject({
    permissionValues: ["audio", "video", "audio_video"],
    requested: { audio: true, video: true },
    checked: { video: true },
    cameras: ["videoinput:fake_device_0", "videoinput:fake_device_1", "videoinput:fake_device_2"],
    mics: ["audioinput", "audioinput", "audioinput"],
    speakers: ["audiooutput", "audiooutput", "audiooutput"],
    all: 9,
    shape: ["deviceId", "groupId", "kind", "label"],
    camera: { device: true, label: "fake_device_2", width: 320, hint: "text", tracks: 1 },
    mic: { device: true, echo: false },
    unknownCamera: "unknown-device",
    unknownMic: "unknown-device",
    badPreset: "invalid-argument",
    badPermission: "invalid-argument",
    badEvent: "invalid-argument",
  });
  // Meeting calls in the wrong state are refused, not half-done.
  expect(await p.call("enableScreenShare")).toMatchObject({ ok: false, code: "not-joined" });
  expect(await p.call("changeWebcam", "anything")).toMatchObject({ ok: false, code: "not-joined" });
  expect((await p.snapshot()).uncaught).toEqual([]);
});

test("screen share: everyone receives and decodes it, presenter-changed everywhere, a late joiner sees it, one presenter at a time, stop and the browser's button end it", async ({ mesh }) => {
  const [ann, bob] = await meeting(mesh, [QUIET, QUIET]) as [MeshParticipant, MeshParticipant];
  const connections = async (): Promise<number[]> => Promise.all([ann, bob].map(async (p) => (await p.snapshot()).openPeerConnections));
  expect(await connections()).toEqual([1, 1]);

  // Ann shares her (fake) screen through the browser's own getDisplayMedia.
  let after = Date.now();
  expect(await ann.call("enableScreenShare")).toMatchObject({ ok: true });
  await ann.waitFor("stream-enabled", { participant: { id: ann.id }, stream: { kind: "share" } }, { after });
  await bob.waitFor("stream-enabled", { participant: { id: ann.id }, stream: { kind: "share" } }, { after });
  for (const p of [ann, bob]) await p.waitFor("presenter-changed", ann.id, { after });
  await decodes(bob, ann.id, "share");
  // Not mistaken for a camera: Ann's camera is off.
  expect(await trackOf(bob, ann.id, "video")).toBeNull();

  // A late joiner sees the share already on.
  const cat = await mesh.open(QUIET);
  await cat.join();
  await mesh.fullMesh([ann, bob, cat], 30_000);
  await cat.waitFor("stream-enabled", { participant: { id: ann.id }, stream: { kind: "share" } });
  await cat.waitFor("presenter-changed", ann.id);
  await decodes(cat, ann.id, "share");
  expect(await cat.page.evaluate(() => (window as unknown as Win).__MESHMEET_HOOK__.current().activePresenterId)).toBe(ann.id);

  // One presenter at a time: Bob is refused while Ann presents.
  expect(await bob.call("enableScreenShare")).toMatchObject({ ok: false, code: "screen-share-busy" });

  // Ann stops: the share goes everywhere, and nobody presents.
  after = Date.now();
  expect(await ann.call("disableScreenShare")).toMatchObject({ ok: true });
  for (const p of [ann, bob, cat]) {
    await p.waitFor("stream-disabled", { participant: { id: ann.id }, stream: { kind: "share" } }, { after });
    await p.waitFor("presenter-changed", null, { after });
  }

  // Bob picks his screen first (createScreenShareVideoTrack) and shares it (toggleScreenShare), then the
  // browser's "Stop sharing" button ends his capture: Chromium fires "ended" on the track, which
  // headless Chromium has no button for, so the test fires it.
  after = Date.now();
  const picked = await bob.page.evaluate(async () => {
    const w = window as unknown as Win;
    const stream = (await w.MeshMeet.createScreenShareVideoTrack!({ encoderConfig: "h360p_30fps", optimizationMode: "detail" })) as MediaStream;
    const track = stream.getVideoTracks()[0]!;
    await (w.__MESHMEET_HOOK__.current() as unknown as { toggleScreenShare(s: MediaStream): Promise<void> }).toggleScreenShare(stream);
    return { height: track.getSettings().height, hint: track.contentHint };
  });
  expect(picked).toEqual({ height: 360, hint: "detail" });
  for (const p of [ann, cat]) await p.waitFor("stream-enabled", { participant: { id: bob.id }, stream: { kind: "share" } }, { after });
  await decodes(cat, bob.id, "share");
  await bob.page.evaluate(() => {
    const w = window as unknown as Win;
    for (const s of w.__MESHMEET_HOOK__.current().localParticipant.streams.values()) {
      if (s.kind === "share") {
        w.__kept = s.track;
        s.track.dispatchEvent(new Event("ended"));
      }
    }
  });
  for (const p of [ann, bob, cat]) {
    await p.waitFor("stream-disabled", { participant: { id: bob.id }, stream: { kind: "share" } }, { after });
    await p.waitFor("presenter-changed", null, { after });
  }
  expect(await bob.page.evaluate(() => (window as unknown as Win).__kept?.readyState)).toBe("ended");
  for (const p of [ann, bob, cat]) expect(await presenterChanges(p), p.id).toEqual(p === cat ? [ann.id, null, bob.id, null] : [ann.id, null, bob.id, null]);

  // Every share rode the links already there: no new connections, so no renegotiation of a new one.
  expect(await connections()).toEqual([2, 2]);
  for (const p of [ann, bob, cat]) expect((await p.snapshot()).uncaught).toEqual([]);
});

test("two shares started at the same moment: everyone ends up with the same one presenter", async ({ mesh }) => {
  const everyone = await meeting(mesh, [QUIET, QUIET, QUIET]);
  const [p0, p1, watcher] = everyone as [MeshParticipant, MeshParticipant, MeshParticipant];
  // Both start before either hears of the other (a canvas each, as an app's custom share track).
  const started = await Promise.all(
    [p0, p1].map((p) =>
      p.page.evaluate(async () => {
        const canvas = document.createElement("canvas");
        canvas.width = 320;
        canvas.height = 180;
        const g = canvas.getContext("2d")!;
        setInterval(() => {
          g.fillStyle = `hsl(${Date.now() % 360} 80% 50%)`;
          g.fillRect(0, 0, 320, 180);
        }, 50);
        const meeting = (window as unknown as Win).__MESHMEET_HOOK__.current() as unknown as { enableScreenShare(s: MediaStream): Promise<void> };
        try {
          await meeting.enableScreenShare(canvas.captureStream(15));
          return "ok";
        } catch (e) {
          return String((e as { code?: string }).code);
        }
      }),
    ),
  );
  // p0's id sorts first: it keeps the share everywhere; p1 stopped its own with an error event, unless
  // it already knew of p0's share when it asked (then it was refused at once).
  for (const p of everyone) {
    await expect.poll(() => p.page.evaluate(() => (window as unknown as Win).__MESHMEET_HOOK__.current().activePresenterId), { timeout: 15_000 }).toBe(p0.id);
  }
  expect(started[0]).toBe("ok");
  if (started[1] === "ok") await p1.waitFor("error", { code: "screen-share-busy", participantId: p0.id });
  else expect(started[1]).toBe("screen-share-busy");
  await decodes(watcher, p0.id, "share");
  await expect.poll(() => trackOf(watcher, p1.id, "share"), { timeout: 15_000 }).toBeNull();
  expect(await trackOf(p1, p1.id, "share")).toBeNull();
  // The presenter leaves: its share goes with it, and nobody presents.
  const after = Date.now();
  await p0.leave();
  for (const p of [p1, watcher]) {
    await p.waitFor("stream-disabled", { participant: { id: p0.id }, stream: { kind: "share" } }, { after });
    await p.waitFor("presenter-changed", null, { after });
  }
});

test("changeWebcam and changeMic swap devices mid-call without renegotiation: the other side keeps decoding the same track", async ({ mesh }) => {
  const [ann, bob] = (await meeting(mesh, [CALL, CALL])) as [MeshParticipant, MeshParticipant];
  await decodes(bob, ann.id, "video");
  const received = await trackOf(bob, ann.id, "video");
  const ids = await ann.page.evaluate(async () => {
    const meeting = (window as unknown as Win).__MESHMEET_HOOK__.current() as unknown as {
      getWebcams(): Promise<{ deviceId: string; label: string }[]>;
      getMics(): Promise<{ deviceId: string }[]>;
    };
    return { cams: await meeting.getWebcams(), mics: (await meeting.getMics()).map((m) => m.deviceId) };
  });
  expect(ids.cams.map((c) => c.label)).toEqual(["fake_device_0", "fake_device_1", OTHER_CAMERA]);
  const settings = (): Promise<{ video?: string; audio?: string; localVideo: string | null }> =>
    ann.page.evaluate(() => {
      const meeting = (window as unknown as Win).__MESHMEET_HOOK__.current();
      const out: { video?: string; audio?: string; localVideo: string | null } = { localVideo: null };
      for (const s of meeting.localParticipant.streams.values()) {
        if (s.kind === "video") {
          out.video = s.track.getSettings().deviceId;
          out.localVideo = s.track.id;
        }
        if (s.kind === "audio") out.audio = s.track.getSettings().deviceId;
      }
      return out;
    });
  const before = await settings();
  const target = ids.cams.find((c) => c.label === OTHER_CAMERA)!.deviceId;
  // Counts offers and answers from now on, on both sides: a renegotiation would make one.
  const negotiations = (p: MeshParticipant, start = false): Promise<number> =>
    p.page.evaluate((install) => {
      const w = window as unknown as { __sdp?: number };
      if (install) {
        w.__sdp = 0;
        const proto = RTCPeerConnection.prototype;
        const original = proto.setLocalDescription;
        proto.setLocalDescription = function (this: RTCPeerConnection, ...args: Parameters<typeof original>) {
          w.__sdp = (w.__sdp ?? 0) + 1;
          return original.apply(this, args);
        } as typeof original;
      }
      return w.__sdp ?? 0;
    }, start);
  for (const p of [ann, bob]) await negotiations(p, true);
  expect(target).not.toBe(before.video);

  let after = Date.now();
  expect(await ann.call("changeWebcam", target)).toMatchObject({ ok: true });
  // Ann's own video stream is replaced (the app re-renders its preview)...
  await ann.waitFor("stream-disabled", { participant: { id: ann.id }, stream: { kind: "video", id: before.localVideo } }, { after });
  await ann.waitFor("stream-enabled", { participant: { id: ann.id }, stream: { kind: "video" } }, { after });
  expect((await settings()).video).toBe(target);
  // ...while Bob keeps the same receiving track, which keeps decoding (now the other camera's frames).
  await decodes(bob, ann.id, "video");
  expect(await trackOf(bob, ann.id, "video")).toBe(received);
  expect((await bob.events("stream-disabled")).length).toBe(0);
  expect([await negotiations(ann), await negotiations(bob)]).toEqual([0, 0]);

  // The microphone too; an unknown device is refused and changes nothing.
  const mic = ids.mics.find((m) => m !== "default" && m !== before.audio)!;
  expect(await ann.call("changeMic", mic)).toMatchObject({ ok: true });
  expect((await settings()).audio).toBe(mic);
  expect(await ann.call("changeWebcam", "no-such-camera")).toMatchObject({ ok: false, code: "unknown-device" });
  expect(await ann.call("changeWebcam", 42)).toMatchObject({ ok: false, code: "invalid-argument" });
  expect(await ann.call("enableScreenShare", "my screen")).toMatchObject({ ok: false, code: "invalid-argument" });
  expect((await settings()).video).toBe(target);

  // Camera off and on (toggleWebcam): the chosen camera again.
  after = Date.now();
  expect(await ann.call("toggleWebcam")).toMatchObject({ ok: true });
  await bob.waitFor("stream-disabled", { participant: { id: ann.id }, stream: { kind: "video" } }, { after });
  expect(await ann.call("toggleWebcam")).toMatchObject({ ok: true });
  await bob.waitFor("stream-enabled", { participant: { id: ann.id }, stream: { kind: "video" } }, { after });
  expect((await settings()).video).toBe(target);
  await decodes(bob, ann.id, "video");
  expect([await negotiations(ann), await negotiations(bob)]).toEqual([0, 0]);
  // The counter does see a renegotiation: the first share adds a sender to the link.
  after = Date.now();
  expect(await ann.call("enableScreenShare")).toMatchObject({ ok: true });
  await bob.waitFor("stream-enabled", { participant: { id: ann.id }, stream: { kind: "share" } }, { after });
  expect((await negotiations(ann)) + (await negotiations(bob))).toBeGreaterThan(0);

  // Still the one RTCPeerConnection per pair each side had.
  for (const p of [ann, bob]) expect((await p.snapshot()).openPeerConnections).toBe(1);
  for (const p of [ann, bob]) expect((await p.snapshot()).uncaught).toEqual([]);
});

test.describe("custom tracks", () => {
  test.use({
    meshApp: {
      url: "/e2e/pages/blank.html",
      // As an app with a pre-join preview: a camera opened with createCameraVideoTrack is what the call sends
      // (p0: the other camera, p1: the first; one page opening a camera another page has open gets the
      // size the other asked for, which would hide what maxResolution does).
      create: async (page, info) => {
        const created = await page.evaluate(async ([options, label]) => {
          const sdk = (window as unknown as Win).MeshMeet;
          const cameras = (await sdk.getCameras!()) as { deviceId: string; label: string }[];
          const camera = (await sdk.createCameraVideoTrack!({ cameraId: cameras.find((c) => c.label === label)!.deviceId })) as MediaStream;
          (window as unknown as { __custom: MediaStream }).__custom = camera;
          try {
            (sdk.initMeeting as unknown as (o: unknown) => unknown)({ ...options, customCameraVideoTrack: camera, maxResolution: "hd" });
            return "ok";
          } catch (e) {
            return String((e as { message?: string }).message);
          }
        }, [info, info.participantId === "p0" ? OTHER_CAMERA : "fake_device_0"] as const);
        expect(created).toBe("ok");
      },
    },
  });

  test("customCameraVideoTrack is sent instead of opening the camera; maxResolution caps the camera opened later; the meeting stops it on leave", async ({ mesh }) => {
    const [ann, bob] = (await meeting(mesh, [CALL, CALL])) as [MeshParticipant, MeshParticipant];
    const own = (p: MeshParticipant) =>
      p.page.evaluate(() => {
        const w = window as unknown as Win & { __custom: MediaStream };
        const custom = w.__custom.getVideoTracks()[0]!;
        const meeting = w.__MESHMEET_HOOK__.current();
        const video = [...meeting.localParticipant.streams.values()].find((s) => s.kind === "video")?.track;
        const asked = video?.getConstraints();
        return { same: video === custom, label: video?.label, width: video?.getSettings().width, max: asked?.width, custom: custom.readyState };
      });
    expect(await own(ann)).toMatchObject({ same: true, label: OTHER_CAMERA, custom: "live" });
    await decodes(bob, ann.id, "video");
    // Off and on: the meeting opens the same camera itself, at maxResolution "hd".
    let after = Date.now();
    expect(await ann.call("disableWebcam")).toMatchObject({ ok: true });
    expect((await own(ann)).custom).toBe("ended");
    expect(await ann.call("enableWebcam")).toMatchObject({ ok: true });
    await bob.waitFor("stream-enabled", { participant: { id: ann.id }, stream: { kind: "video" } }, { after });
    expect(await own(ann)).toMatchObject({ same: false, label: OTHER_CAMERA, width: 1280, max: { ideal: 1280, max: 1280 } });
    await decodes(bob, ann.id, "video");
    // Bob's custom track is still the one he sends; leaving stops it.
    expect((await own(bob)).same).toBe(true);
    after = Date.now();
    await bob.leave();
    await bob.waitFor("meeting-left", { reason: "left" }, { after });
    expect((await own(bob)).custom).toBe("ended");
  });
});
