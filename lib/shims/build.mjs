// meshmeet's esbuild builds in one place, so every bundle swaps the same dependencies for the
// stand-ins in lib/shims/: `node lib/shims/build.mjs esm|global|demo|test`. The bench's sizes
// (e2e/bench/sizes.ts) import withShims() to measure what ships. Plain JavaScript: npm scripts run
// it with Node 20, which cannot run TypeScript.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const shim = (file) => fileURLToPath(new URL(`./${file}`, import.meta.url));

/** Each dependency swapped in every build, and its stand-in (why each, in the stand-in's own comment). */
export const SHIMS = {
  "webrtc-adapter": shim("webrtc-adapter.ts"),
  "peerjs-js-binarypack": shim("binarypack.ts"),
  "readable-stream": shim("readable-stream.ts"),
  buffer: shim("buffer.ts"),
  debug: shim("debug.cts"),
  randombytes: shim("randombytes.cts"),
  "queue-microtask": shim("queue-microtask.cts"),
  "err-code": shim("err-code.cts"),
  "get-browser-rtc": shim("get-browser-rtc.cts"),
};

// simple-peer's 41 this._debug(...) lines only format text for `debug`, which is a no-op here (see
// lib/shims/debug.cts); their strings alone cost about 0.4 KB gzipped. The calls have no other effect,
// so they go. Should simple-peer change so that none match, the build fails instead of shipping them.
const quietSimplePeer = {
  name: "quiet-simple-peer",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]simple-peer[\\/]index\.js$/ }, ({ path }) => {
      let removed = 0;
      // One level of nested parentheses, which is as deep as simple-peer's debug arguments go.
      const contents = readFileSync(path, "utf8").replace(/this\._debug\((?:[^()]|\([^()]*\))*\)/g, () => {
        removed++;
        return "void 0";
      });
      if (removed === 0) throw new Error("simple-peer has no this._debug(...) calls any more: review lib/shims/build.mjs");
      return { contents, loader: "js" };
    });
  },
};

/** esbuild options with meshmeet's stand-ins added. */
export function withShims(options) {
  return { ...options, alias: { ...SHIMS, ...options.alias }, plugins: [quietSimplePeer, ...(options.plugins ?? [])] };
}

const browser = { bundle: true, target: "es2022", logLevel: "warning", absWorkingDir: ROOT };
const TARGETS = {
  esm: { ...browser, entryPoints: ["lib/index.ts"], format: "esm", minify: true, sourcemap: "external", outfile: "dist/meshmeet.js" },
  global: {
    ...browser,
    entryPoints: ["lib/index.ts"],
    format: "iife",
    globalName: "MeshMeet",
    minify: true,
    sourcemap: "external",
    outfile: "dist/meshmeet.global.js",
  },
  demo: { ...browser, entryPoints: ["demo/app.ts"], format: "esm", sourcemap: true, outfile: "dist/demo/app.js" },
  // The unit tests bundle simple-peer too, so they run it on the stand-ins that ship.
  test: {
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    absWorkingDir: ROOT,
    entryPoints: readdirSync(new URL("../test", import.meta.url))
      .filter((name) => name.endsWith(".test.ts"))
      .map((name) => `lib/test/${name}`),
    outdir: ".build/test",
    outExtension: { ".js": ".mjs" },
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const name = process.argv[2] ?? "";
  const target = TARGETS[name];
  if (!target) {
    console.error(`usage: node lib/shims/build.mjs ${Object.keys(TARGETS).join("|")}`);
    process.exit(2);
  }
  await build(withShims(target));
}
