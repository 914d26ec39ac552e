// Calls: camera, microphone and chat over the mesh, in real Chromium tabs with fake devices
// (--use-fake-device-for-media-stream), each participant in its own browser context.
import { readFileSync, readdirSync } from "node:fs";
import { expect, test, type MeshKit, type MeshParticipant } from "meshmeet/testing";

// heartbeatTimeout: other suites load this 2-core machine (load average 13-20 measured) while 3-4
// participants each encode their camera once per link; at the default 1.8 s, a starved page's links
// were dropped as lost (measured: 1808-1865 ms of silence).
const CALL = { micEnabled: true, webcamEnabled: true, heartbeatTimeout: 5000 };

type PageMeeting = {
  on(type: string, handler: (payload: never) => void): void;
  join(): Promise<void>;
  localParticipant: { id: string; streams: Map<string, { kind: string; track: MediaStreamTrack }> };
  participants: Map<string, { id: string; streams: Map<string, { kind: string; track: MediaStreamTrack }> }>;
};
type VideoWindow = {
  __MESHMEET_HOOK__: { current(): PageMeeting };
  __videos: Map<string, HTMLVideoElement>;
  __firstFrame: Record<string, number>;
  __joinAt: number;
  __kept: MediaStreamTrack[];
};

/**
 * Plays every remote video of the participant's meeting in a <video> of its page, as an app would, and
 * records when each one's first frame was shown (requestVideoFrameCallback, wall-clock ms).
 */
async function playRemoteVideos(p: MeshParticipant): Promise<void> {
  await p.page.evaluate(() => {
    const w = window as unknown as VideoWindow;
    const meeting = w.__MESHMEET_HOOK__.current();
    w.__videos = new Map();
    w.__firstFrame = {};
    type Payload = { participant: { id: string; local: boolean }; stream: { kind: string; track: MediaStreamTrack } };
    meeting.on("stream-enabled", ({ participant, stream }: Payload) => {
      if (participant.local || stream.kind !== "video") return;
      let video = w.__videos.get(participant.id);
      if (!video) {
        video = document.createElement("video");
        video.muted = true;
        video.playsInline = true;
        document.body.append(video);
        w.__videos.set(participant.id, video);
      }
      video.srcObject = new MediaStream([stream.track]);
      void video.play().catch(() => undefined);
      video.requestVideoFrameCallback(() => {
        w.__firstFrame[participant.id] ??= performance.timeOrigin + performance.now();
      });
    });
    meeting.on("stream-disabled", ({ participant, stream }: Payload) => {
      if (participant.local || stream.kind !== "video") return;
      w.__videos.get(participant.id)?.remove();
      w.__videos.delete(participant.id);
    });
  });
}

/** Joins, marking the moment join() was called (wall-clock ms, in the page). */
async function joinMarked(p: MeshParticipant): Promise<void> {
  const result = await p.page.evaluate(async () => {
    const w = window as unknown as VideoWindow & { __MESHMEET_HOOK__: { call(m: string, a: unknown[]): Promise<{ ok: boolean; message?: string }> } };
    w.__joinAt = performance.timeOrigin + performance.now();
    return w.__MESHMEET_HOOK__.call("join", []);
  });
  expect(result.ok, result.message).toBe(true);
}

/** Opens `n` participants with camera and microphone, plays remote videos, joins them in turn. */
async function call(mesh: MeshKit, n: number, options: Record<string, unknown> = {}): Promise<MeshParticipant[]> {
  const everyone: MeshParticipant[] = [];
  for (let i = 0; i < n; i++) {
    const p = await mesh.open({ ...CALL, ...options });
    await playRemoteVideos(p);
    await joinMarked(p);
    everyone.push(p);
  }
  // Generous: other suites share this 2-core machine, and each link here also sets up media.
  await mesh.fullMesh(everyone, 30_000);
  return everyone;
}

