import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseIpRoute } from "../../../provider/iproute2/parse-ip-route";

const fixture = (name: string) => readFileSync(join(__dirname, "../fixtures", name), "utf8");

describe("parseIpRoute (captured from iproute2 6.1)", () => {
  const v4 = parseIpRoute(fixture("ip-route4.json"), "ipv4");
  const v6 = parseIpRoute(fixture("ip-route6.json"), "ipv6");

  it("reads a static route with its gateway, device, protocol and metric", () => {
    expect(v4).toContainEqual({ family: "ipv4", address: "192.168.222.0", prefix: 24, gateway: "192.168.122.10", dev: "br0", protocol: "static", metric: 1, type: "unicast" });
  });
  it("reads 'default' as the all-zero destination with prefix 0, in both families", () => {
    expect(v4).toContainEqual(expect.objectContaining({ address: "0.0.0.0", prefix: 0, gateway: "192.168.122.1" }));
    expect(v6).toContainEqual(expect.objectContaining({ address: "::", prefix: 0, gateway: "2001:db8:ac10:fd01::2" }));
  });
  it("reads a host route printed without a prefix as /32", () => {
    expect(v4).toContainEqual(expect.objectContaining({ address: "10.1.2.3", prefix: 32, metric: 5 }));
  });
  it("reads a connected IPv4 route, which prints no metric, as metric 0", () => {
    expect(v4).toContainEqual(expect.objectContaining({ address: "192.168.122.0", prefix: 24, protocol: "kernel", metric: 0, gateway: undefined }));
  });
  it("reads IPv6 routes with canonical addresses", () => {
    expect(v6).toContainEqual(expect.objectContaining({ address: "2001:db8:ac10:fc00::", prefix: 64, gateway: "2001:db8:ac10:fd01::1:24", metric: 1 }));
  });
  it("keeps multipath, blackhole and unreachable routes, with no device, so that collisions see them", () => {
    const json = JSON.stringify([
      { dst: "10.0.0.0/8", nexthops: [{ gateway: "1.1.1.1", dev: "a" }, { gateway: "1.1.1.2", dev: "b" }], flags: [] },
      { type: "blackhole", dst: "10.9.0.0/16", protocol: "boot", flags: [] },
      { type: "unreachable", dst: "10.6.0.0/16", protocol: "boot", flags: [] },
    ]);
    expect(parseIpRoute(json, "ipv4")).toEqual([
      { family: "ipv4", address: "10.0.0.0", prefix: 8, gateway: undefined, dev: "", protocol: undefined, metric: 0, type: "unicast", nexthops: 2 },
      { family: "ipv4", address: "10.9.0.0", prefix: 16, gateway: undefined, dev: "", protocol: "boot", metric: 0, type: "blackhole" },
      { family: "ipv4", address: "10.6.0.0", prefix: 16, gateway: undefined, dev: "", protocol: "boot", metric: 0, type: "unreachable" },
    ]);
  });
  it("accepts empty output (no IPv6 on the host) and refuses other shapes", () => {
    expect(parseIpRoute("", "ipv6")).toEqual([]);
    expect(() => parseIpRoute('[{"gateway": "x"}]', "ipv4")).toThrow(/unexpected shape/);
  });
});
