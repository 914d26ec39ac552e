// Meetings on real networks the test builds: every participant's Chromium in its own network namespace
// behind a NAT router, the app server (pages + PeerJS broker) and Debian's coturn on a public network,
// and the faults people meet on real networks: outages, a new address, the broker alone unreachable, a
// slow lossy path, a crash. Built with the meshmeet/testing kit (MeshNetwork); needs root, iproute2,
// nftables and coturn (`.ci/run` installs them) and must run inside `.ci/netns-run`.
// Figures go to test-results/figures.jsonl. MESHMEET_NET_FIGURES=1 repeats what the medians need
// (5 runs of each outage length, 5 rounds of join/end over TURN); CI runs each once (rounds: 3).
import { expect, test as base, MeshNetwork, waitForFullMesh, type MeshParticipant, type NetParticipant, type OpenOptions } from "meshmeet/testing";
import { recordFigure } from "./faults.js";

const FIGURES = process.env.MESHMEET_NET_FIGURES === "1";
const ROUNDS = FIGURES ? 5 : 3;
const OUTAGE_RUNS = FIGURES ? 5 : 1;
/** Issue 14's targets: back within 2 s of the network returning (median), 5 s worst; crash seen within 3 s. */
const BACK_WITHIN_MS = 5000;
const LOST_WITHIN_MS = 3000;
/** Issue 14: a dead broker socket is noticed within 10 s (plus a check's worth of slack). */
const BROKER_NOTICED_MS = 12_000;

const unavailable = MeshNetwork.unavailable();

const test = base.extend<{ net: MeshNetwork }>({
  // eslint-disable-next-line no-empty-pattern
  net: async ({}, use, testInfo) => {
    // In CI a machine that cannot build networks is a failure, not a skip.
    if (unavailable && !process.env.CI) test.skip(true, unavailable);
    const net = await MeshNetwork.create({ server: { command: process.execPath, args: ["demo/server.mjs"] } });
    try {
      await use(net);
      if (testInfo.status !== testInfo.expectedStatus) {
        const reports = await Promise.all(net.participants.map(async (p) => `${p.id} (${p.net.namespace}):\n  ${(await p.report()).join("\n  ")}`));
        const text = reports.join("\n");
        await testInfo.attach("participants.txt", { body: text, contentType: "text/plain" });
        console.log(`What each participant saw:\n${text}`);
      }
      const problems = await net.uncaught();
      if (problems.length > 0) throw new Error(`uncaught errors in participants' pages:\n${problems.join("\n")}`);
    } finally {
      await net.dispose();
    }
  },
});

let meetings = 0;
function meetingId(): string {
  meetings += 1;
  return `net${Date.now().toString(36)}n${meetings}`;
}

/** Opens participants with `options` (ids p0, p1, ...) and joins them one after another; waits for the full mesh. */
async function formMeeting(net: MeshNetwork, count: number, options: Partial<OpenOptions> = {}): Promise<NetParticipant[]> {
  const id = options.meetingId ?? meetingId();
  const group: NetParticipant[] = [];
  for (let i = 0; i < count; i++) {
    const p = await net.open({ ...options, meetingId: id, participantId: `p${i}` });
    await p.join();
    group.push(p);
  }
  await waitForFullMesh(group, 20_000);
  return group;
}

/** Every live link of `p` goes through TURN: one end or the other of its selected pair is a relay address. */
async function expectRelayed(p: MeshParticipant, relay: string): Promise<void> {
  const pairs = await p.udpPairs();
  expect(pairs.length).toBeGreaterThan(0);
  for (const pair of pairs) expect([pair.localAddress, pair.remoteAddress], `${p.id}'s link ${JSON.stringify(pair)}`).toContain(relay);
}

/**
 * Every participant of `group` sends `count` numbered messages tagged `tag`. Each sender's messages
 * must reach each other participant exactly once, in order; resolves when they all have, with the
 * latest arrival (Date.now() clock). Bounded by `timeout`.
 */
