// esbuild's command line plus meshmeet's stand-ins (lib/shims/aliases.json, relative to the package
// root), so every browser build swaps the same dependencies and the list lives in one place.
// Plain JavaScript: npm scripts run it with Node 20, which cannot run TypeScript.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const aliases = JSON.parse(readFileSync(new URL("../lib/shims/aliases.json", import.meta.url), "utf8"));
const flags = Object.entries(aliases).map(([name, path]) => `--alias:${name}=${path}`);
const run = spawnSync("esbuild", [...process.argv.slice(2), ...flags], { stdio: "inherit", shell: false });
process.exit(run.status ?? 1);
