// A Network's forward at check (docs/libvirt-behaviour.md §1.8): the schema, libvirt's rules and its messages, each
// at its property; nothing here needs a host.
import { describe, expect, it } from "vitest";
import { checkNetwork } from "../../../../provider/resources/network/check";
import { UNKNOWN } from "../../../../provider/unknown";
import type { NetworkArgs } from "../../../../sdk/network";
import { args } from "./network-fixtures";

const NAME = "lab";
const net = (overrides: Record<string, unknown>) => args({ libvirtName: NAME, ...overrides });
const failuresOf = (news: Record<string, unknown>) => checkNetwork({}, news).failures;
const inputsOf = (news: Record<string, unknown>) => {
  const r = checkNetwork({}, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
};

/** Exactly these failures (libvirt's messages are compared character for character). */
function expectFailures(news: Record<string, unknown>, ...expected: [string, string][]) {
  expect(failuresOf(news)).toEqual(expected.map(([property, reason]) => ({ property, reason })));
}

describe("forward: what the schema accepts and fills in", () => {
  it("absent forward is an isolated network, as before", () => expect(inputsOf(net({})).forward).toBeUndefined());
  it("an empty forward is nat, like libvirt's <forward/>", () => expect(inputsOf(net({ forward: {} })).forward).toEqual({ mode: "nat" }));
  it.each(["nat", "route", "open"])("accepts mode %s with dev", (mode) => {
    const dev = mode === "open" ? undefined : "eth0";
    expect(inputsOf(net({ forward: { mode, dev } })).forward).toEqual(dev ? { mode, dev } : { mode });
  });
  it("keeps a nat block as given", () => {
    const nat = { address: { start: "203.0.113.10", end: "203.0.113.20" }, port: { start: 1024, end: 2048 }, ipv6: true };
    expect(inputsOf(net({ forward: { mode: "nat", nat } })).forward).toEqual({ mode: "nat", nat });
  });
  it("takes a 0-0 port range for no range, as libvirt does", () =>
    expect(inputsOf(net({ forward: { nat: { port: { start: 0, end: 0 } } } })).forward).toEqual({ mode: "nat", nat: {} }));
  it("uses a range starting at 0 as given", () =>
    expect(inputsOf(net({ forward: { nat: { port: { start: 0, end: 100 } } } })).forward).toEqual({ mode: "nat", nat: { port: { start: 0, end: 100 } } }));
  it("lets unknowns through at preview", () => {
    expect(failuresOf(net({ forward: UNKNOWN }))).toEqual([]);
    expect(failuresOf(net({ forward: { mode: UNKNOWN, dev: UNKNOWN, nat: UNKNOWN } }))).toEqual([]);
    expect(failuresOf(net({ forward: { nat: { address: { start: UNKNOWN, end: "10.0.0.1" }, port: { start: UNKNOWN, end: 5 } } } }))).toEqual([]);
    expect(failuresOf(net({ ips: UNKNOWN, forward: { mode: "route" } }))).toEqual([]);
  });
  it("takes what the SDK's arguments type describes", () => {
    const forward: NetworkArgs["forward"] = {
      mode: "nat",
      dev: "eth0",
      nat: { address: { start: "203.0.113.10", end: "203.0.113.20" }, port: { start: 1024, end: 2048 }, ipv6: true },
    };
    expect(failuresOf(net({ forward }))).toEqual([]);
  });
  it("refuses unknown keys at every level", () => {
    expect(failuresOf(net({ forward: { mode: "nat", zone: "trusted" } }))).toEqual([{ property: "forward", reason: expect.stringMatching(/Unrecognized key.*zone/) }]);
    expect(failuresOf(net({ forward: { nat: { addresses: [] } } })).map((f) => f.property)).toEqual(["forward.nat"]);
    expect(failuresOf(net({ forward: { nat: { port: { first: 1 } } } })).map((f) => f.property)).toEqual(["forward.nat.port"]);
  });
  it("says what type a value must have", () => {
    expectFailures(net({ forward: { nat: { ipv6: "yes" } } }), ["forward.nat.ipv6", "must be true or false"]);
    expectFailures(net({ forward: { nat: { port: { start: "1024", end: 2048 } } } }), ["forward.nat.port.start", "must be a port number"]);
    expectFailures(net({ forward: { nat: { address: { start: 1, end: "10.0.0.1" } } } }), ["forward.nat.address.start", "must be an IPv4 address"]);
  });
});

describe("forward.mode: libvirt's modes", () => {
  it.each(["private", "vepa", "passthrough", "hostdev"])("refuses %s, naming it", (mode) =>
    expectFailures(net({ forward: { mode } }), ["forward.mode", `forward mode '${mode}' is not supported by virtnet`]));
  it.each(["none", "isolated", "NAT", "bridged", ""])("any other mode %j is unknown to libvirt", (mode) =>
    expectFailures(net({ forward: { mode } }), ["forward.mode", `unknown forwarding type '${mode}'`]));
  it("a mode that is not a string", () => expectFailures(net({ forward: { mode: 4 } }), ["forward.mode", "must be one of 'nat', 'route', 'open', 'bridge'"]));
});

describe("forward: libvirt's rules per mode", () => {
  it.each(["nat", "route"])("%s needs an address on the network", (mode) =>
    expectFailures(net({ ips: [], forward: { mode } }), ["ips", `${mode} forwarding requested, but no IP address provided for network '${NAME}'`]));
  it("open needs no address (libvirt 10.8 and later)", () => expect(failuresOf(net({ ips: [], forward: { mode: "open" } }))).toEqual([]));
  it("open refuses a dev", () =>
    expectFailures(net({ forward: { mode: "open", dev: "eth0" } }), ["forward.dev", `forward dev not allowed for network '${NAME}' with forward mode='open'`]));
  it("a dev follows the interface-name rules", () => {
    expectFailures(net({ forward: { dev: "eth0;reboot" } }), ["forward.dev", "'eth0;reboot' may contain only letters, digits, '_', '.' and '-'"]);
    expectFailures(net({ forward: { mode: "route", dev: "a-very-long-uplink" } }), ["forward.dev", "'a-very-long-uplink' is 18 characters; Linux interface names are at most 15 (IFNAMSIZ)"]);
    expectFailures(net({ forward: { dev: "" } }), ["forward.dev", "must not be empty"]);
  });
  it("a dev need not exist: any valid name passes check", () => expect(failuresOf(net({ forward: { dev: "enp0s31f6.100" } }))).toEqual([]));
  it.each(["route", "open", "bridge"])("<nat> only with mode nat, not %s", (mode) => {
    const extra = mode === "bridge" ? { ips: [], bridge: { name: "br0" } } : {};
    expectFailures(net({ ...extra, forward: { mode, nat: { ipv6: true } } }), ["forward.nat", `The <nat> element can only be used when <forward> 'mode' is 'nat' in network ${NAME}`]);
  });
  it("an empty <nat> in route mode is refused too", () =>
    expectFailures(net({ forward: { mode: "route", nat: {} } }), ["forward.nat", `The <nat> element can only be used when <forward> 'mode' is 'nat' in network ${NAME}`]));
  it("fills libvirt's network name from the bridge when libvirtName is unknown", () =>
    expectFailures(args({ libvirtName: UNKNOWN, ips: [], forward: { mode: "route" } }), ["ips", "route forwarding requested, but no IP address provided for network 'virbr10'"]));
});

describe("forward.nat.address: libvirt's SNAT range", () => {
  const nat = (address: Record<string, unknown>) => net({ forward: { nat: { address } } });
  const where = `in <nat> in <forward> in network`;
  it("needs both ends", () => {
    expectFailures(nat({ end: "10.0.0.9" }), ["forward.nat.address.start", `missing 'start' attribute in <address> element ${where} ${NAME}`]);
    expectFailures(nat({ start: "10.0.0.1" }), ["forward.nat.address.end", `missing 'end' attribute in <address> element ${where} ${NAME}`]);
  });
  it("must be IPv4", () => {
    expectFailures(nat({ start: "2001:db8::1", end: "10.0.0.9" }), ["forward.nat.address.start", `Bad ipv4 start address '2001:db8::1' ${where} '${NAME}'`]);
    expectFailures(nat({ start: "10.0.0.1", end: "10.0.0.300" }), ["forward.nat.address.end", `Bad ipv4 end address '10.0.0.300' ${where} '${NAME}'`]);
  });
  it("must not be reversed (libvirt's message ends in a space)", () =>
    expectFailures(nat({ start: "10.0.0.9", end: "10.0.0.1" }), ["forward.nat.address.end", "range 10.0.0.9 - 10.0.0.1 is reversed "]));
  it("spans at most 65536 addresses", () => {
    expect(failuresOf(nat({ start: "10.0.0.0", end: "10.0.255.255" }))).toEqual([]);
    expectFailures(nat({ start: "10.0.0.0", end: "10.1.0.0" }), ["forward.nat.address.end", "range 10.0.0.0 - 10.1.0.0 is too large (> 65535)"]);
  });
  it("a one-address range is fine", () => expect(failuresOf(nat({ start: "198.51.100.7", end: "198.51.100.7" }))).toEqual([]));
});

describe("forward.nat.port: libvirt's source port range", () => {
  const port = (p: Record<string, unknown>) => net({ forward: { nat: { port: p } } });
  const start = `Missing or invalid 'start' attribute in <port> in <nat> in <forward> in network ${NAME}`;
  const end = `Missing or invalid 'end' attribute in <port> in <nat> in <forward> in network ${NAME}`;
  it("needs a start of at most 65535", () => {
    expectFailures(port({ end: 2000 }), ["forward.nat.port.start", start]);
    expectFailures(port({ start: 65536, end: 65536 }), ["forward.nat.port.start", start], ["forward.nat.port.end", end]);
    expectFailures(port({ start: -1, end: 10 }), ["forward.nat.port.start", start]);
    expectFailures(port({ start: 1.5, end: 10 }), ["forward.nat.port.start", start]);
  });
  it("needs an end of at most 65535, not below start", () => {
    expectFailures(port({ start: 1024 }), ["forward.nat.port.end", end]);
    expectFailures(port({ start: 1024, end: 65536 }), ["forward.nat.port.end", end]);
    expectFailures(port({ start: 2000, end: 1000 }), ["forward.nat.port.end", end]);
  });
  it("refuses start = end at preview, with the message libvirt gives only when the network starts", () =>
    expectFailures(port({ start: 5000, end: 5000 }), ["forward.nat.port.end", "Invalid port range '5000-5000'."]));
  it("accepts the whole range", () => expect(failuresOf(port({ start: 1, end: 65535 }))).toEqual([]));
});

describe("forward mode 'bridge': a host bridge virtnet does not create", () => {
  const host = (overrides: Record<string, unknown> = {}) => net({ ips: [], bridge: { name: "br0" }, forward: { mode: "bridge" }, ...overrides });
  it("accepts a named bridge with macTableManager", () => {
    expect(failuresOf(host())).toEqual([]);
    expect(failuresOf(host({ bridge: { name: "br0", macTableManager: "libvirt" } }))).toEqual([]);
  });
  it("refuses network-wide QoS on the named bridge, unlike libvirt: virtnet changes nothing on a bridge it does not own", () =>
    expectFailures(host({ bandwidth: { inbound: { average: 1000 } } }), [
      "bandwidth",
      "virtnet changes nothing on a host bridge it does not own, so a network with forward mode 'bridge' takes no network-wide bandwidth; give each GuestInterface its bandwidth instead",
    ]));
  it("needs the bridge's name, not a template", () => {
    expectFailures(host({ bridge: {} }), [
      "bridge.name",
      "is required with forward mode 'bridge': give the name of the existing host bridge the guests attach to (virtnet does not create it)",
    ]);
    expectFailures(host({ bridge: { name: "br%d" } }), ["bridge.name", "'br%d' is a name template; forward mode 'bridge' needs the name of an existing host bridge"]);
  });
  it("refuses network-wide QoS without a bridge name", () =>
    expect(failuresOf(host({ bridge: {}, bandwidth: { inbound: { average: 1000 } } }))).toContainEqual({
      property: "bandwidth",
      reason: `Unsupported network-wide <bandwidth> element in network ${NAME} with forward mode='bridge'`,
    }));
  it("refuses stp, given at all, and a delay other than 0", () => {
    const reason = `bridge delay/stp/zone options only allowed in open, route, nat, and isolated mode, not in bridge (network '${NAME}')`;
    expectFailures(host({ bridge: { name: "br0", stp: true } }), ["bridge.stp", reason]);
    expectFailures(host({ bridge: { name: "br0", stp: false } }), ["bridge.stp", reason]);
    expectFailures(host({ bridge: { name: "br0", delay: 2 } }), ["bridge.delay", reason]);
    expect(failuresOf(host({ bridge: { name: "br0", delay: 0 } }))).toEqual([]);
  });
  it("refuses addresses, a MAC and an MTU", () => {
    expectFailures(host({ ips: [{ address: "192.168.1.1", prefix: 24 }] }), ["ips", `Unsupported <ip> element in network ${NAME} with forward mode='bridge'`]);
    expectFailures(host({ mac: "52:54:00:00:00:01" }), ["mac", `Unsupported <mac> element in network ${NAME} with forward mode='bridge'`]);
    expectFailures(host({ mtu: 9000 }), ["mtu", `mtu size only allowed in open, route, nat, and isolated mode, not in bridge (network '${NAME}')`]);
    expect(failuresOf(host({ mtu: 0 }))).toEqual([]);
  });
  it("refuses routes: a gateway needs an address of the network's own", () =>
    expect(failuresOf(host({ routes: [{ address: "10.8.0.0", prefix: 16, gateway: "192.168.1.2" }] })).map((f) => f.property)).toEqual(["routes[0].gateway"]));
  it("refuses a forward dev next to the bridge's name", () =>
    expectFailures(host({ forward: { mode: "bridge", dev: "eth0" } }), [
      "forward.dev",
      `A network with forward mode='bridge' can specify a bridge name or a forward dev, but not both (network '${NAME}')`,
    ]));
  it("leaves stp alone in the other modes", () => {
    expect(failuresOf(net({ bridge: { name: "virbr10", stp: false, delay: 5 }, forward: { mode: "route" } }))).toEqual([]);
    expect((inputsOf(net({ forward: { mode: "nat" } })).bridge as { stp: boolean }).stp).toBe(true);
    expect((inputsOf(net({})).bridge as { stp: boolean }).stp).toBe(true);
    expect((inputsOf(args({ bridge: undefined })).bridge as { stp: boolean }).stp).toBe(true);
  });
});