/** Waits until `p` shows a playing video (videoWidth > 0) of each of `ids`. */
async function seesVideosOf(p: MeshParticipant, ids: string[], timeout = 15_000): Promise<void> {
  await p.page.waitForFunction(
    (expected) => {
      const w = window as unknown as VideoWindow;
      return expected.every((id) => (w.__videos.get(id)?.videoWidth ?? 0) > 0);
    },
    ids,
    { timeout, polling: 50 },
  );
}

/** Bytes received so far on the video track `p` shows for each of `ids` (getStats inbound-rtp). */
async function videoBytes(p: MeshParticipant, ids: string[]): Promise<Record<string, number>> {
  const tracks = await p.page.evaluate((wanted) => {
    const meeting = (window as unknown as VideoWindow).__MESHMEET_HOOK__.current();
    const out: Record<string, string> = {};
    for (const id of wanted) {
      for (const s of meeting.participants.get(id)?.streams.values() ?? []) if (s.kind === "video") out[id] = s.track.id;
    }
    return out;
  }, ids);
  const rtp = await p.inboundRtp();
  const bytes: Record<string, number> = {};
  for (const id of ids) bytes[id] = rtp.find((r) => r.trackIdentifier === tracks[id])?.bytesReceived ?? 0;
  return bytes;
}

/** Every remote video `p` receives from `ids` grows (bounded poll, no sleep). */
async function videoBytesGrow(p: MeshParticipant, ids: string[]): Promise<void> {
  const before = await videoBytes(p, ids);
  await expect
    .poll(async () => {
      const now = await videoBytes(p, ids);
      return ids.filter((id) => !((now[id] ?? 0) > (before[id] ?? 0) && (before[id] ?? 0) >= 0 && (now[id] ?? 0) > 0));
    }, { timeout: 10_000, intervals: [250] })
    .toEqual([]);
}

/** Kinds of the participant's own streams, and of each remote participant's, as the page sees them. */
async function streamKinds(p: MeshParticipant): Promise<Record<string, string[]>> {
  return p.page.evaluate(() => {
    const meeting = (window as unknown as VideoWindow).__MESHMEET_HOOK__.current();
    const kinds = (streams: Map<string, { kind: string }>): string[] => [...streams.values()].map((s) => s.kind).sort();
    const out: Record<string, string[]> = { self: kinds(meeting.localParticipant.streams) };
    for (const [id, participant] of meeting.participants) out[id] = kinds(participant.streams);
    return out;
  });
}

/** Keeps a reference to every local track, to check after leaving that each one was stopped. */
async function keepLocalTracks(p: MeshParticipant): Promise<number> {
  return p.page.evaluate(() => {
    const w = window as unknown as VideoWindow;
    w.__kept = [...w.__MESHMEET_HOOK__.current().localParticipant.streams.values()].map((s) => s.track);
    return w.__kept.length;
  });
}

async function keptStates(p: MeshParticipant): Promise<string[]> {
  return p.page.evaluate(() => (window as unknown as VideoWindow).__kept.map((t) => `${t.kind}:${t.readyState}`));
}

const others = (everyone: MeshParticipant[], p: MeshParticipant): string[] => everyone.filter((x) => x !== p).map((x) => x.id);

test("three participants with camera and mic each see the other two videos playing", async ({ mesh }) => {
  const everyone = await call(mesh, 3);
  for (const p of everyone) await seesVideosOf(p, others(everyone, p));
  for (const p of everyone) {
    const kinds = await streamKinds(p);
    expect(kinds["self"]).toEqual(["audio", "video"]);
    for (const id of others(everyone, p)) expect(kinds[id], `${p.id} sees ${id}`).toEqual(["audio", "video"]);
    await videoBytesGrow(p, others(everyone, p));
  }
  // Join to first remote video frame, for the third participant.
  const third = everyone[2]!;
  const figures = await third.page.evaluate(() => {
    const w = window as unknown as VideoWindow;
    const frames = Object.values(w.__firstFrame);
    return { first: Math.min(...frames) - w.__joinAt, all: Math.max(...frames) - w.__joinAt, n: frames.length };
  });
  expect(figures.n).toBe(2);
  test.info().annotations.push({
    type: "3rd participant: join() -> first remote video frame (ms)",
    description: `${figures.first.toFixed(0)} (both remote videos: ${figures.all.toFixed(0)})`,
  });
  // One RTCPeerConnection per pair: media rides the links' own connections.
  for (const p of everyone) expect((await p.snapshot()).openPeerConnections).toBe(2);
});

