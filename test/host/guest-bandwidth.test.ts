// Guest bandwidth and floors against a real kernel (docs/libvirt-behaviour.md §5.2, §5.5, §5.6).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestInterface, network } from "../../provider";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";

type Props = Record<string, unknown>;
let sb: Sandbox;
const netBandwidth = { inbound: { average: 1000, peak: 2000 } };

beforeAll(async () => {
  sb = await createSandbox();
  const r = await network.check({}, { connection: sandboxConnection(sb), bridge: { name: "virbr1", stp: false }, ips: [{ address: "192.168.122.1", prefix: 24 }], bandwidth: netBandwidth });
  await network.create(r.inputs);
});
afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await guestInterface.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}
const guest = (mac: string, bandwidth: Props) => ({ connection: sandboxConnection(sb), bridge: "virbr1", mac, bandwidth, networkBandwidth: netBandwidth });
const tc = (...args: string[]) => sb.execInNamespace(["tc", ...args]);
const classRate = (dev: string, id: string) => new RegExp(`class htb ${id} .*?rate (\\S+)`).exec(tc("class", "show", "dev", dev))?.[1];
/** Filter handle → the lines tc prints for it (header and matches). */
function filters(dev: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of tc("filter", "show", "dev", dev).split(/\n(?=filter )/)) {
    const handle = / fh (\S+)/.exec(block)?.[1];
    if (handle) out.set(handle, block);
  }
  return out;
}

describe("floors on a network with inbound QoS", () => {
  const guests: Array<{ id: string; outs: Props; inputs: Props }> = [];

  it("plugs three guests as classes 1:3, 1:4, 1:5 with 800::80N filters, lowering 1:2 by the floor sum", async () => {
    for (const [mac, floor] of [["52:54:00:00:00:01", 300], ["52:54:00:00:00:02", 200], ["52:54:00:00:00:03", 100]] as const) {
      const inputs = await checked(guest(mac, { inbound: { average: 1024, floor } }));
      const created = await guestInterface.create(inputs);
      guests.push({ ...created, inputs });
    }
    expect(guests.map((g) => g.outs.floorClassId)).toEqual([3, 4, 5]);
    expect(classRate("virbr1", "1:3")).toBe("2400Kbit");
    expect(classRate("virbr1", "1:2")).toBe("11200Kbit"); // (2000 - 600) KB/s
    const f = filters("virbr1");
    expect([...f.keys()].sort()).toEqual(["800:", "800::803", "800::804", "800::805"]);
    expect(f.get("800::803")).toMatch(/match 00000001\/ffffffff at -12[\s\S]*match 00005254\/0000ffff at -16/);
    expect(guests[0].outs.bandwidth).toEqual({ inbound: { average: 1024, floor: 300 } });
    for (const g of guests) expect((await guestInterface.diff(g.id, (await guestInterface.read(g.id, g.outs)).props, g.inputs)).changes).toBe(false);
  });

  it("refuses a floor that would overcommit the network's peak, naming the total, and plugs nothing", async () => {
    const inputs = await checked(guest("52:54:00:00:00:04", { inbound: { floor: 1500 } }));
    await expect(guestInterface.create(inputs)).rejects.toThrow(/new combined inbound floor=2100 would overcommit peak=2000/);
    expect([...filters("virbr1").keys()]).not.toContain("800::806");
  });

  it("changes a guest's MAC ten times: only its own filter is re-made; 800:: and the others stay", async () => {
    const before = filters("virbr1");
    let g = guests[0];
    for (let i = 1; i <= 10; i++) {
      const mac = `52:54:00:00:10:${i.toString(16).padStart(2, "0")}`;
      const news = await checked({ ...g.inputs, mac }, g.inputs);
      g = { ...g, outs: (await guestInterface.update(g.id, g.outs, news)).outs, inputs: news };
    }
    guests[0] = g;
    const after = filters("virbr1");
    expect(after.get("800:")).toBe(before.get("800:"));
    expect(after.get("800::804")).toBe(before.get("800::804"));
    expect(after.get("800::805")).toBe(before.get("800::805"));
    expect(after.get("800::803")).toMatch(/match 0000100a\/ffffffff at -12/);
    expect(g.outs.floorClassId).toBe(3);
  });

  it("changes a floor in place with tc class change and lowers 1:2 accordingly", async () => {
    const g = guests[1];
    const news = await checked({ ...g.inputs, bandwidth: { inbound: { average: 1024, floor: 500 } } }, g.inputs);
    guests[1] = { ...g, outs: (await guestInterface.update(g.id, g.outs, news)).outs, inputs: news };
    expect(classRate("virbr1", "1:4")).toBe("4Mbit");
    expect(classRate("virbr1", "1:2")).toBe("8800Kbit"); // 2000 - (300 + 500 + 100)
  });

  it("sees a floor filter deleted by hand as drift and puts it back with the same handle", async () => {
    tc("filter", "del", "dev", "virbr1", "prio", "2", "handle", "800::805", "u32");
    const g = guests[2];
    const refreshed = await guestInterface.read(g.id, g.outs);
    expect(refreshed.props.bandwidth).toEqual({ inbound: { average: 1024 } });
    expect((await guestInterface.diff(g.id, refreshed.props, g.inputs)).changes).toBe(true);
    guests[2] = { ...g, outs: (await guestInterface.update(g.id, refreshed.props, g.inputs)).outs };
    expect(filters("virbr1").get("800::805")).toMatch(/flowid 1:5/);
    expect(guests[2].outs.bandwidth).toEqual({ inbound: { average: 1024, floor: 100 } });
  });

  it("unplugs a guest on delete, by exact handle, giving 1:2 its share back", async () => {
    const g = guests.pop()!;
    await guestInterface.delete(g.id, g.outs);
    expect([...filters("virbr1").keys()].sort()).toEqual(["800:", "800::803", "800::804"]);
    expect(classRate("virbr1", "1:5")).toBeUndefined();
    expect(classRate("virbr1", "1:2")).toBe("9600Kbit"); // 2000 - 800
  });

  it("reuses the freed class id for the next guest", async () => {
    const inputs = await checked(guest("52:54:00:00:00:05", { inbound: { floor: 50 } }));
    const created = await guestInterface.create(inputs);
    expect(created.outs.floorClassId).toBe(5);
    await guestInterface.delete(created.id, created.outs);
  });
});

describe("interface bandwidth on the tap", () => {
  it("shapes inbound on the tap and limits outbound, changes rates in place, and clears on removal", async () => {
    const inputs = await checked({ connection: sandboxConnection(sb), bridge: "virbr1", name: "bwtap0", bandwidth: { inbound: { average: 1024, peak: 2048 }, outbound: { average: 512 } } });
    let { id, outs } = await guestInterface.create(inputs);
    expect(classRate("bwtap0", "1:1")).toBe("8192Kbit");
    expect(outs.bandwidth).toEqual(inputs.bandwidth);
    const news = await checked({ ...inputs, bandwidth: { inbound: { average: 2048 }, outbound: { average: 512 } } }, inputs);
    outs = (await guestInterface.update(id, outs, news)).outs;
    expect(classRate("bwtap0", "1:1")).toBe("16384Kbit");
    const { bandwidth: _gone, ...without } = news;
    outs = (await guestInterface.update(id, outs, await checked(without, news))).outs;
    expect(tc("qdisc", "show", "dev", "bwtap0")).not.toMatch(/htb|ingress/);
    expect(outs).not.toHaveProperty("bandwidth");
    await guestInterface.delete(id, outs);
  });
});
