// Media bookkeeping without a browser: the media link message, participant streams and their
// events, what a remote participant shows, and local devices through a fake getUserMedia.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LocalMedia, ParticipantStreams, RemoteMedia, type RemoteMediaState } from "../media.js";
import { parseLink } from "../protocol.js";

class FakeTrack extends EventTarget {
  enabled = true;
  readyState: "live" | "ended" = "live";
  constructor(
    readonly kind: "audio" | "video",
    readonly id: string,
  ) {
    super();
  }
  stop(): void {
    this.readyState = "ended";
  }
  /** The device went away by itself (the only way "ended" fires). */
  unplug(): void {
    this.readyState = "ended";
    this.dispatchEvent(new Event("ended"));
  }
}
const track = (kind: "audio" | "video", id: string): MediaStreamTrack => new FakeTrack(kind, id) as unknown as MediaStreamTrack;

describe("media link message", () => {
  test("parses { t: media, mic, cam } and drops wrong types", () => {
    // A sender that predates screen share: share off, no stream ids.
    assert.deepEqual(parseLink(JSON.stringify({ v: 1, t: "media", mic: true, cam: false })), { v: 1, t: "media", mic: true, cam: false, share: false, cs: null, ss: null });
    const full = { v: 1, t: "media", mic: false, cam: true, share: true, cs: "cam-stream", ss: "share-stream" };
    assert.deepEqual(parseLink(JSON.stringify(full)), full);
    assert.equal(parseLink(JSON.stringify({ ...full, share: "yes" })), null);
    assert.equal(parseLink(JSON.stringify({ ...full, ss: 7 })), null);
    assert.equal(parseLink(JSON.stringify({ ...full, cs: "x".repeat(129) })), null);
    assert.equal(parseLink(JSON.stringify({ v: 1, t: "media", mic: "yes", cam: false })), null);
    assert.equal(parseLink(JSON.stringify({ v: 1, t: "media", mic: true })), null);
  });
});

describe("ParticipantStreams", () => {
  test("one stream per kind; enabling, replacing and clearing emit in order", () => {
    const p = new ParticipantStreams();
    const seen: string[] = [];
    p.on("stream-enabled", (s) => seen.push(`+${s.kind}:${s.id}`));
    p.on("stream-disabled", (s) => seen.push(`-${s.kind}:${s.id}`));
    p.setStream("video", track("video", "v1"));
    p.setStream("audio", track("audio", "a1"));
    assert.equal(p.webcamOn && p.micOn, true);
    p.setStream("video", track("video", "v2"));
    assert.deepEqual(p.setStream("audio", p.streams.get("a1")!.track), []); // same track: nothing
    p.clearStreams();
    assert.deepEqual(seen, ["+video:v1", "+audio:a1", "-video:v1", "+video:v2", "-audio:a1", "-video:v2"]);
    assert.equal(p.streams.size, 0);
    assert.equal(p.micOn || p.webcamOn, false);
  });

  test("a throwing handler does not stop the bookkeeping", () => {
    const p = new ParticipantStreams();
    const original = globalThis.setTimeout;
    let rethrown = 0;
    globalThis.setTimeout = ((fn: () => void) => {
      rethrown++;
      return 0;
    }) as typeof setTimeout;
    try {
      p.on("stream-enabled", () => {
        throw new Error("app bug");
      });
      p.setStream("audio", track("audio", "a"));
    } finally {
      globalThis.setTimeout = original;
    }
    assert.equal(rethrown, 1);
    assert.equal(p.micOn, true);
  });
});

const said = (s: Partial<RemoteMediaState>): RemoteMediaState => ({ mic: false, cam: false, share: false, cs: null, ss: null, ...s });

describe("RemoteMedia", () => {
  test("a stream shows once the sender says it is on and its track has arrived, in either order", () => {
    const r = new RemoteMedia();
    const video = track("video", "rv");
    r.track("bob", video);
    assert.equal(r.wanted("bob", "video"), null);
    r.state("bob", said({ cam: true }));
    assert.equal(r.wanted("bob", "video"), video);
    assert.equal(r.wanted("bob", "audio"), null);
    r.state("ann", said({ mic: true }));
    assert.equal(r.wanted("ann", "audio"), null);
    const audio = track("audio", "ra");
    r.track("ann", audio);
    assert.equal(r.wanted("ann", "audio"), audio);
    (video as unknown as FakeTrack).stop();
    assert.equal(r.wanted("bob", "video"), null);
    r.forget("ann");
    assert.equal(r.wanted("ann", "audio"), null);
  });
});

