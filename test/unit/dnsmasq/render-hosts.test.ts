// The hostsfile and addnhosts as libvirt writes them (docs/libvirt-behaviour.md §10.3), beyond the golden
// cases, and the address helpers the configuration uses (§10.2).
import { describe, expect, it } from "vitest";
import { dhcpRangeSize } from "../../../provider/dnsmasq/dhcp-range-size";
import { ptrDomain } from "../../../provider/dnsmasq/ptr-domain";
import { renderAddnhosts } from "../../../provider/dnsmasq/render-addnhosts";
import { renderHostsfile, renderHostsfileLine } from "../../../provider/dnsmasq/render-hostsfile";

describe("renderHostsfileLine", () => {
  it.each([
    [{ mac: "52:54:00:aa:bb:cc", name: "web", ip: "10.0.0.5" }, "52:54:00:aa:bb:cc,10.0.0.5,web"],
    [{ name: "web", ip: "10.0.0.5" }, "web,10.0.0.5"],
    [{ mac: "52:54:00:aa:bb:cc", ip: "10.0.0.5" }, "52:54:00:aa:bb:cc,10.0.0.5"],
    [{ mac: "52:54:00:aa:bb:cc", ip: "10.0.0.5", lease: { expiry: 90, unit: "seconds" as const } }, "52:54:00:aa:bb:cc,10.0.0.5,90s"],
    [{ id: "0:3:0:1", name: "db", ip: "fd00::5" }, "id:0:3:0:1,db,[fd00::5]"],
    [{ name: "db", ip: "FD00:0::5", lease: { expiry: 0, unit: "hours" as const } }, "db,[fd00::5],infinite"],
    [{ id: "0:3:0:1", ip: "fd00::5", lease: { expiry: 2, unit: "hours" as const } }, "id:0:3:0:1,[fd00::5],2h"],
  ])("%j → %s", (host, line) => {
    expect(renderHostsfileLine(host)).toBe(line);
  });

  it("ignores a MAC on an IPv6 reservation, as libvirt's writer does", () => {
    expect(renderHostsfileLine({ mac: "52:54:00:aa:bb:cc", name: "db", ip: "fd00::5" })).toBe("db,[fd00::5]");
  });

  it("writes an empty file when there is no reservation", () => {
    expect(renderHostsfile([])).toBe("");
  });
});

describe("renderAddnhosts", () => {
  it("writes nat-network-dns-hosts's records: the address, then each name followed by a tab", () => {
    expect(renderAddnhosts([{ ip: "192.168.122.1", hostnames: ["host", "gateway"] }])).toBe("192.168.122.1\thost\tgateway\t\n");
  });

  it("merges records of one address into its first line, in the order addresses first appear", () => {
    const text = renderAddnhosts([
      { ip: "10.0.0.1", hostnames: ["a"] },
      { ip: "fd00:0::1", hostnames: ["v6"] },
      { ip: "10.0.0.1", hostnames: ["b", "c"] },
      { ip: "10.0.0.9", hostnames: [] },
    ]);
    expect(text).toBe("10.0.0.1\ta\tb\tc\t\nfd00::1\tv6\t\n");
  });

  it("writes an empty file when there is no record", () => {
    expect(renderAddnhosts([])).toBe("");
  });
});

describe("dhcpRangeSize (virSocketAddrGetRange)", () => {
  it("counts both ends", () => {
    expect(dhcpRangeSize("192.168.122.2", "192.168.122.254")).toBe(253);
    expect(dhcpRangeSize("10.0.0.0", "10.0.255.255")).toBe(65536);
    expect(dhcpRangeSize("2001:db8:ac10:fd01::1:10", "2001:db8:ac10:fd01::1:ff")).toBe(240);
  });

  it("refuses what libvirt refuses, with its messages", () => {
    expect(() => dhcpRangeSize("10.0.0.9", "10.0.0.2")).toThrow("range 10.0.0.9 - 10.0.0.2 is reversed ");
    expect(() => dhcpRangeSize("10.0.0.0", "10.1.0.0")).toThrow("range 10.0.0.0 - 10.1.0.0 is too large (> 65535)");
    expect(() => dhcpRangeSize("fd00::1:10", "fd00::2:10")).toThrow("range fd00::1:10 - fd00::2:10 is too large (> 65535)");
    expect(() => dhcpRangeSize("fd00::ff", "fd00::10")).toThrow("range fd00::ff - fd00::10 start larger than end");
    expect(() => dhcpRangeSize("10.0.0.1", "fd00::1")).toThrow("mismatch of address family in range 10.0.0.1 - fd00::1");
  });
});

describe("ptrDomain (virSocketAddrPTRDomain)", () => {
  it.each([
    ["192.168.122.1", 24, "122.168.192.in-addr.arpa"],
    ["10.24.10.1", 8, "10.in-addr.arpa"],
    ["2001:db8:ac10:fe01::1", 64, "1.0.e.f.0.1.c.a.8.b.d.0.1.0.0.2.ip6.arpa"],
    ["fd00::1", 8, "d.f.ip6.arpa"],
    ["192.168.122.1", 20, undefined],
    ["192.168.122.1", 32, undefined],
    ["fd00::1", 126, undefined],
  ])("%s/%d → %s", (address, prefix, zone) => {
    expect(ptrDomain(address, prefix)).toBe(zone);
  });
});
