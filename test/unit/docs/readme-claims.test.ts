// What the README says a change of each argument does (its "on change" tables and its `pulumi preview --diff`
// samples), the type tokens it names and the versions it asks for, checked against virtnet itself: its check and
// diff (the field-policy tables of provider/resources/*/diff.ts), the SDK classes and package.json. A README edit
// that claims something virtnet does not do, or a policy change the README does not follow, fails here.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import * as provider from "../../../provider";
import { guestInterfacePolicy } from "../../../provider/resources/guest-interface/diff";
import { networkPolicy } from "../../../provider/resources/network/diff";
import { staticRoutePolicy } from "../../../provider/resources/static-route/diff";
import { dhcpHostPolicy } from "../../../provider/resources/dhcp-host/diff";

const ROOT = path.resolve(__dirname, "../../..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  peerDependencies: Record<string, string>;
};

type Props = Record<string, unknown>;
type Kind = "network" | "guestInterface" | "staticRoute" | "dhcpHost";
type Op = "update" | "replace" | "none";

// ---- recorded state: what virtnet recorded for the README's programs in a real apply (host 203.0.113.7) ----------

/** The connection as check records it (the key is a stand-in: a diff never reads it). */
const CONNECTION = {
  host: "203.0.113.7",
  port: 22,
  user: "root",
  privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----(stand-in)",
  hostKey: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
  insecureIgnoreHostKey: false,
  sudo: false,
};

interface Recorded {
  kind: Kind;
  id: string;
  /** The checked inputs the engine keeps (what `pulumi preview --diff` prints as the old values). */
  inputs: Props;
  /** The outputs virtnet's diff compares the new inputs with. */
  outputs: Props;
}

/** The Quick start's network. */
const LAB_INPUTS: Props = {
  bridge: { delay: 0, name: "virbr10", stp: true },
  connection: CONNECTION,
  ips: [
    { address: "192.168.100.1", prefix: 24 },
    { address: "2001:db8:ac10:fd01::1", family: "ipv6", prefix: 64 },
  ],
  libvirtName: "lab",
  mac: "52:54:00:8e:3c:b3",
  mtu: 9000,
  owner: "lab/dev/lab",
  routes: [],
};
const LAB: Recorded = {
  kind: "network",
  id: "203.0.113.7/virbr10",
  inputs: LAB_INPUTS,
  outputs: { ...LAB_INPUTS, libvirtXml: "<network/>", schemaVersion: 2, substitutions: [], up: true },
};

/** The Quick start's network with a forward mode: the recorded network the "Forward modes" table changes. */
const NAT_INPUTS: Props = { ...LAB_INPUTS, forward: { mode: "nat" } };
const NAT: Recorded = { ...LAB, inputs: NAT_INPUTS, outputs: { ...LAB.outputs, forward: { mode: "nat" } } };

/** The QoS program of "What Pulumi shows": a network with bandwidth, the guest `web` and the StaticRoute `vpn`. */
const QOS_BANDWIDTH = { inbound: { average: 1000, burst: 1024, peak: 2000 }, outbound: { average: 2000 } };
const WEB_INPUTS: Props = {
  bandwidth: { inbound: { average: 1000, floor: 400 }, outbound: { average: 500 } },
  bridge: "virbr40",
  connection: CONNECTION,
  isolated: false,
  mac: "52:54:00:00:40:01",
  macTableManager: "kernel",
  networkBandwidth: QOS_BANDWIDTH,
  owner: "lab/dev/web",
};
const WEB: Recorded = {
  kind: "guestInterface",
  id: "203.0.113.7/vnet0",
  inputs: WEB_INPUTS,
  outputs: {
    ...WEB_INPUTS,
    floorBridge: "virbr40",
    floorClassId: 3,
    name: "vnet0",
    port: { flood: true, guestFdbEntry: false, learning: true },
    schemaVersion: 2,
    substitutions: [],
    tapMac: "fe:54:00:00:40:01",
    up: true,
  },
};
const VPN_INPUTS: Props = {
  address: "10.8.0.0",
  bridge: "virbr40",
  connection: CONNECTION,
  gateway: "192.168.140.2",
  metric: 2,
  networkIps: [{ address: "192.168.140.1", prefix: 24 }],
  networkRoutes: [],
  prefix: 16,
};
const VPN: Recorded = { kind: "staticRoute", id: "203.0.113.7/virbr40/route/10.8.0.0/16", inputs: VPN_INPUTS, outputs: { ...VPN_INPUTS, schemaVersion: 2 } };