test("toggling camera and mic fires stream-disabled/enabled on the others; a disabled camera is released", async ({ mesh }) => {
  const everyone = await call(mesh, 3);
  const [, toggler] = everyone as [MeshParticipant, MeshParticipant, MeshParticipant];
  const watchers = everyone.filter((p) => p !== toggler);
  for (const p of everyone) await seesVideosOf(p, others(everyone, p));
  await keepLocalTracks(toggler);

  let after = Date.now();
  expect((await toggler.call("disableWebcam")).ok).toBe(true);
  for (const p of watchers) {
    await p.waitFor("stream-disabled", { participant: { id: toggler.id }, stream: { kind: "video" } }, { after });
    expect((await streamKinds(p))[toggler.id]).toEqual(["audio"]);
  }
  await toggler.waitFor("stream-disabled", { participant: { id: toggler.id }, stream: { kind: "video" } }, { after });
  // The camera itself is released; the microphone goes on.
  expect(await keptStates(toggler)).toEqual(expect.arrayContaining(["video:ended", "audio:live"]));

  after = Date.now();
  expect((await toggler.call("enableWebcam")).ok).toBe(true);
  for (const p of watchers) {
    await p.waitFor("stream-enabled", { participant: { id: toggler.id }, stream: { kind: "video" } }, { after });
    await seesVideosOf(p, [toggler.id]);
    await videoBytesGrow(p, [toggler.id]);
  }

  after = Date.now();
  expect((await toggler.call("muteMic")).ok).toBe(true);
  for (const p of watchers) {
    await p.waitFor("stream-disabled", { participant: { id: toggler.id }, stream: { kind: "audio" } }, { after });
    expect((await streamKinds(p))[toggler.id]).toEqual(["video"]);
  }
  after = Date.now();
  expect((await toggler.call("unmuteMic")).ok).toBe(true);
  for (const p of watchers) {
    await p.waitFor("stream-enabled", { participant: { id: toggler.id }, stream: { kind: "audio" } }, { after });
    expect((await streamKinds(p))[toggler.id]).toEqual(["audio", "video"]);
  }
  // Each toggle fired exactly once on each watcher.
  for (const p of watchers) {
    const mine = (e: { payload: unknown }): boolean => (e.payload as { participant: { id: string } }).participant.id === toggler.id;
    expect((await p.events("stream-disabled")).filter(mine)).toHaveLength(2);
  }
  // Toggles need no renegotiation: still one connection per pair, and it is the same one.
  for (const p of everyone) expect((await p.snapshot()).openPeerConnections).toBe(2);
});

