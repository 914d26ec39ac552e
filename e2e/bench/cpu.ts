// CPU time of the browser, from /proc: every process under this Playwright worker (Chromium's browser,
// GPU, network/utility and renderer processes are all its descendants; the broker is not, it runs
// under the Playwright runner).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Fields of /proc/PID/stat after the command name "(...)", which may itself hold spaces. */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Every descendant process of this one (the browser this worker launched and all its children). */
export function browserProcesses(): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(statFields(entry)[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // The process ended meanwhile.
    }
  }
  const descendants: number[] = [];
  const queue = [process.pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      descendants.push(child);
      queue.push(child);
    }
  }
  return descendants;
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return ticksPerSecond;
}

/** Chromium's process type from its command line: renderer, gpu-process, utility, zygote, or browser. */
function processType(pid: number): string {
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  // Chromium rewrites its command line into one space-separated string: the type is the word after.
  const type = /--type=([\w-]+)/.exec(cmdline)?.[1];
  if (type) return type;
  return cmdline.includes("chrom") ? "browser" : "other";
}

/** utime + stime of each browser process now, in clock ticks, with its type. */
function cpuTicks(): Map<number, { ticks: number; type: string }> {
  const ticks = new Map<number, { ticks: number; type: string }>();
  for (const pid of browserProcesses()) {
    try {
      const f = statFields(pid);
      // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name.
      ticks.set(pid, { ticks: Number(f[11]) + Number(f[12]), type: processType(pid) });
    } catch {
      // The process ended meanwhile.
    }
  }
  return ticks;
}

export interface CpuWindow {
  /** CPU seconds of all browser processes over the window, divided by its wall seconds. */
  cores: number;
  cpuSeconds: number;
  wallSeconds: number;
  processes: number;
  /** Cores by Chromium process type (renderer, gpu-process, utility, browser, ...). */
  byType: Record<string, number>;
}

/**
 * Sums the CPU time the browser spends over `ms` of wall time. A process started during the window
 * counts whole; one that ended during it is lost (none should: the mesh is formed and steady).
 */
export async function browserCpu(ms: number): Promise<CpuWindow> {
  const before = cpuTicks();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTicks();
  const wallSeconds = (performance.now() - start) / 1000;
  let ticks = 0;
  const byType: Record<string, number> = {};
  for (const [pid, now] of after) {
    const spent = now.ticks - (before.get(pid)?.ticks ?? 0);
    ticks += spent;
    byType[now.type] = (byType[now.type] ?? 0) + spent / clockTicks() / wallSeconds;
  }
  const cpuSeconds = ticks / clockTicks();
  return { cores: cpuSeconds / wallSeconds, cpuSeconds, wallSeconds, processes: after.size, byType };
}