/** The "DHCP and DNS" program: libvirt's default network, whose table changes its DHCP and DNS. */
const DHCP_RANGE = { start: "192.168.122.2", end: "192.168.122.254" };
const DHCP_INPUTS: Props = {
  ...NAT_INPUTS,
  bridge: { delay: 0, name: "virbr0", stp: true },
  ips: [{ address: "192.168.122.1", prefix: 24, dhcp: { ranges: [DHCP_RANGE] } }],
  dns: { hosts: [{ ip: "192.168.122.5", hostnames: ["files"] }] },
};
const DHCP: Recorded = { kind: "network", id: "203.0.113.7/virbr0", inputs: DHCP_INPUTS, outputs: { ...NAT.outputs, ...DHCP_INPUTS } };

/** Its DhcpHost `web`. */
const RESERVATION_INPUTS: Props = {
  bridge: "virbr0",
  connection: CONNECTION,
  mac: "52:54:00:7a:00:01",
  name: "web",
  ip: "192.168.122.10",
  networkIps: DHCP_INPUTS.ips,
  networkName: "default",
};
const RESERVATION: Recorded = {
  kind: "dhcpHost",
  id: "203.0.113.7/virbr0/dhcp-host/192.168.122.10",
  inputs: RESERVATION_INPUTS,
  outputs: { ...RESERVATION_INPUTS, schemaVersion: 1, reservation: "52:54:00:7a:00:01,192.168.122.10,web" },
};

// ---- virtnet's verdict on a change ------------------------------------------------------------------------------

interface Verdict {
  op: Op;
  /** Top-level properties the diff reports as changed. */
  changed: string[];
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** The checked new inputs. */
  news: Props;
}

/** Runs the new arguments through the provider's check and diff, as Pulumi's plugin does on a preview. */
async function verdict(r: Recorded, mutate: (args: Props) => void): Promise<Verdict> {
  const args = structuredClone(r.inputs);
  mutate(args);
  const handlers = provider[r.kind];
  const checked = (await handlers.check(r.inputs, args)) as { inputs: Props; failures: unknown[] };
  expect(checked.failures, "the changed arguments must pass check").toEqual([]);
  const d = (await handlers.diff(r.id, r.outputs, checked.inputs)) as { changes: boolean; replaces: string[]; stables: string[]; deleteBeforeReplace: boolean };
  const policy = { network: networkPolicy, guestInterface: guestInterfacePolicy, staticRoute: staticRoutePolicy, dhcpHost: dhcpHostPolicy }[r.kind].map((f) => f.property);
  return {
    op: !d.changes ? "none" : d.replaces.length > 0 ? "replace" : "update",
    changed: policy.filter((p) => !d.stables.includes(p)),
    replaces: d.replaces,
    deleteBeforeReplace: d.deleteBeforeReplace,
    news: checked.inputs,
  };
}

const set = (p: string, v: unknown) => (a: Props) => {
  const keys = p.split(".");
  let o = a as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  if (v === undefined) delete o[keys[keys.length - 1]];
  else o[keys[keys.length - 1]] = v;
};
const all =
  (...fs: ((a: Props) => void)[]) =>
  (a: Props) =>
    fs.forEach((f) => f(a));

