// Convergence through Pulumi's plugin, for a matrix of stacks: after up, a second up, a refresh and a preview
// change nothing, and destroy leaves no virtnet object on the host.
import { describe, expect, it } from "vitest";
import type { Program } from "../../scripts/engine";
import { steps, useEngine } from "./use-engine";

const t = useEngine();
const connection = (pulumi: Parameters<Program>[0]["pulumi"]) => ({ host: t.sb.host, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey });

/** Inbound burst with no peak, outbound burst, no floors. */
const burstOnly: Program = ({ pkg, pulumi }) => {
  new pkg.Network("burst", {
    connection: connection(pulumi), bridge: { name: "cvm0", stp: false }, ips: [{ address: "192.168.150.1", prefix: 24 }],
    bandwidth: { inbound: { average: 1000, burst: 1024 }, outbound: { average: 800, burst: 64 } },
  });
};

/** Both families, inline and standalone routes, libvirt mode, auto names, guests with floors and outbound limits. */
const everything: Program = ({ pkg, pulumi }) => {
  const bandwidth = { inbound: { average: 2000, peak: 4000, burst: 256 }, outbound: { average: 1000 } };
  const net = new pkg.Network("all", {
    connection: connection(pulumi), bridge: { name: "cvm%d", macTableManager: "libvirt" }, bandwidth,
    ips: [{ address: "192.168.151.1", prefix: 24 }, { address: "fd00:151::1", prefix: 64, family: "ipv6" }],
    routes: [{ address: "10.151.0.0", prefix: 16, gateway: "192.168.151.2" }, { address: "fd00:1510::", prefix: 48, family: "ipv6", gateway: "fd00:151::2" }],
  });
  new pkg.StaticRoute("r1", { network: net, address: "10.152.0.0", prefix: 16, gateway: "192.168.151.3", metric: 4 });
  for (const [i, floor] of [[1, 500], [2, 300], [3, undefined]] as const) {
    new pkg.GuestInterface(`g${i}`, { network: net, mac: `52:54:00:15:10:0${i}`, bandwidth: { inbound: { average: 1000, ...(floor ? { floor } : {}) }, outbound: { average: 400, burst: 32 } } });
  }
};

const virtnetLinks = () =>
  (t.sb.ipJson(["-d", "link", "show"]) as Array<{ ifname: string; ifalias?: string }>).filter((l) => l.ifalias?.startsWith("virtnet")).map((l) => l.ifname);
const virtnetRoutes = () => [...(t.sb.ipJson(["-4", "route", "show", "proto", "241"]) as unknown[]), ...(t.sb.ipJson(["-6", "route", "show", "proto", "241"]) as unknown[])];

describe.each([
  ["inbound burst without floors", burstOnly, ["burst"]],
  ["both families, routes, libvirt mode, auto names and floors", everything, ["all", "r1", "g1", "g2", "g3"]],
] as const)("%s", (_title, program, names) => {
  const same = Object.fromEntries(names.map((n) => [n, "same"]));
  it("creates everything", async () => {
    expect(Object.values(steps(await t.engine.up(program)))).toEqual(names.map(() => "create"));
  });
  it("changes nothing on a second up, after a refresh, or in a preview", async () => {
    expect(steps(await t.engine.up(program))).toEqual(same);
    expect(Object.values(steps(await t.engine.refresh()))).toEqual(names.map(() => "read"));
    expect(steps(await t.engine.preview(program))).toEqual(same);
    expect(steps(await t.engine.up(program))).toEqual(same);
  });
  it("destroys everything, leaving no virtnet interface or route", async () => {
    expect((await t.engine.destroy()).errors).toEqual([]);
    expect(virtnetLinks()).toEqual([]);
    expect(virtnetRoutes()).toEqual([]);
  });
});