describe("LocalMedia", () => {
  const devices = (fail: { audio?: string; video?: string } = {}) => {
    const calls: string[] = [];
    let n = 0;
    const gum = async (c: MediaStreamConstraints): Promise<MediaStream> => {
      calls.push(`${c.audio ? "a" : ""}${c.video ? "v" : ""}`);
      if (c.audio && fail.audio) throw Object.assign(new Error("no"), { name: fail.audio });
      if (c.video && fail.video) throw Object.assign(new Error("no"), { name: fail.video });
      const tracks = [...(c.audio ? [track("audio", `a${++n}`)] : []), ...(c.video ? [track("video", `v${++n}`)] : [])];
      return { getTracks: () => tracks } as unknown as MediaStream;
    };
    return { gum, calls };
  };

  test("one request for both; mute keeps the mic open, camera off releases it; stop ends everything", async () => {
    const { gum, calls } = devices();
    const media = new LocalMedia(gum);
    assert.deepEqual(await media.start(true, true), []);
    assert.deepEqual(calls, ["av"]);
    const mic = media.mic!;
    const cam = media.cam!;
    media.muteMic();
    assert.equal(media.track("audio"), null);
    assert.equal(mic.readyState, "live");
    await media.unmuteMic();
    assert.equal(media.track("audio"), mic);
    media.disableWebcam();
    assert.equal(cam.readyState, "ended");
    await media.enableWebcam();
    assert.notEqual(media.track("video"), null);
    const cam2 = media.cam!;
    media.stop();
    assert.deepEqual([mic.readyState, cam2.readyState], ["ended", "ended"]);
    assert.equal(media.track("audio") ?? media.track("video"), null);
  });

  test("a missing camera costs only the camera; a refused one rejects enableWebcam with media-unavailable", async () => {
    const { gum, calls } = devices({ video: "NotFoundError" });
    const media = new LocalMedia(gum);
    const errors = await media.start(true, true);
    assert.deepEqual(calls, ["av", "a", "v"]);
    assert.deepEqual(errors.map((e) => e.code), ["media-unavailable"]);
    assert.match(errors[0]!.message, /camera.*NotFoundError/);
    assert.notEqual(media.track("audio"), null);
    await assert.rejects(media.enableWebcam(), { code: "media-unavailable" });
  });

  /** getUserMedia that answers only when told: a permission prompt nobody has answered yet. */
  const prompt = () => {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    const { gum } = devices();
    return { gum: async (c: MediaStreamConstraints) => (await answered, gum(c)), answer };
  };

  test("a late answer: untouched kinds are adopted, a kind the app toggled meanwhile keeps the toggle", async () => {
    const { gum, answer } = prompt();
    const media = new LocalMedia(gum);
    const started = media.start(true, true);
    media.disableWebcam(); // the app turned the camera off while the prompt was open
    answer();
    assert.deepEqual(await started, []);
    assert.notEqual(media.track("audio"), null);
    assert.equal(media.track("video"), null);
    assert.equal(media.cam, null);
  });

  test("a late answer after stop(): every track it brings is stopped at once", async () => {
    const { gum, answer } = prompt();
    let late: MediaStreamTrack[] = [];
    const media = new LocalMedia(async (c) => {
      const stream = await gum(c);
      late = stream.getTracks();
      return stream;
    });
    const started = media.start(true, true);
    media.stop(); // we left while the prompt was open
    answer();
    await started;
    assert.deepEqual(late.map((t) => `${t.kind}:${t.readyState}`), ["audio:ended", "video:ended"]);
    assert.equal(media.track("audio") ?? media.track("video"), null);
  });

  test("no getUserMedia at all: media-unavailable for each; a device that stops by itself is reported", async () => {
    const none = new LocalMedia(null);
    assert.deepEqual((await none.start(true, true)).map((e) => e.code), ["media-unavailable", "media-unavailable"]);
    const media = new LocalMedia(devices().gum);
    const ended: string[] = [];
    media.onEnded = (kind, error) => ended.push(`${kind}:${error.code}`);
    await media.start(false, true);
    (media.cam as unknown as FakeTrack).unplug();
    assert.deepEqual(ended, ["video:media-unavailable"]);
    assert.equal(media.track("video"), null);
  });
});
