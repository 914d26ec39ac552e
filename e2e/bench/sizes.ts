// Bundle sizes: minified (esbuild) and gzipped (zlib, level 9) bytes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ROOT } from "./paths.js";

export interface BundleSize {
  name: string;
  what: string;
  minBytes: number;
  gzipBytes: number;
}

function measure(name: string, what: string, code: Uint8Array): BundleSize {
  return { name, what, minBytes: code.byteLength, gzipBytes: gzipSync(code, { level: 9 }).byteLength };
}

async function bundle(options: { entry?: string; stdin?: string; external?: string[] }): Promise<Uint8Array> {
  const result = await build({
    ...(options.entry ? { entryPoints: [join(ROOT, options.entry)] } : {}),
    ...(options.stdin ? { stdin: { contents: options.stdin, resolveDir: ROOT, loader: "ts" as const } } : {}),
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    minify: true,
    write: false,
    external: options.external ?? [],
    logLevel: "silent",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output");
  return file.contents;
}

export async function bundleSizes(): Promise<BundleSize[]> {
  return [
    measure("dist/meshmeet.global.js", "the shipped browser-global build, dependencies included", readFileSync(join(ROOT, "dist", "meshmeet.global.js"))),
    measure(
      "meshmeet's own code",
      "lib/index.ts with peerjs, simple-peer and mitt external",
      await bundle({ entry: "lib/index.ts", external: ["peerjs", "simple-peer", "simple-peer/*", "mitt"] }),
    ),
    measure("peerjs alone", "export { Peer } from \"peerjs\" (what an app that uses PeerJS pulls in)", await bundle({ stdin: 'export { Peer } from "peerjs";' })),
    measure(
      "simple-peer alone",
      "simple-peer/simplepeer.min.js (its browser build, shims included)",
      await bundle({ stdin: 'export { default } from "simple-peer/simplepeer.min.js";' }),
    ),
    measure("mitt alone", "export { default } from \"mitt\"", await bundle({ stdin: 'export { default } from "mitt";' })),
  ];
}
