// riskOf (docs/architecture.md §3.9), pure: which plans can cut the SSH connection they are applied over, and the
// exact reason each names (it reaches the user in the error of a rolled-back change). Risky: a route whose destination
// covers the client, the removal of the server address, a change of the reply device, enslaving it, and the firewall of
// a network whose subnet holds the server address or whose bridge is the reply device. Not risky: everything else,
// routes of the other family, and any plan over a local shell (no access facts).
import { describe, expect, it } from "vitest";
import { riskOf } from "../../../provider/plan/risk";
import type { SshAccess } from "../../../provider/iproute2/parse-ssh-access";
import type { Operation, RouteSpec } from "../../../provider/net/operation";

const access: SshAccess = { client: "198.51.100.4", server: "203.0.113.7", dev: "eth0", gateway: "203.0.113.1" };
const leave = "the device SSH replies to 198.51.100.4 leave by";

const v4 = (address: string, prefix: number): RouteSpec => ({ family: "ipv4", address, prefix, gateway: "203.0.113.1", metric: 1 });
const v6 = (address: string, prefix: number): RouteSpec => ({ family: "ipv6", address, prefix, gateway: "2001:db8::1", metric: 1 });
const route = (op: "routeAdd" | "routeDel" | "routeReplace", spec: RouteSpec, name = "eth0"): Operation => ({ op, name, ...spec });
const addr = (op: "addrAdd" | "addrDel", name: string, address: string, prefix = 24): Operation => ({ op, name, family: "ipv4", address, prefix });
const htb = { parent: "1:", classId: "1:1", rateKbps: 1000, quantum: 1500 };

describe("riskOf: plans that can cut the connection, with the reason named", () => {
  const cases: [string, Operation, string][] = [
    ["a routeAdd of the client's /32", route("routeAdd", v4("198.51.100.4", 32), "virbr0"), "the route to 198.51.100.4/32, which covers the SSH client 198.51.100.4"],
    ["a routeDel of the client's /24", route("routeDel", v4("198.51.100.0", 24)), "the route to 198.51.100.0/24, which covers the SSH client 198.51.100.4"],
    ["a routeReplace of the default route", route("routeReplace", v4("0.0.0.0", 0)), "the route to 0.0.0.0/0, which covers the SSH client 198.51.100.4"],
    ["a routeAdd of the default route", route("routeAdd", v4("0.0.0.0", 0), "virbr0"), "the route to 0.0.0.0/0, which covers the SSH client 198.51.100.4"],
    ["a routeAdd of a /32 of the gateway the replies go through", route("routeAdd", v4("203.0.113.1", 32), "virbr0"), "the route to 203.0.113.1/32, which covers 203.0.113.1, the gateway SSH replies to 198.51.100.4 go through"],
    ["an addrDel of the server address", addr("addrDel", "eth0", "203.0.113.7"), "the removal of 203.0.113.7, the address SSH connects to"],
    ["an addrDel of the server address on another device", addr("addrDel", "br0", "203.0.113.7"), "the removal of 203.0.113.7, the address SSH connects to"],
    ["an addrDel of another address on eth0", addr("addrDel", "eth0", "203.0.113.8"), `an address change on eth0, ${leave}`],
    ["an addrAdd on eth0", addr("addrAdd", "eth0", "192.0.2.1"), `a change of eth0 (addrAdd), ${leave}`],
    ["a linkSetMtu of eth0", { op: "linkSetMtu", name: "eth0", mtu: 1400, from: 1500 }, `a change of eth0 (linkSetMtu), ${leave}`],
    ["a linkSetDown of eth0", { op: "linkSetDown", name: "eth0", from: true }, `a change of eth0 (linkSetDown), ${leave}`],
    ["a linkDel of eth0", { op: "linkDel", name: "eth0" }, `a change of eth0 (linkDel), ${leave}`],
    ["a qdiscAdd on eth0", { op: "qdiscAdd", dev: "eth0", qdisc: { kind: "htb", handle: "1:", defaultClass: "2" } }, `a change of eth0 (qdiscAdd), ${leave}`],
    ["a classChange on eth0", { op: "classChange", dev: "eth0", cls: { ...htb, rateKbps: 10 }, from: htb }, `a change of eth0 (classChange), ${leave}`],
    ["a linkSetMaster of eth0", { op: "linkSetMaster", name: "eth0", master: "br0" }, `enslaving eth0, ${leave}, to br0`],
    [
      "a firewallReplace whose subnets hold the server address",
      { op: "firewallReplace", bridge: "virbr1", subnets: ["10.0.0.0/8", "203.0.113.0/24"], rules: [] },
      "the firewall rules of virbr1, whose subnet 203.0.113.0/24 holds 203.0.113.7, the address SSH connects to",
    ],
    ["a firewallReplace of eth0", { op: "firewallReplace", bridge: "eth0", subnets: ["10.0.0.0/8"], rules: [] }, `the firewall rules of eth0, ${leave}`],
  ];
  it.each(cases)("%s", (_, op, reason) => {
    expect(riskOf([op], access)).toBe(reason);
  });

  it("names the first risky operation of a plan, after any number that are not", () => {
    const plan: Operation[] = [
      route("routeAdd", v4("10.8.0.0", 16)),
      { op: "linkSetMtu", name: "virbr0", mtu: 9000 },
      addr("addrDel", "eth0", "203.0.113.7"),
      route("routeDel", v4("0.0.0.0", 0)),
    ];
    expect(riskOf(plan, access)).toBe("the removal of 203.0.113.7, the address SSH connects to");
  });

  it("an IPv6 client: a change of ::/0 covers it, the IPv4 default route does not", () => {
    const six: SshAccess = { client: "2001:db8:1::4", server: "2001:db8:2::7", dev: "eth0" };
    expect(riskOf([route("routeReplace", v6("::", 0))], six)).toBe("the route to ::/0, which covers the SSH client 2001:db8:1::4");
    expect(riskOf([route("routeAdd", v6("2001:db8:1::", 48), "virbr0")], six)).toBe("the route to 2001:db8:1::/48, which covers the SSH client 2001:db8:1::4");
    expect(riskOf([route("routeReplace", v4("0.0.0.0", 0)), route("routeAdd", v6("2001:db8:3::", 48))], six)).toBeUndefined();
  });

  it("access without a route (addresses only): routes and the server address still count, device changes cannot be told", () => {
    const bare: SshAccess = { client: "198.51.100.4", server: "203.0.113.7" };
    expect(riskOf([route("routeDel", v4("0.0.0.0", 0))], bare)).toBe("the route to 0.0.0.0/0, which covers the SSH client 198.51.100.4");
    expect(riskOf([addr("addrDel", "eth0", "203.0.113.7")], bare)).toBe("the removal of 203.0.113.7, the address SSH connects to");
    expect(riskOf([{ op: "linkSetDown", name: "eth0" }, { op: "linkSetMaster", name: "eth0", master: "br0" }], bare)).toBeUndefined();
  });
});

