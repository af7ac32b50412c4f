// Engine-faithful lifecycle of the NAT+DHCP example (libvirt's `default` network with its DHCP range, a DhcpHost and a
// DNS record), checked with real clients from guest namespaces: the reserved address and name, a DNS answer, the lease
// in the exported dhcpLeases, a renamed reservation that keeps dnsmasq running, a dnsmasq killed by hand and restored,
// a destroy that leaves nothing, no SSH key anywhere a user sees; and libvirt's default XML imported and serving.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defineNatDhcp, WEB_MAC, type NatDhcpOptions } from "../../examples/nat-dhcp/nat-dhcp";
import type { EngineResult, Program } from "../../scripts/engine";
import type { DhcpLease } from "../../sdk";
import { addDhcpGuest, requestLease, resolve, type DhcpGuest, type DhcpOffer } from "../support/dhcp-guest";
import { uniqueBridgeName } from "../support/network-args";
import { steps, useEngine, type EngineFixture } from "./use-engine";

// Where virtnet documents its dnsmasq's files (docs/libvirt-behaviour.md §10.4): a user looks there, so the test does.
const pidFile = (bridge: string) => `/run/virtnet/dnsmasq/${bridge}.pid`;
const STATE_DIR = "/var/lib/virtnet/dnsmasq";

const connection = (t: EngineFixture, pulumi: Parameters<Program>[0]["pulumi"]) => ({ host: t.sb.host, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey });

/** Polls `cond` until it holds or `timeoutMs` passes; whether it held. */
async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** The process's command line, or "" once it is gone or a zombie (a killed daemon lingers until PID 1 reaps it). */
function liveCommandLine(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return "";
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** The network's dnsmasq: the process the pid file names, when it is alive and is that network's dnsmasq. */
function dnsmasqOf(bridge: string): number | undefined {
  if (!existsSync(pidFile(bridge))) return undefined;
  const pid = Number(readFileSync(pidFile(bridge), "utf8").trim());
  const cmd = liveCommandLine(pid);
  return cmd.startsWith("dnsmasq") && cmd.includes(`/${bridge}.conf`) ? pid : undefined;
}

/** Every live dnsmasq on the machine that serves `bridge`, whatever the pid file says. */
function dnsmasqProcesses(bridge: string): number[] {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      const cmd = liveCommandLine(pid);
      return cmd.startsWith("dnsmasq") && cmd.includes(`/${bridge}.conf`);
    });
}

/**
 * A lease, with up to three tries of udhcpc's four discovers (~30 s in all). A new port of an STP bridge (libvirt's
 * default, stp on with delay 0) forwards only after listening and learning, 2 s each since the kernel holds the delay
 * at 2 s or more, so the first discovers of a fresh guest go nowhere.
 */
function leaseWithin(g: DhcpGuest, attempts = 3): { offer?: DhcpOffer; ms: number } {
  const start = Date.now();
  let offer: DhcpOffer | undefined;
  for (let i = 0; i < attempts && !offer; i++) offer = requestLease(g);
  return { offer, ms: Date.now() - start };
}

