// Network-wide bandwidth on a real kernel: libvirt's hierarchical HTB on the bridge, or its documented equivalents.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { network } from "../../../provider";
import { closeAllHosts, hostFor } from "../../../provider/host/host-pool";
import { knownConnection } from "../../../provider/connection/known-connection";
import { tcFeatures, type TcFeatures } from "../../../provider/host/tc-capabilities";
import { ifbNameFor } from "../../../provider/net/tc";
import { createSandbox, type Sandbox } from "../../support/sandbox";
import { sandboxConnection } from "../../support/network-args";

type Props = Record<string, unknown>;
let sb: Sandbox;
let features: TcFeatures;

beforeAll(async () => {
  sb = await createSandbox();
  features = await tcFeatures(hostFor(knownConnection(sandboxConnection(sb, { port: 22, user: "root", insecureIgnoreHostKey: false, sudo: false }) as never, "test")));
});
afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

async function checked(news: Props, olds: Props = {}): Promise<Props> {
  const r = await network.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

const tc = (...args: string[]) => sb.execInNamespace(["tc", ...args]);
const qdiscKinds = (dev: string) => (JSON.parse(tc("-j", "qdisc", "show", "dev", dev)) as Array<{ kind: string; handle: string }>).map((q) => `${q.kind} ${q.handle}`).sort();

describe("Network bandwidth on a sandbox host", () => {
  const bandwidth = { inbound: { average: 1000, peak: 2000, burst: 1024 }, outbound: { average: 2000 } };
  let id: string;
  let outs: Props;
  let inputs: Props;

  it("probes the kernel's tc features once, without touching the host's interfaces", () => {
    expect(Object.keys(features).sort()).toEqual(["fw", "ifb", "police", "sfq"]);
    expect((sb.ipJson(["link", "show"]) as Array<{ ifname: string }>).map((l) => l.ifname).filter((n) => n.startsWith("vtprobe"))).toEqual([]);
  });

  it("applies libvirt's bandwidth-network set, listing each substitution this kernel needs", async () => {
    inputs = await checked({ connection: sandboxConnection(sb), bridge: { name: "virbr1", stp: false }, ips: [{ address: "192.168.122.1", prefix: 24 }], bandwidth });
    ({ id, outs } = await network.create(inputs));
    const classes = tc("class", "show", "dev", "virbr1");
    expect(classes).toMatch(/class htb 1:1 root rate 8Mbit ceil 16Mbit/);
    expect(classes).toMatch(/class htb 1:2 parent 1:1 leaf 2: prio 0 rate 8Mbit ceil 16Mbit burst 1Mb/);
    expect(qdiscKinds("virbr1")).toEqual(["htb 1:", "ingress ffff:", `${features.sfq ? "sfq" : "pfifo"} 2:`].sort());
    expect(outs.bandwidth).toEqual(bandwidth);
    const subs = (outs.substitutions as Array<{ property: string; applied: string }>).map((s) => `${s.property}: ${s.applied}`);
    expect(subs.some((s) => s.includes("pfifo"))).toBe(!features.sfq);
    expect(subs.some((s) => s.includes("ifb"))).toBe(!features.police);
    expect(subs.some((s) => s.includes("no filter"))).toBe(!features.fw);
    // Each kernel gets its branch: libvirt's fw filter where cls_fw exists; libvirt's police action on the ingress
    // where act_police exists, else a redirect to the bridge's ifb shaped at the same rate.
    if (features.fw) expect(tc("filter", "show", "dev", "virbr1")).toMatch(/\bfw\b.*handle 0x1 classid :1/);
    else expect(tc("filter", "show", "dev", "virbr1")).toBe("");
    const ingress = tc("filter", "show", "dev", "virbr1", "parent", "ffff:");
    if (features.police) {
      expect(ingress).toMatch(/police .*rate 16Mbit/);
      expect(ingress).not.toMatch(/mirred/);
    } else {
      expect(ingress).toMatch(new RegExp(`mirred \\(Egress Redirect to device ${ifbNameFor("virbr1")}\\)`));
      expect(tc("class", "show", "dev", ifbNameFor("virbr1"))).toMatch(/class htb 1:1 root leaf 2: prio 0 rate 16Mbit/);
    }
    expect((await network.diff(id, (await network.read(id, outs)).props, inputs)).changes).toBe(false);
  });

  it("changes rates in place", async () => {
    const news = await checked({ ...inputs, bandwidth: { inbound: { average: 500 }, outbound: { average: 1000, burst: 64 } } }, inputs);
    expect((await network.diff(id, outs, news)).replaces).toEqual([]);
    outs = (await network.update(id, outs, news)).outs;
    expect(tc("class", "show", "dev", "virbr1")).toMatch(/class htb 1:1 root rate 4Mbit ceil 4Mbit/);
    expect(outs.bandwidth).toEqual({ inbound: { average: 500 }, outbound: { average: 1000, burst: 64 } });
    inputs = news;
  });

  it("sees a qdisc deleted by hand as drift and puts the bandwidth back", async () => {
    tc("qdisc", "del", "dev", "virbr1", "root");
    const refreshed = await network.read(id, outs);
    expect(refreshed.props.bandwidth).toEqual({ outbound: expect.objectContaining({ average: 1000 }) });
    expect((await network.diff(id, refreshed.props, inputs)).changes).toBe(true);
    outs = (await network.update(id, refreshed.props, inputs)).outs;
    expect(tc("class", "show", "dev", "virbr1")).toMatch(/class htb 1:1 root rate 4Mbit/);
    expect(outs.bandwidth).toEqual(inputs.bandwidth);
  });

  it("clears the bandwidth when it is removed, and deletes the bridge's ifb with it", async () => {
    const { bandwidth: _removed, ...rest } = inputs;
    const news = await checked(rest, inputs);
    outs = (await network.update(id, outs, news)).outs;
    expect(qdiscKinds("virbr1")).toEqual(["noqueue 0:"]);
    expect(outs).not.toHaveProperty("bandwidth");
    expect((sb.ipJson(["link", "show"]) as Array<{ ifname: string }>).map((l) => l.ifname)).not.toContain(ifbNameFor("virbr1"));
  });

  it("deletes a network with bandwidth and its ifb", async () => {
    const news = await checked({ ...inputs }, inputs);
    outs = (await network.update(id, outs, news)).outs;
    await network.delete(id, outs);
    expect((sb.ipJson(["link", "show"]) as Array<{ ifname: string }>).map((l) => l.ifname).filter((n) => n !== "lo" && n !== "uplink0")).toEqual([]);
  });
});
