// One program on two kernels, told apart only through what virtnet probes (docs/architecture.md §4, kernel
// capabilities): the tc feature probe's output and the bridges the observation finds with a vlan_filtering attribute in
// sysfs. A stock Debian kernel has bridge VLAN filtering, sch_sfq, cls_fw and act_police (act_csum too, which virtnet
// never uses): it must get libvirt's own lines, the ones test/unit/golden holds, and no substitution. A kernel built
// without them (the one these tests were first run on; its probe output is recorded in test/unit/fixtures/host) must
// get the documented equivalents, each listed in `substitutions`. The handlers run through the whole lifecycle against
// a scripted host (test/support/fake-host.ts), so the branch is chosen where a real host's would be.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { network } from "../../../provider";
import type { Connection } from "../../../provider/connection/connection";
import { closeAllHosts, setShellFactory } from "../../../provider/host/host-pool";
import { SNAPSHOT_SECTION } from "../../../provider/iproute2/observe-script";
import { ifbNameFor } from "../../../provider/net/tc";
import { FakeHost, hostFixture } from "../../support/fake-host";
import { connection } from "./network/network-fixtures";

type Props = Record<string, unknown>;

const GOLDEN = path.resolve(__dirname, "..", "golden");
const goldenLines = (file: string) => readFileSync(path.join(GOLDEN, file), "utf8").trimEnd().split("\n");

/** The network of the golden files (test/unit/iproute2/render-bandwidth.test.ts renders them for virbr1). */
const BRIDGE = "virbr1";
const BANDWIDTH = { inbound: { average: 1000, peak: 2000, burst: 1024 }, outbound: { average: 2000 } };
/** libvirt's bandwidth-network sequence: sfq leaf, fw filter, police on the ingress. */
const LIBVIRT_LINES = goldenLines("tc-network-hierarchical.txt");
/** The same network where the kernel lacks them: tc-fallback.txt's network block, up to the floor plugged after it. */
const FALLBACK_LINES = (() => {
  const all = goldenLines("tc-fallback.txt");
  const start = all.indexOf("# the network, with a floor") + 1;
  return all.slice(start, all.findIndex((l, i) => i >= start && l.includes(" classid 1:3 ")));
})();

interface Kernel {
  title: string;
  /** What the tc feature probe (provider/iproute2/tc-probe-script.ts) prints on it. */
  probe: string;
  /** Whether a bridge there has /sys/class/net/BRIDGE/bridge/vlan_filtering (CONFIG_BRIDGE_VLAN_FILTERING). */
  vlanFiltering: boolean;
}
const STOCK: Kernel = { title: "a stock Debian kernel", probe: "ifb\nsfq\nfw\npolice\n", vlanFiltering: true };
const BARE: Kernel = { title: "a kernel without VLAN filtering, sfq, fw or police", probe: hostFixture("tc-probe"), vlanFiltering: false };