describe("NAT+DHCP example through Pulumi's dynamic-provider plugin", () => {
  const t = useEngine();
  const BRIDGE = uniqueBridgeName("vd");
  const GW = "192.168.180.1";
  // What `pulumi stack output` would show: the harness keeps no stack outputs, so the program records what its exports
  // resolved to in the last run. Like the CLI's, they change with an up, not with a refresh.
  let exported: { bridge?: string; dhcpLeases?: DhcpLease[] } = {};
  // Everything a CLI run shows a user: each deployment's steps, diffs and errors.
  const shown: EngineResult[] = [];
  const show = (r: EngineResult) => {
    shown.push(r);
    return r;
  };
  let guest: DhcpGuest;

  function program(o: NatDhcpOptions = {}): Program {
    return ({ pkg, pulumi }) => {
      const lab = defineNatDhcp(pkg, connection(t, pulumi), { bridgeName: BRIDGE, address: GW, ...o });
      pulumi.all([lab.bridge, lab.dhcpLeases]).apply(([bridge, dhcpLeases]: [string, DhcpLease[] | undefined]) => {
        exported = { bridge, dhcpLeases };
      });
    };
  }

  const networkOutputs = () => [...t.engine.state.values()].find((s) => s.type.endsWith(":Network"))!.outputs;

  it("creates the network with its dnsmasq and the reservation", async () => {
    expect(steps(show(await t.engine.up(program())))).toEqual({ default: "create", web: "create" });
    expect(dnsmasqOf(BRIDGE)).toBeDefined();
    expect(exported.bridge).toBe(BRIDGE);
  });

  it("hands the reserved address and name to the guest with that MAC, and answers for the dns.hosts name and the reserved one", () => {
    guest = addDhcpGuest(t.sb, "w1", BRIDGE, WEB_MAC);
    const { offer, ms } = leaseWithin(guest);
    console.log(`first lease after ${ms} ms: ${JSON.stringify(offer)}`);
    expect(offer).toMatchObject({ ip: "192.168.180.10", hostname: "web", prefix: 24, router: GW, dns: GW });
    expect(resolve(guest, GW, "files")).toEqual(["192.168.180.5"]);
    // The README promises the reserved name in DNS as well, without a domain.
    expect(resolve(guest, GW, "web")).toEqual(["192.168.180.10"]);
  });

  it("reads the lease at a refresh, exports it at the next up, and then previews no changes", async () => {
    const refreshed = show(await t.engine.refresh());
    expect(steps(refreshed)).toEqual({ default: "read", web: "read" });
    expect(refreshed.steps.find((s) => s.name === "default")!.diffs).toContain("dhcpLeases");
    expect(networkOutputs().dhcpLeases).toEqual([expect.objectContaining({ mac: WEB_MAC, ip: "192.168.180.10", hostname: "web" })]);
    expect(steps(show(await t.engine.up(program())))).toEqual({ default: "same", web: "same" });
    expect(exported.dhcpLeases).toEqual([expect.objectContaining({ mac: WEB_MAC, ip: "192.168.180.10", hostname: "web" })]);
    const preview = show(await t.engine.preview(program()));
    expect(steps(preview)).toEqual({ default: "same", web: "same" });
    expect(preview.steps.flatMap((s) => s.diffs)).toEqual([]);
  });

  it("renames the reservation in place: no replace, dnsmasq keeps its pid, the guest gets the new name", async () => {
    const before = dnsmasqOf(BRIDGE);
    expect(before).toBeDefined();
    const r = show(await t.engine.up(program({ webName: "www" })));
    expect(steps(r)).toEqual({ default: "same", web: "update" });
    expect(r.steps.flatMap((s) => s.replaces)).toEqual([]);
    expect(dnsmasqOf(BRIDGE)).toBe(before);
    expect(requestLease(guest)).toMatchObject({ ip: "192.168.180.10", hostname: "www" });
  });

  it("restores a dnsmasq killed by hand: refresh shows the drift, up starts it again", async () => {
    const killed = dnsmasqOf(BRIDGE)!;
    process.kill(killed, "SIGKILL");
    expect(await waitFor(() => liveCommandLine(killed) === "", 10_000)).toBe(true);
    expect(steps(show(await t.engine.refresh()))).toEqual({ default: "read", web: "read" });
    expect(networkOutputs().dnsmasqDrift).toEqual([expect.stringMatching(/is not running/)]);
    expect(steps(show(await t.engine.up(program({ webName: "www" }))))).toEqual({ default: "update", web: "same" });
    const restored = dnsmasqOf(BRIDGE);
    expect(restored).toBeDefined();
    expect(restored).not.toBe(killed);
    expect(networkOutputs().dnsmasqDrift).toBeUndefined();
    expect(leaseWithin(guest).offer).toMatchObject({ ip: "192.168.180.10", hostname: "www" });
  });

  it("keeps the SSH private key out of the exported state, every step and error, and the plugin's log", async () => {
    // `pulumi stack export` writes secret properties encrypted, so only those may hold the key in plain text here.
    const exportedState = [...t.engine.state].map(([urn, s]) => {
      expect(s.secretOutputs).toContain("connection");
      const mask = (props: Record<string, unknown>) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, s.secretOutputs.includes(k) ? "[secret]" : v]));
      return { urn, id: s.id, inputs: mask(s.inputs), outputs: mask(s.outputs), dependencies: s.dependencies };
    });
    const visible = JSON.stringify(exportedState) + JSON.stringify(shown.map(({ registrations: _wire, ...r }) => r)) + JSON.stringify(exported) + (await t.engine.pluginLog());
    const keyLines = t.sb.privateKey.split("\n").filter((l) => l.length > 20);
    expect(keyLines.length).toBeGreaterThan(0);
    for (const line of keyLines) expect(visible).not.toContain(line);
  });

  it("destroys the network and leaves no dnsmasq and none of its files", async () => {
    const pid = dnsmasqOf(BRIDGE)!;
    const r = await t.engine.destroy();
    expect(r.errors).toEqual([]);
    expect(liveCommandLine(pid)).toBe("");
    expect(dnsmasqProcesses(BRIDGE)).toEqual([]);
    expect(readdirSync(STATE_DIR).filter((f) => f.startsWith(`${BRIDGE}.`))).toEqual([]);
    expect(existsSync(pidFile(BRIDGE))).toBe(false);
  });
});

