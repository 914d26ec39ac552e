// esbuild's command line plus meshmeet's stand-ins (lib/shims/aliases.json, relative to the package
// root), so every browser build swaps the same dependencies and the list lives in one place.
// Plain JavaScript: npm scripts run it with Node 20, which cannot run TypeScript.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const aliases = JSON.parse(readFileSync(new URL("../lib/shims/aliases.json", import.meta.url), "utf8"));
const flags = Object.entries(aliases).map(([name, path]) => `--alias:${name}=${path}`);
// esbuild's own executable, found from here whether or not node_modules/.bin is on PATH.
const esbuild = createRequire(import.meta.url).resolve("esbuild/bin/esbuild");
const run = spawnSync(esbuild, [...process.argv.slice(2), ...flags], { stdio: "inherit" });
if (run.error) throw run.error;
process.exit(run.status ?? 1);
