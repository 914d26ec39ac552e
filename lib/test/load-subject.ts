// Loads mesh.ts / meeting.ts for the unit tests.
//
// Why not a plain `import { Mesh } from "../mesh.js"`: `npm run test:unit` bundles each test with
// `--packages=external`, so the bundle keeps broker.ts's `import { Peer } from "peerjs"` as a bare
// import, and Node 20 cannot take a named export from peerjs's CommonJS build ("Named export 'Peer'
// not found"). Every module that reaches broker.ts (mesh.ts, meeting.ts) then fails to load.
// So the tests bundle lib/test/subject.ts themselves, with every package inlined (the full bundle runs
// fine in Node), and import the result from a data: URL: nothing is written to disk.
// When the test script no longer marks peerjs external, this file can become a static re-export.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

export type Subject = typeof import("./subject.js");

async function loadSubject(): Promise<Subject> {
  // The test bundles live in <repo>/.build/test/; the sources in <repo>/lib/test/.
  const entry = fileURLToPath(new URL("../../lib/test/subject.ts", import.meta.url));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error("esbuild produced no output for lib/test/subject.ts");
  const url = `data:text/javascript;base64,${Buffer.from(output.text).toString("base64")}`;
  return (await import(url)) as Subject;
}

/** The library under test: the real Mesh, Meeting, ChannelOpenError and MeshError. */
export const subject: Subject = await loadSubject();
