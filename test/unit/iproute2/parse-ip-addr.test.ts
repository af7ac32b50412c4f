import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseIpAddr } from "../../../provider/iproute2/parse-ip-addr";
import { HostSnapshot, SNAPSHOT_SCRIPT } from "../../../provider/host/snapshot";
import { parseBridgeFdb } from "../../../provider/iproute2/parse-bridge-fdb";

const fixture = readFileSync(join(__dirname, "../fixtures/ip-addr-bridge.json"), "utf8");

describe("parseIpAddr (captured from iproute2 6.1)", () => {
  const links = parseIpAddr(fixture);
  const bridge = links.find((l) => l.name === "virbr7")!;

  it("reads a bridge's MAC, MTU, alias and state", () => {
    expect(bridge).toMatchObject({ kind: "bridge", mac: "52:54:00:0a:0b:0c", mtu: 9000, alias: "virtnet", up: true });
  });
  it("reads STP and the forward delay in centiseconds (clamped to 200 by STP)", () => {
    expect(bridge.bridge).toEqual({ forwardDelayCentiseconds: 200, stpOn: true, vlanFiltering: false });
  });
  it("reads both address families with their prefix and scope", () => {
    expect(bridge.addresses).toEqual([
      { family: "ipv4", address: "192.168.100.1", prefix: 24, scope: "global" },
      { family: "ipv6", address: "2001:db8:ac10:fd01::1", prefix: 64, scope: "global" },
    ]);
  });
  it("reads a port's master", () => expect(links.find((l) => l.name === "veth0")?.master).toBe("virbr7"));
  it("refuses output that is not JSON, quoting it", () => expect(() => parseIpAddr("Device does not exist")).toThrow(/not JSON: Device does not exist/));
  it("refuses JSON of another shape", () => expect(() => parseIpAddr('[{"ifname": 3}]')).toThrow(/unexpected shape/));
});

// Captured from `bridge -j fdb show brport vnet0` after `bridge fdb add 52:54:00:12:34:56 dev vnet0 master temp`.
const FDB =
  '[{"mac":"52:54:00:12:34:56","flags":[],"master":"br0","state":"static"},{"mac":"fe:54:00:12:34:56","flags":[],"master":"br0","state":"permanent"},{"mac":"33:33:00:00:00:01","flags":["self"],"state":"permanent"}]';

describe("parseBridgeFdb", () => {
  it("keeps added guest entries and leaves out the port's own address and self entries", () => expect(parseBridgeFdb(FDB)).toEqual(["52:54:00:12:34:56"]));
  it("accepts an empty reply", () => expect(parseBridgeFdb("")).toEqual([]));
});

// `bridge -j fdb show state static` for the whole host: a virtnet port's added entry, and a foreign port's.
const FDB_ALL =
  '[{"mac":"52:54:00:12:34:56","ifname":"virbr7","flags":[],"master":"br0","state":"static"},{"mac":"02:00:00:00:00:09","ifname":"veth1","flags":[],"master":"br9","state":"static"}]';

describe("HostSnapshot", () => {
  const reply = (vlanCapable: string) =>
    `noise\n@@virtnet-snapshot addr\n${fixture}\n@@virtnet-snapshot route4\n[]\n@@virtnet-snapshot route6\n[]\n@@virtnet-snapshot fdb\n${FDB_ALL}\n\n@@virtnet-snapshot qdisc\n[]\n@@virtnet-snapshot tc\n\n@@virtnet-snapshot nft\nnone\n@@virtnet-snapshot forwarding\n0\n0\n@@virtnet-snapshot ra\n1\n@@virtnet-snapshot vlan-filtering\n${vlanCapable}`;

  it("trusts vlan_filtering only for bridges whose sysfs attribute exists (netlink reports 0 without kernel support)", () => {
    expect(HostSnapshot.parse(reply("")).link("virbr7")?.bridge?.vlanFiltering).toBeUndefined();
    expect(HostSnapshot.parse(reply("virbr7\n")).link("virbr7")?.bridge?.vlanFiltering).toBe(false);
  });
  it("reads the added fdb entries of virtnet's ports from one host-wide listing, and no one else's", () => {
    const fdb = HostSnapshot.parse(reply("")).fdb;
    expect(fdb.get("virbr7")).toEqual(["52:54:00:12:34:56"]);
    expect(fdb.has("veth1")).toBe(false);
  });
  it("fails clearly when the reply is cut short", () => expect(() => HostSnapshot.parse("@@virtnet-snapshot addr\n[]")).toThrow(/no complete observation/));
  it("observes links with addresses, both main route tables and the route back to the SSH client, nothing more", () =>
    // Sorted: the observation's groups of sections run at once, and the script lists them in no particular order.
    expect(SNAPSHOT_SCRIPT.match(/\bip -j[^;\n]*/g)?.sort()).toEqual(
      [
        "ip -j -d addr show",
        "ip -j -d -4 route show table main",
        "ip -j -d -6 route show table main 2>/dev/null || echo '[]'",
        `ip -j route get "\${SSH_CONNECTION%% *}" 2>/dev/null || echo '[]'`,
      ].sort(),
    ));
});
