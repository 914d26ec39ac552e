// The bench's PeerJS broker, in a process of its own (setup.ts bundles and spawns it): inside the
// Playwright worker, which also drives every tab, its event loop was delayed by p99 40-320 ms, and
// that delay landed in every signalling round trip being timed. Serves once its HTTP path answers;
// on SIGTERM writes its own event-loop delay and CPU time, then exits.
import { writeFileSync } from "node:fs";
import { getPriority } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startBroker } from "../../lib/testing/broker.js";

const [port, statsFile] = [Number(process.argv[2]), process.argv[3]];
if (!port || !statsFile) throw new Error("usage: broker.mjs PORT STATS_FILE");

const RESOLUTION_MS = 10;
const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
delay.enable();
const broker = await startBroker({ port, host: "127.0.0.1", path: "/broker" });

process.once("SIGTERM", () => {
  delay.disable();
  // Each sample is the whole interval between two timer ticks: the resolution itself is no delay.
  const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e4 - RESOLUTION_MS * 100) / 100);
  const cpu = process.cpuUsage();
  writeFileSync(
    statsFile,
    JSON.stringify({
      eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      uptimeSeconds: Math.round(process.uptime()),
      nice: getPriority(),
    }),
  );
  void broker.close().finally(() => process.exit(0));
});
