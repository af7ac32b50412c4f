// Preview tells the truth: every value the kernel would refuse is refused at check with its property, every value
// the README documents as allowed is accepted, and a bad value is quoted by a short prefix only.
import { describe, expect, it } from "vitest";
import { checkGuestInterface } from "../../../provider/resources/guest-interface/check";
import { checkNetwork } from "../../../provider/resources/network/check";
import { MAX_BURST, MAX_SPEED } from "../../../provider/resources/bandwidth/schema";
import { networkToXml } from "../../../provider/libvirt/network-xml";
import { XMLValidator } from "fast-xml-parser";
import { connection } from "./network/network-fixtures";

const network = (extra: Record<string, unknown>) => checkNetwork({}, { connection, ips: [{ address: "192.168.100.1", prefix: 24 }], ...extra });
const guest = (extra: Record<string, unknown>) => checkGuestInterface({}, { connection, bridge: "virbr10", mac: "52:54:00:12:34:56", ...extra });
const failure = (r: { failures: { property: string; reason: string }[] }, property: string) => r.failures.find((f) => f.property === property)?.reason;

describe("values the kernel refuses are refused at preview", () => {
  it.each([
    ["an all-zero bridge MAC", () => network({ mac: "00:00:00:00:00:00" }), "mac", /all-zero/],
    ["an all-zero guest MAC", () => guest({ mac: "00:00:00:00:00:00" }), "mac", /all-zero/],
    ["a tap MTU above the kernel's 65521", () => guest({ mtu: 65522 }), "mtu", /at most 65521/],
    ["a burst tc cannot hold", () => network({ bandwidth: { inbound: { average: 1000, burst: 4294967295 } } }), "bandwidth.inbound.burst", /at most 4194303 KB/],
    ["a rate above what tc holds in 64 bits", () => network({ bandwidth: { inbound: { average: MAX_SPEED + 1 } } }), "bandwidth.inbound.average", /at most 2305843009213693 KB\/s/],
    ["the bridge name 'all' (the kernel's net.ipv4.conf.all)", () => network({ bridge: { name: "all" } }), "bridge.name", /reserved by the kernel/],
    ["the bridge name 'default'", () => network({ bridge: { name: "default" } }), "bridge.name", /reserved by the kernel/],
    ["a libvirt name with a NUL", () => network({ libvirtName: "a\u0000b" }), "libvirtName", /control characters/],
  ])("%s", (_what, run, property, reason) => {
    expect(failure(run(), property)).toMatch(reason);
  });
  it("a 100,000-character user is refused quickly, and no message repeats it", () => {
    const long = "u".repeat(100_000);
    const r = network({ connection: { ...connection, user: long } });
    expect(failure(r, "connection.user")).toMatch(/at most 32 characters/);
    expect(JSON.stringify(r.failures).length).toBeLessThan(2000);
    const name = network({ bridge: { name: "x".repeat(100_000) } });
    expect(JSON.stringify(name.failures).length).toBeLessThan(2000);
  });
});

describe("values the README documents as allowed are accepted", () => {
  it.each([
    ["bridge names iproute2 reads as keywords (ip link add name …)", { bridge: { name: "dev" } }],
    ["'type' and 'help' as bridge names", { bridge: { name: "type" } }],
    ["the largest rate tc holds", { bandwidth: { inbound: { average: MAX_SPEED } } }],
    ["the largest burst", { bandwidth: { inbound: { average: 1000, burst: MAX_BURST } } }],
  ])("%s", (_what, extra) => expect(network(extra).failures).toEqual([]));
  it("a tap MTU of 65521", () => expect(guest({ mtu: 65521 }).failures).toEqual([]));
});

describe("libvirtXml is well-formed whatever the names", () => {
  it("escapes ']]>' and markup in the libvirt name", () => {
    const xml = networkToXml("a]]>b<c>&'\"", { bridge: { name: "virbr1", stp: true, delay: 0 }, mac: "52:54:00:12:34:56", ips: [], routes: [] });
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain("<name>a]]&gt;b&lt;c&gt;&amp;&apos;&quot;</name>");
  });
});
