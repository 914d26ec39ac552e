// The stage: one video tile per participant, kept by participant id so that redrawing never restarts
// a playing video. Each tile shows the camera (ours muted and mirrored) or an avatar when the camera is
// off, the name, the host badge and mic/camera indicators; remote audio plays from a hidden <audio>.
// The badges sit in the top corner, apart from the name, so that on a narrow tile they never squeeze it.
import type { Meeting, Participant, Stream } from "../lib/index.js";
import { el, hueFor, initials } from "./dom.js";
import { everyone } from "./roster.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/** Small line icons (24x24), drawn with currentColor. */
const ICONS = {
  mic: "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3",
  micOff: "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3M4 4l16 16",
  cam: "M3 7h12v10H3zM15 10l6-3v10l-6-3",
  camOff: "M3 7h12v10H3zM15 10l6-3v10l-6-3M3 3l18 18",
} as const;

export type IconName = keyof typeof ICONS;

export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

/** Mic and camera state as two small icons, with words for screen readers. */
export function mediaIndicators(p: Participant): HTMLElement {
  const mic = el("span", {
    className: `indicator ${p.micOn ? "on" : "off"}`,
    testid: "mic-state",
    attrs: { "data-on": String(p.micOn), title: p.micOn ? "Microphone on" : "Muted", role: "img", "aria-label": p.micOn ? "Microphone on" : "Muted" },
  });
  mic.append(icon(p.micOn ? "mic" : "micOff"));
  const cam = el("span", {
    className: `indicator ${p.webcamOn ? "on" : "off"}`,
    testid: "cam-state",
    attrs: { "data-on": String(p.webcamOn), title: p.webcamOn ? "Camera on" : "Camera off", role: "img", "aria-label": p.webcamOn ? "Camera on" : "Camera off" },
  });
  cam.append(icon(p.webcamOn ? "cam" : "camOff"));
  return el("span", { className: "indicators" }, mic, cam);
}

function streamOf(p: Participant, kind: Stream["kind"]): Stream | null {
  for (const stream of p.streams.values()) if (stream.kind === kind) return stream;
  return null;
}

interface Tile {
  root: HTMLElement;
  video: HTMLVideoElement;
  audio: HTMLAudioElement | null;
  avatar: HTMLElement;
  tags: HTMLElement;
  caption: HTMLElement;
  videoTrack: MediaStreamTrack | null;
  audioTrack: MediaStreamTrack | null;
  // What the tags and caption show now: redrawn only when it changes (a tile is rendered again on
  // every speaker and quality change, and a name element replaced each second helps nobody).
  shown: string;
}

export class Stage {
  private readonly tiles = new Map<string, Tile>();
  private readonly shares = new Map<string, Tile>();

  constructor(private readonly root: HTMLElement) {}

  /** Brings the tiles in line with the meeting: who is there, their streams, host and media state. */
  render(meeting: Meeting): void {
    const people = everyone(meeting);
    const present = new Set(people.map((p) => p.id));
    for (const [id, tile] of this.tiles) {
      if (present.has(id)) continue;
      this.drop(tile);
      this.tiles.delete(id);
    }
    const ordered: HTMLElement[] = [];
    for (const p of people) {
      let tile = this.tiles.get(p.id);
      if (!tile) {
        tile = this.create(p);
        this.tiles.set(p.id, tile);
      }
      this.update(tile, p, p.id === meeting.hostId);
      // The active speaker's tile is outlined (speaker-changed).
      tile.root.dataset.speaking = String(p.id === meeting.activeSpeakerId);
      ordered.push(tile.root);
    }
    for (const [id, tile] of this.shares) {
      if (present.has(id)) continue;
      this.drop(tile);
      this.shares.delete(id);
    }
    // A shared screen gets a tile of its own, first: it is what people look at.
    for (const p of people) {
      const share = streamOf(p, "share")?.track ?? null;
      let tile = this.shares.get(p.id);
      if (!share) {
        if (tile) this.drop(tile);
        this.shares.delete(p.id);
        continue;
      }
      if (!tile) {
        tile = this.createShare(p);
        this.shares.set(p.id, tile);
      }
      if (tile.videoTrack !== share) {
        tile.videoTrack = share;
        tile.video.srcObject = new MediaStream([share]);
        void tile.video.play().catch(() => undefined);
      }
      ordered.unshift(tile.root);
    }
    // Reorder only when needed: moving a playing <video> in the DOM pauses it in some browsers.
    const current = [...this.root.children];
    if (current.length !== ordered.length || ordered.some((node, i) => current[i] !== node)) {
      this.root.replaceChildren(...ordered);
    }
    this.root.dataset.count = String(ordered.length);
  }

