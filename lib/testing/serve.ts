// meshmeet-serve: the smallest web server a Playwright `webServer` can start for a page that uses
// meshmeet: static files from one folder, and the package's browser-global build at a fixed path, so a
// page needs no bundler and no path into node_modules. For tests and local tries; not a production server.
//   npx meshmeet-serve [dir] [--port 4173] [--host 127.0.0.1]
import { createReadStream, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Where a page loads the browser-global build (`window.MeshMeet`) from. */
export const GLOBAL_BUILD_PATH = "/meshmeet/meshmeet.global.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
};

interface ServeOptions {
  dir: string;
  port: number;
  host: string;
}

function parseArgs(argv: string[]): ServeOptions {
  const options: ServeOptions = { dir: ".", port: 4173, host: "127.0.0.1" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === "--port") options.port = Number(value());
    else if (arg === "--host") options.host = value();
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg} (known: --port, --host)`);
    else options.dir = arg;
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error("--port must be a port number");
  return options;
}

// The file a request names, only inside `root`; null when there is none.
function fileFor(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.endsWith("/")) path += "index.html";
  const file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

function send(req: IncomingMessage, res: ServerResponse, file: string): void {
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": statSync(file).size,
    "cache-control": "no-store",
  });
  if (req.method === "HEAD") res.end();
  else createReadStream(file).pipe(res);
}

function main(): void {
  let options: ServeOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`meshmeet-serve: ${(error as Error).message}\nusage: meshmeet-serve [dir] [--port 4173] [--host 127.0.0.1]`);
    process.exit(2);
  }
  const root = resolve(options.dir);
  // This file is dist/serve.js; the global build sits beside it.
  const globalBuild = fileURLToPath(new URL("./meshmeet.global.js", import.meta.url));
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const file = req.method === "GET" || req.method === "HEAD" ? (path === GLOBAL_BUILD_PATH ? globalBuild : fileFor(root, path)) : null;
    if (file === null) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    send(req, res, file);
  });
  server.on("error", (error) => {
    console.error(`meshmeet-serve: ${error.message}`);
    process.exit(1);
  });
  server.listen(options.port, options.host, () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : options.port;
    console.log(`meshmeet-serve: ${root} on http://${options.host}:${port}/ (meshmeet at ${GLOBAL_BUILD_PATH})`);
  });
}

main();
