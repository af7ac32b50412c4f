// Failed bandwidth changes on live guests, against a real kernel (docs/architecture.md §3.3, docs/libvirt-behaviour.md
// §5): a step made to fail half-way through the provider's own plan must leave the tap's, the bridge's and their
// ifbs' traffic control exactly as it was. The fault is injected by rewriting one rendered command of the apply
// script to `false` (test/support/failing-shell.ts); everything else, the undo included, is the provider's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestInterface, network } from "../../provider";
import { SshShell } from "../../provider/exec/ssh-shell";
import { closeAllHosts, setShellFactory } from "../../provider/host/host-pool";
import { ifbNameFor } from "../../provider/net/tc";
import { FailingShell } from "../support/failing-shell";
import { sandboxConnection } from "../support/network-args";
import { createSandbox, type Sandbox } from "../support/sandbox";

type Props = Record<string, unknown>;
let sb: Sandbox;
let shell: FailingShell | undefined;

const BRIDGE = "vbrrb0";
const TAP = "vrbtap0";
const netBandwidth = { inbound: { average: 1000, peak: 2000 }, outbound: { average: 500 } };
const guestBandwidth = { inbound: { average: 1024, peak: 2048, burst: 256, floor: 300 }, outbound: { average: 512 } };
let net: { id: string; outs: Props; inputs: Props };
let guest: { id: string; outs: Props; inputs: Props };

beforeAll(async () => {
  sb = await createSandbox();
  setShellFactory((c) => (shell = new FailingShell(new SshShell(c))));
  const n = await network.check({}, { connection: sandboxConnection(sb), bridge: { name: BRIDGE, stp: false }, ips: [{ address: "192.168.155.1", prefix: 24 }], bandwidth: netBandwidth });
  expect(n.failures).toEqual([]);
  net = { ...(await network.create(n.inputs)), inputs: n.inputs };
  const g = await guestInterface.check({}, { connection: sandboxConnection(sb), bridge: BRIDGE, name: TAP, mac: "52:54:00:5b:00:01", bandwidth: guestBandwidth, networkBandwidth: netBandwidth });
  expect(g.failures).toEqual([]);
  guest = { ...(await guestInterface.create(g.inputs)), inputs: g.inputs };
});
afterAll(async () => {
  try {
    if (guest) await guestInterface.delete(guest.id, guest.outs);
    if (net) await network.delete(net.id, net.outs);
  } finally {
    closeAllHosts();
    await sb?.destroy();
  }
});

const ns = (argv: string[]) => sb.execInNamespace(argv);
const links = () => new Set((sb.ipJson(["link", "show"]) as Array<{ ifname: string }>).map((l) => l.ifname));

/**
 * `tc -d` (no statistics) for the tap, the bridge and their ifbs where they exist. tc numbers actions itself and
 * frees a deleted action's index only later, so a mirred or police action put back has the same settings under
 * another index: the index is masked, like an ifindex.
 */
function tcState(): string {
  const present = links();
  return [TAP, ifbNameFor(TAP), BRIDGE, ifbNameFor(BRIDGE)]
    .filter((d) => present.has(d))
    .map((d) =>
      [
        `== ${d}`,
        ns(["tc", "-d", "qdisc", "show", "dev", d]),
        ns(["tc", "-d", "class", "show", "dev", d]),
        ns(["tc", "-d", "filter", "show", "dev", d]),
        ns(["tc", "-d", "filter", "show", "dev", d, "parent", "ffff:"]),
      ].join("\n"),
    )
    .join("\n")
    .replace(/\bindex \d+ ref/g, "index _ ref");
}