// ---- the README's "on change" tables ------------------------------------------------------------------------------

interface Row {
  field: string;
  onChange: string;
}

/** The rows of the first table under `heading` whose header has a column starting with "on change". */
function onChangeTable(heading: string): Row[] {
  const from = README.indexOf(`\n${heading}\n`);
  expect(from, `README has a section '${heading}'`).toBeGreaterThanOrEqual(0);
  const lines = README.slice(from).split("\n");
  const head = lines.findIndex((l) => l.startsWith("| field |"));
  const columns = lines[head].split("|").map((c) => c.trim());
  const at = columns.findIndex((c) => c.startsWith("on change"));
  const rows: Row[] = [];
  for (const line of lines.slice(head + 2)) {
    if (!line.startsWith("|")) break;
    const cells = line.split("|").map((c) => c.trim());
    rows.push({ field: cells[1], onChange: cells[at] });
  }
  return rows;
}

function claimed(onChange: string): Op {
  if (onChange.includes("**replace**")) return "replace";
  if (onChange.startsWith("update")) return "update";
  if (onChange.startsWith("nothing")) return "none";
  throw new Error(`cannot tell what '${onChange}' claims: start it with "update", "nothing" or say "**replace**"`);
}

interface Case {
  /** What the case changes, for the test's name. */
  what: string;
  mutate: (a: Props) => void;
  /** Overrides the row's claim, for a case the row's cell states in words (see `why`). */
  expect?: Op;
  /** Text the row's "on change" cell must contain for `expect` to be what the README says. */
  why?: string;
}