  /** Drops every tile and stops playing (the tracks themselves belong to the library). */
  clear(): void {
    for (const tile of [...this.tiles.values(), ...this.shares.values()]) this.drop(tile);
    this.tiles.clear();
    this.shares.clear();
    this.root.replaceChildren();
  }

  private createShare(p: Participant): Tile {
    const video = el("video", { className: "tile-video", testid: "share-video" });
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    const tags = el("div", { className: "tile-tags" });
    const caption = el("figcaption", { className: "tile-caption" }, el("span", { className: "tile-name", text: p.local ? "Your screen" : `${p.displayName}'s screen` }));
    const avatar = el("span", { className: "avatar avatar-large" });
    const root = el("figure", { className: "tile tile-share", testid: "share-tile", attrs: { "data-participant-id": p.id } }, video, tags, caption);
    return { root, video, audio: null, avatar, tags, caption, videoTrack: null, audioTrack: null, shown: "" };
  }

  private create(p: Participant): Tile {
    const video = el("video", { className: "tile-video", testid: "tile-video" });
    video.autoplay = true;
    video.playsInline = true;
    // Our own preview is muted (no echo) and mirrored, like a mirror; remote audio plays from <audio>.
    video.muted = true;
    if (p.local) video.classList.add("mirrored");
    const avatar = el("span", { className: "avatar avatar-large", text: initials(p.displayName) });
    avatar.setAttribute("aria-hidden", "true");
    avatar.style.setProperty("--hue", String(hueFor(p.id)));
    const tags = el("div", { className: "tile-tags" });
    const caption = el("figcaption", { className: "tile-caption" });
    const root = el(
      "figure",
      { className: "tile", testid: "participant-tile", attrs: { "data-participant-id": p.id, "data-local": String(p.local) } },
      video,
      avatar,
      tags,
      caption,
    );
    return { root, video, audio: null, avatar, tags, caption, videoTrack: null, audioTrack: null, shown: "" };
  }

  private update(tile: Tile, p: Participant, isHost: boolean): void {
    const video = streamOf(p, "video")?.track ?? null;
    if (video !== tile.videoTrack) {
      tile.videoTrack = video;
      tile.video.srcObject = video ? new MediaStream([video]) : null;
      if (video) void tile.video.play().catch(() => undefined);
    }
    tile.root.dataset.video = String(video !== null);
    tile.root.dataset.host = String(isHost);
    tile.root.style.setProperty("--hue", String(hueFor(p.id)));
    if (!p.local) {
      const audio = streamOf(p, "audio")?.track ?? null;
      if (audio !== tile.audioTrack) {
        tile.audioTrack = audio;
        if (!tile.audio) {
          tile.audio = el("audio", { className: "tile-audio" });
          tile.audio.autoplay = true;
          tile.root.append(tile.audio);
        }
        tile.audio.srcObject = audio ? new MediaStream([audio]) : null;
        if (audio) void tile.audio.play().catch(() => undefined);
      }
    }
    tile.root.classList.toggle("tile-reconnecting", p.reconnecting);
    const shown = JSON.stringify([p.displayName, p.local, isHost, p.reconnecting, p.micOn, p.webcamOn]);
    if (shown === tile.shown) return;
    tile.shown = shown;
    const tags: HTMLElement[] = [];
    if (p.local) tags.push(el("span", { className: "badge badge-you", text: "You" }));
    if (isHost) tags.push(el("span", { className: "badge badge-host", text: "Host", testid: "host-badge" }));
    if (p.reconnecting) tags.push(el("span", { className: "badge badge-reconnecting", text: "Reconnecting", testid: "reconnecting-badge" }));
    tile.tags.replaceChildren(...tags);
    tile.caption.replaceChildren(
      el("span", { className: "tile-name", text: p.displayName, testid: "tile-name", attrs: { title: p.displayName } }),
      mediaIndicators(p),
    );
  }

  private drop(tile: Tile): void {
    tile.video.srcObject = null;
    if (tile.audio) tile.audio.srcObject = null;
    tile.root.remove();
  }
}
