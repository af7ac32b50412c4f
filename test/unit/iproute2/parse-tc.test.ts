// Captured from iproute2 6.1 after libvirt's hierarchical network set, a floor plug and an ifb redirect.
import { describe, expect, it } from "vitest";
import { filterDestinationMac, parseTcClasses, parseTcFilters, parseTcRate, parseTcSize, splitTcDeviceReport } from "../../../provider/iproute2/parse-tc";
import { HostSnapshot } from "../../../provider/host/snapshot";

const CLASSES = `class htb 1:1 root rate 8Mbit ceil 16Mbit burst 1600b cburst 1600b 
class htb 1:a parent 1:1 prio 0 rate 2400Kbit ceil 16Mbit burst 1599b cburst 1600b 
class htb 1:2 parent 1:1 leaf 2: prio 0 rate 8Mbit ceil 16Mbit burst 1Mb cburst 1600b 
`;
const FILTERS = `filter parent 1: protocol ip pref 2 u32 chain 0 
filter parent 1: protocol ip pref 2 u32 chain 0 fh 800: ht divisor 1 
filter parent 1: protocol ip pref 2 u32 chain 0 fh 800::810 order 2064 key ht 800 bkt 0 *flowid 1:a not_in_hw 
  match 00000800/0000ffff at -4
  match 00abcdef/ffffffff at -12
  match 0000fe54/0000ffff at -16
`;
const INGRESS = `filter protocol all pref 49152 u32 chain 0 
filter protocol all pref 49152 u32 chain 0 fh 800: ht divisor 1 
filter protocol all pref 49152 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 terminal flowid not_in_hw 
  match 00000000/00000000 at 0
	action order 1: mirred (Egress Redirect to device vr) stolen
	index 1 ref 1 bind 1
`;

describe("tc output parsing", () => {
  it("reads rates in decimal bits and sizes in binary bytes", () => {
    expect(parseTcRate("8Mbit")).toBe(8_000_000);
    expect(parseTcRate("2400Kbit")).toBe(2_400_000);
    expect(parseTcSize("1Mb")).toBe(1048576);
    expect(parseTcSize("1599b")).toBe(1599);
    expect(() => parseTcRate("fast")).toThrow(/cannot read/);
  });
  it("reads HTB classes from text (tc -j prints text for htb classes on iproute2 6.1)", () => {
    expect(parseTcClasses(CLASSES)).toEqual([
      { classId: "1:1", parent: undefined, rateBits: 8e6, ceilBits: 16e6, burstBytes: 1600 },
      { classId: "1:a", parent: "1:1", rateBits: 2.4e6, ceilBits: 16e6, burstBytes: 1599 },
      { classId: "1:2", parent: "1:1", rateBits: 8e6, ceilBits: 16e6, burstBytes: 1048576 },
    ]);
  });
  it("reads u32 filters with every match (tc -j repeats the match key) and the guest MAC they select", () => {
    const [f] = parseTcFilters(FILTERS);
    expect(f).toMatchObject({ handle: "800::810", pref: 2, flowid: "1:a" });
    expect(f.matches).toHaveLength(3);
    expect(filterDestinationMac(f)).toBe("fe:54:00:ab:cd:ef");
  });
  it("reads an ingress redirect", () => expect(parseTcFilters(INGRESS)).toEqual([expect.objectContaining({ handle: "800::800", redirectTo: "vr" })]));
  it("puts each device's tc into the host snapshot", () => {
    const reply = [
      "@@virtnet-snapshot addr", "[]", "@@virtnet-snapshot route4", "[]", "@@virtnet-snapshot route6", "[]", "@@virtnet-snapshot fdb", "",
      "@@virtnet-snapshot qdisc", JSON.stringify([{ kind: "htb", handle: "1:", dev: "virbr1", root: true }, { kind: "htb", handle: "1:", dev: "eth0" }]),
      "@@virtnet-snapshot tc", `@@dev virbr1\n${CLASSES}@@filter\n${FILTERS}@@ingress\n${INGRESS}`, "@@virtnet-snapshot nft", "none", "@@virtnet-snapshot forwarding", "0\n0", "@@virtnet-snapshot ra", "1", "@@virtnet-snapshot vlan-filtering", "",
    ].join("\n");
    const tc = HostSnapshot.parse(reply).tcOf("virbr1");
    expect(tc.qdiscs).toEqual([{ kind: "htb", handle: "1:", parent: undefined }]);
    expect(tc.classes.map((c) => c.classId)).toEqual(["1:1", "1:a", "1:2"]);
    expect(tc.filters.map((f) => f.handle)).toEqual(["800::810"]);
    expect(tc.ingressFilters.map((f) => f.redirectTo)).toEqual(["vr"]);
  });
});

describe("one device's tc -d -batch report (class show, filter show, filter show parent ffff:)", () => {
  // Captured from iproute2 6.1: a bridge with a floor class and filter, and an ingress redirect.
  const report = [
    "class htb 1:1 root rate 8Mbit ceil 16Mbit linklayer ethernet burst 1600b/1 mpu 0b cburst 1600b/1 mpu 0b level 7 ",
    "class htb 1:3 parent 1:1 leaf 3: prio 0 quantum 85 rate 800Kbit ceil 16Mbit linklayer ethernet burst 1600b/1 mpu 0b cburst 1600b/1 mpu 0b level 0 ",
    "filter parent 1: protocol ip pref 2 u32 chain 0 ",
    "filter parent 1: protocol ip pref 2 u32 chain 0 fh 800: ht divisor 1 ",
    "filter parent 1: protocol ip pref 2 u32 chain 0 fh 800::803 order 2051 key ht 800 bkt 0 *flowid 1:3 not_in_hw ",
    "  match 00000800/0000ffff at -4",
    "  match 00123456/ffffffff at -12",
    "  match 00005254/0000ffff at -16",
    "filter protocol all pref 49152 u32 chain 0 ",
    "filter protocol all pref 49152 u32 chain 0 fh 800: ht divisor 1 ",
    "filter protocol all pref 49152 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 terminal flowid not_in_hw ",
    "  match 00000000/00000000 at 0",
    "\taction order 1: mirred (Egress Redirect to device vtifb0) stolen",
    "",
  ].join("\n");
  const parts = splitTcDeviceReport(report);
  it("reads the classes with their quantum", () => {
    expect(parseTcClasses(parts.classes).map((c) => [c.classId, c.quantum])).toEqual([["1:1", undefined], ["1:3", 85]]);
  });
  it("tells egress filters (which print their parent) from ingress ones", () => {
    expect(parseTcFilters(parts.filters).map((f) => [f.handle, f.flowid])).toEqual([["800::803", "1:3"]]);
    expect(parseTcFilters(parts.ingress).map((f) => f.redirectTo)).toEqual(["vtifb0"]);
  });
});
