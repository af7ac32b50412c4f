// A create cut off before its host ran it leaves state that names an object that was never made; another resource's
// create may take that name in the meantime. The engine updates such a resource on the next deployment (its create
// failed to initialize), and the update must take a free name of its template, never the other resource's object.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guestInterface, network } from "../../provider";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection, uniqueBridgeName } from "../support/network-args";

type Props = Record<string, unknown>;
let sb: Sandbox;
const BR = uniqueBridgeName("vi");

async function checked(h: typeof network, args: Props): Promise<Props> {
  const r = await h.check({}, args);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

beforeAll(async () => {
  sb = await createSandbox();
  await network.create(await checked(network, { connection: sandboxConnection(sb), bridge: { name: BR, stp: false }, ips: [{ address: "10.79.0.1", prefix: 24 }] }));
}, 60_000);
afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

describe("an interrupted create whose name another resource took", () => {
  it("is made under a free name by its next update, and the other resource's tap is left alone", async () => {
    const args = (owner: string, mac: string) => ({ connection: sandboxConnection(sb), bridge: BR, name: "vint%d", mac, owner });
    // What the engine recorded for g1: the create's own record of vint0, marked as never confirmed by an observation.
    const g1Inputs = await checked(guestInterface, args("lab/dev/g1", "52:54:00:79:00:01"));
    const recorded = { ...g1Inputs, name: "vint0", schemaVersion: 2, interruptedCreate: true };
    // g2's create, in the next deployment, finds vint0 free and takes it.
    const g2 = await guestInterface.create(await checked(guestInterface, args("lab/dev/g2", "52:54:00:79:00:02")));
    expect(g2.outs.name).toBe("vint0");
    const updated = await guestInterface.update("h/vint0", recorded, g1Inputs);
    expect(updated.outs.name).toBe("vint1");
    expect(updated.outs.interruptedCreate).toBeUndefined();
    const taps = (sb.ipJson(["-d", "link", "show", "master", BR]) as Array<{ ifname: string; ifalias?: string; address: string }>).map((l) => [l.ifname, l.address]).sort();
    expect(taps).toEqual([["vint0", "fe:54:00:79:00:02"], ["vint1", "fe:54:00:79:00:01"]]);
  });

  it("a recorded state confirmed by an observation is still refused when its name is another resource's", async () => {
    const inputs = await checked(guestInterface, { connection: sandboxConnection(sb), bridge: BR, name: "vint%d", mac: "52:54:00:79:00:03", owner: "lab/dev/g3" });
    await expect(guestInterface.update("h/vint0", { ...inputs, name: "vint0", schemaVersion: 2 }, inputs)).rejects.toThrow(/tap vint0 on .* is no longer virtnet's/);
  });
});