test("leave() stops the leaver's camera and microphone; the others drop its streams", async ({ mesh }) => {
  const everyone = await call(mesh, 3);
  const leaver = everyone[2]!;
  const stayers = everyone.filter((p) => p !== leaver);
  for (const p of everyone) await seesVideosOf(p, others(everyone, p));
  expect(await keepLocalTracks(leaver)).toBe(2);
  // Keep the stayers' participant objects for the leaver, to check their streams afterwards.
  for (const p of stayers) {
    await p.page.evaluate((id) => {
      const w = window as unknown as VideoWindow & { __leaver: unknown };
      w.__leaver = w.__MESHMEET_HOOK__.current().participants.get(id);
    }, leaver.id);
  }
  const after = Date.now();
  await leaver.leave();
  await leaver.waitFor("meeting-left", { reason: "left" });
  expect((await keptStates(leaver)).sort()).toEqual(["audio:ended", "video:ended"]);
  expect((await streamKinds(leaver))["self"]).toEqual([]);
  for (const p of stayers) {
    await p.waitFor("participant-left", { id: leaver.id, leftReason: "left" });
    for (const kind of ["audio", "video"]) {
      await p.waitFor("stream-disabled", { participant: { id: leaver.id }, stream: { kind } }, { after });
    }
    const left = await p.page.evaluate(() => {
      const w = window as unknown as VideoWindow & { __leaver: { streams: Map<string, unknown> } };
      return { streams: w.__leaver.streams.size, videos: w.__videos.size };
    });
    expect(left).toEqual({ streams: 0, videos: 1 });
    // The call goes on for the two who stayed.
    await videoBytesGrow(p, others(stayers, p));
  }
});

test("end() stops every participant's camera and microphone", async ({ mesh }) => {
  const everyone = await call(mesh, 3);
  for (const p of everyone) await seesVideosOf(p, others(everyone, p));
  for (const p of everyone) expect(await keepLocalTracks(p)).toBe(2);
  await everyone[0]!.end();
  for (const p of everyone) {
    await p.waitFor("meeting-left", { reason: "ended" });
    expect((await keptStates(p)).sort()).toEqual(["audio:ended", "video:ended"]);
    const kinds = await streamKinds(p);
    expect(kinds).toEqual({ self: [] });
    expect(await p.page.evaluate(() => (window as unknown as VideoWindow).__videos.size)).toBe(0);
  }
});

test("chat in a call reaches everyone exactly once, in order per sender", async ({ mesh }) => {
  const everyone = await call(mesh, 3);
  const COUNT = 40;
  // Everyone sends at once, as fast as it can.
  await Promise.all(
    everyone.map((p) =>
      p.page.evaluate(
        ([from, count]) => {
          const meeting = (window as unknown as { __MESHMEET_HOOK__: { current(): { send(x: unknown): void } } }).__MESHMEET_HOOK__.current();
          for (let i = 0; i < count; i++) meeting.send({ text: `message ${i} from ${from}`, from, i });
        },
        [p.id, COUNT] as const,
      ),
    ),
  );
  for (const p of everyone) {
    for (const id of others(everyone, p)) await p.waitFor("message", { participant: { id }, payload: { i: COUNT - 1 } });
    const got = (await p.events("message")).map((e) => e.payload as { participant: { id: string }; payload: { from: string; i: number }; direct: boolean });
    expect(got).toHaveLength(COUNT * 2);
    for (const id of others(everyone, p)) {
      const fromThem = got.filter((m) => m.participant.id === id);
      expect(fromThem.map((m) => m.payload.i)).toEqual([...Array(COUNT).keys()]);
      expect(fromThem.every((m) => m.payload.from === id && !m.direct)).toBe(true);
    }
  }
  // A payload over the bound is refused with a clear error, and nothing is sent.
  const big = await everyone[0]!.call("send", { text: "x".repeat(17 * 1024) });
  expect(big).toMatchObject({ ok: false, code: "payload-too-large" });
});

