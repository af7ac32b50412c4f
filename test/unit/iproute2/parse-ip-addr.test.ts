import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseIpAddr } from "../../../provider/iproute2/parse-ip-addr";
import { HostSnapshot, SNAPSHOT_SCRIPT } from "../../../provider/host/snapshot";

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

describe("HostSnapshot", () => {
  const reply = (vlanCapable: string) =>
    `noise\n@@virtnet-snapshot addr\n${fixture}\n@@virtnet-snapshot route4\n[]\n@@virtnet-snapshot route6\n[]\n@@virtnet-snapshot vlan-filtering\n${vlanCapable}`;

  it("trusts vlan_filtering only for bridges whose sysfs attribute exists (netlink reports 0 without kernel support)", () => {
    expect(HostSnapshot.parse(reply("")).link("virbr7")?.bridge?.vlanFiltering).toBeUndefined();
    expect(HostSnapshot.parse(reply("virbr7\n")).link("virbr7")?.bridge?.vlanFiltering).toBe(false);
  });
  it("fails clearly when the reply is cut short", () => expect(() => HostSnapshot.parse("@@virtnet-snapshot addr\n[]")).toThrow(/no complete observation/));
  it("observes links with addresses and both main route tables, nothing more", () =>
    expect(SNAPSHOT_SCRIPT.match(/\bip -j[^;\n]*/g)).toEqual(["ip -j -d addr show", "ip -j -d -4 route show table main", "ip -j -d -6 route show table main 2>/dev/null || echo '[]'"]));
});
