/**
 * meshmeet/global: the browser-global build. A `<script src=".../meshmeet.global.js">` defines
 * `window.MeshMeet` with everything `meshmeet` exports. Import this module for its types only:
 *
 * ```ts
 * import type {} from "meshmeet/global";
 * const meeting = window.MeshMeet.initMeeting({ meetingId: "standup" });
 * ```
 *
 * @packageDocumentation
 */
import type * as MeshMeetApi from "./index.js";

declare global {
  /** The browser-global build's namespace (`<script src="meshmeet.global.js">`). */
  // eslint-disable-next-line no-var
  var MeshMeet: typeof MeshMeetApi;
}
