// A dhcp-hostsfile line read back into its reservation: every form render-hostsfile.ts writes (libvirt's) must give
// back the fields it was written from, because a DhcpHost's duplicate check on the host compares them.
import { describe, expect, it } from "vitest";
import type { DhcpStaticHost } from "../../../provider/dnsmasq/dnsmasq-config";
import { parseHostsfileLine } from "../../../provider/dnsmasq/parse-hostsfile-line";
import { renderHostsfileLine } from "../../../provider/dnsmasq/render-hostsfile";

const MAC = "52:54:00:aa:00:01";
const DUID = "00:01:00:01:2c:3d:4e:5f:52:54:00:aa:00:01";

/** [the reservation, the line libvirt writes for it]. */
const FORMS: [string, DhcpStaticHost, string][] = [
  ["IPv4 MAC,IP,NAME", { mac: MAC, name: "vm1", ip: "192.168.100.10" }, "52:54:00:aa:00:01,192.168.100.10,vm1"],
  ["IPv4 NAME,IP", { name: "vm1", ip: "192.168.100.10" }, "vm1,192.168.100.10"],
  ["IPv4 MAC,IP", { mac: MAC, ip: "192.168.100.10" }, "52:54:00:aa:00:01,192.168.100.10"],
  ["IPv4 MAC,IP,NAME,LEASE in hours", { mac: MAC, name: "vm1", ip: "192.168.100.10", lease: { expiry: 1, unit: "hours" } }, "52:54:00:aa:00:01,192.168.100.10,vm1,1h"],
  ["IPv4 NAME,IP,LEASE infinite", { name: "vm1", ip: "192.168.100.10", lease: { expiry: 0, unit: "minutes" } }, "vm1,192.168.100.10,infinite"],
  ["IPv4 MAC,IP,LEASE in minutes", { mac: MAC, ip: "192.168.100.10", lease: { expiry: 30, unit: "minutes" } }, "52:54:00:aa:00:01,192.168.100.10,30m"],
  ["IPv4 MAC,IP,NAME,LEASE in seconds", { mac: MAC, name: "web-1.lab", ip: "192.168.100.10", lease: { expiry: 120, unit: "seconds" } }, "52:54:00:aa:00:01,192.168.100.10,web-1.lab,120s"],
  ["IPv6 id:DUID,NAME,[IP]", { id: DUID, name: "vm6", ip: "2001:db8::10" }, `id:${DUID},vm6,[2001:db8::10]`],
  ["IPv6 NAME,[IP]", { name: "vm6", ip: "2001:db8::10" }, "vm6,[2001:db8::10]"],
  ["IPv6 id:DUID,[IP]", { id: DUID, ip: "2001:db8::10" }, `id:${DUID},[2001:db8::10]`],
  ["IPv6 id:DUID,NAME,[IP],LEASE", { id: DUID, name: "vm6", ip: "2001:db8::10", lease: { expiry: 2, unit: "hours" } }, `id:${DUID},vm6,[2001:db8::10],2h`],
  ["IPv6 NAME,[IP],LEASE infinite", { name: "vm6", ip: "2001:db8::10", lease: { expiry: 0, unit: "hours" } }, "vm6,[2001:db8::10],infinite"],
];

/** The fields the parser gives back: the keys and the address, never the lease. */
const fields = (h: DhcpStaticHost) => Object.fromEntries(Object.entries({ mac: h.mac, id: h.id, name: h.name, ip: h.ip }).filter(([, v]) => v !== undefined));

describe("parseHostsfileLine", () => {
  it.each(FORMS)("%s: rendered as libvirt writes it and parsed back to its fields", (_form, host, line) => {
    expect(renderHostsfileLine(host)).toBe(line);
    expect(parseHostsfileLine(line)).toEqual(fields(host));
  });

  it("reads a line as the file holds it, with its newline, and a bare number of seconds as a lease", () => {
    expect(parseHostsfileLine("52:54:00:aa:00:01,192.168.100.10,vm1,120\n")).toEqual({ mac: MAC, name: "vm1", ip: "192.168.100.10" });
    expect(parseHostsfileLine("vm1,192.168.100.10,2d\n")).toEqual({ name: "vm1", ip: "192.168.100.10" });
  });

  it("gives addresses and MACs in canonical form, so that two spellings of one compare equal", () => {
    expect(parseHostsfileLine("52:54:0:AA:0:1,192.168.100.10")).toEqual({ mac: MAC, ip: "192.168.100.10" });
    expect(parseHostsfileLine("vm6,[2001:DB8:0:0:0:0:0:10]")).toEqual({ name: "vm6", ip: "2001:db8::10" });
    // The renderer writes the address canonically too, whatever the input's spelling.
    expect(renderHostsfileLine({ name: "vm6", ip: "2001:DB8:0::10" })).toBe("vm6,[2001:db8::10]");
  });

  it("round-trips every line of a network's hostsfile", () => {
    for (const [, host] of FORMS) expect(parseHostsfileLine(renderHostsfileLine(host))).toEqual(fields(host));
  });

  // libvirt lets a name start with a digit, but dnsmasq tells a field's meaning by its shape: a name such as "42" or
  // "5m" is a lease time to dnsmasq, which serves no name for it. The parser reads the line as dnsmasq does.
  it("reads a name that is all digits, or digits and a unit, as dnsmasq reads it: a lease, no name", () => {
    expect(renderHostsfileLine({ mac: MAC, name: "42", ip: "192.168.100.10" })).toBe("52:54:00:aa:00:01,192.168.100.10,42");
    expect(parseHostsfileLine("52:54:00:aa:00:01,192.168.100.10,42")).toEqual({ mac: MAC, ip: "192.168.100.10" });
    expect(parseHostsfileLine("52:54:00:aa:00:01,192.168.100.10,5m")).toEqual({ mac: MAC, ip: "192.168.100.10" });
    expect(parseHostsfileLine("52:54:00:aa:00:01,192.168.100.10,42a")).toEqual({ mac: MAC, name: "42a", ip: "192.168.100.10" });
  });

  it("reads an empty line as no reservation", () => {
    expect(parseHostsfileLine("")).toEqual({});
    expect(parseHostsfileLine("\n")).toEqual({});
  });
});