// `virsh net-dumpxml default` on a fresh libvirt install, as libvirt ships it (networks/default.xml once defined).
const LIBVIRT_DEFAULT_XML = `<network>
  <name>default</name>
  <uuid>9a05da11-e96b-47f3-8253-a3a482e445f5</uuid>
  <forward mode='nat'>
    <nat>
      <port start='1024' end='65535'/>
    </nat>
  </forward>
  <bridge name='virbr0' stp='on' delay='0'/>
  <mac address='52:54:00:0a:cd:21'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>`;

describe("libvirt's default network imported with Network.fromLibvirtXml", () => {
  const t = useEngine();
  const BRIDGE = uniqueBridgeName("vi");
  const xml = LIBVIRT_DEFAULT_XML.replace("name='virbr0'", `name='${BRIDGE}'`).replaceAll("192.168.122.", "192.168.181.");
  const program = (): Program => ({ pkg, pulumi }) => {
    pkg.Network.fromLibvirtXml("default", xml, { connection: connection(t, pulumi) });
  };

  it("comes up as the XML says, serves a lease in its range, and reads it back", async () => {
    expect(steps(await t.engine.up(program()))).toEqual({ default: "create" });
    expect(dnsmasqOf(BRIDGE)).toBeDefined();
    const guest = addDhcpGuest(t.sb, "i1", BRIDGE, "52:54:00:7a:01:02");
    const { offer, ms } = leaseWithin(guest);
    console.log(`first lease from the imported network after ${ms} ms: ${JSON.stringify(offer)}`);
    expect(offer).toMatchObject({ prefix: 24, router: "192.168.181.1", dns: "192.168.181.1" });
    const host = Number(offer!.ip.split(".")[3]);
    expect(offer!.ip.startsWith("192.168.181.") && host >= 2 && host <= 254).toBe(true);
    expect(steps(await t.engine.refresh())).toEqual({ default: "read" });
    const outputs = [...t.engine.state.values()][0]!.outputs;
    expect(outputs.dhcpLeases).toEqual([expect.objectContaining({ mac: "52:54:00:7a:01:02", ip: offer!.ip })]);
    expect(steps(await t.engine.preview(program()))).toEqual({ default: "same" });
  });
});
