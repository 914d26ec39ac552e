// Faults beyond the testing kit's own (close, crash, freeze): a participant's UDP path cut with
// nftables, and a broker process killed and restarted. nft needs root inside the test's network namespace.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import type { MeshParticipant } from "meshmeet/testing";

// Packet drops with nftables (Debian's nftables), inside the test's own network namespace only.
// tc cannot do it on every kernel: the one here has u32 but no drop action.
const TABLE = "meshmeet_faults";
let table = false;
function nft(...args: string[]): void {
  execFileSync("nft", args, { stdio: "pipe" });
}
function dropRule(match: string): void {
  if (!table) {
    nft("add", "table", "inet", TABLE);
    nft("add", "chain", "inet", TABLE, "in", "{ type filter hook input priority 0; policy accept; }");
    table = true;
  }
  nft("add", "rule", "inet", TABLE, "in", ...match.split(" "), "drop");
}

/**
 * Cuts `victim` off the network: UDP flows only between the others' existing links, so the victim's
 * current links go silent and any new link it tries fails too. Returns a function that restores paths.
 */
export async function isolate(victim: MeshParticipant, others: MeshParticipant[]): Promise<() => void> {
  const victimPorts = new Set((await victim.udpPairs()).map((p) => p.local));
  const keep = new Set<number>();
  for (const other of others) {
    for (const pair of await other.udpPairs()) if (!victimPorts.has(pair.remote)) keep.add(pair.local);
  }
  if (victimPorts.size === 0 || keep.size === 0) throw new Error("no WebRTC links found to cut");
  const set = `{ ${[...keep].join(", ")} }`;
  dropRule(`udp sport != ${set}`);
  dropRule(`udp dport != ${set}`);
  return restoreAllPaths;
}

/** Drops all UDP inside the namespace: every WebRTC link goes silent at once. */
export function cutAllUdp(): () => void {
  dropRule("meta l4proto udp");
  return restoreAllPaths;
}

export function restoreAllPaths(): void {
  if (!table) return;
  table = false;
  nft("delete", "table", "inet", TABLE);
}

/** A broker (the demo server) in its own process, so a test can kill -9 it and start it again. */
export class BrokerProcess {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, ["demo/server.mjs"], {
      env: { ...process.env, PORT: String(this.port), HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("broker did not start within 10 s")), 10_000);
      child.stdout!.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("http://")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => reject(new Error(`broker exited with ${code}`)));
    });
  }

  /** SIGKILL: the broker vanishes without closing anything. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.child = null;
  }
}

/** Appends a measured figure to test-results/figures.jsonl (summarised into the README's tables). */
export function recordFigure(name: string, ms: number): void {
  mkdirSync("test-results", { recursive: true });
  appendFileSync("test-results/figures.jsonl", JSON.stringify({ name, ms: Math.round(ms * 10) / 10 }) + "\n");
}

/**
 * Cuts the one link between `a` and `b` (both directions), leaving every other link alone; returns a
 * function that restores paths.
 */
export async function cutLink(a: MeshParticipant, b: MeshParticipant): Promise<() => void> {
  const bPorts = new Set((await b.udpPairs()).map((p) => p.local));
  const pair = (await a.udpPairs()).find((p) => bPorts.has(p.remote));
  if (!pair) throw new Error(`no link between ${a.id} and ${b.id}`);
  dropRule(`udp sport ${pair.local} udp dport ${pair.remote}`);
  dropRule(`udp sport ${pair.remote} udp dport ${pair.local}`);
  return restoreAllPaths;
}
