// Convergence: for a matrix of stacks, a refresh then an update change nothing on the host, and the diff after a
// refresh is empty. Each stack is applied through the handlers the plugin calls, on a real kernel.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestInterface, network, staticRoute } from "../../provider";
import { Host } from "../../provider/host/host";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";

type Props = Record<string, unknown>;
type Handlers = typeof network;
let sb: Sandbox;
const applied: string[] = [];
const realApply = Host.prototype.apply;

beforeAll(async () => {
  sb = await createSandbox();
  // Count every apply: a converged stack plans none.
  Host.prototype.apply = function (this: Host, ops, what) {
    applied.push(`${what}: ${ops.map((o) => o.op).join(", ")}`);
    return realApply.call(this, ops, what);
  };
});
afterAll(async () => {
  Host.prototype.apply = realApply;
  closeAllHosts();
  await sb?.destroy();
});

interface Made {
  handlers: Handlers;
  id: string;
  outs: Props;
  inputs: Props;
}

async function make(handlers: Handlers, args: Props): Promise<Made> {
  const checked = await handlers.check({}, args);
  expect(checked.failures).toEqual([]);
  const { id, outs } = await handlers.create(checked.inputs);
  return { handlers, id, outs, inputs: checked.inputs };
}

/** Refresh every resource, diff it against its inputs, and update it from the refreshed state: nothing may change. */
async function expectConverged(made: Made[]): Promise<void> {
  applied.length = 0;
  for (const m of made) {
    const refreshed = await m.handlers.read(m.id, m.outs);
    expect(refreshed.id, `${m.id} still exists`).toBe(m.id);
    const d = await m.handlers.diff(m.id, refreshed.props, m.inputs);
    expect({ id: m.id, changes: d.changes, stables: d.stables }).toMatchObject({ id: m.id, changes: false });
    const second = await m.handlers.diff(m.id, m.outs, m.inputs);
    expect(second.changes, `${m.id}: a second up right after create`).toBe(false);
    await m.handlers.update(m.id, refreshed.props, m.inputs);
  }
  expect(applied).toEqual([]);
}

async function destroy(made: Made[]): Promise<void> {
  for (const m of [...made].reverse()) await m.handlers.delete(m.id, m.outs);
}

const connection = () => sandboxConnection(sb);
let next = 0;
const bridgeName = () => `cvbr${next++}`;

describe("convergence matrix", () => {
  it("both families, inline routes and StaticRoutes, libvirt MAC-table mode", async () => {
    const name = bridgeName();
    const net = await make(network, {
      connection: connection(), owner: "cv/dev/net-a", bridge: { name, macTableManager: "libvirt" },
      ips: [{ address: "192.168.140.1", prefix: 24 }, { address: "fd00:140::1", prefix: 64, family: "ipv6" }],
      routes: [{ address: "10.140.0.0", prefix: 16, gateway: "192.168.140.2" }, { address: "fd00:1400::", prefix: 48, family: "ipv6", gateway: "fd00:140::2", metric: 3 }],
    });
    const route = await make(staticRoute, { connection: connection(), bridge: name, networkIps: [{ address: "192.168.140.1", prefix: 24 }], address: "10.141.0.0", prefix: 16, gateway: "192.168.140.3" });
    const tap = await make(guestInterface, { connection: connection(), owner: "cv/dev/g-a", bridge: name, macTableManager: "libvirt", mac: "52:54:00:14:00:01" });
    await expectConverged([net, route, tap]);
    await destroy([net, route, tap]);
  });

  it("network bandwidth with an inbound burst and no peak, and no floors", async () => {
    const net = await make(network, {
      connection: connection(), owner: "cv/dev/net-b", bridge: { name: bridgeName(), stp: false }, ips: [{ address: "192.168.141.1", prefix: 24 }],
      bandwidth: { inbound: { average: 1000, burst: 1024 }, outbound: { average: 800, burst: 64 } },
    });
    await expectConverged([net]);
    await destroy([net]);
  });

  it("network bandwidth with floored guests, auto-named bridge and taps", async () => {
    const bandwidth = { inbound: { average: 2000, peak: 4000, burst: 256 }, outbound: { average: 1000 } };
    const net = await make(network, { connection: connection(), owner: "cv/dev/net-c", bridge: { name: "cvauto%d" }, ips: [{ address: "192.168.142.1", prefix: 24 }], bandwidth });
    const bridge = (net.outs.bridge as { name: string }).name;
    const guests: Made[] = [];
    for (const [i, floor] of [[1, 500], [2, 300]] as const) {
      guests.push(
        await make(guestInterface, {
          connection: connection(), owner: `cv/dev/g-c${i}`, bridge, mac: `52:54:00:14:20:0${i}`, name: "cvtap%d",
          bandwidth: { inbound: { average: 1000, peak: 1500, floor }, outbound: { average: 400, burst: 32 } }, networkBandwidth: bandwidth,
        }),
      );
    }
    expect(bridge).toMatch(/^cvauto\d+$/);
    expect(guests.map((g) => g.outs.name)).toEqual([expect.stringMatching(/^cvtap\d+$/), expect.stringMatching(/^cvtap\d+$/)]);
    await expectConverged([net, ...guests]);
    await destroy([net, ...guests]);
  });
});