test("no camera and a refused microphone: join still works, with media-unavailable errors", async ({ mesh }) => {
  const [host] = await call(mesh, 1);
  // The camera is missing; the microphone works.
  const noCam = await mesh.open(CALL);
  await noCam.page.evaluate(() => {
    const devices = navigator.mediaDevices;
    const real = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (c?: MediaStreamConstraints) => {
      if (c?.video) throw new DOMException("Requested device not found", "NotFoundError");
      return real(c);
    };
  });
  await noCam.join();
  await noCam.waitFor("error", { code: "media-unavailable" });
  expect((await noCam.snapshot()).state).toBe("joined");
  expect((await streamKinds(noCam))["self"]).toEqual(["audio"]);
  await host!.waitFor("stream-enabled", { participant: { id: noCam.id }, stream: { kind: "audio" } });
  expect((await streamKinds(host!))[noCam.id]).toEqual(["audio"]);
  // Everything is refused: a participant with no media at all, who still sees and hears the others.
  const refused = await mesh.open(CALL);
  await refused.page.evaluate(() => {
    navigator.mediaDevices.getUserMedia = async () => {
      throw new DOMException("Permission denied", "NotAllowedError");
    };
  });
  await playRemoteVideos(refused);
  await refused.join();
  await mesh.fullMesh([host!, noCam, refused]);
  const errors = await refused.events("error");
  expect(errors.map((e) => (e.payload as { code: string }).code)).toEqual(["media-unavailable", "media-unavailable"]);
  expect((await streamKinds(refused))["self"]).toEqual([]);
  await seesVideosOf(refused, [host!.id]);
  expect(await refused.call("enableWebcam")).toMatchObject({ ok: false, code: "media-unavailable" });
  expect((await refused.snapshot()).state).toBe("joined");
});

/** Holds the page's getUserMedia until `answerPrompt`, as a permission prompt nobody has answered yet. */
async function promptPending(p: MeshParticipant): Promise<void> {
  await p.page.evaluate(() => {
    const w = window as unknown as { __answer: () => void; __granted: MediaStreamTrack[] };
    const devices = navigator.mediaDevices;
    const real = devices.getUserMedia.bind(devices);
    const answered = new Promise<void>((resolve) => (w.__answer = resolve));
    w.__granted = [];
    devices.getUserMedia = async (c?: MediaStreamConstraints) => {
      await answered;
      const stream = await real(c);
      w.__granted.push(...stream.getTracks());
      return stream;
    };
  });
}

/** Answers the prompt; resolves with what the tracks it granted look like once there are `count`. */
async function answerPrompt(p: MeshParticipant, count: number): Promise<string[]> {
  await p.page.evaluate(() => (window as unknown as { __answer: () => void }).__answer());
  await p.page.waitForFunction((n) => (window as unknown as { __granted: unknown[] }).__granted.length >= n, count, { timeout: 10_000 });
  return p.page.evaluate(() => (window as unknown as { __granted: MediaStreamTrack[] }).__granted.map((t) => `${t.kind}:${t.readyState}`).sort());
}

test("a permission prompt nobody answers does not hold join(); camera and mic follow once granted, or are released if we left", async ({ mesh }) => {
  const [host] = await call(mesh, 1);
  const late = await mesh.open(CALL);
  await promptPending(late);
  const joined = await late.join();
  expect(joined.ok).toBe(true);
  await mesh.fullMesh([host!, late]);
  expect((await streamKinds(late))["self"]).toEqual([]);
  // The answer comes once the call is running: the media joins it, over the links already there.
  expect(await answerPrompt(late, 2)).toEqual(["audio:live", "video:live"]);
  for (const kind of ["audio", "video"]) await host!.waitFor("stream-enabled", { participant: { id: late.id }, stream: { kind } });
  await seesVideosOf(host!, [late.id]);
  await videoBytesGrow(host!, [late.id]);
  expect((await streamKinds(late))["self"]).toEqual(["audio", "video"]);
  expect((await late.snapshot()).openPeerConnections).toBe(1);
  // Someone who leaves before answering: what the prompt grants afterwards is released at once.
  const gone = await mesh.open(CALL);
  await promptPending(gone);
  await gone.join();
  await gone.leave();
  expect(await answerPrompt(gone, 2)).toEqual(["audio:ended", "video:ended"]);
  expect((await streamKinds(gone))["self"]).toEqual([]);
});

// ---- the demo, as a person uses it --------------------------------------------------------

