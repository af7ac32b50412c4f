// libvirt's tc strings (docs/libvirt-behaviour.md §5.3, tests/virnetdevbandwidthtest.c) reproduced exactly; floor plumbing (§5.5).
import { describe, expect, it } from "vitest";
import { floorIds, ifbNameFor, quantum, type TcCapabilities } from "../../../provider/net/tc";
import type { Bandwidth } from "../../../provider/net/bandwidth";
import type { Operation } from "../../../provider/net/operation";
import { renderOperation } from "../../../provider/iproute2/render-operation";
import { bandwidthSet, floorFilterUpdate, floorPlug, floorUnplug, unguaranteedClass } from "../../../provider/resources/bandwidth/libvirt-tc";

const lines = (ops: Operation[]) => ops.map((o) => renderOperation(o).argv.join(" "));
const unguaranteed = (network: Bandwidth, floorSum: number): Operation => ({ op: "classChange", dev: "virbr1", cls: unguaranteedClass(network, floorSum) });
const set = (bw: Bandwidth | undefined) => lines(bandwidthSet("eth0", bw, false));

describe("virnetdevbandwidthtest.c, every case (interface eth0, swapped, not hierarchical)", () => {
  it("case 1: no bandwidth runs no commands", () => expect(set(undefined)).toEqual([]));
  it("case 2: an empty <bandwidth/> runs no commands", () => expect(set({})).toEqual([]));
  it("case 3: inbound average 1024", () =>
    expect(set({ inbound: { average: 1024 } })).toEqual([
      "tc qdisc del dev eth0 root",
      "tc qdisc del dev eth0 ingress",
      "tc qdisc add dev eth0 root handle 1: htb default 1",
      "tc class add dev eth0 parent 1: classid 1:1 htb rate 1024kbps quantum 87",
      "tc qdisc add dev eth0 parent 1:1 handle 2: sfq perturb 10",
      "tc filter add dev eth0 parent 1:0 protocol all prio 1 handle 1 fw flowid 1",
    ]));
  it("case 4: outbound average 1024", () =>
    expect(set({ outbound: { average: 1024 } })).toEqual([
      "tc qdisc del dev eth0 root",
      "tc qdisc del dev eth0 ingress",
      "tc qdisc add dev eth0 ingress",
      "tc filter add dev eth0 parent ffff: protocol all u32 match u32 0 0 police rate 1024kbps burst 1024kb mtu 64kb drop flowid :1",
    ]));
  it("case 5: everything; the floor and the outbound peak are ignored by the interface set", () =>
    expect(set({ inbound: { average: 1, peak: 2, floor: 3, burst: 4 }, outbound: { average: 5, peak: 6, burst: 7 } })).toEqual([
      "tc qdisc del dev eth0 root",
      "tc qdisc del dev eth0 ingress",
      "tc qdisc add dev eth0 root handle 1: htb default 1",
      "tc class add dev eth0 parent 1: classid 1:1 htb rate 1kbps ceil 2kbps burst 4kb quantum 1",
      "tc qdisc add dev eth0 parent 1:1 handle 2: sfq perturb 10",
      "tc filter add dev eth0 parent 1:0 protocol all prio 1 handle 1 fw flowid 1",
      "tc qdisc add dev eth0 ingress",
      "tc filter add dev eth0 parent ffff: protocol all u32 match u32 0 0 police rate 5kbps burst 7kb mtu 64kb drop flowid :1",
    ]));
  it("case 6: 4294967295 both ways (quantum 366503875, police burst capped at 4194303kb)", () =>
    expect(set({ inbound: { average: 4294967295 }, outbound: { average: 4294967295 } })).toEqual([
      "tc qdisc del dev eth0 root",
      "tc qdisc del dev eth0 ingress",
      "tc qdisc add dev eth0 root handle 1: htb default 1",
      "tc class add dev eth0 parent 1: classid 1:1 htb rate 4294967295kbps quantum 366503875",
      "tc qdisc add dev eth0 parent 1:1 handle 2: sfq perturb 10",
      "tc filter add dev eth0 parent 1:0 protocol all prio 1 handle 1 fw flowid 1",
      "tc qdisc add dev eth0 ingress",
      "tc filter add dev eth0 parent ffff: protocol all u32 match u32 0 0 police rate 4294967295kbps burst 4194303kb mtu 64kb drop flowid :1",
    ]));
  it("ignores the exit status of every delete, and only of deletes", () => {
    const cmds = bandwidthSet("eth0", { inbound: { average: 1024 }, outbound: { average: 1024 } }, false).map(renderOperation);
    expect(cmds.filter((c) => c.bestEffort).map((c) => c.argv[2])).toEqual(["del", "del"]);
  });
});

