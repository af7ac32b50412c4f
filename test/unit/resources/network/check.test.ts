import { describe, expect, it } from "vitest";
import { checkNetwork } from "../../../../provider/resources/network/check";
import { UNKNOWN } from "../../../../provider/unknown";
import { KEY, args, connection } from "./network-fixtures";

function failuresOf(news: Record<string, unknown>) {
  return checkNetwork({}, news).failures;
}

function expectFailure(news: Record<string, unknown>, property: string, reason: RegExp) {
  const failures = failuresOf(news);
  expect(failures, JSON.stringify(failures)).toContainEqual({ property, reason: expect.stringMatching(reason) });
}

describe("Network check: bad inputs are rejected with property and reason", () => {
  it("rejects an invalid MAC", () => expectFailure(args({ mac: "52:54:00:zz:00:01" }), "mac", /Invalid bridge mac address '52:54:00:zz:00:01'/));
  it("rejects a MAC with five octets", () => expectFailure(args({ mac: "52:54:00:00:01" }), "mac", /Invalid bridge mac address/));
  it("rejects a multicast MAC", () => expectFailure(args({ mac: "01:00:5e:00:00:01" }), "mac", /Invalid multicast bridge mac address/));
  it("rejects a 16-character bridge name", () => expectFailure(args({ bridge: { name: "virbr-0123456789" } }), "bridge.name", /16 characters.*at most 15/));
  it("rejects prefix 33", () => expectFailure(args({ ips: [{ address: "192.168.1.1", prefix: 33 }] }), "ips[0].prefix", /Invalid prefix 33: must be 0 - 32/));
  it("rejects prefix 129 on IPv6", () =>
    expectFailure(args({ ips: [{ address: "2001:db8::1", prefix: 129, family: "ipv6" }] }), "ips[0].prefix", /must be 0 - 128/));
  it("rejects a netmask together with a prefix", () =>
    expectFailure(args({ ips: [{ address: "192.168.1.1", prefix: 24, netmask: "255.255.255.0" }] }), "ips[0].netmask", /cannot have both a prefix and a netmask/));
  it("rejects a non-contiguous netmask", () =>
    expectFailure(args({ ips: [{ address: "192.168.1.1", netmask: "255.0.255.0" }] }), "ips[0].netmask", /contiguous/));
  it("rejects an IPv6 address without family", () =>
    expectFailure(args({ ips: [{ address: "2001:db8::1", prefix: 64 }] }), "ips[0].family", /no family specified for non-IPv4 address '2001:db8::1'/));
  it("rejects an IPv4 address with family ipv6", () =>
    expectFailure(args({ ips: [{ address: "10.0.0.1", prefix: 8, family: "ipv6" }] }), "ips[0].address", /ipv6 family specified for non-IPv6/));
  it("rejects a netmask on IPv6", () =>
    expectFailure(args({ ips: [{ address: "2001:db8::1", netmask: "255.255.255.0", family: "ipv6" }] }), "ips[0].netmask", /not allowed for IPv6/));
  it("rejects a class D address without prefix", () => expectFailure(args({ ips: [{ address: "224.0.0.1" }] }), "ips[0].prefix", /no natural class prefix/));
  it("rejects the same address twice", () =>
    expectFailure(args({ ips: [{ address: "10.0.0.1", prefix: 8 }, { address: "10.0.0.1", prefix: 16 }] }), "ips[1].address", /already given in ips\[0\]/));
  it("rejects a negative delay", () => expectFailure(args({ bridge: { name: "br0", delay: -1 } }), "bridge.delay", /must not be negative/));
  it("rejects a non-numeric delay", () => expectFailure(args({ bridge: { name: "br0", delay: "5s" } }), "bridge.delay", /must be a number of seconds/));
  it("rejects a fractional delay", () => expectFailure(args({ bridge: { name: "br0", delay: 1.5 } }), "bridge.delay", /whole number/));
  it("rejects macTableManager 'auto'", () => expectFailure(args({ bridge: { name: "br0", macTableManager: "auto" } }), "bridge.macTableManager", /'kernel' or 'libvirt'/));
  it("rejects an MTU below the kernel minimum", () => expectFailure(args({ mtu: 60 }), "mtu", /minimum of 68/));
  it("rejects an unknown property instead of ignoring it", () => expectFailure(args({ virtualport: { type: "openvswitch" } }), "", /Unrecognized key.*virtualport/));

  describe("shell metacharacters in any name", () => {
    for (const name of ["br;rm", "br0 x", "br$(id)", "br`id`", "br|x", "br'x", "../x"]) {
      it(`rejects bridge name ${JSON.stringify(name)}`, () => expectFailure(args({ bridge: { name } }), "bridge.name", /may contain only|must contain exactly one/));
    }
    it("rejects a host with a shell metacharacter", () =>
      expectFailure(args({ connection: { ...connection, host: "h;reboot" } }), "connection.host", /host name or an IP address/));
    it("rejects a user with a shell metacharacter", () =>
      expectFailure(args({ connection: { ...connection, user: "root;id" } }), "connection.user", /Unix user name/));
  });
});