async function chatArrives(group: MeshParticipant[], tag: string, timeout: number): Promise<number> {
  let latest = 0;
  for (const receiver of group) {
    for (const sender of group) {
      if (sender === receiver) continue;
      const last = await receiver
        .waitFor("message", { participant: { id: sender.id }, payload: { tag, last: true } }, { timeout })
        .catch(async (error: unknown) => {
          const got = (await received(receiver, tag))[sender.id] ?? [];
          throw new Error(`${receiver.id} did not get all of ${sender.id}'s "${tag}" messages within ${timeout} ms (got [${got.join(", ")}])`, { cause: error });
        });
      latest = Math.max(latest, last.at);
    }
  }
  return latest;
}

async function sendNumbered(group: MeshParticipant[], tag: string, count: number): Promise<void> {
  for (let k = 1; k <= count; k++) {
    await Promise.all(group.map((p) => p.send({ tag, k, last: k === count })));
  }
}

/** What each receiver got of `tag`, per sender: the sequence numbers in arrival order. */
async function received(receiver: MeshParticipant, tag: string): Promise<Record<string, number[]>> {
  const bySender: Record<string, number[]> = {};
  for (const e of await receiver.events("message")) {
    const { participant, payload } = e.payload as { participant: { id: string }; payload: { tag?: string; k?: number } };
    if (payload?.tag !== tag || typeof payload.k !== "number") continue;
    (bySender[participant.id] ??= []).push(payload.k);
  }
  return bySender;
}

async function expectExactlyOnceInOrder(group: MeshParticipant[], tag: string, count: number): Promise<void> {
  const sequence = Array.from({ length: count }, (_, i) => i + 1);
  for (const receiver of group) {
    const expected: Record<string, number[]> = {};
    for (const sender of group) if (sender !== receiver) expected[sender.id] = sequence;
    expect(await received(receiver, tag), `what ${receiver.id} received`).toEqual(expected);
  }
}