describe("quantum = floor(avg*1024/8/1500), at least 1, exact for huge averages", () => {
  it.each([[1024, 87], [1000, 85], [1, 1], [4294967295, 366503875], [undefined, 1], [18014398509481984, 1537228672809129]])("%s → %s", (avg, q) =>
    expect(quantum(avg)).toBe(q));
});

const network: Bandwidth = { inbound: { average: 1000, peak: 2000, burst: 1024 }, outbound: { average: 2000 } };

describe("network bandwidth on the bridge (hierarchical, docs/libvirt-behaviour.md §5.4) and floor plumbing (§5.5)", () => {
  it("renders libvirt's bandwidth-network sequence", async () => {
    await expect(lines(bandwidthSet("virbr1", network, true)).join("\n") + "\n").toMatchFileSnapshot("../golden/tc-network-hierarchical.txt");
  });
  it("plugs, updates and unplugs guests with hex class ids and 800::(800+id) filter handles", async () => {
    const story = [
      "# plug 52:54:00:12:34:56 (floor 300, inbound average 1024) as class id 3",
      ...lines(floorPlug("virbr1", network, "52:54:00:12:34:56", { average: 1024, floor: 300 }, 3)),
      ...lines([unguaranteed(network, 300)]),
      "# plug fe:54:00:ab:cd:ef (floor only) as class id 10",
      ...lines(floorPlug("virbr1", network, "fe:54:00:ab:cd:ef", { floor: 200 }, 10)),
      ...lines([unguaranteed(network, 500)]),
      "# the first guest's MAC changes",
      ...lines(floorFilterUpdate("virbr1", "52:54:00:00:00:09", 3)),
      "# unplug id 3",
      ...lines(floorUnplug("virbr1", 3)),
      ...lines([unguaranteed(network, 200)]),
    ];
    await expect(story.join("\n") + "\n").toMatchFileSnapshot("../golden/tc-floor.txt");
  });
  it("writes ids the way libvirt does: 10 is 1:a / a: / 800::810", () => expect(floorIds(10)).toEqual({ classId: "1:a", qdisc: "a:", filterHandle: "800::810" }));
  it("never deletes the u32 hash table 800:: (kernel ≥ 4.20 rejects it)", () => {
    const all = lines([...floorUnplug("virbr1", 3), ...floorFilterUpdate("virbr1", "52:54:00:00:00:09", 3)]);
    for (const l of all.filter((x) => x.includes("filter del"))) expect(l).toMatch(/prio 2 handle 800::803 u32$/);
  });
});

describe("kernels without sfq, cls_fw or act_police (docs/architecture.md §4)", () => {
  const fallback = (dev: string): TcCapabilities => ({ leaf: "pfifo", fwFilter: false, ingress: { ifb: ifbNameFor(dev) } });
  it("names each device's ifb within 15 characters, the same every time", () => {
    expect(ifbNameFor("a-fifteen-chars")).toMatch(/^vtifb[0-9a-f]{8}$/);
    expect(ifbNameFor("vnet0")).toBe(ifbNameFor("vnet0"));
    expect(ifbNameFor("vnet0")).not.toBe(ifbNameFor("vnet1"));
  });
  it("renders a pfifo leaf, no fw filter, and outbound shaping through an ifb", async () => {
    const text = [
      ...lines(bandwidthSet("vnet0", { inbound: { average: 1024, peak: 2048 }, outbound: { average: 512, burst: 64 } }, false, fallback("vnet0"))),
      "# the network, with a floor",
      ...lines(bandwidthSet("virbr1", network, true, fallback("virbr1"))),
      ...lines(floorPlug("virbr1", network, "52:54:00:12:34:56", { floor: 300 }, 3, fallback("virbr1"))),
    ];
    await expect(text.join("\n") + "\n").toMatchFileSnapshot("../golden/tc-fallback.txt");
  });
});
