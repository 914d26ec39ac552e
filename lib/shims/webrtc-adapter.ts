// Stands in for webrtc-adapter in meshmeet's builds. PeerJS imports the adapter (39 KB minified with its
// `sdp` dependency) only to read `browserDetails` for `util.browser` and `util.supports.browser`, which
// decide nothing meshmeet relies on: it uses PeerJS for signaling only, and the browsers it supports
// need none of the adapter's shims. This gives PeerJS the same two fields, read from the user agent.

interface BrowserDetails {
  browser: string;
  version: number | null;
}

export function detect(userAgent: string): BrowserDetails {
  const match = (pattern: RegExp): number | null => {
    const found = pattern.exec(userAgent);
    return found ? Number(found[1]) : null;
  };
  const firefox = match(/Firefox\/(\d+)/);
  if (firefox !== null) return { browser: "firefox", version: firefox };
  const chrome = match(/Chrom(?:e|ium)\/(\d+)/);
  if (chrome !== null) return { browser: "chrome", version: chrome };
  const safari = match(/Version\/(\d+).*Safari\//);
  if (safari !== null) return { browser: "safari", version: safari };
  return { browser: "Not a supported browser.", version: null };
}

const browserDetails = detect(typeof navigator === "undefined" ? "" : navigator.userAgent);

export default { browserDetails };
