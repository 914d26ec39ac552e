// VideoSDK calls with nothing to do in a mesh, accepted so that an app written for VideoSDK keeps
// those lines as they are.

/**
 * VideoSDK's `VideoSDK.config(token)`: there is no server to authenticate to, so it does nothing and
 * never throws (VideoSDK apps call it first thing; a throw would stop the page).
 */
export function config(_token?: unknown): void {
  // Deliberately empty (see above).
}
