// Real networks for meeting tests: network namespaces the test builds (a public network with the
// app's server, its PeerJS broker and a TURN server; participants behind NAT routers), a Chromium per
// participant launched inside its own namespace, and faults a user meets on real networks (an outage,
// a new address, the broker alone unreachable, a slow lossy path). Linux only; needs root, iproute2,
// nftables and, for TURN, Debian's coturn (`turnserver`).
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "@playwright/test";
import type { BrokerOptions } from "../broker.js";
import { within } from "../time.js";
import { chromiumOptions } from "./chromium.js";
import { createWithGlobalBuild, MeshParticipant, type CreateMeeting, type JoinInfo } from "./participant.js";

/** How a participant's router translates its address. */
export type NatKind =
  /** Linux masquerade: keeps the source port when it can, one mapping per source (hole punching works). */
  | "cone"
  /** A new random public port for every destination (`masquerade random,fully-random`): symmetric-NAT-like. */
  | "symmetric";

/** Options of {@link MeshNetwork.create}. */
export interface MeshNetworkOptions {
  /**
   * The app's server, started in the public namespace: a command that serves the app's pages and a
   * PeerJS broker on one port, reads `PORT` and `HOST` from its environment and prints a line with
   * `http://` once it listens (meshmeet's own `node demo/server.mjs` does).
   */
  server: { command: string; args: string[]; cwd?: string; env?: Record<string, string> };
  /** Path of the broker on that server. Default "/broker". */
  brokerPath?: string;
  /** Start coturn (TURN over UDP and TCP, and STUN) beside the server. Default true. */
  turn?: boolean;
}

/** Options of {@link MeshNetwork.addHost}. */
export interface HostOptions {
  /** The router in front of the host. Default "cone". */
  nat?: NatKind;
}

/** Options of {@link MeshNetwork.open}: a host, plus the participant's ids and initMeeting options. */
export interface OpenOptions extends HostOptions, Partial<JoinInfo> {
  participantId: string;
  /** The app page, relative to the server. Default "/e2e/pages/blank.html". */
  path?: string;
  /** How the page creates its meeting. Default {@link createWithGlobalBuild}. */
  create?: CreateMeeting;
  /** A host made before (e.g. to put two participants in one namespace); default: a new one. */
  host?: NetHost;
}

/** A fault in place: when it took effect (Date.now() clock) and how to lift it. */
export interface NetFault {
  readonly at: number;
  /** Lifts the fault; returns the moment it was lifted. Safe to call twice. */
  restore(): number;
}

/** A participant opened by {@link MeshNetwork.open}: the kit's MeshParticipant, plus its host for faults. */
export type NetParticipant = MeshParticipant & { readonly net: NetHost };

/** A UDP relay between participants and a server, that delays and drops (this kernel has no netem). */
export interface LossyPath {
  /** Where clients send: the relay's address and port in the public namespace. */
  readonly host: string;
  readonly port: number;
  /** ICE servers that reach TURN through the relay (UDP). */
  readonly iceServers: RTCIceServer[];
}

const TURN_USER = "meshmeet";
const TURN_PASSWORD = "meshmeet";
const TURN_PORT = 3478;
/** The public network: 198.19.0.0/16. The public namespace is .0.1; router i's public address 198.19.i.(1+moves). */
const PUBLIC_ADDRESS = "198.19.0.1";
const READY_TIMEOUT_MS = 15_000;
/** Namespace names start with this and the runner's pid, so leftovers of a dead run can be told apart. */
const PREFIX = "mmnet";

let networks = 0;