async function checked(handlers: typeof guestInterface | typeof network, olds: Props, news: Props): Promise<Props> {
  const r = await handlers.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

/** Runs `change` with the first step matching `command` made to fail; asserts the fault fired and the undo was clean. */
async function failing(command: RegExp, change: () => Promise<unknown>): Promise<void> {
  const fault = shell!.failStep(command);
  await expect(change()).rejects.toThrow(/failed \(exit 1\): .*the steps before it were undone$/);
  expect(fault.fired).toHaveLength(1);
}

describe("failed bandwidth changes on a live guest", () => {
  it("sets up a network and a guest with a floor whose tc the tests below compare against", () => {
    expect(guest.outs.bandwidth).toEqual(guestBandwidth);
    expect(guest.outs.floorClassId).toBe(3);
    const text = tcState();
    expect(text).toMatch(new RegExp(`== ${TAP}\\nqdisc htb 1: root`));
    expect(text).toMatch(/class htb 1:3 parent 1:1 .*rate 2400Kbit ceil 16Mbit/);
  });

  for (const [where, command] of [
    ["on the tap's outbound limit (its ingress filter)", new RegExp(`^tc filter add dev ${TAP} parent ffff: `)],
    ["on the tap's inbound class", new RegExp(`^tc class add dev ${TAP} parent 1: classid 1:1 `)],
  ] as const) {
    it(`a failed bandwidth change on a live guest leaves its previous tc state exactly (failing ${where})`, async () => {
      const before = tcState();
      const news = await checked(guestInterface, guest.inputs, { ...guest.inputs, bandwidth: { inbound: { average: 2048, peak: 4096, burst: 512, floor: 400 }, outbound: { average: 256 } } });
      await failing(command, () => guestInterface.update(guest.id, guest.outs, news));
      expect(tcState()).toBe(before);
      // The provider reads back the bandwidth it had: nothing to converge but the change itself.
      expect((await guestInterface.read(guest.id, guest.outs)).props.bandwidth).toEqual(guestBandwidth);
    });
  }

  for (const [where, command] of [
    ["on the bridge's outbound limit (its ingress filter)", new RegExp(`^tc filter add dev ${BRIDGE} parent ffff: `)],
    ["on the guest's floor class ceiling", new RegExp(`^tc class change dev ${BRIDGE} classid 1:3 `)],
  ] as const) {
    it(`a failed network rate change while a guest holds a floor leaves the bridge's and the guest's tc exactly (failing ${where})`, async () => {
      const before = tcState();
      const news = await checked(network, net.outs, { ...net.inputs, bandwidth: { inbound: { average: 1500, peak: 3000 }, outbound: { average: 700 } } });
      await failing(command, () => network.update(net.id, net.outs, news));
      expect(tcState()).toBe(before);
      expect((await network.read(net.id, net.outs)).props.bandwidth).toEqual(netBandwidth);
    });
  }

  for (const [where, command] of [
    ["on the new floor filter", new RegExp(`^tc filter add dev ${BRIDGE} protocol ip prio 2 handle 800::803 `)],
    ["on the tap's MAC, after the floor filter was swapped", new RegExp(`^ip link set dev ${TAP} address `)],
  ] as const) {
    it(`a failed guest MAC change leaves its floor filter and the tap exactly (failing ${where})`, async () => {
      const before = tcState();
      const tapMac = () => (sb.ipJson(["link", "show", "dev", TAP]) as Array<{ address: string }>)[0]?.address;
      const fdb = () => ns(["bridge", "fdb", "show", "dev", TAP]);
      const [macBefore, fdbBefore] = [tapMac(), fdb()];
      const news = await checked(guestInterface, guest.inputs, { ...guest.inputs, mac: "52:54:00:5b:00:99" });
      await failing(command, () => guestInterface.update(guest.id, guest.outs, news));
      expect(tcState()).toBe(before);
      expect(tcState()).toMatch(/fh 800::803 .*flowid 1:3 [\s\S]*match 005b0001\/ffffffff at -12/);
      expect(tapMac()).toBe(macBefore);
      expect(fdb()).toBe(fdbBefore);
    });
  }

  it("applies the same changes when nothing fails (the faults above hit real steps of working plans)", async () => {
    const netNews = await checked(network, net.outs, { ...net.inputs, bandwidth: { inbound: { average: 1500, peak: 3000 }, outbound: { average: 700 } } });
    net = { ...net, outs: (await network.update(net.id, net.outs, netNews)).outs, inputs: netNews };
    expect(net.outs.bandwidth).toEqual({ inbound: { average: 1500, peak: 3000 }, outbound: { average: 700 } });
    const wanted = { inbound: { average: 2048, peak: 4096, burst: 512, floor: 400 }, outbound: { average: 256 } };
    const guestNews = await checked(guestInterface, guest.inputs, { ...guest.inputs, mac: "52:54:00:5b:00:99", bandwidth: wanted, networkBandwidth: net.outs.bandwidth });
    guest = { ...guest, outs: (await guestInterface.update(guest.id, guest.outs, guestNews)).outs, inputs: guestNews };
    expect(guest.outs.bandwidth).toEqual(wanted);
    expect(tcState()).toMatch(/fh 800::803 .*flowid 1:3 [\s\S]*match 005b0099\/ffffffff at -12/);
  });
});
