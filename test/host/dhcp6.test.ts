// DHCPv6 from a network's dnsmasq with a real exchange (docs/libvirt-behaviour.md §10): a guest namespace solicits an
// address of the IPv6 range, a reservation by the guest's DUID (inline, then as a DhcpHost) gets exactly its
// address, and the lease is listed with its IAID and DUID.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dhcpHost, network } from "../../provider";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection, uniqueBridgeName } from "../support/network-args";
import { addDhcpGuest, requestLease6, type DhcpGuest } from "../support/dhcp-guest";

type Props = Record<string, unknown>;

let sb: Sandbox;
let id: string;
let outs: Props;
let guest: DhcpGuest;
const BRIDGE = uniqueBridgeName("v6");
const MAC = "52:54:00:00:16:01";
const DUID = `00:03:00:01:${MAC}`;

const args = (hosts: Props[] = []) => ({
  connection: sandboxConnection(sb),
  bridge: { name: BRIDGE, stp: false },
  ips: [
    { address: "192.168.160.1", prefix: 24 },
    { family: "ipv6", address: "fd00:160::1", prefix: 64, dhcp: { ranges: [{ start: "fd00:160::100", end: "fd00:160::1ff" }], ...(hosts.length ? { hosts } : {}) } },
  ],
});

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await network.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

beforeAll(async () => {
  sb = await createSandbox();
  ({ id, outs } = await network.create(await checked(args())));
  guest = addDhcpGuest(sb, "s1", BRIDGE, MAC);
}, 60_000);

afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

describe("DHCPv6 with a real exchange", () => {
  it("a guest gets an address of the IPv6 range, listed in dhcpLeases with its IAID and DUID", async () => {
    const lease = await requestLease6(guest);
    expect(lease?.ip).toMatch(/^fd00:160::1[0-9a-f]{2}$/);
    const read = await network.read(id, outs);
    const leases = read.props.dhcpLeases as { ip: string; iaid?: number; clientId?: string }[];
    expect(leases).toContainEqual(expect.objectContaining({ ip: lease!.ip, iaid: lease!.iaid, clientId: DUID }));
  });

  it("an inline reservation by DUID gets exactly its address", async () => {
    const news = await checked(args([{ id: DUID, ip: "fd00:160::50" }]), outs);
    outs = (await network.update(id, outs, news)).outs;
    expect((await requestLease6(guest))?.ip).toBe("fd00:160::50");
  });

  it("a DhcpHost by DUID does the same", async () => {
    outs = (await network.update(id, outs, await checked(args(), outs))).outs;
    const inputs = (await dhcpHost.check({}, { connection: sandboxConnection(sb), bridge: BRIDGE, networkIps: outs.ips, duid: DUID, name: "v6guest", ip: "fd00:160::60" })).inputs;
    const created = await dhcpHost.create(inputs);
    expect(created.outs.reservation).toBe(`id:${DUID},v6guest,[fd00:160::60]`);
    expect((await requestLease6(guest))?.ip).toBe("fd00:160::60");
    await dhcpHost.delete(created.id, created.outs);
  });
});