function run(file: string, args: string[], input?: string): string {
  try {
    return execFileSync(file, args, { input, stdio: ["pipe", "pipe", "pipe"], encoding: "utf8" });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${file} ${args.join(" ")}: ${e.stderr?.trim() || e.message}`, { cause: error });
  }
}

/** `ip -n ns ...` lines, in one ip process. */
function ipBatch(ns: string | null, lines: string[]): void {
  run("ip", [...(ns ? ["-n", ns] : []), "-batch", "-"], lines.join("\n") + "\n");
}

function nft(ns: string, script: string[]): void {
  run("ip", ["netns", "exec", ns, "nft", "-f", "-"], script.join("\n") + "\n");
}

/**
 * Adds the nft table `table` (`script`) in namespace `ns` and notes it in `faults` under `key` (for
 * cleanup); the fault's restore() deletes it once and says when.
 */
function installFault(ns: string, table: string, script: string[], faults: Set<string>, key: string): NetFault {
  const at = Date.now();
  nft(ns, script);
  faults.add(key);
  let restoredAt = 0;
  return {
    at,
    restore: () => {
      if (restoredAt) return restoredAt;
      restoredAt = Date.now();
      run("ip", ["netns", "exec", ns, "nft", "delete", "table", "inet", table]);
      faults.delete(key);
      return restoredAt;
    },
  };
}

function sysctl(ns: string, key: string, value: string): void {
  run("ip", ["netns", "exec", ns, "sh", "-c", `echo ${value} > /proc/sys/${key.replaceAll(".", "/")}`]);
}

/** Namespaces of runs whose process is gone (a killed test run cannot clean up after itself). */
function removeLeftovers(): void {
  let names: string[];
  try {
    names = run("ip", ["netns", "list"]).split("\n").map((line) => line.split(" ")[0] ?? "");
  } catch {
    return;
  }
  for (const name of names) {
    const match = new RegExp(`^${PREFIX}([0-9a-z]+)x`).exec(name);
    if (!match) continue;
    const pid = parseInt(match[1]!, 36);
    if (pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    try {
      // Its processes (a server, coturn, a browser) outlived the run that started them.
      for (const leftover of run("ip", ["netns", "pids", name]).split("\n").filter(Boolean)) {
        try {
          process.kill(Number(leftover), "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
      run("ip", ["netns", "del", name]);
    } catch {
      // Someone else's; leave it.
    }
  }
}

/** Starts a process and resolves once a line of its output contains `ready` (or rejects). */
function startProcess(label: string, command: string, args: string[], ready: string, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label} did not start within ${READY_TIMEOUT_MS} ms; its output:\n${seen.slice(-2000)}`));
    }, READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (seen.includes(ready)) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stderr?.off("data", onData);
        // Keep draining, or a chatty process blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}) before it was ready; its output:\n${seen.slice(-2000)}`));
    });
  });
}