describe("Network check: connection and host keys", () => {
  it("fails when no host key is given and verification is not explicitly skipped", () =>
    expectFailure(args({ connection: { host: "h", privateKey: KEY } }), "connection.hostKey", /is required to verify the host.*insecureIgnoreHostKey: true/));
  it("accepts insecureIgnoreHostKey when set explicitly", () =>
    expect(failuresOf(args({ connection: { host: "h", privateKey: KEY, insecureIgnoreHostKey: true } }))).toEqual([]));
  it("accepts knownHosts lines instead of a fingerprint", () =>
    expect(failuresOf(args({ connection: { host: "h", privateKey: KEY, knownHosts: "h ssh-ed25519 AAAA" } }))).toEqual([]));
  it("rejects a malformed fingerprint", () =>
    expectFailure(args({ connection: { ...connection, hostKey: "MD5:aa:bb" } }), "connection.hostKey", /SHA256 fingerprint/));
  it("needs a credential", () => expectFailure(args({ connection: { host: "h", hostKey: connection.hostKey } }), "connection", /one of privateKey, password or agentSocket/));
  it("never echoes a credential in a failure", () => {
    const failures = failuresOf(args({ connection: { host: "h;x", privateKey: KEY, password: "hunter2-password" } }));
    expect(failures.length).toBeGreaterThan(0);
    const text = JSON.stringify(failures);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("SECRETKEYMATERIAL");
  });
});

