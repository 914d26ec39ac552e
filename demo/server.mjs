// The demo and test server: static files and a PeerJS broker (the `peer` package) on one port.
//   node demo/server.mjs            PORT (default 8080) and HOST (default 127.0.0.1) from the environment
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PeerServer } from "peer";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
/** Only these folders are served; everything else in the repo stays private. */
const SERVED = ["demo", "dist", "e2e/pages"];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};
/** Path under which the broker listens; clients pass it as `broker.path`. */
export const BROKER_PATH = "/broker";

function serveStatic(req, res, next) {
  if (req.method !== "GET" && req.method !== "HEAD") return next();
  let path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (path === "/") path = "/demo/index.html";
  if (path.endsWith("/")) path += "index.html";
  const file = normalize(join(root, path));
  const allowed = SERVED.some((dir) => file.startsWith(join(root, dir) + sep));
  let stat;
  try {
    stat = allowed ? statSync(file) : null;
  } catch {
    stat = null;
  }
  if (!stat?.isFile()) return next();
  res.writeHead(200, {
    "content-type": TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": stat.size,
    "cache-control": "no-store",
  });
  if (req.method === "HEAD") return res.end();
  createReadStream(file).pipe(res);
}

/**
 * Starts the server; resolves with its URL and a close function.
 * @param {{ port?: number, host?: string, brokerOptions?: object }} options
 */
export function startServer({ port = 8080, host = "127.0.0.1", brokerOptions = {} } = {}) {
  return new Promise((resolveStart, rejectStart) => {
    const app = PeerServer({ port, host, path: BROKER_PATH, ...brokerOptions }, (server) => {
      const address = server.address();
      const url = `http://${host}:${address.port}/`;
      resolveStart({
        url,
        port: address.port,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
    app.use(serveStatic);
    app.use((req, res) => {
      res.statusCode = 404;
      res.end("not found");
    });
    app.on("error", rejectStart);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? "127.0.0.1";
  const { url } = await startServer({ port, host });
  console.log(`meshmeet demo and broker: ${url}  (broker path ${BROKER_PATH}; Ctrl+C stops)`);
}