test.describe("demo", () => {
  test.use({
    meshApp: {
      url: "/?ice=none",
      // The demo's own form joins (with its own broker, on the page's origin); camera and mic are on by default.
      create: async (page, info) => {
        await page.setViewportSize({ width: 1440, height: 900 });
        const query = new URLSearchParams({ ice: "none", hbt: "5000", meeting: info.meetingId, name: info.name, pid: info.participantId });
        await page.goto(`/?${query}`);
        await page.getByTestId("join-button").click();
      },
    },
  });

  test("three people in a call: video grid, host badge, mic/cam state, chat, leave and end; screenshot", async ({ mesh }) => {
    const names = ["Ada Lovelace", "Grace Hopper", "Alan Turing"];
    const people: MeshParticipant[] = [];
    for (const name of names) {
      const p = await mesh.open({ name });
      await p.join();
      people.push(p);
    }
    await mesh.fullMesh(people, 30_000);
    const [ada, grace, alan] = people as [MeshParticipant, MeshParticipant, MeshParticipant];
    const tile = (p: MeshParticipant, of: MeshParticipant) => p.page.locator(`[data-testid=participant-tile][data-participant-id="${of.id}"]`);
    // Every page shows three tiles, each playing its video.
    for (const p of people) {
      await p.page.waitForFunction(
        () =>
          [...document.querySelectorAll<HTMLVideoElement>("[data-testid=participant-tile] video")].filter((v) => v.videoWidth > 0)
            .length === 3,
        undefined,
        { timeout: 20_000, polling: 100 },
      );
      await expect(tile(p, ada).getByTestId("host-badge")).toBeVisible();
      await expect(p.page.getByTestId("host-badge")).toHaveCount(2); // the tile and the people list
      await expect(tile(p, p).locator("video")).toHaveClass(/mirrored/);
    }
    // Chat.
    await grace.page.getByTestId("chat-input").fill("Can everyone see me?");
    await grace.page.getByTestId("chat-send").click();
    for (const p of [ada, alan]) await expect(p.page.getByTestId("chat-message").filter({ hasText: "Can everyone see me?" })).toHaveCount(1);
    await ada.page.getByTestId("chat-input").fill("Loud and clear, Grace.");
    await ada.page.getByTestId("chat-send").click();
    await expect(grace.page.getByTestId("chat-message").filter({ hasText: "Loud and clear" })).toHaveCount(1);
    // Alan's camera off: the others see his avatar and a crossed-out camera; back on, video again.
    await alan.page.getByTestId("toggle-cam").click();
    for (const p of [ada, grace]) {
      await expect(tile(p, alan)).toHaveAttribute("data-video", "false");
      await expect(tile(p, alan).getByTestId("cam-state")).toHaveAttribute("data-on", "false");
    }
    await alan.page.getByTestId("toggle-cam").click();
    for (const p of [ada, grace]) await expect(tile(p, alan)).toHaveAttribute("data-video", "true");
    // Grace mutes: a red mic on her tile everywhere.
    await grace.page.getByTestId("toggle-mic").click();
    for (const p of [ada, alan]) await expect(tile(p, grace).getByTestId("mic-state")).toHaveAttribute("data-on", "false");
    await expect(grace.page.getByTestId("toggle-mic")).toHaveAttribute("aria-pressed", "false");
    await ada.page.waitForFunction(
      () => [...document.querySelectorAll<HTMLVideoElement>("[data-testid=participant-tile] video")].every((v) => v.videoWidth > 0 && !v.paused),
    );
    await ada.page.screenshot({ path: "test-results/demo-three-participants.png" });
    await test.info().attach("demo-three-participants", { path: "test-results/demo-three-participants.png", contentType: "image/png" });
    // Alan's tab freezes: he stays, dimmed, with a Reconnecting badge; thawed, he is back as before.
    await alan.freeze();
    for (const p of [ada, grace]) await expect(tile(p, alan).getByTestId("reconnecting-badge")).toBeVisible({ timeout: 15_000 });
    await ada.page.screenshot({ path: "test-results/demo-reconnecting.png" });
    await test.info().attach("demo-reconnecting", { path: "test-results/demo-reconnecting.png", contentType: "image/png" });
    await alan.thaw();
    for (const p of [ada, grace]) await expect(tile(p, alan).getByTestId("reconnecting-badge")).toHaveCount(0, { timeout: 10_000 });
    // Alan leaves; Ada ends it for Grace.
    await alan.page.getByTestId("leave-button").click();
    await expect(alan.page.getByTestId("left-view")).toBeVisible();
    for (const p of [ada, grace]) await expect(p.page.getByTestId("participant-tile")).toHaveCount(2);
    await ada.page.getByTestId("end-button").click();
    await expect(grace.page.getByTestId("left-reason")).toContainText("Ada Lovelace ended the meeting");
    for (const p of people) {
      await p.waitFor("meeting-left");
      expect((await p.snapshot()).openPeerConnections).toBe(0);
    }
  });
});

