// The forward modes with real traffic (docs/libvirt-behaviour.md §9): a guest namespace on the network's bridge,
// a WAN namespace beyond the sandbox host, TCP connections both ways. Every mode is switched to every other in place
// (0 replaces), and the verdicts are checked after each switch; an isolated network stays isolated while a NAT
// network on the same host has turned forwarding on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { network } from "../../provider";
import { hostFor } from "../../provider/host/host-pool";
import { knownConnection } from "../../provider/connection/known-connection";
import type { ConnectionInputs } from "../../provider/connection/connection";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";
import { addGuest, addWan, tcpCheck, type Endpoint } from "../support/forward-rig";

type Props = Record<string, unknown>;
type Mode = "nat" | "route" | "open" | "isolated";

let sb: Sandbox;
let guest: Endpoint;
let wan: Endpoint;
let hostUplink: string;
let id: string;
let outs: Props;
let inputs: Props;
const execsPerSwitch: number[] = [];

const BRIDGE = "vnfw0";
const args = (mode: Mode) => ({
  connection: sandboxConnection(sb),
  bridge: { name: BRIDGE, stp: false },
  ips: [{ address: "192.168.122.1", prefix: 24 }],
  ...(mode === "isolated" ? {} : { forward: { mode } }),
});

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await network.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

/** What each mode must let through, by direction; "seen A" names the source address the server saw. */
const VERDICTS: Record<Mode, { out: RegExp; in: RegExp }> = {
  nat: { out: /^seen 203\.0\.113\.1$/, in: /^(refused|timeout|unreachable)$/ },
  route: { out: /^seen 192\.168\.122\.10$/, in: /^seen 203\.0\.113\.2$/ },
  open: { out: /^seen 192\.168\.122\.10$/, in: /^seen 203\.0\.113\.2$/ },
  isolated: { out: /^(refused|timeout|unreachable)$/, in: /^(refused|timeout|unreachable)$/ },
};

async function expectTraffic(mode: Mode): Promise<void> {
  const [out, inbound] = [await tcpCheck(guest, wan), await tcpCheck(wan, guest)];
  expect({ mode, out, in: inbound }).toEqual({ mode, out: expect.stringMatching(VERDICTS[mode].out), in: expect.stringMatching(VERDICTS[mode].in) });
}

beforeAll(async () => {
  sb = await createSandbox();
  const rig = addWan(sb);
  wan = rig.wan;
  hostUplink = rig.hostAddress;
  // The WAN routes the guests' subnet back through the host, so an inbound refusal is the firewall's, not routing's.
  rig.routeBack("192.168.122.0/24");
  inputs = await checked(args("nat"));
  ({ id, outs } = await network.create(inputs));
  guest = addGuest(sb, "g1", BRIDGE, "192.168.122.10/24", "192.168.122.1");
}, 60_000);

afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

describe("forward modes with real traffic", () => {
  it("nat: the guest reaches the WAN as the host's uplink address; a new connection from the WAN is refused", async () => {
    expect(hostUplink).toBe("203.0.113.1");
    await expectTraffic("nat");
    expect(outs.firewallRules).toEqual(expect.arrayContaining(["ip guest_nat ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 counter masquerade"]));
  });

  // Every ordered pair of modes once: nat→route→open→isolated→nat→open→route→isolated→route→nat→isolated→open→nat.
  const sequence: Mode[] = ["route", "open", "isolated", "nat", "open", "route", "isolated", "route", "nat", "isolated", "open", "nat"];
  let from: Mode = "nat";
  for (const mode of sequence) {
    const previous = from;
    from = mode;
    it(`${previous} → ${mode} in place: 0 replaces, one apply, then ${mode}'s verdicts`, async () => {
      const news = await checked(args(mode), inputs);
      const diff = await network.diff(id, outs, news);
      expect(diff).toMatchObject({ changes: true, replaces: [] });
      const host = hostFor(knownConnection(news.connection as ConnectionInputs, "test"));
      const before = host.stats.execs;
      outs = (await network.update(id, outs, news)).outs;
      execsPerSwitch.push(host.stats.execs - before);
      inputs = news;
      expect((await network.diff(id, outs, inputs)).changes).toBe(false);
      expect(outs.forwardDrift).toBeUndefined();
      if (mode === "open") expect(outs.firewallRules).toBeUndefined();
      await expectTraffic(mode);
    }, 60_000);
  }

  it("keeps an isolated network isolated while another network's NAT has turned host forwarding on", async () => {
    inputs = await checked(args("isolated"), inputs);
    outs = (await network.update(id, outs, inputs)).outs;
    const other = await network.create(await checked({ connection: sandboxConnection(sb), bridge: { name: "vnfw1", stp: false }, ips: [{ address: "10.77.0.1", prefix: 24 }], forward: { mode: "nat" } }));
    try {
      expect(sb.execInNamespace(["cat", "/proc/sys/net/ipv4/ip_forward"]).trim()).toBe("1");
      await expectTraffic("isolated");
    } finally {
      await network.delete(other.id, other.outs);
    }
  }, 60_000);

  it("repairs rules deleted by hand: refresh shows the drift, the next update restores them", async () => {
    inputs = await checked(args("nat"), inputs);
    outs = (await network.update(id, outs, inputs)).outs;
    sb.execInNamespace(["nft", "flush", "chain", "ip", "virtnet_network", "guest_nat"]);
    const read = await network.read(id, outs);
    expect(read.props.forwardDrift).toBeDefined();
    expect((await network.diff(id, read.props, inputs)).changes).toBe(true);
    outs = (await network.update(id, read.props, inputs)).outs;
    expect(outs.forwardDrift).toBeUndefined();
    await expectTraffic("nat");
  }, 60_000);

  it("warns of another table's forward chain that drops, which does drop the guests' traffic, and fails nothing", async () => {
    sb.execInNamespace(["sh", "-c", "printf 'add table ip dockerlike\\nadd chain ip dockerlike FORWARD { type filter hook forward priority 0; policy drop; }\\n' | nft -f -"]);
    try {
      const read = await network.read(id, outs);
      expect(read.props.hostWarnings).toEqual([expect.stringMatching(/^table ip dockerlike chain FORWARD \(hook forward, policy drop\) drops guest traffic that virtnet_network accepts; allow vnfw0 there/)]);
      expect((await network.diff(id, read.props, inputs)).changes).toBe(false);
      expect(await tcpCheck(guest, wan, 2)).toMatch(/^(timeout|refused|unreachable)$/);
    } finally {
      sb.execInNamespace(["nft", "delete", "table", "ip", "dockerlike"]);
    }
    await expectTraffic("nat");
  }, 60_000);

  it("deletes the network's rules with the bridge and leaves no rule naming it", async () => {
    await network.delete(id, outs);
    const listing = sb.execInNamespace(["nft", "list", "table", "ip", "virtnet_network"]);
    expect(listing).not.toMatch(/vnfw0|192\.168\.122\.0/);
    console.log(`execs per mode switch: ${execsPerSwitch.join(", ")}`);
    expect(execsPerSwitch.every((n) => n <= 2)).toBe(true);
  });
});