/** For each README row (by its field cell), the changes that exercise it, on one recorded resource. */
const TABLES: { heading: string; recorded: Recorded; rows: Record<string, Case[]> }[] = [
  {
    heading: "## Network reference",
    recorded: LAB,
    rows: {
      "`connection.host`": [{ what: "another host", mutate: set("connection.host", "203.0.113.8") }],
      "`connection.port`": [{ what: "port 2222", mutate: set("connection.port", 2222) }],
      "`connection.user`": [{ what: "user deploy with sudo", mutate: all(set("connection.user", "deploy"), set("connection.sudo", true)) }],
      "`connection.privateKey` / `passphrase` / `password` / `agentSocket`": [
        { what: "another private key", mutate: set("connection.privateKey", "-----BEGIN OPENSSH PRIVATE KEY-----(another)") },
        { what: "a passphrase", mutate: set("connection.passphrase", "secret") },
        { what: "a password instead", mutate: all(set("connection.privateKey", undefined), set("connection.password", "secret")) },
        { what: "an agent instead", mutate: all(set("connection.privateKey", undefined), set("connection.agentSocket", "/run/user/1000/ssh-agent.sock")) },
      ],
      "`connection.hostKey` / `knownHosts`": [
        { what: "another host key", mutate: set("connection.hostKey", "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s") },
        {
          what: "known_hosts instead",
          mutate: all(set("connection.hostKey", undefined), set("connection.knownHosts", "203.0.113.7 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl")),
        },
      ],
      "`connection.insecureIgnoreHostKey`": [{ what: "true, without a host key", mutate: all(set("connection.hostKey", undefined), set("connection.insecureIgnoreHostKey", true)) }],
      "`connection.sudo`": [{ what: "true", mutate: set("connection.sudo", true) }],
      "`connection.confirmTimeoutSeconds`": [{ what: "30 s", mutate: set("connection.confirmTimeoutSeconds", 30) }],
      "`bridge.name`": [
        { what: "another name", mutate: set("bridge.name", "virbr11") },
        { what: "a template the recorded name does not match", mutate: set("bridge.name", "lab%d") },
      ],
      "`bridge.stp`": [{ what: "off", mutate: set("bridge.stp", false) }],
      "`bridge.delay`": [{ what: "5 s", mutate: set("bridge.delay", 5) }],
      "`bridge.macTableManager`": [{ what: "libvirt", mutate: set("bridge.macTableManager", "libvirt") }],
      "`mac`": [{ what: "another MAC", mutate: set("mac", "52:54:00:12:34:56") }],
      "`mtu`": [
        { what: "1500", mutate: set("mtu", 1500) },
        { what: "removed", mutate: set("mtu", undefined) },
      ],
      "`ips[]`": [
        { what: "another prefix", mutate: set("ips", [{ address: "192.168.100.1", prefix: 16 }]) },
        { what: "an address more", mutate: (a) => (a.ips as Props[]).push({ address: "192.168.101.1", prefix: 24 }) },
      ],
      "`routes[]`": [{ what: "a route more", mutate: set("routes", [{ address: "10.8.0.0", prefix: 16, gateway: "192.168.100.2" }]) }],
      "`bandwidth`": [{ what: "inbound QoS", mutate: set("bandwidth", { inbound: { average: 1000 } }) }],
      "`forward`": [
        { what: "nat ({})", mutate: set("forward", {}) },
        { what: "route", mutate: set("forward", { mode: "route" }) },
      ],
      "`libvirtName`": [{ what: "another name", mutate: set("libvirtName", "lab2") }],
      "`adopt`": [{ what: "true", mutate: set("adopt", true) }],
      "`ips[].dhcp`": [{ what: "a DHCP range", mutate: set("ips", [{ address: "192.168.100.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.100.2", end: "192.168.100.254" }] } }]) }],
      "`autostart`": [{ what: "true", mutate: set("autostart", true) }],
      "`domain` / `dns` / `dnsmasqOptions`": [
        { what: "a domain", mutate: set("domain", { name: "lab" }) },
        { what: "DNS on", mutate: set("dns", {}) },
        { what: "an option line", mutate: set("dnsmasqOptions", ["no-negcache"]) },
      ],
    },
  },
  {
    heading: "## DHCP and DNS",
    recorded: DHCP,
    rows: {
      "`ips[].dhcp.ranges[]`": [
        { what: "a narrower range", mutate: set("ips", [{ address: "192.168.122.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.122.100", end: "192.168.122.199" }] } }]) },
        { what: "a lease time", mutate: set("ips", [{ address: "192.168.122.1", prefix: 24, dhcp: { ranges: [{ ...DHCP_RANGE, lease: { expiry: 1, unit: "hours" } }] } }]) },
      ],
      "`ips[].dhcp.hosts[]`": [{ what: "a reservation", mutate: set("ips", [{ address: "192.168.122.1", prefix: 24, dhcp: { ranges: [DHCP_RANGE], hosts: [{ mac: "52:54:00:7a:00:02", ip: "192.168.122.11" }] } }]) }],
      "`ips[].dhcp.bootp`": [{ what: "a boot file", mutate: set("ips", [{ address: "192.168.122.1", prefix: 24, dhcp: { ranges: [DHCP_RANGE], bootp: { file: "pxelinux.0" } } }]) }],
      "`ips[].tftp` / `localPtr`": [
        { what: "a TFTP root", mutate: set("ips", [{ address: "192.168.122.1", prefix: 24, tftp: { root: "/srv/tftp" }, dhcp: { ranges: [DHCP_RANGE] } }]) },
        { what: "local PTR answers", mutate: set("ips", [{ address: "192.168.122.1", prefix: 24, localPtr: true, dhcp: { ranges: [DHCP_RANGE] } }]) },
      ],
      "`domain`": [{ what: "a local-only domain", mutate: set("domain", { name: "lab", localOnly: true }) }],
      "`dns`": [
        { what: "another record", mutate: set("dns", { hosts: [{ ip: "192.168.122.6", hostnames: ["files"] }] }) },
        { what: "a forwarder", mutate: set("dns", { forwarders: [{ addr: "192.0.2.53" }] }) },
        { what: "DNS off", mutate: set("dns", { enable: false }) },
      ],
      "`dnsmasqOptions`": [{ what: "an option line", mutate: set("dnsmasqOptions", ["no-negcache"]) }],
    },
  },
  {
    heading: "## Autostart",
    recorded: LAB,
    rows: {
      "`autostart`": [
        { what: "true", mutate: set("autostart", true) },
        { what: "false written out", mutate: set("autostart", false), expect: "none", why: "`false` and absent are the same" },
      ],
    },
  },
  {
    heading: "### DhcpHost",
    recorded: RESERVATION,
    rows: {
      // The SDK passes `network` on as the bridge's name (and the Network's addresses and name).
      "`network`": [{ what: "another bridge", mutate: set("bridge", "virbr41") }],
      "`connection`": [
        { what: "another host", mutate: set("connection.host", "203.0.113.8") },
        { what: "another port on the same host", mutate: set("connection.port", 2222), expect: "update", why: "on a new host" },
      ],
      "`ip`": [{ what: "another address", mutate: set("ip", "192.168.122.12") }],
      "`mac`": [{ what: "another MAC", mutate: set("mac", "52:54:00:7a:00:09") }],
      "`duid`": [{ what: "a DUID as well", mutate: set("duid", "00:01:00:01:2c:8e:aa:bb:52:54:00:7a:00:01") }],
      "`name`": [{ what: "another name", mutate: set("name", "www") }],
      "`lease`": [{ what: "an hour", mutate: set("lease", { expiry: 1, unit: "hours" }) }],
    },
  },
  {
    heading: "## Forward modes",
    recorded: NAT,
    rows: {
      "`forward`": [
        { what: "removed (isolated)", mutate: set("forward", undefined) },
        { what: "{} (nat again)", mutate: set("forward", {}), expect: "none", why: '`{}` and `{ mode: "nat" }` are the same' },
      ],
      "`forward.mode`": [
        { what: "route", mutate: set("forward.mode", "route") },
        { what: "open", mutate: set("forward.mode", "open") },
      ],
      "`forward.dev`": [{ what: "eth0", mutate: set("forward.dev", "eth0") }],
      "`forward.nat.address`": [{ what: "an SNAT pool", mutate: set("forward.nat", { address: { start: "203.0.113.10", end: "203.0.113.20" } }) }],
      "`forward.nat.port`": [
        { what: "2000-3000", mutate: set("forward.nat", { port: { start: 2000, end: 3000 } }) },
        { what: "the default range written out", mutate: set("forward.nat", { port: { start: 1024, end: 65535 } }), expect: "none", why: "the default range written out" },
        { what: "0-0", mutate: set("forward.nat", { port: { start: 0, end: 0 } }), expect: "none", why: "or `0`–`0`, is no change" },
      ],
      "`forward.nat.ipv6`": [{ what: "true", mutate: set("forward.nat", { ipv6: true }) }],
    },
  },
  {
    heading: "## Static routes",
    recorded: VPN,
    rows: {
      // The SDK passes `network` on as the bridge's name (and the Network's addresses).
      "`network`": [{ what: "another bridge", mutate: set("bridge", "virbr41") }],
      "`connection`": [
        { what: "another host", mutate: set("connection.host", "203.0.113.8") },
        { what: "another port on the same host", mutate: set("connection.port", 2222), expect: "update", why: "on a new host" },
      ],
      "`address`": [{ what: "another destination", mutate: set("address", "10.9.0.0") }],
      "`prefix` / `netmask`": [
        { what: "another prefix", mutate: set("prefix", 24) },
        { what: "the same prefix as a netmask", mutate: all(set("prefix", undefined), set("netmask", "255.255.0.0")), expect: "update", why: "a change of form only, e.g. netmask → prefix, is an update" },
      ],
      "`family`": [
        {
          what: "an IPv6 route",
          mutate: all(
            set("family", "ipv6"),
            set("address", "2001:db8:ac10:fc00::"),
            set("prefix", 64),
            set("gateway", "2001:db8:ac10:fd01::2"),
            set("networkIps", [{ address: "192.168.140.1", prefix: 24 }, { address: "2001:db8:ac10:fd01::1", prefix: 64, family: "ipv6" }]),
          ),
        },
      ],
      "`gateway`": [{ what: "another gateway", mutate: set("gateway", "192.168.140.3") }],
      "`metric`": [{ what: "3", mutate: set("metric", 3) }],
      "`adopt`": [{ what: "true", mutate: set("adopt", true) }],
    },
  },
  {
    heading: "## Guest interfaces",
    recorded: WEB,
    rows: {
      // The SDK passes `network` on as the bridge's name (and the Network's mode and bandwidth).
      "`network`": [{ what: "another bridge", mutate: set("bridge", "virbr41") }],
      "`connection`": [
        { what: "another host", mutate: set("connection.host", "203.0.113.8") },
        { what: "another port on the same host", mutate: set("connection.port", 2222), expect: "update", why: "on a new host" },
      ],
      "`name`": [
        { what: "a name", mutate: set("name", "vnet7") },
        { what: "a template the recorded name does not match", mutate: set("name", "web%d") },
      ],
      "`mac`": [{ what: "another MAC", mutate: set("mac", "52:54:00:00:40:09") }],
      "`mtu`": [{ what: "1400", mutate: set("mtu", 1400) }],
      "`isolated`": [{ what: "true", mutate: set("isolated", true) }],
      "`macTableManager`": [{ what: "libvirt", mutate: set("macTableManager", "libvirt") }],
      "`bandwidth`": [{ what: "another rate", mutate: set("bandwidth", { inbound: { average: 2000, floor: 400 }, outbound: { average: 500 } }) }],
      "`adopt`": [{ what: "true", mutate: set("adopt", true) }],
    },
  },
];

