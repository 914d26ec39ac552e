// Local media out to every link: the tracks each link sends and the media state every member hears.
// Outside membership: it only needs the links.
import type { Link } from "./link.js";
import type { LinkTable } from "./link-table.js";
import type { LinkMessage } from "./protocol.js";
import type { VideoTuner } from "./video-tuner.js";

type Kind = "audio" | "video" | "share";
const KINDS: readonly Kind[] = ["audio", "video", "share"];

/** What the local participant sends (see media.ts). */
export interface MeshMediaSource {
  track(kind: Kind): MediaStreamTrack | null;
  readonly micOn: boolean;
  readonly camOn: boolean;
  readonly shareOn: boolean;
}

export class MediaRouter {
  /** Local media: what every link sends (set by the Meeting before join). */
  source: MeshMediaSource | null = null;

  /** Keeps each link's senders within the upload and encoder budget; null: the browser's defaults. */
  tuner: VideoTuner | null = null;

  constructor(private readonly links: () => LinkTable | null) {}

  /** A new link: its tracks ride in the first offer (no renegotiation for a newcomer's media). */
  attach(link: Link): void {
    for (const kind of KINDS) {
      const track = this.source?.track(kind) ?? null;
      if (track) link.setTrack(kind, track);
    }
    // One more link: every link's share of the budget shrinks, before the new one starts encoding.
    this.tuner?.update();
  }

  /** A link opened and said hello: what we send now; nothing said means all off. */
  greet(link: Link): void {
    if (this.source?.micOn || this.source?.camOn || this.source?.shareOn) link.send(this.message(link));
  }

  /** Local media changed: every link sends `source.track(kind)` now, and every member hears the new state. */
  changed(kind: Kind): void {
    const links = this.links()?.all() ?? [];
    const track = this.source?.track(kind) ?? null;
    for (const link of links) link.setTrack(kind, track);
    this.tuner?.update();
    // Per link: the stream ids are that link's own.
    for (const link of links) link.send(this.message(link));
  }

  private message(link: Link): LinkMessage {
    const { cs, ss } = link.streamIds();
    return {
      v: 1,
      t: "media",
      mic: this.source?.micOn ?? false,
      cam: this.source?.camOn ?? false,
      share: this.source?.shareOn ?? false,
      cs,
      ss,
    };
  }
}