async function stopProcess(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/**
 * The UDP relay, run as its own Node process in the public namespace (so this function's source is
 * sent, not a closure: it must be self-contained CommonJS). One upstream socket per client, so the
 * server sees each client as its own address; every datagram, each way, is dropped with probability
 * `loss` or else delivered `delayMs` later (a constant delay keeps the order).
 */
function relayMain(cfg: { listenHost: string; listenPort: number; targetHost: string; targetPort: number; delayMs: number; loss: number }): void {
  const dgram = process.getBuiltinModule("node:dgram");
  const server = dgram.createSocket("udp4");
  const upstreams = new Map<string, import("node:dgram").Socket>();
  const pass = (): boolean => Math.random() >= cfg.loss;
  server.on("message", (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let up = upstreams.get(key);
    if (!up) {
      const socket = dgram.createSocket("udp4");
      socket.bind(0, cfg.listenHost);
      socket.on("message", (back) => {
        if (pass()) setTimeout(() => server.send(back, from.port, from.address), cfg.delayMs);
      });
      upstreams.set(key, socket);
      up = socket;
    }
    const upstream = up;
    if (pass()) setTimeout(() => upstream.send(msg, cfg.targetPort, cfg.targetHost), cfg.delayMs);
  });
  server.bind(cfg.listenPort, cfg.listenHost, () => console.log("relay ready"));
}

/**
 * A participant's machine: its own network namespace behind its own NAT router namespace, on the
 * public network. Faults act on its router, so the browser inside sees what it would at home: packets
 * stop, or its public address changes.
 */
export class NetHost {
  /** The host's own (private) address. */
  address: string;
  /** The address the public network sees it from (its router's). */
  publicAddress: string;
  private moves = 0;
  private faults = new Set<string>();
  private nextFault = 0;
  private browsers: Browser[] = [];
  private shared: Promise<Browser> | null = null;

  /** @internal */
  constructor(
    /** The host's namespace (run anything in it with `ip netns exec`). */
    readonly namespace: string,
    /** Its router's namespace. */
    readonly router: string,
    readonly index: number,
    readonly nat: NatKind,
    private readonly network: MeshNetwork,
  ) {
    this.address = `198.18.${index}.2`;
    this.publicAddress = `198.19.${index}.1`;
  }

  /** @internal Builds the namespaces, links and NAT rules. */
  build(): void {
    const { namespace: host, router, index } = this;
    run("ip", ["netns", "add", router]);
    run("ip", ["netns", "add", host]);
    // Router: "wan" on the public bridge, "lan" to the host.
    run("ip", ["-n", router, "link", "add", "wan", "type", "veth", "peer", "name", `r${index}`, "netns", this.network.publicNamespace]);
    run("ip", ["-n", router, "link", "add", "lan", "type", "veth", "peer", "name", "eth0", "netns", host]);
    ipBatch(this.network.publicNamespace, [`link set r${index} master br0`, `link set r${index} up`]);
    ipBatch(router, [
      "link set lo up",
      `addr add ${this.publicAddress}/16 dev wan`,
      "link set wan up",
      `addr add 198.18.${index}.1/24 dev lan`,
      "link set lan up",
      `route add default via ${PUBLIC_ADDRESS} dev wan`,
    ]);
    ipBatch(host, ["link set lo up", `addr add ${this.address}/24 dev eth0`, "link set eth0 up", `route add default via 198.18.${index}.1 dev eth0`]);
    sysctl(router, "net.ipv4.ip_forward", "1");
    // The NAT, and a home router's filter: from outside, only replies to what went out get in.
    nft(router, [
      "table ip nat {",
      "  chain post {",
      "    type nat hook postrouting priority srcnat; policy accept;",
      `    oifname "wan" masquerade${this.nat === "symmetric" ? " random,fully-random" : ""}`,
      "  }",
      "}",
      "table inet home {",
      // Unsolicited packets from outside are dropped before conntrack keeps them: a kept entry would
      // take the port our own mapping wants (Linux then picks another port, and hole punching between
      // two of these routers fails at random, measured).
      "  chain pre {",
      "    type filter hook prerouting priority -150; policy accept;",
      '    iifname "wan" ct state new drop',
      "  }",
      "  chain forward {",
      "    type filter hook forward priority filter; policy drop;",
      "    ct state established,related accept",
      '    iifname "lan" accept',
      "  }",
      "}",
    ]);
  }

  /** This host's Chromium (launched on first use, then shared: each participant gets its own context in it). */
  browser(): Promise<Browser> {
    this.shared ??= this.launch();
    return this.shared;
  }

  /**
   * Launches Chromium inside this host's namespace (a wrapper running `ip netns exec NS chromium`,
   * Playwright talking to it over its pipe), with the kit's WebRTC flags, the network's app origin
   * treated as secure. Closed by the network's dispose().
   */
  async launch(extraArgs: readonly string[] = []): Promise<Browser> {
    // The app is served over plain http from a public address: not a secure context (no WebCrypto,
    // no camera) unless the browser is told to treat it as one.
    const options = chromiumOptions([`--unsafely-treat-insecure-origin-as-secure=${this.network.url}`, ...extraArgs]);
    const binary = options.executablePath ?? chromium.executablePath();
    const wrapper = join(this.network.dir, `chromium-${this.namespace}.sh`);
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${this.namespace} ${binary} "$@"\n`, { mode: 0o755 });
    const browser = await chromium.launch({ executablePath: wrapper, args: options.args });
    this.browsers.push(browser);
    return browser;
  }

  private addFault(chain: "forward" | "input" | "output", ns: string, rules: string[]): NetFault {
    this.nextFault += 1;
    const table = `fault${this.nextFault}`;
    const script = [`add table inet ${table}`, `add chain inet ${table} c { type filter hook ${chain} priority -10; policy accept; }`];
    for (const rule of rules) script.push(`add rule inet ${table} c ${rule} drop`);
    return installFault(ns, table, script, this.faults, `${ns} ${table}`);
  }

  /** Drops every packet to and from this host (its router forwards nothing) until `restore()`. */
  cutOff(): NetFault {
    return this.addFault("forward", this.router, ['iifname "lan"', 'oifname "lan"']);
  }

  /**
   * An outage: every packet to and from this host dropped for `ms`, then the network is back. Resolves
   * when it is back, with when it went (`at`) and when it came back (`restoredAt`), on Date.now()'s clock.
   */
  async cut(ms: number): Promise<{ at: number; restoredAt: number }> {
    const fault = this.cutOff();
    // The outage's length is the point: a fixed wait is right here.
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { at: fault.at, restoredAt: fault.restore() };
  }

  /** Drops all UDP to and from this host (a network that lets only TCP out) until `restore()`. */
  dropUdp(): NetFault {
    return this.addFault("forward", this.router, ["meta l4proto udp"]);
  }

  /** Drops this host's traffic to and from the broker only (TCP to the server's port), until `restore()`. */
  cutBroker(): NetFault {
    const { host, port } = this.network.broker;
    return this.addFault("forward", this.router, [`ip daddr ${host} tcp dport ${port}`, `ip saddr ${host} tcp sport ${port}`]);
  }

  /**
   * Changes the host's address mid-meeting. `"public"` (default): its router gets a new public address
   * (the old one is removed, and with it every NAT mapping: what a phone moving from wifi to mobile data
   * looks like from outside; the browser itself sees no change). `"local"`: the host's own interface is
   * renumbered (the browser sees its address change; its router stays). Returns when, and the new address.
   */
  moveAddress(which: "public" | "local" = "public"): { at: number; from: string; to: string } {
    this.moves += 1;
    const at = Date.now();
    if (which === "public") {
      const from = this.publicAddress;
      const to = `198.19.${this.index}.${1 + this.moves}`;
      // Removing the only address takes its routes with it: add the default route again.
      ipBatch(this.router, [`addr del ${from}/16 dev wan`, `addr add ${to}/16 dev wan`, `route replace default via ${PUBLIC_ADDRESS} dev wan`]);
      // The kernel's masquerade drops every mapping of a removed address by itself: from now on the
      // host's packets leave from the new address, and replies to the old one find nobody.
      this.publicAddress = to;
      return { at, from, to };
    }
    const from = this.address;
    const to = `198.18.${this.index}.${2 + this.moves}`;
    ipBatch(this.namespace, [`addr del ${from}/24 dev eth0`, `addr add ${to}/24 dev eth0`, `route replace default via 198.18.${this.index}.1 dev eth0`]);
    this.address = to;
    return { at, from, to };
  }

  /** Lifts every fault still in place on this host. */
  restoreAll(): void {
    for (const key of [...this.faults]) {
      const [ns, table] = key.split(" ") as [string, string];
      try {
        run("ip", ["netns", "exec", ns, "nft", "delete", "table", "inet", table]);
      } catch {
        // The namespace may be gone already.
      }
      this.faults.delete(key);
    }
  }

  /** @internal Closes its browsers and removes its namespaces. */
  async dispose(): Promise<void> {
    await Promise.all(this.browsers.map((b) => b.close().catch(() => undefined)));
    this.browsers = [];
    this.shared = null;
    this.faults.clear();
    for (const ns of [this.namespace, this.router]) {
      try {
        run("ip", ["netns", "del", ns]);
      } catch {
        // Already gone.
      }
    }
  }
}

/**
 * A test's own network: a public namespace holding the app's server (pages and PeerJS broker) and,
 * by default, coturn (TURN over UDP and TCP, and STUN); participants each in their own namespace behind
 * a NAT router ({@link addHost}, {@link open}). Build one per test and `dispose()` it in a `finally`
 * or an afterEach: it kills its processes and removes every namespace it made, faults included.
 * Addresses are in 198.18.0.0/15 only. Run the test runner itself in a private namespace
 * (`meshmeet-netns`, i.e. `.ci/netns-run`) so that nothing reaches a real network.
 */
export class MeshNetwork {
  /** The public namespace (server, broker, TURN). */
  readonly publicNamespace: string;
  /** @internal A scratch directory (Chromium wrappers, coturn's files). */
  readonly dir: string;
  /** The broker, as participants reach it: pass as `initMeeting({ broker })` (the kit does). */
  readonly broker: Required<Pick<BrokerOptions, "host" | "port" | "path" | "key">> & { secure: false };
  private readonly hosts: NetHost[] = [];
  /** Every participant {@link open} opened, in order. */
  readonly participants: NetParticipant[] = [];
  private readonly processes: ChildProcess[] = [];
  private server: ChildProcess | null = null;
  private turnProcess: ChildProcess | null = null;
  private readonly prefix: string;
  private faults = new Set<string>();
  private nextFault = 0;
  private nextRelayPort = 3600;

  private constructor(
    private readonly options: MeshNetworkOptions,
    readonly port: number,
  ) {
    networks += 1;
    this.prefix = `${PREFIX}${process.pid.toString(36)}x${networks}`;
    this.publicNamespace = `${this.prefix}pub`;
    this.dir = mkdtempSync(join(tmpdir(), "meshmeet-net-"));
    this.broker = { host: PUBLIC_ADDRESS, port, path: options.brokerPath ?? "/broker", key: "peerjs", secure: false };
  }

  /** Whether this machine can build networks: root, `ip`, `nft`, and `turnserver` when `turn` is wanted. Null if so, else why not. */
  static unavailable(turn = true): string | null {
    if (process.platform !== "linux") return "network namespaces need Linux";
    if (process.getuid?.() !== 0) return "building network namespaces needs root";
    for (const tool of ["ip", "nft", ...(turn ? ["turnserver"] : [])]) {
      try {
        run("sh", ["-c", `command -v ${tool}`]);
      } catch {
        return `${tool} is missing (Debian: ${tool === "ip" ? "iproute2" : tool === "turnserver" ? "coturn" : "nftables"})`;
      }
    }
    return null;
  }

  /** Builds the public network and starts the server (and coturn). On failure, undoes what it did. */
  static async create(options: MeshNetworkOptions, port = 8090): Promise<MeshNetwork> {
    removeLeftovers();
    const network = new MeshNetwork(options, port);
    try {
      await network.start();
    } catch (error) {
      await network.dispose();
      throw error;
    }
    return network;
  }

  /** The app's origin, as participants reach it. */
  get url(): string {
    return `http://${PUBLIC_ADDRESS}:${this.port}`;
  }

  private async start(): Promise<void> {
    const ns = this.publicNamespace;
    run("ip", ["netns", "add", ns]);
    ipBatch(ns, [
      "link set lo up",
      "link add br0 type bridge",
      `addr add ${PUBLIC_ADDRESS}/16 dev br0`,
      "link set br0 up",
      // coturn's relay allocations fail ("Network unreachable") without a default route (measured);
      // nothing answers there, nothing needs to.
      "route add default via 198.19.255.254 dev br0",
    ]);
    await this.startServer();
    if (this.options.turn ?? true) await this.startTurn();
  }

  /** Starts the app's server (again, after {@link killServer}). */
  async startServer(): Promise<void> {
    const { command, args, cwd, env } = this.options.server;
    this.server = await startProcess(
      "the app server",
      "ip",
      ["netns", "exec", this.publicNamespace, command, ...args],
      "http://",
      { cwd, env: { ...process.env, ...env, PORT: String(this.port), HOST: PUBLIC_ADDRESS } },
    );
  }

  /** SIGKILL of the app's server: the broker vanishes without closing anything. */
  async killServer(): Promise<void> {
    await stopProcess(this.server);
    this.server = null;
  }

  private async startTurn(): Promise<void> {
    this.turnProcess = await startProcess("coturn", "ip", [
      "netns", "exec", this.publicNamespace, "turnserver",
      "-n", "--log-file=stdout", "--simple-log", "--no-cli", "--no-tls", "--no-dtls",
      `--listening-ip=${PUBLIC_ADDRESS}`, `--relay-ip=${PUBLIC_ADDRESS}`, `--listening-port=${TURN_PORT}`,
      "--lt-cred-mech", `--user=${TURN_USER}:${TURN_PASSWORD}`, "--realm=meshmeet", "--fingerprint",
      "--allowed-peer-ip=198.18.0.0-198.19.255.255",
      `--pidfile=${join(this.dir, "turnserver.pid")}`, `--userdb=${join(this.dir, "turndb")}`,
    ], "Total General servers");
  }

  /** TURN through coturn: over UDP, or over TCP (`transport=tcp`, for networks that drop UDP). */
  turn(transport: "udp" | "tcp" = "udp"): RTCIceServer[] {
    return [{ urls: `turn:${PUBLIC_ADDRESS}:${TURN_PORT}?transport=${transport}`, username: TURN_USER, credential: TURN_PASSWORD }];
  }

  /** STUN only (coturn's): participants learn their public address, nothing is relayed. */
  stun(): RTCIceServer[] {
    return [{ urls: `stun:${PUBLIC_ADDRESS}:${TURN_PORT}` }];
  }

  /**
   * A slow lossy path to TURN: a UDP relay in the public namespace in front of coturn that delays every
   * datagram by `delayMs` and drops `loss` (0-1) of them, each way. Use its `iceServers`: then every
   * byte between participants crosses it twice (sender to TURN, TURN to receiver).
   */
  async lossyTurn(options: { delayMs: number; loss: number }): Promise<LossyPath> {
    const port = this.nextRelayPort++;
    const cfg = { listenHost: PUBLIC_ADDRESS, listenPort: port, targetHost: PUBLIC_ADDRESS, targetPort: TURN_PORT, ...options };
    const source = `(${relayMain.toString()})(${JSON.stringify(cfg)})`;
    this.processes.push(await startProcess("the UDP relay", "ip", ["netns", "exec", this.publicNamespace, process.execPath, "-e", source], "relay ready"));
    return {
      host: PUBLIC_ADDRESS,
      port,
      iceServers: [{ urls: `turn:${PUBLIC_ADDRESS}:${port}?transport=udp`, username: TURN_USER, credential: TURN_PASSWORD }],
    };
  }

  /** A new host (namespace) behind its own NAT router on the public network. */
  addHost(options: HostOptions = {}): NetHost {
    const index = this.hosts.length + 1;
    const host = new NetHost(`${this.prefix}h${index}`, `${this.prefix}r${index}`, index, options.nat ?? "cone", this);
    this.hosts.push(host);
    host.build();
    return host;
  }

  /**
   * Opens a participant: a host behind a NAT (or `options.host`), a Chromium in it, and the kit's
   * MeshParticipant on the app page with the network's broker. `iceServers` default: TURN over UDP.
   * The participant's `net` is its host, for faults.
   */
  async open(options: OpenOptions): Promise<NetParticipant> {
    const { nat, path, create, host: given, ...overrides } = options;
    const host = given ?? this.addHost(nat ? { nat } : {});
    const browser = await host.browser();
    const info: JoinInfo = {
      meetingId: "net",
      name: options.participantId,
      broker: this.broker,
      iceServers: this.turn("udp"),
      ...overrides,
    };
    const participant = await MeshParticipant.open(browser, `${this.url}${path ?? "/e2e/pages/blank.html"}`, info, create ?? createWithGlobalBuild);
    const opened = Object.assign(participant, { net: host });
    this.participants.push(opened);
    return opened;
  }

  /** Drops all traffic to and from the broker (TCP to the server's port, for everyone) until `restore()`. */
  cutBroker(): NetFault {
    this.nextFault += 1;
    const table = `fault${this.nextFault}`;
    const ns = this.publicNamespace;
    const script = [
      `add table inet ${table}`,
      `add chain inet ${table} in { type filter hook input priority -10; policy accept; }`,
      `add chain inet ${table} out { type filter hook output priority -10; policy accept; }`,
      `add rule inet ${table} in tcp dport ${this.port} drop`,
      `add rule inet ${table} out tcp sport ${this.port} drop`,
    ];
    return installFault(ns, table, script, this.faults, table);
  }

  /** Lifts every fault of the network and its hosts. */
  restoreAll(): void {
    for (const table of [...this.faults]) {
      try {
        run("ip", ["netns", "exec", this.publicNamespace, "nft", "delete", "table", "inet", table]);
      } catch {
        // Gone with its namespace.
      }
      this.faults.delete(table);
    }
    for (const host of this.hosts) host.restoreAll();
  }

  /**
   * Uncaught errors and unhandled rejections of every participant's page so far, each line prefixed
   * with its id (a crashed or frozen page, which cannot answer, has nothing to add).
   */
  async uncaught(): Promise<string[]> {
    const problems: string[] = [];
    for (const participant of this.participants) {
      if (participant.page.isClosed()) continue;
      const snapshot = await within(participant.snapshot().catch(() => null), 1000, null);
      for (const error of snapshot?.uncaught ?? []) problems.push(`${participant.id}: ${error}`);
    }
    return problems;
  }

  /** Closes every browser, kills every process, removes every namespace and scratch file. Safe to call twice. */
  async dispose(): Promise<void> {
    await Promise.all(this.participants.map((p) => p.close()));
    this.participants.length = 0;
    await Promise.all(this.hosts.map((h) => h.dispose()));
    this.hosts.length = 0;
    await Promise.all([...this.processes, this.server, this.turnProcess].map((p) => stopProcess(p)));
    this.processes.length = 0;
    this.server = null;
    this.turnProcess = null;
    try {
      run("ip", ["netns", "del", this.publicNamespace]);
    } catch {
      // Never made, or already gone.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
