// The host chain on its own: who may be host follows from signatures and nothing else.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSigningKey, endStatement, handoverStatement, type SigningKey } from "../crypto.js";
import { HostChain } from "../host-chain.js";
import { Keyring } from "../keyring.js";
import type { RosterEntry, SignedRoster } from "../protocol.js";

const MEETING = "room-1";

async function keys(...ids: string[]): Promise<Record<string, Keyring>> {
  const out: Record<string, Keyring> = {};
  for (const id of ids) {
    out[id] = new Keyring(MEETING);
    await out[id].init();
  }
  return out;
}

const entry = (k: Record<string, Keyring>, id: string, seq: number): RosterEntry => ({ id, seq, key: k[id]!.publicKey });
const nobodyGone = (): boolean => false;

/** Alice founds (epoch 0), admits bob and carol (epoch 1); `member` is a chain that took epoch 1. */
async function meeting() {
  const k = await keys("alice", "bob", "carol", "mallory");
  const host = new HostChain(MEETING);
  await host.sign(k["alice"]!, "alice", [entry(k, "alice", 0)]);
  const roster = await host.sign(k["alice"]!, "alice", [entry(k, "alice", 0), entry(k, "bob", 1), entry(k, "carol", 2)]);
  const member = new HostChain(MEETING);
  const admission = { seq: 2, key: k["carol"]!.publicKey, sig: await k["alice"]!.signAdmission("carol", 2, k["carol"]!.publicKey) };
  assert.deepEqual(await member.trust(roster, "carol", admission), { ok: true, same: false });
  return { k, host, member, roster };
}

