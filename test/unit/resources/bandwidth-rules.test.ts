import { describe, expect, it } from "vitest";
import { bandwidthFailures, floorLimit, floorProblem } from "../../../provider/resources/bandwidth/rules";
import { UNKNOWN } from "../../../provider/unknown";

describe("bandwidth validation (docs/libvirt-behaviour.md §1.7)", () => {
  it("accepts libvirt's bandwidth-network and an interface with a floor", () => {
    expect(bandwidthFailures({ inbound: { average: 1000, peak: 2000, burst: 1024 }, outbound: { average: 2000 } }, "network")).toEqual([]);
    expect(bandwidthFailures({ inbound: { floor: 200 } }, "interface")).toEqual([]);
  });
  it.each([
    [{ inbound: { peak: 10 } }, "interface", "bandwidth.inbound", /Missing mandatory average or floor attributes/],
    [{ outbound: {} }, "interface", "bandwidth.outbound", /Missing mandatory average or floor/],
    [{ inbound: { floor: 5, burst: 10 } }, "interface", "bandwidth.inbound", /'peak' and 'burst' require 'average'/],
    [{ outbound: { average: 10, floor: 5 } }, "interface", "bandwidth.outbound.floor", /not supported for this config.*not on outbound/],
    [{ inbound: { average: 10, floor: 5 } }, "network", "bandwidth.inbound.floor", /not supported for this config.*network's bandwidth/],
    [{ inbound: { average: 10, peak: 5 } }, "interface", "bandwidth.inbound.peak", /must not be below average/],
  ] as const)("rejects %j on a %s at %s", (bw, owner, property, reason) => {
    expect(bandwidthFailures(bw, owner)).toEqual([{ property, reason: expect.stringMatching(reason) }]);
  });
  it("waits while a value is unknown", () => expect(bandwidthFailures({ inbound: { average: UNKNOWN as unknown as number, burst: 3 } }, "interface")).toEqual([]));
});

describe("floor admission (networkCheckBandwidth, docs/libvirt-behaviour.md §5.5)", () => {
  const net = { inbound: { average: 1000, peak: 2000 } };
  it("limits floors by the network's inbound peak, else its average", () => {
    expect(floorLimit(net)).toBe(2000);
    expect(floorLimit({ inbound: { average: 1000 } })).toBe(1000);
    expect(floorLimit({ outbound: { average: 1000 } })).toBeUndefined();
  });
  it("needs a network with inbound QoS", () => expect(floorProblem(100, { outbound: { average: 5 } }, 0, "vnet0")).toMatch(/has no inbound QoS set/));
  it("refuses to overcommit, naming the total and the limit", () => {
    expect(floorProblem(499, net, 1500, "vnet0")).toBeUndefined();
    expect(floorProblem(501, net, 1500, "vnet0")).toBe("Cannot plug vnet0 because new combined inbound floor=2001 would overcommit peak=2000 on its network");
    expect(floorProblem(1001, { inbound: { average: 1000 } }, 0, "vnet0")).toMatch(/overcommit average=1000/);
  });
  it("refuses floors adding up to exactly the limit, which would give unguaranteed traffic rate 0 (tc refuses it)", () => {
    expect(floorProblem(500, net, 1500, "vnet0")).toMatch(/floor=2000 would leave nothing of peak=2000 for the network's unguaranteed traffic/);
  });
});