async function expectNobodyLeft(group: MeshParticipant[]): Promise<void> {
  for (const p of group) {
    expect(await p.events("participant-left"), `${p.id}'s participant-left events`).toEqual([]);
    expect(await p.events("meeting-left"), `${p.id}'s meeting-left events`).toEqual([]);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

for (const transport of ["udp", "tcp"] as const) {
  test(`over TURN (${transport}${transport === "tcp" ? ", all UDP dropped" : ""}) behind NATs: three meet, chat, one leaves, the host ends it`, async ({ net }) => {
    test.setTimeout(60_000 + ROUNDS * 30_000);
    const iceServers = net.turn(transport);
    // One host (namespace, NAT, Chromium) per participant, reused by every round; one symmetric NAT.
    const hosts = [net.addHost(), net.addHost({ nat: "symmetric" }), net.addHost()];
    if (transport === "tcp") for (const h of hosts) h.dropUdp();
    const joins: number[] = [];
    const ends: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const id = meetingId();
      const group: NetParticipant[] = [];
      for (const [i, host] of hosts.entries()) {
        const p = await net.open({ host, meetingId: id, participantId: `p${i}`, iceServers });
        const joined = await p.join();
        if (i === 2) joins.push(joined.ms);
        group.push(p);
      }
      await waitForFullMesh(group, 20_000);
      // Behind the port-randomizing NAT (p1) only TURN gets through; with UDP dropped, all of it is TURN
      // over TCP. (The two other routers keep ports: their link may go direct, from the addresses TURN
      // told them.)
      for (const p of transport === "tcp" ? group : [group[1]!]) await expectRelayed(p, net.broker.host);
      const tag = `r${round}`;
      await sendNumbered(group, tag, 3);
      await chatArrives(group, tag, 10_000);
      await expectExactlyOnceInOrder(group, tag, 3);
      // p1 leaves; the others see it at once.
      const [host, leaver, guest] = group as [NetParticipant, NetParticipant, NetParticipant];
      await leaver.leave();
      for (const p of [host, guest]) await p.waitFor("participant-left", { id: leaver.id, leftReason: "left" }, { timeout: 2000 });
      // A fourth joins, then the host ends the meeting for all.
      const late = await net.open({ host: leaver.net, meetingId: id, participantId: "p3", iceServers });
      await late.join();
      const rest = [host, guest, late];
      await waitForFullMesh(rest, 20_000);
      const since = Date.now();
      await host.end();
      let last = 0;
      for (const p of [guest, late]) last = Math.max(last, (await p.waitFor("meeting-left", { reason: "ended" }, { timeout: 5000 })).at);
      ends.push(last - since);
      for (const p of [...group, late]) await p.close();
    }
    recordFigure(`TURN ${transport}: join of the 3rd participant (median of ${ROUNDS})`, median(joins));
    recordFigure(`TURN ${transport}: end propagation to the last participant (median of ${ROUNDS})`, median(ends));
    console.log(`TURN ${transport}: joins of the 3rd ${joins.map(Math.round).join(", ")} ms; end propagation ${ends.map(Math.round).join(", ")} ms`);
  });
}

test("NATs that punch holes (STUN only, no TURN): two meet directly", async ({ net }) => {
  // The control for the next test: the same routers, both keeping ports, link without a relay.
  const group = await formMeeting(net, 2, { iceServers: net.stun() });
  await sendNumbered(group, "direct", 1);
  await chatArrives(group, "direct", 5000);
  const pairs = await group[0]!.udpPairs();
  expect(pairs.map((p) => p.remoteAddress)).toEqual([group[1]!.net.publicAddress]);
});

test("a port-randomizing NAT and no TURN: the second participant's join() rejects with a clear error", async ({ net }) => {
  const id = meetingId();
  const iceServers = net.stun();
  const first = await net.open({ meetingId: id, participantId: "p0", iceServers });
  await first.join();
  const second = await net.open({ meetingId: id, participantId: "p1", iceServers, nat: "symmetric" });
  const result = await second.call("join");
  // Expected (issue 14): no link can open, so join() fails instead of resolving into a meeting of one.
  expect(result.ok, `join() ${JSON.stringify(result)}`).toBe(false);
  expect(result.code).toBeTruthy();
  expect(result.ms).toBeLessThan(20_000);
  expect((await second.snapshot()).state).not.toBe("joined");
  expect(await second.events("meeting-joined")).toEqual([]);
  expect(await first.sees()).toEqual([]);
  expect((await first.snapshot()).isHost).toBe(true);
});

const OUTAGES = [1000, 2000, 5000, 10_000, 20_000];
for (const outage of OUTAGES) {
  const runs = outage === 1000 ? 1 : OUTAGE_RUNS;
  for (let run = 1; run <= runs; run++) {
    test(`outage of ${outage / 1000} s on one of three (${run}/${runs}): nobody leaves, chat sent meanwhile arrives once and in order`, async ({ net }) => {
      test.setTimeout(90_000 + outage);
      const group = await formMeeting(net, 3, { iceServers: net.turn("udp") });
      const victim = group[1]!;
      const others = group.filter((p) => p !== victim);
      const fault = victim.net.cutOff();
      // The outage's length is the point: fixed waits, with everyone chatting in the middle of it.
      await victim.page.waitForTimeout(outage / 2);
      const tag = `o${outage}`;
      await sendNumbered(group, tag, 3);
      await victim.page.waitForTimeout(outage / 2);
      const back = fault.restore();
      const arrived = await chatArrives(group, tag, 15_000);
      const returnMs = arrived - back;
      recordFigure(`outage ${outage / 1000} s: chat flowing again after the network returned`, returnMs);
      console.log(`outage ${outage} ms: chat flowing again ${returnMs} ms after the network returned`);
      // One more message from each, after the queued ones: anything delivered twice would be counted.
      await sendNumbered(group, `${tag}after`, 1);
      await chatArrives(group, `${tag}after`, 5000);
      await expectExactlyOnceInOrder(group, tag, 3);
      await expectNobodyLeft(group);
      // Everyone is back in state joined (bounded: the cut-off one's broker socket is replaced too), in a full mesh.
      for (const p of group) {
        await expect.poll(async () => (await p.snapshot()).state, { timeout: BACK_WITHIN_MS, message: `${p.id}'s state after the outage` }).toBe("joined");
      }
      await waitForFullMesh(group, 5000);
      const about = async (p: MeshParticipant, type: string, id: string): Promise<number[]> =>
        (await p.events(type)).filter((e) => (e.payload as { id: string }).id === id).map((e) => e.at);
      for (const p of others) {
        // The two whose network stayed never saw each other reconnecting.
        for (const q of others) if (q !== p) expect(await about(p, "participant-reconnecting", q.id), `${p.id} saw ${q.id} reconnecting`).toEqual([]);
        const away = await about(p, "participant-reconnecting", victim.id);
        const again = await about(p, "participant-reconnected", victim.id);
        expect(again.length, `${p.id}: each participant-reconnecting of ${victim.id} followed by participant-reconnected`).toBe(away.length);
        if (outage >= 2000) {
          // Long enough to be noticed: seen reconnecting once, and back once (twice would be a flap users see).
          expect(away.length, `${p.id} saw ${victim.id} reconnecting (times)`).toBe(1);
          expect(away[0]!).toBeGreaterThanOrEqual(fault.at);
          expect(again[0]!).toBeGreaterThanOrEqual(back);
        }
      }
      if (outage >= 2000) {
        const states = (await victim.events("meeting-state-changed")).filter((e) => e.at >= fault.at).map((e) => (e.payload as { meetingState: string }).meetingState);
        expect(states, `${victim.id}'s own state changes since the outage began`).toEqual(["reconnecting", "joined"]);
      }
      expect(returnMs).toBeLessThan(BACK_WITHIN_MS);
    });
  }
}

test("crash over TURN: the others see connection-lost within 3 s", async ({ net }) => {
  const group = await formMeeting(net, 3, { iceServers: net.turn("udp") });
  const since = Date.now();
  await group[2]!.crash();
  let worst = 0;
  for (const p of group.slice(0, 2)) {
    const left = await p.waitFor("participant-left", { id: "p2", leftReason: "connection-lost" }, { timeout: LOST_WITHIN_MS + 5000 });
    worst = Math.max(worst, left.at - since);
  }
  recordFigure("crash over TURN: seen as gone", worst);
  expect(worst).toBeLessThan(LOST_WITHIN_MS);
  await waitForFullMesh(group.slice(0, 2), 5000);
});

for (const outage of [10_000, 60_000]) {
  test(`broker unreachable for ${outage / 1000} s: the meeting goes on, and a newcomer joins once it is back`, async ({ net }) => {
    test.setTimeout(120_000 + outage);
    const group = await formMeeting(net, 3, { iceServers: net.turn("udp") });
    const fault = net.cutBroker();
    // Links carry chat while the broker is away.
    await sendNumbered(group, "during", 2);
    await chatArrives(group, "during", 5000);
    // Everyone notices, while the broker is still away, that its broker socket is dead: its state says so.
    // (Soft: the rest of the test still says whether the meeting went on and took a newcomer.)
    const noticeWithin = Math.min(BROKER_NOTICED_MS, outage);
    const noticed = await Promise.all(
      group.map((p) => p.waitFor("meeting-state-changed", { meetingState: "reconnecting" }, { timeout: noticeWithin, after: fault.at }).catch(() => null)),
    );
    for (const [i, event] of noticed.entries()) {
      if (event) recordFigure("broker unreachable: noticed", event.at - fault.at);
      expect.soft(event, `p${i} noticed within ${noticeWithin} ms that its broker is unreachable (state reconnecting)`).not.toBeNull();
    }
    // The outage's length is the point.
    await group[0]!.page.waitForTimeout(Math.max(0, fault.at + outage - Date.now()));
    await sendNumbered(group, "late", 2);
    await chatArrives(group, "late", 5000);
    const back = fault.restore();
    for (const p of group) {
      await expect.poll(async () => (await p.snapshot()).state, { timeout: 20_000, message: `${p.id}'s state after the broker came back` }).toBe("joined");
    }
    recordFigure(`broker unreachable ${outage / 1000} s: everyone joined again`, Date.now() - back);
    const newcomer = await net.open({ meetingId: group[0]!.meetingId, participantId: "p9", iceServers: net.turn("udp") });
    const joined = await newcomer.call("join");
    expect(joined.ok, `newcomer's join() ${JSON.stringify(joined)}`).toBe(true);
    await waitForFullMesh([...group, newcomer], 20_000);
    recordFigure(`broker unreachable ${outage / 1000} s: a newcomer joined, after the broker came back`, Date.now() - back);
    await expectNobodyLeft(group);
    await expectExactlyOnceInOrder(group, "during", 2);
    await expectExactlyOnceInOrder(group, "late", 2);
  });
}

test("address change: the participant's public address changes mid-meeting; it heals like a blip", async ({ net }) => {
  const group = await formMeeting(net, 3, { iceServers: net.turn("udp") });
  const mover = group[1]!;
  const { at } = mover.net.moveAddress("public");
  await sendNumbered(group, "moved", 3);
  const arrived = await chatArrives(group, "moved", 15_000);
  recordFigure("address change: chat flowing again", arrived - at);
  console.log(`address change: chat flowing again after ${arrived - at} ms`);
  await expectExactlyOnceInOrder(group, "moved", 3);
  await expectNobodyLeft(group);
  await waitForFullMesh(group, 5000);
  for (const p of group) expect((await p.snapshot()).state).toBe("joined");
  expect(arrived - at).toBeLessThan(BACK_WITHIN_MS);
});

test("slow lossy path (150 ms, about 8 % loss end to end, through TURN): a meeting forms, chat arrives, nobody is dropped over 30 s", async ({ net }) => {
  test.setTimeout(120_000);
  // The relay sits between each participant and TURN: 75 ms and 4 % loss per crossing, each way; a
  // message crosses it twice (to TURN, from TURN).
  const lossy = await net.lossyTurn({ delayMs: 75, loss: 0.04 });
  const started = Date.now();
  const group = await formMeeting(net, 3, { iceServers: lossy.iceServers });
  const formed = Date.now() - started;
  recordFigure("slow lossy path: three in a full mesh", formed);
  const since = Date.now();
  let sent = 0;
  // 30 s of a meeting on this path (the duration is the point), chatting twice a second.
  while (Date.now() - since < 30_000) {
    sent += 1;
    await Promise.all(group.map((p) => p.send({ tag: "lossy", k: sent, last: false })));
    await group[0]!.page.waitForTimeout(500);
  }
  await sendNumbered(group, "lossyend", 1);
  await chatArrives(group, "lossyend", 10_000);
  await expectExactlyOnceInOrder(group, "lossy", sent);
  await expectNobodyLeft(group);
  // A participant may be seen reconnecting for a moment (a heartbeat lost twice on this path): that is
  // not a drop, but it must come back, and the count is a figure.
  let blips = 0;
  for (const p of group) {
    const away = await p.events("participant-reconnecting");
    const back = await p.events("participant-reconnected");
    blips += away.length;
    expect(back.length, `${p.id}: every participant-reconnecting followed by participant-reconnected`).toBe(away.length);
  }
  recordFigure("slow lossy path: participant-reconnecting events in a meeting of 3 (count)", blips);
  console.log(`slow lossy path: ${blips} participant-reconnecting events, formed in ${formed} ms`);
});