describe("README 'on change' tables", () => {
  for (const { heading, recorded, rows } of TABLES) {
    describe(heading, () => {
      const table = onChangeTable(heading);

      it("has a case for every row and a row for every case", () => {
        expect(table.map((r) => r.field).sort()).toEqual(Object.keys(rows).sort());
      });

      it("records a converged resource: its own inputs are no change", async () => {
        expect((await verdict(recorded, () => undefined)).op).toBe("none");
      });

      for (const row of table) {
        for (const c of rows[row.field] ?? []) {
          it(`${row.field}: ${c.what} is ${c.expect ?? claimed(row.onChange)}, as it says ("${row.onChange}")`, async () => {
            if (c.why) expect(row.onChange).toContain(c.why);
            const v = await verdict(recorded, c.mutate);
            expect(v.op).toBe(c.expect ?? claimed(row.onChange));
            // Every replacement deletes the old object first, which the README says of all of them.
            if (v.op === "replace") expect(v.deleteBeforeReplace).toBe(true);
          });
        }
      }
    });
  }
});

// ---- the README's `pulumi preview --diff` samples -----------------------------------------------------------------

interface SampleStep {
  op: "update" | "replace";
  type: string;
  name: string;
  id: string;
  /** Top-level properties the sample prints, and those it marks changed (`~`, `+`, `-`). */
  shown: string[];
  marked: string[];
  /** Primitive values printed at the top level, unchanged: property → text. */
  sames: Record<string, string>;
  /** Every `key: old => new` line, at any depth. */
  changes: { key: string; from: string; to: string }[];
}

