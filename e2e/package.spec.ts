// The package as a new user gets it: `npm pack`, installed into a fresh `npm init -y` project, where the
// README's "Testing your app" files (taken from README.md itself, so they cannot drift) run with
// Playwright, once as a CommonJS project (what `npm init -y` writes) and once as an ES module project.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect, test } from "@playwright/test";

const root = join(dirname(new URL(import.meta.url).pathname), "..");

/** The code blocks the README marks with `<!-- fresh-project: path -->`, by path. */
function readmeFiles(): Map<string, string> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const files = new Map<string, string>();
  for (const match of readme.matchAll(/<!-- fresh-project: (\S+) -->\n```\w*\n([\s\S]*?)```/g)) files.set(match[1]!, match[2]!);
  return files;
}

// A TypeScript user's file: the package's three entry points, typed.
const TYPE_CHECK = `import { initMeeting, isMeshError, type EventHandler, type Meeting } from "meshmeet";
import type {} from "meshmeet/global";
import { chromiumOptions, test } from "meshmeet/testing";

const meeting: Meeting = initMeeting({ meetingId: "standup", name: "Ada" });
const onLeft: EventHandler<{ reason: string }> = ({ reason }) => console.log(reason);
meeting.on("meeting-left", onLeft);
meeting.on("participant-joined", (p) => console.log(p.displayName.toUpperCase()));
const fromGlobal: Meeting = window.MeshMeet.initMeeting({ meetingId: "standup" });
void [fromGlobal, isMeshError, chromiumOptions(), test];
`;

function run(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 120_000 });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${String(result.status ?? result.signal)}):\n${output}`);
  return output;
}

test("npm pack, installed in a fresh npm init -y project: the README's Testing-your-app files pass there, as CommonJS and as ES modules; the types check", async () => {
  test.setTimeout(300_000);
  const files = readmeFiles();
  expect([...files.keys()].sort()).toEqual(["index.html", "playwright.config.ts", "tests/meeting.spec.ts"]);
  const work = mkdtempSync(join(tmpdir(), "meshmeet-fresh-"));
  try {
    const tarball = join(work, execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: root, encoding: "utf8" }).trim().split("\n").pop()!);
    const app = join(work, "app");
    mkdirSync(app);
    run(app, "npm", ["init", "-y"]);
    // The README's two install lines, offline: meshmeet from the tarball; @playwright/test and peer as
    // links to this repository's own copies (CI has no network inside its namespace, and npm's cache
    // holds their tarballs but not the registry metadata an install by name needs).
    const quiet = ["--offline", "--no-audit", "--no-fund"];
    run(app, "npm", ["install", ...quiet, tarball]);
    // Nothing but meshmeet itself comes with it: its dependencies are bundled.
    expect(readdirSync(join(app, "node_modules")).filter((name) => !name.startsWith("."))).toEqual(["meshmeet"]);
    run(app, "npm", ["install", "-D", ...quiet, join(root, "node_modules", "@playwright", "test"), join(root, "node_modules", "peer")]);
    // Every entry point resolves, with its types, from a CommonJS project.
    const resolved = run(app, "node", ["-p", 'JSON.stringify(["meshmeet", "meshmeet/testing", "meshmeet/global"].map((m) => require.resolve(m)))']);
    expect(JSON.parse(resolved.trim()).map((path: string) => path.split("node_modules/meshmeet/")[1])).toEqual(["dist/meshmeet.js", "dist/testing.cjs", "dist/meshmeet.global.js"]);
    for (const types of ["index.d.ts", "testing/index.d.ts", "global.d.ts"]) expect(readdirSync(dirname(join(app, "node_modules/meshmeet/dist/types", types)))).toContain(types.split("/").pop());
    const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as { type?: string };
    expect(manifest.type ?? "commonjs").toBe("commonjs");
    for (const [path, text] of files) {
      mkdirSync(dirname(join(app, path)), { recursive: true });
      writeFileSync(join(app, path), text);
    }
    // A clean environment: nothing of this Playwright run may leak into the one inside.
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: "1" };
    const cjs = run(app, "npx", ["playwright", "test", "--reporter=line"], env);
    expect(cjs).toContain("1 passed");
    writeFileSync(join(app, "package.json"), JSON.stringify({ ...manifest, type: "module" }, null, 2));
    const esm = run(app, "npx", ["playwright", "test", "--reporter=line"], env);
    expect(esm).toContain("1 passed");
    // The published types, checked as a TypeScript user's compiler sees them: every import they make
    // resolves from what such a project installs (no mitt, no "playwright/test"), nothing is `any`.
    run(app, "npm", ["install", "-D", ...quiet, ...["typescript", "@types/node", "puppeteer-core"].map((name) => join(root, "node_modules", name))]);
    writeFileSync(join(app, "check.ts"), TYPE_CHECK);
    const tsc = ["tsc", "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2022,dom", "--types", "node"];
    run(app, "npx", [...tsc, "check.ts"]);
    writeFileSync(join(app, "check.ts"), TYPE_CHECK.replace("console.log(reason)", "console.log(reason.toFixed())"));
    expect(() => run(app, "npx", [...tsc, "check.ts"])).toThrow(/Property 'toFixed' does not exist on type 'string'/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