describe("Network check: canonical inputs", () => {
  it("fills libvirt's defaults: stp on, delay 0, port 22, user root", () => {
    const { inputs, failures } = checkNetwork({}, args());
    expect(failures).toEqual([]);
    expect(inputs.bridge).toEqual({ name: "virbr10", stp: true, delay: 0 });
    expect(inputs.connection).toMatchObject({ port: 22, user: "root", sudo: false, insecureIgnoreHostKey: false });
  });
  it("generates a 52:54:00 MAC once and keeps it from the previous inputs", () => {
    const first = checkNetwork({}, args()).inputs;
    expect(first.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    const second = checkNetwork(first, args()).inputs;
    expect(second.mac).toBe(first.mac);
  });
  it("lowercases the MAC as libvirt formats it", () => expect(checkNetwork({}, args({ mac: "52:54:00:17:3F:37" })).inputs.mac).toBe("52:54:00:17:3f:37"));
  it("treats mtu 0 as unset, as libvirt does", () => expect(checkNetwork({}, args({ mtu: 0 })).inputs).not.toHaveProperty("mtu"));
  it("canonicalizes IPv6 addresses", () =>
    expect(checkNetwork({}, args({ ips: [{ address: "2001:DB8:0:0::1", prefix: 64, family: "ipv6" }] })).inputs.ips).toEqual([
      { address: "2001:db8::1", prefix: 64, family: "ipv6" },
    ]));
  it("accepts unknown values in preview and keeps them unknown", () => {
    const { inputs, failures } = checkNetwork({}, args({ connection: { ...connection, host: UNKNOWN }, mtu: UNKNOWN, ips: UNKNOWN }));
    expect(failures).toEqual([]);
    expect(inputs.mtu).toBe(UNKNOWN);
    expect(inputs.ips).toBe(UNKNOWN);
    expect((inputs.connection as { host: string }).host).toBe(UNKNOWN);
  });
  it("accepts a %d template", () => expect(failuresOf(args({ bridge: { name: "lab%d" } }))).toEqual([]));
  it("rejects a template with two %d", () => expectFailure(args({ bridge: { name: "a%db%d" } }), "bridge.name", /exactly one '%d'/));
  it("never leaves undefined anywhere in the inputs", () => {
    const { inputs } = checkNetwork({}, args({ mtu: undefined }));
    expect(JSON.stringify(inputs, (_k, v) => (v === undefined ? "UNDEF" : v))).not.toContain("UNDEF");
  });
});

describe("Network check: inline routes", () => {
  const ips = [{ address: "192.168.122.1", prefix: 24 }, { address: "2001:db8:ac10:fd01::1", prefix: 64, family: "ipv6" }];
  const routed = (routes: unknown[]) => args({ ips, routes });

  it("accepts libvirt's routed network and defaults the metric to 1", () => {
    const { inputs, failures } = checkNetwork({}, routed([
      { address: "192.168.222.0", netmask: "255.255.255.0", gateway: "192.168.122.10" },
      { address: "2001:db8:ac10:fc00::", prefix: 64, family: "ipv6", gateway: "2001:db8:ac10:fd01::1:24" },
    ]));
    expect(failures).toEqual([]);
    expect((inputs.routes as Array<{ metric: number }>).map((r) => r.metric)).toEqual([1, 1]);
  });
  it("names the route's property for a rule of docs/libvirt-behaviour.md §2.1", () =>
    expectFailure(routed([{ address: "192.168.222.1", prefix: 24, gateway: "192.168.122.10" }]), "routes[0].address", /not a network address/));
  it("rejects metric 0, as libvirt does", () =>
    expectFailure(routed([{ address: "192.168.222.0", prefix: 24, gateway: "192.168.122.10", metric: 0 }]), "routes[0].metric", /at least 1/));
  it("requires a gateway", () => expectFailure(routed([{ address: "192.168.222.0", prefix: 24 }]), "routes[0].gateway", /is required/));
  it("rejects an unreachable gateway", () =>
    expectFailure(routed([{ address: "192.168.222.0", prefix: 24, gateway: "192.168.99.1" }]), "routes[0].gateway", /unreachable static route gateway '192.168.99.1'/));
  it("rejects a route to the network's own subnet", () =>
    expectFailure(routed([{ address: "192.168.122.0", prefix: 24, gateway: "192.168.122.10" }]), "routes[0].address", /network's own subnet \(ips\[0\]\)/));
  it("rejects the same destination and metric twice", () =>
    expectFailure(
      routed([
        { address: "10.8.0.0", prefix: 16, gateway: "192.168.122.10" },
        { address: "10.8.0.0", netmask: "255.255.0.0", gateway: "192.168.122.11" },
      ]),
      "routes[1]",
      /routes\[0\] already routes 10.8.0.0\/16 with metric 1/,
    ));
  it("allows the same destination with another metric", () =>
    expect(failuresOf(routed([
      { address: "10.8.0.0", prefix: 16, gateway: "192.168.122.10" },
      { address: "10.8.0.0", prefix: 16, gateway: "192.168.122.11", metric: 2 },
    ]))).toEqual([]));
  it("defers reachability while the network's addresses are unknown", () =>
    expect(failuresOf(args({ ips: UNKNOWN, routes: [{ address: "10.8.0.0", prefix: 16, gateway: "192.168.99.1" }] }))).toEqual([]));
  it("canonicalizes route addresses and gateways", () => {
    const { inputs } = checkNetwork({}, routed([{ address: "2001:DB8:AC10:FC00::", prefix: 64, family: "ipv6", gateway: "2001:db8:ac10:fd01:0::1:24" }]));
    expect(inputs.routes).toEqual([{ address: "2001:db8:ac10:fc00::", prefix: 64, family: "ipv6", gateway: "2001:db8:ac10:fd01::1:24", metric: 1 }]);
  });
});