interface Sample {
  steps: SampleStep[];
  summary: string[];
}

/** The code blocks that start with `$ pulumi preview --diff`, parsed as the CLI's diff display lays them out. */
function previewSamples(): Sample[] {
  const blocks = [...README.matchAll(/```\n\$ pulumi preview --diff\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.map((block) => {
    const lines = block.split("\n");
    const steps: SampleStep[] = [];
    const summary: string[] = [];
    let inSummary = false;
    for (const line of lines) {
      const head = /^ {4}(~ |\+-)(\S+): \((update|replace)\)$/.exec(line);
      if (head) {
        steps.push({ op: head[3] as "update" | "replace", type: head[2], name: "", id: "", shown: [], marked: [], sames: {}, changes: [] });
        continue;
      }
      if (line === "Resources:") {
        inSummary = true;
        continue;
      }
      if (inSummary) {
        if (line.trim()) summary.push(line.trim());
        continue;
      }
      const step = steps[steps.length - 1];
      if (!step) continue;
      const urn = /^ {8}\[urn=.*::([^:]+)\]$/.exec(line);
      if (urn) step.name = urn[1];
      const id = /^ {8}\[id=(.*)\]$/.exec(line);
      if (id) step.id = id[1];
      const top = /^ {6}([~+-]| ) (\w+)\s*: (.*)$/.exec(line);
      if (top) {
        step.shown.push(top[2]);
        if (top[1] !== " ") step.marked.push(top[2]);
        else if (!/^[{[]$/.test(top[3])) step.sames[top[2]] = top[3];
      }
      const change = /^\s+~ (\w+)\s*: (.+) => (.+)$/.exec(line);
      if (change) step.changes.push({ key: change[1], from: change[2], to: change[3] });
    }
    return { steps, summary };
  });
}

/** The change each sample shows, by resource name and operation. */
const SAMPLES: Record<string, { recorded: Recorded; mutate: (a: Props) => void }> = {
  "lab update": { recorded: LAB, mutate: set("mtu", 1500) },
  "lab replace": { recorded: LAB, mutate: set("bridge.name", "virbr11") },
};

const TYPES: Record<Kind, string> = {
  network: "pulumi-nodejs:dynamic/virtnet:Network",
  guestInterface: "pulumi-nodejs:dynamic/virtnet:GuestInterface",
  staticRoute: "pulumi-nodejs:dynamic/virtnet:StaticRoute",
  dhcpHost: "pulumi-nodejs:dynamic/virtnet:DhcpHost",
};

/** Leaf values that differ between two input objects: [last key, old JSON, new JSON]. */
function leafChanges(a: unknown, b: unknown, key = ""): [string, string, string][] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => leafChanges(a[k], b[k], Array.isArray(a) ? key : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [[key, JSON.stringify(a), JSON.stringify(b)]];
}

/** What the CLI prints of an unchanged top-level value: strings quoted, secrets hidden. */
function shownValue(key: string, v: unknown): string {
  return key === "connection" ? "[secret]" : JSON.stringify(v);
}

/** Top-level inputs the CLI prints: all but internal ones (`__…`) and empty values. */
function printable(inputs: Props): string[] {
  const empty = (v: unknown) => v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0) || (typeof v === "object" && v !== null && Object.keys(v).length === 0);
  return Object.keys(inputs).filter((k) => !k.startsWith("__") && !empty(inputs[k]));
}

describe("README `pulumi preview --diff` samples", () => {
  const samples = previewSamples();

  it("has an in-place update and a replacement, each with a known change", () => {
    const keys = samples.flatMap((s) => s.steps.map((st) => `${st.name} ${st.op}`));
    expect(keys.sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  for (const sample of samples) {
    for (const step of sample.steps) {
      describe(`${step.name} (${step.op})`, () => {
        const scenario = SAMPLES[`${step.name} ${step.op}`]!;

        it("is what virtnet's diff says of that change", async () => {
          const v = await verdict(scenario.recorded, scenario.mutate);
          expect(v.op).toBe(step.op);
          expect(step.type).toBe(TYPES[scenario.recorded.kind]);
          expect(step.id).toBe(scenario.recorded.id);
          // The properties the sample marks changed are those virtnet's diff reports (its drift-only `up` aside).
          expect(step.marked.sort()).toEqual(v.changed.filter((p) => p !== "up").sort());
          if (step.op === "replace") expect(v.replaces.sort()).toEqual(step.marked.sort());
        });

        it("prints the recorded inputs and exactly the changed values", async () => {
          const { news } = await verdict(scenario.recorded, scenario.mutate);
          const olds = scenario.recorded.inputs;
          expect(step.shown.sort()).toEqual([...new Set([...printable(olds), ...printable(news)])].sort());
          for (const [key, text] of Object.entries(step.sames)) expect(text, key).toBe(shownValue(key, olds[key]));
          const expected = leafChanges(olds, news).map(([key, from, to]) => ({ key, from, to }));
          expect(step.changes).toEqual(expected);
        });
      });
    }

    it("sums the steps up as the CLI does", () => {
      const count = (op: string) => sample.steps.filter((s) => s.op === op).length;
      const lines = [count("update") ? `~ ${count("update")} to update` : "", count("replace") ? `+-${count("replace")} to replace` : ""].filter(Boolean);
      expect(sample.summary.slice(0, lines.length)).toEqual(lines);
    });
  }
});

// ---- type tokens, versions, import --------------------------------------------------------------------------------

describe("README facts", () => {
  it("names the type token each SDK class registers", async () => {
    const types: string[] = [];
    pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          types.push(a.type);
          return { id: `${a.name}-id`, state: a.inputs };
        },
        call: () => ({}),
      },
      "lab",
      "dev",
      false,
    );
    const sdk = await import("../../../sdk");
    const connection = { host: "203.0.113.7", privateKey: "k", hostKey: CONNECTION.hostKey };
    const net = new sdk.Network("lab", { connection, bridge: { name: "virbr10" } });
    const web = new sdk.GuestInterface("web", { network: net });
    const vpn = new sdk.StaticRoute("vpn", { network: net, address: "10.8.0.0", prefix: 16, gateway: "192.168.100.2" });
    const reservation = new sdk.DhcpHost("web-address", { network: net, mac: "52:54:00:7a:00:01", ip: "192.168.100.10" });
    await Promise.all([net, web, vpn, reservation].map((r) => new Promise((resolve) => r.urn.apply(resolve))));
    expect(types.sort()).toEqual(Object.values(TYPES).sort());
    for (const [cls, type] of [["Network", TYPES.network], ["GuestInterface", TYPES.guestInterface], ["StaticRoute", TYPES.staticRoute], ["DhcpHost", TYPES.dhcpHost]]) {
      expect(README).toContain(`| \`${cls}\` | \`${type}\` |`);
    }
  });

  it("asks for the Node.js and @pulumi/pulumi versions package.json declares", () => {
    const node = /^>=\s*(\d+\.\d+)$/.exec(PACKAGE.engines.node);
    expect(node, `engines.node '${PACKAGE.engines.node}' has the form >=X.Y`).not.toBeNull();
    const quickStart = README.slice(README.indexOf("## Quick start"), README.indexOf("## What Pulumi shows"));
    expect(quickStart).toContain(`Node.js ${node![1]} or newer`);
    expect(quickStart).toContain(`\`@pulumi/pulumi\` \`${PACKAGE.peerDependencies["@pulumi/pulumi"]}\``);
  });

  it("sends no one to `pulumi import`, which cannot work with a dynamic provider", () => {
    const docs = ["README.md", "docs/architecture.md", "docs/libvirt-behaviour.md"].map((f) => readFileSync(path.join(ROOT, f), "utf8"));
    const paragraphs = docs.flatMap((d) => d.split(/\n\s*\n/)).filter((p) => p.includes("pulumi import"));
    expect(paragraphs.length).toBeGreaterThan(0);
    for (const p of paragraphs) expect(p).toMatch(/not supported|cannot/);
  });
});
