// Bundle sizes: minified (esbuild) and gzipped (zlib, level 9) bytes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, transform } from "esbuild";
import { withShims } from "../../lib/shims/build.mjs";
import { ROOT } from "./paths.js";

export interface BundleSize {
  name: string;
  what: string;
  minBytes: number;
  gzipBytes: number;
}

/** One of meshmeet's own modules in its own code's bundle. */
export interface ModuleSize {
  /** Path from the package root, e.g. lib/meeting.ts. */
  path: string;
  /** What esbuild wrote for it into the minified bundle (metafile bytesInOutput). */
  minBytes: number;
  /** Its share of the bundle's gzipped bytes, by its share of the minified bytes: what it costs in place. */
  gzipShareBytes: number;
  /** The module minified and gzipped on its own: an upper bound, as it shares no words with the rest. */
  gzipAloneBytes: number;
}

const gzip = (code: Uint8Array | string): number => gzipSync(code, { level: 9 }).byteLength;

function measure(name: string, what: string, code: Uint8Array): BundleSize {
  return { name, what, minBytes: code.byteLength, gzipBytes: gzip(code) };
}

const OWN_EXTERNALS = ["peerjs", "simple-peer", "simple-peer/*", "mitt"];

async function bundle(options: { entry?: string; stdin?: string; external?: string[] }) {
  // The same stand-ins as the shipped builds (lib/shims/build.mjs).
  const result = await build(withShims({
    ...(options.entry ? { entryPoints: [join(ROOT, options.entry)] } : {}),
    ...(options.stdin ? { stdin: { contents: options.stdin, resolveDir: ROOT, loader: "ts" as const } } : {}),
    absWorkingDir: ROOT,
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    minify: true,
    write: false,
    metafile: true,
    external: options.external ?? [],
    logLevel: "silent",
  }));
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output");
  return { code: file.contents, inputs: Object.values(result.metafile.outputs)[0]?.inputs ?? {} };
}

export async function bundleSizes(): Promise<BundleSize[]> {
  return [
    measure("dist/meshmeet.global.js", "the shipped browser-global build, dependencies included", readFileSync(join(ROOT, "dist", "meshmeet.global.js"))),
    measure(
      "meshmeet's own code",
      "lib/index.ts with peerjs, simple-peer and mitt external",
      (await bundle({ entry: "lib/index.ts", external: OWN_EXTERNALS })).code,
    ),
    measure("peerjs alone", "export { Peer } from \"peerjs\" (what an app that uses PeerJS pulls in)", (await bundle({ stdin: 'export { Peer } from "peerjs";' })).code),
    measure(
      "simple-peer alone",
      "simple-peer from source on meshmeet's stand-ins (lib/shims/build.mjs), its emitter (eventemitter3, shared with PeerJS) included",
      (await bundle({ stdin: 'export { default } from "simple-peer";' })).code,
    ),
    measure("mitt alone", "export { default } from \"mitt\"", (await bundle({ stdin: 'export { default } from "mitt";' })).code),
  ];
}

/** What each of meshmeet's own modules costs in its own code's bundle (as in bundleSizes), largest first. */
export async function moduleSizes(): Promise<ModuleSize[]> {
  const { code, inputs } = await bundle({ entry: "lib/index.ts", external: OWN_EXTERNALS });
  const gzipPerMinByte = gzip(code) / code.byteLength;
  const sizes = await Promise.all(
    Object.entries(inputs).map(async ([path, input]): Promise<ModuleSize> => {
      const alone = await transform(readFileSync(join(ROOT, path), "utf8"), { loader: "ts", minify: true, target: "es2022", format: "esm" });
      return {
        path,
        minBytes: input.bytesInOutput,
        gzipShareBytes: Math.round(input.bytesInOutput * gzipPerMinByte),
        gzipAloneBytes: gzip(alone.code),
      };
    }),
  );
  return sizes.sort((a, b) => b.minBytes - a.minBytes);
}