describe("riskOf: plans that cannot cut it", () => {
  const cases: [string, Operation[]][] = [
    ["a route to 10.8.0.0/16, even on eth0", [route("routeAdd", v4("10.8.0.0", 16)), route("routeDel", v4("10.8.0.0", 16), "virbr0"), route("routeReplace", v4("10.8.0.0", 16))]],
    ["a route to a neighbouring /25 that does not hold the client", [route("routeAdd", v4("198.51.100.128", 25))]],
    [
      "changes of another device (virbr0)",
      [
        addr("addrAdd", "virbr0", "192.168.122.1"),
        addr("addrDel", "virbr0", "192.168.122.1"),
        { op: "linkSetMtu", name: "virbr0", mtu: 9000, from: 1500 },
        { op: "linkSetDown", name: "virbr0" },
        { op: "linkDel", name: "virbr0" },
        { op: "linkSetMaster", name: "vnet0", master: "virbr0" },
        { op: "qdiscAdd", dev: "virbr0", qdisc: { kind: "htb", handle: "1:", defaultClass: "2" } },
        { op: "classChange", dev: "virbr0", cls: htb },
      ],
    ],
    ["a firewallReplace of virbr0 for 192.168.122.0/24", [{ op: "firewallReplace", bridge: "virbr0", subnets: ["192.168.122.0/24"], rules: [] }]],
    [
      "fdb entries and the alias of eth0",
      [
        { op: "fdbAdd", name: "eth0", mac: "52:54:00:00:00:01" },
        { op: "fdbDel", name: "eth0", mac: "52:54:00:00:00:01" },
        { op: "linkSetAlias", name: "eth0", alias: "uplink", from: "" },
      ],
    ],
    ["IPv6 routes, the default included, for an IPv4 client", [route("routeReplace", v6("::", 0), "virbr0"), route("routeAdd", v6("::ffff:198.51.100.0", 120), "virbr0")]],
    ["changes that name no device", [{ op: "forwardingSysctl", family: "ipv4", value: 1, from: 0 }, { op: "fileWrite", path: "/etc/virtnet/x", content: "", mode: 0o644 }]],
  ];
  it.each(cases)("%s", (_, plan) => {
    expect(riskOf(plan, access)).toBeUndefined();
  });

  it("any plan over a local shell (no access facts), even one that removes the default route", () => {
    const plan: Operation[] = [route("routeDel", v4("0.0.0.0", 0)), { op: "linkDel", name: "eth0" }, addr("addrDel", "eth0", "203.0.113.7")];
    expect(riskOf(plan, access)).toBeDefined();
    expect(riskOf(plan, undefined)).toBeUndefined();
  });
});
