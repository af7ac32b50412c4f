// The DhcpHost resource at preview (docs/libvirt-behaviour.md §10.7): libvirt's rules for one <host>, checked against
// its Network's DHCP entry of the same family when the Network's ips are known, each failure at its property; and
// the diff that decides what replaces a reservation and what a SIGHUP changes in place.
import { describe, expect, it } from "vitest";
import { checkDhcpHost } from "../../../../provider/resources/dhcp-host/check";
import { diffDhcpHost } from "../../../../provider/resources/dhcp-host/diff";
import { reservationLine } from "../../../../provider/resources/dhcp-host/reservation";
import type { DhcpHostInputs, DhcpHostOutputs } from "../../../../provider/resources/dhcp-host/schema";
import type { Known } from "../../../../provider/known";
import { UNKNOWN } from "../../../../provider/unknown";
import { connection } from "../network/network-fixtures";

type Props = Record<string, unknown>;

const V4_DHCP = { address: "192.168.100.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.100.100", end: "192.168.100.199" }] } };
const V6_DHCP = { address: "2001:db8::1", prefix: 64, family: "ipv6", dhcp: { ranges: [{ start: "2001:db8::100", end: "2001:db8::1ff" }] } };
const args = (extra: Props = {}): Props => ({ connection, bridge: "virbr10", networkName: "lab", networkIps: [V4_DHCP], mac: "52:54:00:aa:00:01", name: "vm1", ip: "192.168.100.20", ...extra });
const v6 = (extra: Props = {}): Props => args({ networkIps: [V4_DHCP, V6_DHCP], mac: undefined, duid: "00:01:00:01:2c:3d", name: "vm6", ip: "2001:db8::20", ...extra });
const failuresOf = (news: Props) => checkDhcpHost({}, news).failures;

