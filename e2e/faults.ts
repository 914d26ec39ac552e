// Faults beyond the testing kit's own (close, crash, freeze): a participant's UDP path cut with
// nftables, and a broker process killed and restarted. nft needs root inside the test's network namespace.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import type { MeshParticipant } from "meshmeet/testing";

// Packet drops with nftables (Debian's nftables), inside the test's own network namespace only.
// tc cannot do it on every kernel: the one here has u32 but no drop action.
const TABLE = "meshmeet_faults";
let table = false;

/**
 * Adds drop rules in one nft transaction, so a cut takes effect all at once; returns the wall-clock time
 * taken just before, the moment a detection figure should count from.
 */
function drop(...matches: string[]): number {
  const script = table ? [] : [`add table inet ${TABLE}`, `add chain inet ${TABLE} in { type filter hook input priority 0; policy accept; }`];
  for (const match of matches) script.push(`add rule inet ${TABLE} in ${match} drop`);
  const at = Date.now();
  execFileSync("nft", ["-f", "-"], { input: script.join("\n") + "\n", stdio: ["pipe", "pipe", "pipe"] });
  table = true;
  return at;
}

/** A cut in place: when it took effect (Date.now() clock) and how to undo it. */
export interface Cut {
  at: number;
  restore: () => void;
}

/**
 * Cuts `victim` off the network: UDP flows only between the others' existing links, so the victim's
 * current links go silent and any new link it tries fails too. Finding the links reads every page's
 * stats, which can take a second on a busy machine, so the cut's time is taken only once all is known.
 */
export async function isolate(victim: MeshParticipant, others: MeshParticipant[]): Promise<Cut> {
  const victimPorts = new Set((await victim.udpPairs()).map((p) => p.local));
  const keep = new Set<number>();
  for (const other of others) {
    for (const pair of await other.udpPairs()) if (!victimPorts.has(pair.remote)) keep.add(pair.local);
  }
  if (victimPorts.size === 0 || keep.size === 0) throw new Error("no WebRTC links found to cut");
  const set = `{ ${[...keep].join(", ")} }`;
  return { at: drop(`udp sport != ${set}`, `udp dport != ${set}`), restore: restoreAllPaths };
}

/** Drops all UDP inside the namespace: every WebRTC link goes silent at once. */
export function cutAllUdp(): Cut {
  return { at: drop("meta l4proto udp"), restore: restoreAllPaths };
}

export function restoreAllPaths(): void {
  if (!table) return;
  table = false;
  execFileSync("nft", ["delete", "table", "inet", TABLE], { stdio: "pipe" });
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
 * Cuts the one link between `a` and `b` (both directions), leaving every other link alone.
 */
export async function cutLink(a: MeshParticipant, b: MeshParticipant): Promise<Cut> {
  const bPorts = new Set((await b.udpPairs()).map((p) => p.local));
  const pair = (await a.udpPairs()).find((p) => bPorts.has(p.remote));
  if (!pair) throw new Error(`no link between ${a.id} and ${b.id}`);
  const at = drop(`udp sport ${pair.local} udp dport ${pair.remote}`, `udp sport ${pair.remote} udp dport ${pair.local}`);
  return { at, restore: restoreAllPaths };
}
