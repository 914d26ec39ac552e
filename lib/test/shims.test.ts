// The stand-ins for PeerJS's dependencies in meshmeet's builds (see lib/shims/).
import assert from "node:assert/strict";
import { test } from "node:test";
import { pack, unpack } from "../shims/binarypack.js";
import adapter, { detect } from "../shims/webrtc-adapter.js";

test("webrtc-adapter's browserDetails, from the user agent, as PeerJS reads them", () => {
  const chromium = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/156.0.8078.108 Chrome/156.0.8078.108 Safari/537.36";
  assert.deepEqual(detect(chromium), { browser: "chrome", version: 156 });
  const edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0";
  assert.deepEqual(detect(edge), { browser: "chrome", version: 140 });
  assert.deepEqual(detect("Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0"), { browser: "firefox", version: 153 });
  const safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15";
  assert.deepEqual(detect(safari), { browser: "safari", version: 18 });
  assert.deepEqual(detect("curl/8.0"), { browser: "Not a supported browser.", version: null });
  assert.equal(typeof adapter.browserDetails.browser, "string");
});

test("binarypack: never used by meshmeet, and a call fails loudly", () => {
  assert.throws(() => pack({}), /not part of this build/);
  assert.throws(() => unpack(new ArrayBuffer(1)), /not part of this build/);
});