describe("HostChain", () => {
  test("a newcomer takes the first roster only when the host it names signed it and our admission", async () => {
    const { k, roster } = await meeting();
    const proof = { seq: 3, key: k["mallory"]!.publicKey, sig: await k["alice"]!.signAdmission("mallory", 3, k["mallory"]!.publicKey) };
    assert.equal((await new HostChain(MEETING).trust(roster, "mallory", proof)).ok, true);
    const wrongSeq = { ...proof, seq: 0 };
    assert.equal((await new HostChain(MEETING).trust(roster, "mallory", wrongSeq)).ok, false, "not with another join number");
    const selfSigned = { ...roster, sig: await k["bob"]!.sign("x") };
    assert.equal((await new HostChain(MEETING).trust(selfSigned, "mallory", proof)).ok, false);
  });

  test("the same host's next roster is taken; an older, equal or forged one is not", async () => {
    const { k, host, member, roster } = await meeting();
    assert.deepEqual(await member.check(roster, nobodyGone), { ok: true, same: true });
    const next = await host.sign(k["alice"]!, "alice", [entry(k, "alice", 0), entry(k, "bob", 1)]);
    assert.deepEqual(await member.check(next, nobodyGone), { ok: true, same: false });
    assert.equal(member.entry("carol"), undefined, "carol is out of the new roster");
    assert.equal((await member.check(roster, nobodyGone)).ok, false, "an older roster never comes back");
    const forged = { ...next, epoch: next.epoch + 1, members: [entry(k, "alice", 0), entry(k, "mallory", 0)] };
    assert.equal((await member.check(forged, nobodyGone)).ok, false, "members changed under the old signature");
  });

  test("a member that signs a roster naming itself host is refused while the host is here", async () => {
    const { k, member, roster } = await meeting();
    const bobChain = new HostChain(MEETING);
    await bobChain.trust(roster, "bob", { seq: 1, key: k["bob"]!.publicKey, sig: await k["alice"]!.signAdmission("bob", 1, k["bob"]!.publicKey) });
    const coup = await bobChain.sign(k["bob"]!, "bob", [entry(k, "bob", 0), entry(k, "carol", 2)]);
    const verdict = await member.check(coup, nobodyGone);
    assert.equal(verdict.ok, false);
    assert.match(verdict.ok ? "" : verdict.why, /does not succeed alice/);
  });

  test("crash succession: the earliest member still here, and only it, once the host is gone", async () => {
    const { k, member, roster } = await meeting();
    const sign = async (id: string) => {
      const chain = new HostChain(MEETING);
      await chain.trust(roster, id, { seq: 0, key: k[id]!.publicKey, sig: await k["alice"]!.signAdmission(id, 0, k[id]!.publicKey) });
      return chain.sign(k[id]!, id, [entry(k, id, 1), entry(k, "carol", 2)]);
    };
    const byBob = await sign("bob");
    assert.equal((await member.check(byBob, nobodyGone, false)).ok, false, "alice is still here");
    const aliceGone = (id: string): boolean => id === "alice";
    assert.deepEqual(await member.check(byBob, aliceGone), { ok: true, same: false });
    assert.equal(member.hostId, "bob");
    // Had bob been gone too, carol would be the successor, not bob.
    const { member: other } = await meeting();
    assert.equal((await other.check(byBob, (id) => id === "alice" || id === "bob")).ok, false);
  });

  test("a signed handover makes the named member host at once, with a tied epoch; the proof can travel", async () => {
    const { k, member, roster } = await meeting();
    const sig = await k["alice"]!.signHandover("alice", "carol", k["carol"]!.publicKey);
    const carolChain = new HostChain(MEETING);
    await carolChain.trust(roster, "carol", { seq: 2, key: k["carol"]!.publicKey, sig: await k["alice"]!.signAdmission("carol", 2, k["carol"]!.publicKey) });
    assert.equal(await carolChain.handover("alice", "carol", k["carol"]!.publicKey, sig), true);
    const byCarol: SignedRoster = await carolChain.sign(k["carol"]!, "carol", [entry(k, "bob", 1), entry(k, "carol", 2)]);
    assert.equal((await member.check(byCarol, nobodyGone, false)).ok, false, "without the handover: alice is here, bob is earlier");
    assert.deepEqual(await member.check(byCarol, nobodyGone, true, carolChain.handoverTo("carol")), { ok: true, same: false });
    const forgedSig = await k["mallory"]!.sign(handoverStatement(MEETING, "alice", "carol", k["carol"]!.publicKey));
    assert.equal(await new HostChain(MEETING).handover("alice", "carol", k["carol"]!.publicKey, forgedSig), false);
  });

  test("admissions count when a host of the chain signed them; ends only when the current host did", async () => {
    const { k, member } = await meeting();
    const mallory: SigningKey = await createSigningKey();
    assert.equal(await member.admits("dave", { seq: 3, key: mallory.publicKey, sig: await k["alice"]!.signAdmission("dave", 3, mallory.publicKey) }), true);
    assert.equal(await member.admits("dave", { seq: 3, key: mallory.publicKey, sig: await mallory.sign("anything") }), false);
    const now = Date.now();
    const end = async (signer: Keyring | SigningKey, hostId: string, time = now) => ({
      v: 1 as const, t: "end" as const, nonce: "n1", hostId, time, sig: await signer.sign(endStatement(MEETING, hostId, "n1", time)),
    });
    assert.equal(await member.refuseEnd(await end(k["alice"]!, "alice")), null);
    assert.match((await member.refuseEnd(await end(k["bob"]!, "bob"))) ?? "", /claims bob as host/);
    assert.match((await member.refuseEnd(await end(k["bob"]!, "alice"))) ?? "", /not the host's/);
    assert.match((await member.refuseEnd(await end(k["alice"]!, "alice", now - 600_000))) ?? "", /stale/);
  });

  test("alone, a roster signed by a host of our meeting is recognised; one from another meeting is not", async () => {
    const { k, member, roster } = await meeting();
    assert.equal(await member.fromOurMeeting(roster), true);
    const stranger = new HostChain(MEETING);
    const theirs = await stranger.sign(k["mallory"]!, "mallory", [entry(k, "mallory", 0)]);
    assert.equal(await member.fromOurMeeting(theirs), false);
  });
});