// ---- figures (run on demand: MESHMEET_MEDIA_FIGURES=1 npx playwright test e2e/media.spec.ts -g figures) ----

const figures = !!process.env["MESHMEET_MEDIA_FIGURES"];
const RUNS = Number(process.env["MESHMEET_MEDIA_RUNS"] ?? 7);

test("figures: join to first remote video frame of the 3rd participant, several runs", async ({ mesh }) => {
  test.skip(!figures, "set MESHMEET_MEDIA_FIGURES=1");
  test.setTimeout(300_000);
  const runs: number[] = [];
  const allRuns: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const group: MeshParticipant[] = [];
    for (let i = 0; i < 3; i++) {
      const p = await mesh.open({ ...CALL, meetingId: `${mesh.meetingId}r${run}`, participantId: `r${run}p${i}` });
      await playRemoteVideos(p);
      await joinMarked(p);
      group.push(p);
    }
    const third = group[2]!;
    await seesVideosOf(third, [group[0]!.id, group[1]!.id]);
    await third.page.waitForFunction(() => Object.keys((window as unknown as VideoWindow).__firstFrame).length === 2);
    const f = await third.page.evaluate(() => {
      const w = window as unknown as VideoWindow;
      const frames = Object.values(w.__firstFrame);
      return { first: Math.min(...frames) - w.__joinAt, all: Math.max(...frames) - w.__joinAt };
    });
    runs.push(f.first);
    allRuns.push(f.all);
    // Where the time went, from the page's recorded events (ms after join() was called).
    const steps = await third.page.evaluate((self) => {
      type Ev = { type: string; at: number; payload: { participant?: { id: string }; stream?: { kind: string } } };
      const w = window as unknown as VideoWindow & { __MESHMEET_HOOK__: { events: Ev[] } };
      const at = (pred: (e: Ev) => boolean): number => Math.round((w.__MESHMEET_HOOK__.events.find(pred)?.at ?? NaN) - w.__joinAt);
      const video = (e: Ev): boolean => e.type === "stream-enabled" && e.payload.stream?.kind === "video";
      return {
        ownVideo: at((e) => video(e) && e.payload.participant?.id === self),
        joined: at((e) => e.type === "meeting-joined"),
        remoteVideo: at((e) => video(e) && e.payload.participant?.id !== self),
        firstFrame: Math.round(Math.min(...Object.values(w.__firstFrame)) - w.__joinAt),
      };
    }, third.id);
    console.log(`run ${run}: own camera ${steps.ownVideo} ms, first remote stream-enabled ${steps.remoteVideo} ms, joined ${steps.joined} ms, first frame ${steps.firstFrame} ms`);
    await group[0]!.end();
    for (const p of group) await p.close();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const line = `first ${runs.map((x) => x.toFixed(0)).join(", ")} (median ${median(runs).toFixed(0)}); both ${allRuns.map((x) => x.toFixed(0)).join(", ")} (median ${median(allRuns).toFixed(0)})`;
  console.log(`3rd participant join -> first remote video frame (ms): ${line}`);
  test.info().annotations.push({ type: "join -> first remote video frame, 3rd participant (ms)", description: line });
});