describe("DhcpHost check", () => {
  it("accepts a valid IPv4 reservation and gives its MAC in lower case", () => {
    const r = checkDhcpHost({}, args({ mac: "52:54:00:AA:0:1" }));
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({ mac: "52:54:00:aa:00:01", ip: "192.168.100.20", name: "vm1", bridge: "virbr10" });
  });

  it("accepts a valid IPv6 reservation by DUID, its address in canonical form", () => {
    const r = checkDhcpHost({}, v6({ ip: "2001:DB8:0::20" }));
    expect(r.failures).toEqual([]);
    expect(r.inputs).toMatchObject({ duid: "00:01:00:01:2c:3d", ip: "2001:db8::20" });
  });

  it("accepts a reservation without networkIps: preview has nothing to check it against, the apply checks the host", () => {
    expect(failuresOf(args({ networkIps: undefined, ip: "10.9.9.9" }))).toEqual([]);
  });

  it.each([
    ["no DHCP at all", [{ address: "192.168.100.1", prefix: 24 }], args(), "IPv4"],
    ["a DHCP entry with empty lists", [{ address: "192.168.100.1", prefix: 24, dhcp: { ranges: [], hosts: [] } }], args(), "IPv4"],
    ["DHCP on IPv6 only, for an IPv4 reservation", [{ ...V4_DHCP, dhcp: undefined }, V6_DHCP], args(), "IPv4"],
    ["DHCP on IPv4 only, for an IPv6 reservation", [V4_DHCP], v6(), "IPv6"],
  ])("refuses a reservation on a network with %s, at `ip`", (_what, networkIps, news, family) => {
    expect(failuresOf({ ...news, networkIps })).toEqual([
      { property: "ip", reason: `network 'lab' has no DHCP on an ${family} address: give one of its ips dhcp.ranges or dhcp.hosts` },
    ]);
  });

  it("names the network by its bridge when networkName is not given", () => {
    expect(failuresOf(args({ networkName: undefined, networkIps: [{ address: "192.168.100.1", prefix: 24 }] }))).toEqual([
      { property: "ip", reason: "network 'virbr10' has no DHCP on an IPv4 address: give one of its ips dhcp.ranges or dhcp.hosts" },
    ]);
  });

  it.each([
    ["an address outside the DHCP entry's subnet", args({ ip: "192.168.101.20" }), "ip", "host ip '192.168.101.20' is not inside network 192.168.100.0/24 of the network's ips[0]"],
    ["an address outside the subnet given by netmask", args({ networkIps: [{ address: "10.1.2.1", netmask: "255.255.0.0", dhcp: { ranges: [{ start: "10.1.2.10", end: "10.1.2.20" }] } }], ip: "10.2.0.5" }), "ip", "host ip '10.2.0.5' is not inside network 10.1.0.0/16 of the network's ips[0]"],
    ["an IPv6 address outside the IPv6 entry (the second ips entry)", v6({ ip: "2001:db8:1::20" }), "ip", "host ip '2001:db8:1::20' is not inside network 2001:db8::/64 of the network's ips[1]"],
    ["a multicast MAC", args({ mac: "01:00:5e:00:00:01" }), "mac", "expected unicast mac address, found multicast '01:00:5e:00:00:01' in network 'lab'"],
    ["a MAC that is none", args({ mac: "52:54:00:aa:00" }), "mac", "Cannot parse MAC address '52:54:00:aa:00' in network 'lab'"],
    ["a MAC on an IPv6 reservation", v6({ mac: "52:54:00:aa:00:01" }), "mac", "Invalid to specify MAC address '52:54:00:aa:00:01' in network 'lab' IPv6 static host definition"],
    ["a DUID with a character that is no hex digit or colon", v6({ duid: "00:01:zz" }), "duid", "Invalid character 'z' in id '00:01:zz' of network 'lab'"],
    ["a name starting with '-'", args({ name: "-vm1" }), "name", "Cannot use host name '-vm1' in network 'lab'"],
    ["a lease under two minutes", args({ lease: { expiry: 119, unit: "seconds" } }), "lease.expiry", "The minimum lease time should be greater than 2 minutes"],
    ["a lease of one minute (the default unit)", args({ lease: { expiry: 1 } }), "lease.expiry", "The minimum lease time should be greater than 2 minutes"],
    ["an IPv4 reservation with neither MAC nor name", args({ mac: undefined, name: undefined }), "mac", "Static host definition in IPv4 network 'lab' must have mac or name attribute"],
    ["an IPv6 reservation with neither DUID nor name", v6({ duid: undefined, name: undefined }), "duid", "Static host definition in IPv6 network 'lab' must have id or name attribute"],
    ["no address", args({ ip: undefined }), "ip", "Missing IP address in static host definition for network 'lab'"],
    ["an address that is none", args({ ip: "192.168.100.x" }), "ip", "Invalid IP address in static host definition for network 'lab'"],
  ])("refuses %s, at its property, in libvirt's words", (_what, news, property, reason) => {
    expect(failuresOf(news)).toEqual([{ property, reason }]);
  });

  it.each([
    ["MAC (in another spelling)", { mac: "52:54:00:AA:00:01" }, { mac: "52:54:00:aa:00:01", name: "other", ip: "192.168.100.30" }, "mac", `<host mac='52:54:00:AA:00:01' name='vm1' ip='192.168.100.20'/>`],
    ["name", {}, { mac: "52:54:00:aa:00:02", name: "vm1", ip: "192.168.100.30" }, "name", `<host mac='52:54:00:aa:00:01' name='vm1' ip='192.168.100.20'/>`],
    ["address", {}, { mac: "52:54:00:aa:00:02", name: "other", ip: "192.168.100.20" }, "ip", `<host mac='52:54:00:aa:00:01' name='vm1' ip='192.168.100.20'/>`],
  ])("refuses a reservation whose %s the network's inline dhcp.hosts already has: one owner only", (_what, extra, inline, property, host) => {
    const networkIps = [{ ...V4_DHCP, dhcp: { ...V4_DHCP.dhcp, hosts: [inline] } }];
    expect(failuresOf(args({ networkIps, ...extra }))).toEqual([
      { property, reason: `there is an existing dhcp host entry in network 'lab' that matches "${host}"; a reservation has one owner: remove one of them` },
    ]);
  });

  it("finds the network's DHCP entry by its inline hosts alone (no ranges), and accepts a reservation that clashes with none", () => {
    const networkIps = [{ address: "192.168.100.1", prefix: 24, dhcp: { hosts: [{ mac: "52:54:00:aa:00:09", ip: "192.168.100.9" }] } }];
    expect(failuresOf(args({ networkIps }))).toEqual([]);
  });

  describe("skips what it cannot know at preview", () => {
    it.each([
      ["the network's ips", args({ networkIps: UNKNOWN, ip: "10.9.9.9" })],
      ["an ips entry's address", args({ networkIps: [{ ...V4_DHCP, address: UNKNOWN }], ip: "10.9.9.9" })],
      ["the network's DHCP settings (counted as serving DHCP)", args({ networkIps: [{ ...V4_DHCP, dhcp: UNKNOWN }], ip: "192.168.100.20" })],
      ["the inline hosts (no duplicate check)", args({ networkIps: [{ ...V4_DHCP, dhcp: { ranges: V4_DHCP.dhcp.ranges, hosts: UNKNOWN } }] })],
      ["an inline host's MAC (no duplicate check)", args({ networkIps: [{ ...V4_DHCP, dhcp: { ...V4_DHCP.dhcp, hosts: [{ mac: UNKNOWN, ip: "192.168.100.20" }] } }] })],
      ["the reservation's MAC", args({ mac: UNKNOWN })],
      ["the reservation's DUID", v6({ duid: UNKNOWN })],
      ["the reservation's name", args({ name: UNKNOWN })],
      ["the reservation's address", args({ ip: UNKNOWN })],
      ["the lease", args({ lease: UNKNOWN })],
      ["the lease's expiry", args({ lease: { expiry: UNKNOWN, unit: "seconds" } })],
      ["the bridge and the network's name", args({ bridge: UNKNOWN, networkName: UNKNOWN })],
    ])("%s", (_what, news) => {
      const r = checkDhcpHost({}, news);
      expect(r.failures).toEqual([]);
    });

    it("still checks what is known beside an unknown", () => {
      expect(failuresOf(args({ networkIps: UNKNOWN, mac: "01:00:5e:00:00:01" }))).toEqual([{ property: "mac", reason: "expected unicast mac address, found multicast '01:00:5e:00:00:01' in network 'lab'" }]);
      expect(failuresOf(args({ ip: UNKNOWN, name: "-x" }))).toEqual([{ property: "name", reason: "Cannot use host name '-x' in network 'lab'" }]);
    });

    it("keeps an unknown MAC unknown in the checked inputs", () => {
      expect(checkDhcpHost({}, args({ mac: UNKNOWN })).inputs.mac).toBe(UNKNOWN);
    });
  });

  it("refuses a bad bridge name before anything else", () => {
    expect(failuresOf(args({ bridge: "br 0", mac: "01:00:5e:00:00:01" }))).toEqual([{ property: "bridge", reason: expect.stringMatching(/may contain only/) }]);
  });

  it("refuses unknown properties and the wrong types through the schema", () => {
    expect(failuresOf(args({ id: "00:01" }))).toContainEqual(expect.objectContaining({ property: "" }));
    expect(failuresOf(args({ lease: { expiry: -1 } }))).toEqual([{ property: "lease.expiry", reason: "must not be negative" }]);
  });
});

