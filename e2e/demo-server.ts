// The demo server (demo/server.mjs) started as `npm start` starts it, in a process of its own, on a
// free port: for tests of what it serves on the LAN (http and --https), apart from the suite's server.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { networkInterfaces } from "node:os";

export interface DemoServer {
  port: number;
  /** What it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** This machine's first IPv4 address that is not loopback (in the test namespace: the veth's). */
export function lanAddress(): string | null {
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) if (address.family === "IPv4" && !address.internal) return address.address;
  }
  return null;
}

/** Starts `node demo/server.mjs ...args`; resolves once it printed its URL (within 20 s: a certificate may be made first). */
export async function startDemoServer(args: string[], env: Record<string, string>): Promise<DemoServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ["demo/server.mjs", ...args], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let printed = "";
  child.stdout.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo server did not start within 20 s:\n${printed}`)), 20_000);
    child.stdout.on("data", () => {
      // The last line it prints at start says what to do with the certificate, or is the URL line.
      if (/Each device warns|meshmeet demo and broker: http/.test(printed)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`demo server exited:\n${printed}`));
    });
  });
  return {
    port,
    output: () => printed,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
