// dnsmasq's lease file read back into leases (docs/libvirt-behaviour.md §10.5). The fixture was written by
// dnsmasq 2.90 itself: started on a bridge in a network namespace with a seeded lease file, it pruned the
// expired lease and rewrote the rest in its own format (newest first, MACs in lower case, a non-Ethernet
// hardware address with its type prefix, the server's DUID before the IPv6 leases).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDnsmasqLeases } from "../../../provider/dnsmasq/parse-leases";

const captured = readFileSync(path.join(__dirname, "../fixtures/dnsmasq/dnsmasq-2.90.leases"), "utf8");
const EXPIRES = "2026-11-26T14:23:30.000Z";

describe("parseDnsmasqLeases", () => {
  it("reads every lease dnsmasq 2.90 wrote, IPv4 and IPv6, and skips the duid line", () => {
    expect(parseDnsmasqLeases(captured)).toEqual([
      { ip: "10.9.0.13", hostname: "ib", clientId: "ff:00:11:22:33", expiresAt: EXPIRES },
      { ip: "10.9.0.12", mac: "52:54:00:aa:bb:02" },
      { ip: "10.9.0.11", mac: "52:54:00:aa:bb:01", hostname: "web", clientId: "01:52:54:00:aa:bb:01", expiresAt: EXPIRES },
      { ip: "fd00:9::12", iaid: 77, clientId: "00:03:00:01:52:54:00:aa:bb:05" },
      { ip: "fd00:9::11", iaid: 1234, hostname: "db", clientId: "00:04:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63", expiresAt: EXPIRES },
    ]);
  });

  it("gives no expiry for an infinite lease (0) and an ISO time otherwise", () => {
    const [infinite, timed] = parseDnsmasqLeases("0 52:54:00:00:00:01 10.0.0.2 * *\n1700000000 52:54:00:00:00:02 10.0.0.3 * *\n");
    expect(infinite).not.toHaveProperty("expiresAt");
    expect(timed.expiresAt).toBe("2023-11-14T22:13:20.000Z");
  });

  it("leaves out what the file marks as absent instead of recording undefined", () => {
    const [lease] = parseDnsmasqLeases("0 52:54:00:00:00:01 10.0.0.2 * *\n");
    expect(Object.keys(lease).sort()).toEqual(["ip", "mac"]);
  });

  it("has no MAC for a client whose hardware address is empty or not Ethernet", () => {
    const leases = parseDnsmasqLeases("0 01- 10.0.0.2 * 01:02\n0 20-00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff 10.0.0.3 * *\n");
    expect(leases).toEqual([
      { ip: "10.0.0.2", clientId: "01:02" },
      { ip: "10.0.0.3" },
    ]);
  });

  it("skips lines that are not leases, as dnsmasq's own reader does, and keeps the others", () => {
    const text = [
      "",
      "0 52:54:00:00:00:01 10.0.0.2 *",
      "soon 52:54:00:00:00:01 10.0.0.2 * *",
      "0 52:54:00:00:00:01 not-an-ip * *",
      "0 x12 fd00::5 * 00:01",
      "duid 00:01:00:01:2c:00:00:01:52:54:00:00:00:01",
      "0 52:54:00:00:00:09 10.0.0.9 guest *",
      "",
    ].join("\n");
    expect(parseDnsmasqLeases(text)).toEqual([{ ip: "10.0.0.9", mac: "52:54:00:00:00:09", hostname: "guest" }]);
  });

  it("reads an empty or missing file's text as no lease", () => {
    expect(parseDnsmasqLeases("")).toEqual([]);
  });
});