/** The commands an apply script runs, one per line as `tool args…`: batches unrolled, guards and error handling cut. */
function commandsOf(script: string): string[] {
  const out: string[] = [];
  let batch: string | undefined;
  for (const line of script.split("\n")) {
    const start = /^out=\$\((\S+) -batch - 2>&1 <<'VIRTNET_BATCH'$/.exec(line) ?? /^(\S+) -force -batch - 2>\/dev\/null <<'VIRTNET_BATCH' \|\| true$/.exec(line);
    if (start) batch = start[1];
    else if (line === "VIRTNET_BATCH") batch = undefined;
    else if (batch) out.push(`${batch} ${line}`);
    else if (/^(ip|tc|bridge|sysctl|if) /.test(line)) out.push(line.replace(/^if \[ -e \S+ \]; then /, "").replace(/ (\|\||2>\/dev\/null).*$/, ""));
  }
  return out;
}

/** The host's observation with `bridges` added: their links, and their names in the sysfs list where the kernel has the attribute. */
function observation(kernel: Kernel, bridges: { name: string; vlanFiltering: boolean; address: string }[]): string {
  const links = bridges.map((b, i) => ({
    ifindex: 10 + i,
    ifname: b.name,
    flags: ["BROADCAST", "MULTICAST", "UP"],
    mtu: 1500,
    address: "52:54:00:fa:00:01",
    ifalias: "virtnet",
    linkinfo: { info_kind: "bridge", info_data: { forward_delay: 0, stp_state: 0, vlan_filtering: b.vlanFiltering ? 1 : 0 } },
    addr_info: [{ family: "inet", local: b.address, prefixlen: 24, scope: "global" }],
  }));
  return hostFixture("empty")
    .replace(new RegExp(`^(${SNAPSHOT_SECTION} addr\n)(.*)$`, "m"), (_all, head: string, json: string) => head + JSON.stringify([...(JSON.parse(json) as unknown[]), ...links]))
    .replace(`${SNAPSHOT_SECTION} vlan-filtering\n`, (head) => head + (kernel.vlanFiltering ? bridges.map((b) => `${b.name}\n`).join("") : ""));
}

/**
 * The substitutions of the kernel's branches. The scripted hosts have no nft, whose own substitution (isolation
 * rules) is not a kernel branch: firewall-plan.test.ts covers it.
 */
function kernelSubstitutions(outs: Record<string, unknown>): string[] {
  return (outs.substitutions as Array<{ property: string; applied: string }>).filter((s) => s.property !== "forward").map((s) => `${s.property}: ${s.applied}`);
}

const fakes = new Map<string, FakeHost>();
afterAll(() => closeAllHosts());

/** A scripted host of this kernel, reached under its own address (the tc probe is cached per host). */
function hostOf(kernel: Kernel, address: string): FakeHost {
  const fake = new FakeHost(hostFixture("empty"), kernel.probe);
  fakes.set(address, fake);
  setShellFactory((c: Connection) => fakes.get(c.host)!);
  return fake;
}

async function checked(olds: Props, news: Props): Promise<Props> {
  const r = await network.check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

describe.each([
  { kernel: STOCK, address: "203.0.113.21" },
  { kernel: BARE, address: "203.0.113.22" },
])("a libvirt-mode network with libvirt's bandwidth on $kernel.title", ({ kernel, address }) => {
  const args = { connection: { ...connection, host: address }, bridge: { name: BRIDGE, stp: false, macTableManager: "libvirt" }, mac: "52:54:00:fa:00:01", ips: [{ address: "192.168.160.1", prefix: 24 }], bandwidth: BANDWIDTH };
  let fake: FakeHost;
  let outs: Props;

  it("is planned with the tc lines this kernel's branch calls for", async () => {
    fake = hostOf(kernel, address);
    fake.willApply(observation(kernel, [{ name: BRIDGE, vlanFiltering: true, address: "192.168.160.1" }]));
    ({ outs } = await network.create(await checked({}, args)));
    expect(fake.applies).toHaveLength(1);
    const commands = commandsOf(fake.applies[0]);
    const tc = commands.filter((c) => c.startsWith("tc "));
    if (kernel.vlanFiltering) {
      // libvirt's exact sequence, in order, and nothing of the fallbacks.
      expect(tc.filter((c) => c.includes(` dev ${BRIDGE} `))).toEqual(LIBVIRT_LINES);
      expect(LIBVIRT_LINES).toEqual(expect.arrayContaining([
        "tc qdisc add dev virbr1 parent 1:2 handle 2: sfq perturb 10",
        "tc filter add dev virbr1 parent 1:0 protocol all prio 1 handle 1 fw flowid 1",
        "tc filter add dev virbr1 parent ffff: protocol all u32 match u32 0 0 police rate 2000kbps burst 2000kb mtu 64kb drop flowid :1",
      ]));
      expect(commands.join("\n")).not.toMatch(/pfifo|mirred|vtifb/);
    } else {
      // The fallbacks: a pfifo leaf, no fw filter, the ingress redirected to an ifb shaped at the outbound rate.
      expect(tc).toEqual(FALLBACK_LINES);
      expect(commands).toEqual(expect.arrayContaining([`ip link add name ${ifbNameFor(BRIDGE)} type ifb`]));
      expect(commands.join("\n")).not.toMatch(/sfq|\bfw\b|police/);
    }
    // VLAN filtering is asked for on every kernel; the host skips it where the attribute does not exist.
    expect(fake.applies[0]).toContain(`if [ -e /sys/class/net/${BRIDGE}/bridge/vlan_filtering ]; then ip link set dev ${BRIDGE} type bridge vlan_filtering 1 `);
  });

  it("lists exactly the substitutions this kernel needs", () => {
    expect(outs.bridge).toMatchObject({ name: BRIDGE, macTableManager: "libvirt" });
    const substitutions = kernelSubstitutions(outs);
    if (kernel.vlanFiltering) expect(substitutions).toEqual([]);
    else {
      expect(substitutions).toEqual([
        "bridge.macTableManager: vlan_filtering left unset",
        "bandwidth.inbound: pfifo leaf qdisc",
        "bandwidth.inbound: no filter",
        "bandwidth.outbound: ingress redirected to an ifb device shaped with HTB at the same rate",
      ]);
    }
  });
});

describe.each([
  { kernel: STOCK, address: "203.0.113.23" },
  { kernel: BARE, address: "203.0.113.24" },
])("switching a network's macTableManager from libvirt to kernel on $kernel.title", ({ kernel, address }) => {
  it(kernel.vlanFiltering ? "turns the bridge's VLAN filtering off in place" : "has nothing to change: the kernel has no VLAN filtering to turn off", async () => {
    const fake = hostOf(kernel, address);
    const args = { connection: { ...connection, host: address }, bridge: { name: "virbr2", stp: false, macTableManager: "libvirt" }, mac: "52:54:00:fa:00:01", ips: [{ address: "192.168.161.1", prefix: 24 }] };
    fake.willApply(observation(kernel, [{ name: "virbr2", vlanFiltering: true, address: "192.168.161.1" }]));
    const inputs = await checked({}, args);
    const created = await network.create(inputs);
    const news = await checked(inputs, { ...args, bridge: { ...args.bridge, macTableManager: "kernel" } });
    expect((await network.diff(created.id, created.outs, news)).changes).toBe(true);
    if (kernel.vlanFiltering) fake.willApply(observation(kernel, [{ name: "virbr2", vlanFiltering: false, address: "192.168.161.1" }]));
    const { outs } = await network.update(created.id, created.outs, news);
    if (kernel.vlanFiltering) {
      expect(fake.applies).toHaveLength(2);
      expect(commandsOf(fake.applies[1])).toEqual(["ip link set dev virbr2 type bridge vlan_filtering 0"]);
    } else {
      expect(fake.applies).toHaveLength(1);
    }
    expect(outs).toMatchObject({ bridge: { macTableManager: "kernel" } });
    expect(kernelSubstitutions(outs)).toEqual([]);
    expect(fake.pendingApplies).toBe(0);
  });
});