/** CPU ticks (utime + stime) of every process below `root`, by pid. */
function cpuTicks(root: number): Map<number, number> {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  return new Map([...ticks].filter(([pid]) => below(pid)));
}

function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

test("figures: CPU share of a 4-participant call", async ({ mesh }) => {
  test.skip(!figures, "set MESHMEET_MEDIA_FIGURES=1");
  test.setTimeout(120_000);
  const everyone = await call(mesh, 4);
  for (const p of everyone) await seesVideosOf(p, others(everyone, p));
  const SECONDS = 10;
  const HZ = 100; // USER_HZ on Linux
  const before = cpuTicks(process.pid);
  const machineBefore = machineTicks();
  const started = Date.now();
  // Measuring time, not waiting for an event: the call runs for SECONDS while we count.
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const elapsed = (Date.now() - started) / 1000;
  const afterTicks = cpuTicks(process.pid);
  const machineAfter = machineTicks();
  let used = 0;
  for (const [pid, t] of afterTicks) used += t - (before.get(pid) ?? t);
  const cores = used / HZ / elapsed;
  const machine = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
  const line = `browser processes: ${(cores * 100).toFixed(0)}% of one core = ${((cores / 2) * 100).toFixed(0)}% of the 2-core machine (${afterTicks.size} processes); whole machine busy ${(machine * 100).toFixed(0)}% over ${elapsed.toFixed(1)} s`;
  console.log(`4-participant call, camera + mic: ${line}`);
  test.info().annotations.push({ type: "CPU, 4-participant call", description: line });
  for (const p of everyone) await videoBytesGrow(p, others(everyone, p));
});

/** Height and frame rate of every remote camera each of `everyone` decodes now (getStats inbound-rtp). */
async function decodedPictures(everyone: MeshParticipant[]): Promise<{ height: number; fps: number }[]> {
  const pictures: { height: number; fps: number }[] = [];
  for (const p of everyone) {
    for (const r of await p.inboundRtp()) if (r.kind === "video") pictures.push({ height: r.frameHeight ?? 0, fps: r.framesPerSecond ?? 0 });
  }
  return pictures;
}

// Frame rates depend on how busy the machine is: the bench measures them (npm run bench, media section).
test("adaptive video: in a call of four each link carries the camera at a quarter of its size; with adaptiveVideo false the browser sends it whole", async ({ mesh }) => {
  test.setTimeout(120_000);
  const adaptive = await call(mesh, 4);
  for (const p of adaptive) await seesVideosOf(p, adaptive.filter((q) => q !== p).map((q) => q.id));
  // Three links each: every receiver gets 320x180 of the others' 640x360 cameras (video-plan.ts), or
  // less when the browser's own CPU adaptation shrinks it further on a busy machine.
  await expect
    .poll(async () => (await decodedPictures(adaptive)).filter((pic) => pic.height > 180 || pic.height === 0), { timeout: 20_000, intervals: [500] })
    .toEqual([]);
  expect(await decodedPictures(adaptive)).toHaveLength(12);
  for (const p of adaptive) await p.leave();
  const fixed = await call(mesh, 4, { adaptiveVideo: false });
  for (const p of fixed) await seesVideosOf(p, fixed.filter((q) => q !== p).map((q) => q.id));
  // The browser's own choice: the whole 640x360 picture, shrunk only when its CPU cannot keep up.
  await expect.poll(async () => Math.max(...(await decodedPictures(fixed)).map((pic) => pic.height)), { timeout: 20_000, intervals: [500] }).toBeGreaterThan(180);
  console.log(`adaptive video, call of four: fixed encoding decodes ${JSON.stringify(await decodedPictures(fixed))}`);
});
