// The demo and test server: static files and a PeerJS broker (the `peer` package) on one port.
//   node demo/server.mjs            http on HOST (default 127.0.0.1), PORT (default 8080) from the environment
//   node demo/server.mjs --https    (or HTTPS=1) https with a self-signed certificate kept in .cert/
//                                   (CERT_DIR), on HOST 0.0.0.0 by default, so other devices can join
import { createReadStream, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PeerServer } from "peer";
import { certificateNames, lanAddresses, loadCertificate } from "./cert.mjs";

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
 * Starts the server; resolves with its URL and a close function. With `tls` ({ key, cert }) it serves https.
 * @param {{ port?: number, host?: string, brokerOptions?: object, tls?: { key: string, cert: string } }} options
 */
export function startServer({ port = 8080, host = "127.0.0.1", brokerOptions = {}, tls } = {}) {
  return new Promise((resolveStart, rejectStart) => {
    const ssl = tls ? { ssl: { key: tls.key, cert: tls.cert } } : {};
    const app = PeerServer({ port, host, path: BROKER_PATH, ...ssl, ...brokerOptions }, (server) => {
      const address = server.address();
      // A wildcard address is no place to browse to: this machine is.
      const shown = host === "0.0.0.0" || host === "::" ? "localhost" : host;
      const url = `${tls ? "https" : "http"}://${shown}:${address.port}/`;
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

/** `--https` on the command line (`npm start -- --https` appends it here) or HTTPS=1 in the environment. */
function wantsHttps(argv, env) {
  return argv.includes("--https") || ["1", "true", "yes"].includes(String(env.HTTPS ?? "").toLowerCase());
}

async function main() {
  const port = Number(process.env.PORT ?? 8080);
  if (!wantsHttps(process.argv.slice(2), process.env)) {
    const host = process.env.HOST ?? "127.0.0.1";
    const { url } = await startServer({ port, host });
    console.log(`meshmeet demo and broker: ${url}  (broker path ${BROKER_PATH}; Ctrl+C stops)`);
    return;
  }
  // Other devices reach us only on the LAN addresses: listen on all of them unless told otherwise.
  const host = process.env.HOST ?? "0.0.0.0";
  const dir = resolve(process.env.CERT_DIR ?? join(root, ".cert"));
  const lan = lanAddresses();
  const tls = await loadCertificate(dir, certificateNames(lan));
  const { url, port: bound } = await startServer({ port, host, tls });
  const everywhere = host === "0.0.0.0" || host === "::";
  const others = everywhere ? lan.map((ip) => `https://${ip}:${bound}/`) : [];
  console.log(`meshmeet demo and broker over https: ${url}  (broker path ${BROKER_PATH}; Ctrl+C stops)`);
  if (others.length) {
    console.log("On phones and laptops on the same network, open:");
    for (const other of others) console.log(`  ${other}`);
  } else if (everywhere) {
    console.log("No LAN address found: only this machine can join.");
  } else {
    console.log(`Listening on ${host} only (HOST); unset HOST to let other devices on the network in.`);
  }
  console.log(
    `Certificate: self-signed, ${tls.created ? "made now" : "reused"} (${dir}), SHA-256 ${tls.fingerprint}.\n` +
      "Each device warns about it once: choose Advanced, then Proceed (Safari: Show Details, visit this website).",
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await main();
}
