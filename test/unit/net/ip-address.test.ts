import { describe, expect, it } from "vitest";
import { addressFamily, broadcastAddress, effectivePrefix, networkAddress, normalizeAddress, sameNetwork } from "../../../provider/net/ip-address";

describe("libvirt's effective prefix (virSocketAddrGetIPPrefix)", () => {
  it.each([
    ["10.24.10.1", undefined, undefined, 8],
    ["172.16.0.1", undefined, undefined, 16],
    ["192.168.1.1", undefined, undefined, 24],
    ["0.0.0.0", undefined, undefined, 0],
    ["224.0.0.1", undefined, undefined, undefined],
    ["192.168.1.1", 0, undefined, 24],
    ["192.168.1.1", 20, undefined, 20],
    ["192.168.1.1", undefined, "255.255.0.0", 16],
    ["192.168.1.1", undefined, "255.0.255.0", undefined],
    ["2001:db8::1", undefined, undefined, 64],
    ["::", undefined, undefined, 0],
  ])("%s prefix=%s netmask=%s → %s", (address, prefix, netmask, expected) => {
    expect(effectivePrefix(address, prefix, netmask)).toBe(expected);
  });
});

describe("address arithmetic", () => {
  it("tells families apart and rejects non-addresses and zone ids", () => {
    expect(addressFamily("192.168.1.1")).toBe("ipv4");
    expect(addressFamily("2001:db8::1")).toBe("ipv6");
    expect(addressFamily("10")).toBeUndefined();
    expect(addressFamily("fe80::1%eth0")).toBeUndefined();
    expect(addressFamily("host.example")).toBeUndefined();
  });
  it("normalizes IPv6 to the compressed lowercase form", () => expect(normalizeAddress("2001:0DB8:0:0:0:0:0:1")).toBe("2001:db8::1"));
  it("masks host bits", () => {
    expect(networkAddress("192.168.222.1", 24)).toBe("192.168.222.0");
    expect(networkAddress("2001:db8:ac10:fd01::1:24", 64)).toBe("2001:db8:ac10:fd01::");
  });
  it("computes the IPv4 broadcast libvirt sends", () => expect(broadcastAddress("192.168.100.1", 24)).toBe("192.168.100.255"));
  it("compares networks", () => {
    expect(sameNetwork("192.168.122.10", "192.168.122.1", 24)).toBe(true);
    expect(sameNetwork("192.168.123.10", "192.168.122.1", 24)).toBe(false);
  });
});