/** What a created reservation records: its checked inputs, the schema version and the line the host's file holds. */
function recorded(extra: Props = {}): DhcpHostOutputs {
  const inputs = checkDhcpHost({}, args(extra)).inputs as unknown as Known<DhcpHostInputs>;
  return { ...inputs, schemaVersion: 1, reservation: reservationLine(inputs) };
}
const news = (extra: Props = {}) => checkDhcpHost({}, args(extra)).inputs as unknown as DhcpHostInputs;

describe("DhcpHost diff", () => {
  it("has no change for the same inputs and an untouched file", () => {
    expect(diffDhcpHost(recorded(), news())).toMatchObject({ changes: false, replaces: [] });
  });

  it("replaces for a new address (the file is named by it), the old reservation first", () => {
    expect(diffDhcpHost(recorded(), news({ ip: "192.168.100.21" }))).toMatchObject({ changes: true, replaces: ["ip"], deleteBeforeReplace: true });
  });

  it("replaces for another bridge", () => {
    expect(diffDhcpHost(recorded(), news({ bridge: "virbr11" }))).toMatchObject({ changes: true, replaces: ["bridge"] });
  });

  it.each([
    ["name", { name: "vm1b" }],
    ["MAC", { mac: "52:54:00:aa:00:02" }],
    ["lease", { lease: { expiry: 1, unit: "hours" } }],
  ])("changes the %s in place", (_what, extra) => {
    const d = diffDhcpHost(recorded(), news(extra));
    expect(d.changes).toBe(true);
    expect(d.replaces).toEqual([]);
  });

  it("counts a line edited by hand as a change an update rewrites, in place", () => {
    const d = diffDhcpHost({ ...recorded(), reservation: "52:54:00:aa:00:01,192.168.100.20,edited" }, news());
    expect(d).toMatchObject({ changes: true, replaces: [] });
    expect(d.stables).not.toContain("reservation");
  });

  it("does not count a change of the network's ips or name: they only serve the preview's checks", () => {
    expect(diffDhcpHost(recorded(), news({ networkName: "other", networkIps: [{ ...V4_DHCP, dhcp: { ranges: [{ start: "192.168.100.10", end: "192.168.100.30" }] } }] }))).toMatchObject({ changes: false });
  });

  it("counts an unknown address as a replacement at preview", () => {
    expect(diffDhcpHost(recorded(), { ...news(), ip: UNKNOWN })).toMatchObject({ changes: true, replaces: ["ip"] });
  });
});

describe("a reservation by name alone whose address is unknown at preview", () => {
  it("is left to the apply, which knows its family", () => {
    const networkIps = [V6_DHCP];
    expect(failuresOf(args({ networkIps, mac: undefined, name: "vm6", ip: "2001:db8::20" }))).toEqual([]);
    expect(failuresOf(args({ networkIps, mac: undefined, name: "vm6", ip: UNKNOWN }))).toEqual([]);
  });
});
