import { describe, expect, it } from "vitest";
import { routeProblem, unreachableGateway } from "../../../../provider/resources/route/rules";
import type { RouteInputs } from "../../../../provider/resources/route/schema";
import type { IpInputs } from "../../../../provider/resources/network/schema";
import { UNKNOWN } from "../../../../provider/unknown";

const route = (r: Partial<RouteInputs>): RouteInputs => ({ address: "192.168.222.0", prefix: 24, gateway: "192.168.122.10", metric: 1, ...r }) as RouteInputs;
const v6 = (r: Partial<RouteInputs>): RouteInputs =>
  route({ family: "ipv6", address: "2001:db8:ac10:fc00::", prefix: 64, gateway: "2001:db8:ac10:fd01::1:24", ...r });

describe("route validation, docs/libvirt-behaviour.md §2.1 in libvirt's order", () => {
  it("accepts libvirt's routed-network routes in both forms and families", () => {
    expect(routeProblem(route({}))).toBeUndefined();
    expect(routeProblem(route({ prefix: undefined, netmask: "255.255.255.0" }))).toBeUndefined();
    expect(routeProblem(v6({}))).toBeUndefined();
  });
  it.each([
    ["an unparsable address", route({ address: "192.168.222" }), "address", /Bad network address/],
    ["an unparsable gateway", route({ gateway: "gw.example" }), "gateway", /Bad gateway address/],
    ["an IPv6 address without family", route({ address: "2001:db8::", prefix: 64 }), "family", /No family specified for non-IPv4 address/],
    ["an IPv6 address with family ipv4", route({ family: "ipv4", address: "2001:db8::", prefix: 64 }), "address", /IPv4 family specified for non-IPv4/],
    ["an IPv4 address with family ipv6", v6({ address: "10.0.0.0", prefix: 8 }), "address", /ipv6 family specified for non-IPv6/],
    ["an IPv6 gateway on an IPv4 route", route({ gateway: "2001:db8::1" }), "gateway", /must be IPv4/],
    ["an IPv4 gateway on an IPv6 route", v6({ gateway: "192.168.122.1" }), "gateway", /must be IPv6/],
    ["an IPv6 netmask on an IPv4 route", route({ prefix: undefined, netmask: "ffff::" }), "netmask", /both must be IPv4/],
    ["a netmask together with a prefix", route({ netmask: "255.255.255.0" }), "netmask", /cannot have both a prefix and a netmask/],
    ["a non-contiguous netmask", route({ prefix: undefined, netmask: "255.0.255.0" }), "netmask", /contiguous/],
    ["a netmask on an IPv6 route", v6({ prefix: undefined, netmask: "255.255.255.0" }), "netmask", /netmask invalid for IPv6/],
    ["prefix 33", route({ prefix: 33 }), "prefix", /must be 0 - 32/],
    ["prefix 129 on IPv6", v6({ prefix: 129 }), "prefix", /must be 0 - 128/],
    ["host bits set (prefix)", route({ address: "192.168.222.1" }), "address", /not a network address: its network address is 192.168.222.0/],
    ["host bits set (netmask)", route({ address: "192.168.222.1", prefix: undefined, netmask: "255.255.255.0" }), "address", /not a network address/],
    ["host bits set (IPv6)", v6({ address: "2001:db8:ac10:fc00::1" }), "address", /not a network address/],
    ["a non-zero address without prefix or netmask", route({ prefix: undefined }), "address", /not a network address: give a prefix or netmask/],
    ["a non-zero address with prefix 0", route({ prefix: 0 }), "address", /not a network address/],
    ["a non-zero IPv6 address with prefix 0", v6({ prefix: 0 }), "address", /not a network address/],
  ])("rejects %s", (_what, r, field, reason) => {
    expect(routeProblem(r)).toEqual({ field, reason: expect.stringMatching(reason) });
  });
  it("allows the default route: all-zero address with prefix 0, with netmask 0.0.0.0, or with neither", () => {
    expect(routeProblem(route({ address: "0.0.0.0", prefix: 0 }))).toBeUndefined();
    expect(routeProblem(route({ address: "0.0.0.0", prefix: undefined, netmask: "0.0.0.0" }))).toBeUndefined();
    expect(routeProblem(route({ address: "0.0.0.0", prefix: undefined }))).toBeUndefined();
    expect(routeProblem(v6({ address: "::", prefix: 0 }))).toBeUndefined();
  });
  it("defers every rule while a field is unknown", () => {
    expect(routeProblem(route({ address: UNKNOWN }))).toBeUndefined();
    expect(routeProblem(route({ gateway: UNKNOWN, address: "bad" }))).toBeUndefined();
  });
});

describe("gateway reachability through the network's addresses (effective prefixes)", () => {
  const ips: IpInputs[] = [
    { address: "192.168.122.1", prefix: 24 },
    { address: "10.24.10.1" }, // class A: /8
    { address: "172.16.5.1", netmask: "255.255.0.0" },
    { address: "2001:db8:ac10:fd01::1", prefix: 64, family: "ipv6" },
    { address: "2001:db8:beef::1", family: "ipv6" }, // IPv6 default /64
  ];
  it.each([
    ["192.168.122.10", "ips[0] by its prefix"],
    ["10.200.0.1", "ips[1] by its natural class A"],
    ["172.16.200.9", "ips[2] by its netmask"],
  ])("reaches %s through %s", (gateway) => expect(unreachableGateway(route({ gateway }), ips)).toBeUndefined());
  it.each([["2001:db8:ac10:fd01::1:24"], ["2001:db8:beef::9"]])("reaches IPv6 %s", (gateway) => expect(unreachableGateway(v6({ gateway }), ips)).toBeUndefined());
  it("refuses a gateway outside every subnet of its family, listing them", () => {
    expect(unreachableGateway(route({ gateway: "192.168.123.10" }), ips)).toMatch(
      /unreachable static route gateway '192.168.123.10': it is in none of the network's ipv4 subnets \(192.168.122.0\/24, 10.0.0.0\/8, 172.16.0.0\/16\)/,
    );
    expect(unreachableGateway(v6({ gateway: "2001:db8:dead::1" }), ips)).toMatch(/none of the network's ipv6 subnets/);
  });
  it("refuses any route of a family the network has no address of", () => {
    expect(unreachableGateway(v6({}), [{ address: "192.168.122.1", prefix: 24 }])).toMatch(/the network has no ipv6 address/);
  });
  it("waits (returns nothing) while an address is unknown", () => {
    expect(unreachableGateway(route({ gateway: "8.8.8.8" }), [{ address: UNKNOWN, prefix: 24 } as IpInputs])).toBeUndefined();
  });
});
