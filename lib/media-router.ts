// Local media out to every link: the tracks each link sends and the media state every member hears.
// Outside membership: it only needs the links.
import type { Link } from "./link.js";
import type { LinkTable } from "./link-table.js";
import type { LinkMessage } from "./protocol.js";

/** What the local participant sends (see media.ts). */
export interface MeshMediaSource {
  track(kind: "audio" | "video"): MediaStreamTrack | null;
  readonly micOn: boolean;
  readonly camOn: boolean;
}

export class MediaRouter {
  /** Local media: what every link sends (set by the Meeting before join). */
  source: MeshMediaSource | null = null;

  constructor(private readonly links: () => LinkTable | null) {}

  /** A new link: its tracks ride in the first offer (no renegotiation for a newcomer's media). */
  attach(link: Link): void {
    for (const kind of ["audio", "video"] as const) {
      const track = this.source?.track(kind) ?? null;
      if (track) link.setTrack(kind, track);
    }
  }

  /** A link opened and said hello: what we send now; nothing said means both off. */
  greet(link: Link): void {
    if (this.source?.micOn || this.source?.camOn) link.send(this.message());
  }

  /** Local media changed: every link sends `source.track(kind)` now, and every member hears the new state. */
  changed(kind: "audio" | "video"): void {
    const links = this.links()?.all() ?? [];
    const track = this.source?.track(kind) ?? null;
    for (const link of links) link.setTrack(kind, track);
    const message = this.message();
    for (const link of links) link.send(message);
  }

  private message(): LinkMessage {
    return { v: 1, t: "media", mic: this.source?.micOn ?? false, cam: this.source?.camOn ?? false };
  }
}
