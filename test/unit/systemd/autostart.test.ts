// Autostart without a host (docs/libvirt-behaviour.md §11): what virtnet writes (the unit, a network's boot script, the
// attached resources' fragments, the enable and prune commands) is held as golden files, so that a change to any of it
// is seen in review; and the planners that decide which of those files and units to write, enable or remove are
// checked against hand-built observations of a host, as the snapshot would parse them.
import { describe, expect, it } from "vitest";
import { renderOperation } from "../../../provider/iproute2/render-operation";
import type { Operation } from "../../../provider/net/operation";
import { inverseOf } from "../../../provider/plan/inverse";
import { FLOOR_MARKER, renderGuestFragment, renderRouteFragment } from "../../../provider/plan/boot-script";
import { observedFragment, planFragment } from "../../../provider/resources/autostart-fragment";
import { autostartDrift, autostartProblem, networkBootScript, planAutostart } from "../../../provider/resources/network/autostart-plan";
import { checkNetwork } from "../../../provider/resources/network/check";
import { networkDesired, recordedNetwork } from "../../../provider/resources/network/model";
import type { Known } from "../../../provider/known";
import type { NetworkInputs } from "../../../provider/resources/network/schema";
import { AUTOSTART_DIR, bootScriptPath, fragmentDir, guestFragmentPath, routeFragmentPath, UNIT_PATH, unitName } from "../../../provider/systemd/autostart-paths";
import { parseAutostartSection, type AutostartObservation } from "../../../provider/systemd/observe-autostart";
import { UNIT_TEXT } from "../../../provider/systemd/unit-file";
import { connection } from "../resources/network/network-fixtures";

const BR = "virbr10";

/** A network's boot script from its arguments, through check as the provider gets them. */
function bootScript(args: Record<string, unknown>, nft: boolean): string {
  const checked = checkNetwork({}, { connection, ...args });
  expect(checked.failures).toEqual([]);
  return networkBootScript(networkDesired(recordedNetwork(checked.inputs as unknown as Known<NetworkInputs>, BR)), { nft, tables: {} });
}

/** The MAC is given: check would otherwise generate a random one, and the golden files would never match. */
const NAT_ARGS = {
  bridge: { name: BR, stp: false, macTableManager: "libvirt" },
  mac: "52:54:00:10:00:01",
  forward: { mode: "nat" },
  ips: [{ address: "192.168.100.1", prefix: 24, dhcp: { ranges: [{ start: "192.168.100.100", end: "192.168.100.199" }] } }],
  routes: [{ address: "10.100.0.0", prefix: 16, gateway: "192.168.100.2" }],
  bandwidth: { inbound: { average: 10000, peak: 20000 }, outbound: { average: 5000, peak: 8000 } },
  autostart: true,
};
const ISOLATED_ARGS = { bridge: { name: BR }, mac: "52:54:00:10:00:02", ips: [{ address: "192.168.101.1", prefix: 24 }], autostart: true };

const ROUTE_OPS: Operation[] = [
  { op: "routeAdd", name: BR, family: "ipv4", address: "10.191.0.0", prefix: 16, gateway: "192.168.100.3", metric: 1 },
  { op: "routeAdd", name: BR, family: "ipv6", address: "2001:db8:191::", prefix: 64, gateway: "2001:db8:100::3", metric: 2 },
];
const GUEST_OPS: Operation[] = [
  { op: "tapAdd", name: "vnet0" },
  { op: "linkSetAddress", name: "vnet0", mac: "fe:54:00:10:00:05" },
  { op: "linkSetAlias", name: "vnet0", alias: "virtnet" },
  { op: "linkSetMaster", name: "vnet0", master: BR },
  { op: "linkSetUp", name: "vnet0" },
];
const FLOOR_OPS: Operation[] = [
  { op: "classAdd", dev: BR, cls: { parent: "1:1", classId: "1:3", rateKbps: 1000, ceilKbps: 20000, quantum: 1 } },
  { op: "filterAdd", dev: BR, filter: { kind: "floorMac", id: 3, mac: "52:54:00:10:00:05" } },
];

/** What the snapshot would show: `files` by path, `enabled` by bridge. */
function host(files: Record<string, string> = {}, enabled: Record<string, string> = {}, systemd = true): AutostartObservation {
  return { systemd, files: new Map(Object.entries(files)), enabled: new Map(Object.entries(enabled)) };
}
const SCRIPT = bootScriptPath(BR);
const WANTED = "#!/bin/sh\n# the wanted script\n";

describe("what autostart writes (golden files)", () => {
  it("the template unit", async () => {
    await expect(UNIT_TEXT).toMatchFileSnapshot("../golden/autostart-unit.service");
  });

  it("a NAT network's boot script: DHCP, an inline route, inbound and outbound QoS with peaks, libvirt MAC table, nft", async () => {
    const script = bootScript(NAT_ARGS, true);
    await expect(script).toMatchFileSnapshot("../golden/autostart-nat-network.sh");
    // The parts the golden file would let slip by in a large diff.
    expect(script).toMatch(/^#!\/bin\/sh\n/);
    // dnsmasq is its own unit's: the network's script never starts it (two would fight over the ports at boot).
    expect(script).not.toMatch(/dnsmasq/);
    expect(script).not.toContain("999999937");
    expect(script).toContain("$((20000 - sum))");
    expect(script).toContain(`for f in ${fragmentDir(BR)}/*.sh;`);
  });

  it("an isolated network's boot script on a host without nft: no rules, no dnsmasq, no rebalance", async () => {
    const script = bootScript(ISOLATED_ARGS, false);
    await expect(script).toMatchFileSnapshot("../golden/autostart-isolated-no-nft.sh");
    expect(script).not.toMatch(/nft|dnsmasq|sum=/);
    // Without a firewall to re-apply, the firewall entry point does nothing but succeed.
    expect(script).toContain("  firewall) true; exit $? ;;");
  });

  it("a StaticRoute's fragment", async () => {
    await expect(renderRouteFragment(`route to 10.191.0.0/16 via 192.168.100.3 on ${BR}`, ROUTE_OPS)).toMatchFileSnapshot("../golden/autostart-route-fragment.sh");
  });

  it("a GuestInterface's fragment, without and with a floor marker", async () => {
    const plain = renderGuestFragment(`guest interface vnet0 on ${BR}`, "vnet0", GUEST_OPS);
    await expect(plain).toMatchFileSnapshot("../golden/autostart-guest-fragment.sh");
    expect(plain).not.toContain(FLOOR_MARKER);
    const floored = renderGuestFragment(`guest interface vnet0 on ${BR}`, "vnet0", [...FLOOR_OPS, ...GUEST_OPS], 1000);
    await expect(floored).toMatchFileSnapshot("../golden/autostart-guest-fragment-floor.sh");
    // The network script's awk reads the marker as `# virtnet-floor N`, so its shape is part of the contract.
    expect(floored.split("\n")).toContain("# virtnet-floor 1000");
  });

  it("the argv of enabling and disabling an instance, and of a pruning remove", async () => {
    const argv = (o: Operation) => JSON.stringify(renderOperation(o).argv);
    const text = [
      argv({ op: "unitEnable", unit: unitName(BR), on: true, from: false }),
      argv({ op: "unitEnable", unit: unitName(BR), on: false, from: true }),
      argv({ op: "fileRemove", path: `${fragmentDir(BR)}/70-guest-vnet0.sh`, from: { content: "x\n", mode: 0o644 }, prune: AUTOSTART_DIR }),
      "",
    ].join("\n");
    await expect(text).toMatchFileSnapshot("../golden/autostart-operations.txt");
    // Without prune a remove stays the plain rm it always was.
    expect(renderOperation({ op: "fileRemove", path: SCRIPT }).argv).toEqual(["rm", "-f", "--", SCRIPT]);
  });
});

describe("planAutostart", () => {
  it("on a host with nothing: writes the unit, then the script, then enables the instance", () => {
    expect(planAutostart(BR, WANTED, host())).toEqual([
      { op: "fileWrite", path: UNIT_PATH, content: UNIT_TEXT, mode: 0o644, from: null },
      { op: "fileWrite", path: SCRIPT, content: WANTED, mode: 0o644, from: null, prune: "/etc/virtnet" },
      { op: "unitEnable", unit: unitName(BR), on: true, from: false },
    ]);
  });

  it("does nothing when the unit, the script and the enabled instance all match", () => {
    expect(planAutostart(BR, WANTED, host({ [UNIT_PATH]: UNIT_TEXT, [SCRIPT]: WANTED }, { [BR]: "enabled" }))).toEqual([]);
  });

  it("rewrites only a script that differs, its old content as `from`", () => {
    expect(planAutostart(BR, WANTED, host({ [UNIT_PATH]: UNIT_TEXT, [SCRIPT]: `${WANTED}# edited\n` }, { [BR]: "enabled" }))).toEqual([
      { op: "fileWrite", path: SCRIPT, content: WANTED, mode: 0o644, from: `${WANTED}# edited\n`, prune: "/etc/virtnet" },
    ]);
  });

  it("enables a disabled instance and writes nothing", () => {
    expect(planAutostart(BR, WANTED, host({ [UNIT_PATH]: UNIT_TEXT, [SCRIPT]: WANTED }, { [BR]: "disabled" }))).toEqual([
      { op: "unitEnable", unit: unitName(BR), on: true, from: false },
    ]);
  });

  it("re-enables after rewriting a unit that differs, so that systemd reads it (daemon-reload) even when the instance was enabled", () => {
    const ops = planAutostart(BR, WANTED, host({ [UNIT_PATH]: "old unit\n", [SCRIPT]: WANTED }, { [BR]: "enabled" }));
    expect(ops).toEqual([
      { op: "fileWrite", path: UNIT_PATH, content: UNIT_TEXT, mode: 0o644, from: "old unit\n" },
      { op: "unitEnable", unit: unitName(BR), on: true, from: true },
    ]);
    // Enabled before and after: a rollback has no reason to disable it.
    expect(inverseOf(ops[1]!)).toEqual([]);
  });

  it("without autostart, on the last network: disables the instance, removes the script pruning /etc/virtnet, then the unit", () => {
    const ops = planAutostart(BR, undefined, host({ [UNIT_PATH]: UNIT_TEXT, [SCRIPT]: WANTED }, { [BR]: "enabled" }));
    expect(ops).toEqual([
      { op: "unitEnable", unit: unitName(BR), on: false, from: true },
      { op: "fileRemove", path: SCRIPT, from: { content: WANTED, mode: 0o644 }, prune: AUTOSTART_DIR },
      { op: "fileRemove", path: UNIT_PATH, from: { content: UNIT_TEXT, mode: 0o644 } },
    ]);
  });

  it("without autostart, keeps the unit while another network's script remains; fragments (its own or others') do not count", () => {
    const others = { [UNIT_PATH]: UNIT_TEXT, [SCRIPT]: WANTED, [bootScriptPath("virbr11")]: "#!/bin/sh\n" };
    expect(planAutostart(BR, undefined, host(others, { [BR]: "enabled", virbr11: "enabled" })).map((o) => `${o.op} ${"path" in o ? o.path : "unit" in o ? o.unit : ""}`)).toEqual([
      `unitEnable ${unitName(BR)}`,
      `fileRemove ${SCRIPT}`,
    ]);
    const fragmentsOnly = { [UNIT_PATH]: UNIT_TEXT, [SCRIPT]: WANTED, [guestFragmentPath(BR, "vnet0")]: "x\n", [guestFragmentPath("virbr11", "vnet1")]: "y\n" };
    expect(planAutostart(BR, undefined, host(fragmentsOnly, { [BR]: "enabled" })).map((o) => o.op)).toEqual(["unitEnable", "fileRemove", "fileRemove"]);
  });

  it("without autostart and nothing of it on the host: nothing to do, not even on a host without systemd", () => {
    expect(planAutostart(BR, undefined, host())).toEqual([]);
    expect(planAutostart(BR, undefined, host({}, {}, false))).toEqual([]);
    // The unit of other networks is not this network's to remove when it never had a script.
    expect(planAutostart(BR, undefined, host({ [UNIT_PATH]: UNIT_TEXT }))).toEqual([]);
  });

  it("without autostart, a disabled instance with its script left: only the script goes", () => {
    expect(planAutostart(BR, undefined, host({ [SCRIPT]: WANTED }, { [BR]: "disabled" }))).toEqual([
      { op: "fileRemove", path: SCRIPT, from: { content: WANTED, mode: 0o644 }, prune: AUTOSTART_DIR },
    ]);
  });
});

describe("autostartDrift and autostartProblem", () => {
  it("names each missing or differing part, and nothing when all match or autostart is not wanted", () => {
    expect(autostartDrift(BR, WANTED, host())).toEqual([`${SCRIPT} is missing`, `${UNIT_PATH} is missing or differs`, `${unitName(BR)} is not enabled`]);
    expect(autostartDrift(BR, WANTED, host({ [UNIT_PATH]: "edited\n", [SCRIPT]: "other\n" }, { [BR]: "enabled" }))).toEqual([
      `${SCRIPT} differs from what the network renders`,
      `${UNIT_PATH} is missing or differs`,
    ]);
    expect(autostartDrift(BR, WANTED, host({ [UNIT_PATH]: UNIT_TEXT, [SCRIPT]: WANTED }, { [BR]: "masked" }))).toEqual([`${unitName(BR)} is not enabled`]);
    expect(autostartDrift(BR, WANTED, host({ [UNIT_PATH]: UNIT_TEXT, [SCRIPT]: WANTED }, { [BR]: "enabled" }))).toEqual([]);
    // Not wanted: whatever is left is removed by the next plan, not reported as drift.
    expect(autostartDrift(BR, undefined, host({ [SCRIPT]: "x\n" }, { [BR]: "enabled" }))).toEqual([]);
  });

  it("refuses a host without systemd, naming it and what to do", () => {
    expect(autostartProblem(host({}, {}, false), "root@203.0.113.7:22")).toBe(
      "autostart needs systemd as the init system, and root@203.0.113.7:22 does not run it (/run/systemd/system is missing); set autostart: false",
    );
    expect(autostartProblem(host(), "root@203.0.113.7:22")).toBeUndefined();
  });
});

describe("parseAutostartSection", () => {
  it("reads init, each file's content (blank lines, `|` and `@@` inside it kept) and each instance's state", () => {
    const section = [
      "@@init systemd",
      `@@file ${SCRIPT}`,
      "|#!/bin/sh",
      "|",
      "||| not a marker",
      "|@@file /not/a/file",
      `@@file ${guestFragmentPath(BR, "vnet0")}`,
      "|echo vnet0",
      `@@file ${UNIT_PATH}`,
      "|[Unit]",
      `@@enabled ${BR} enabled`,
      "@@enabled virbr11 disabled",
      "@@enabled virbr12 ",
      "",
    ].join("\n");
    const o = parseAutostartSection(section);
    expect(o.systemd).toBe(true);
    expect(Object.fromEntries(o.files)).toEqual({
      [SCRIPT]: "#!/bin/sh\n\n|| not a marker\n@@file /not/a/file\n",
      [guestFragmentPath(BR, "vnet0")]: "echo vnet0\n",
      [UNIT_PATH]: "[Unit]\n",
    });
    expect(Object.fromEntries(o.enabled)).toEqual({ [BR]: "enabled", virbr11: "disabled", virbr12: "" });
  });

  it("reads a host without systemd and without /etc/virtnet as nothing", () => {
    expect(parseAutostartSection("@@init other\n")).toEqual({ systemd: false, files: new Map(), enabled: new Map(), enabledDnsmasq: new Map() });
    expect(parseAutostartSection("")).toEqual({ systemd: false, files: new Map(), enabled: new Map(), enabledDnsmasq: new Map() });
  });

  it("an empty file reads as empty content, not as absent", () => {
    expect(parseAutostartSection(`@@init systemd\n@@file ${SCRIPT}\n`).files.get(SCRIPT)).toBe("");
  });
});

describe("planFragment and observedFragment", () => {
  const path = routeFragmentPath(BR, "10.191.0.0", 16, 1);
  const moved = routeFragmentPath(BR, "10.191.0.0", 16, 5);
  const FRAGMENT = "#!/bin/sh\n# a fragment\n";

  it("names fragments so that routes run before guests and IPv6 paths hold no colon", () => {
    expect(routeFragmentPath(BR, "2001:db8::", 64, 2)).toBe(`${AUTOSTART_DIR}/${BR}.d/50-route-2001_db8___64-2.sh`);
    expect(guestFragmentPath(BR, "vnet0")).toBe(`${AUTOSTART_DIR}/${BR}.d/70-guest-vnet0.sh`);
    expect([guestFragmentPath(BR, "a"), path].sort()).toEqual([path, guestFragmentPath(BR, "a")]);
  });

  it("writes a missing fragment, rewrites a differing one, and leaves a matching one", () => {
    expect(planFragment(path, FRAGMENT, host())).toEqual([{ op: "fileWrite", path, content: FRAGMENT, mode: 0o644, from: null, prune: "/etc/virtnet" }]);
    expect(planFragment(path, FRAGMENT, host({ [path]: "old\n" }))).toEqual([{ op: "fileWrite", path, content: FRAGMENT, mode: 0o644, from: "old\n", prune: "/etc/virtnet" }]);
    expect(planFragment(path, FRAGMENT, host({ [path]: FRAGMENT }))).toEqual([]);
  });

  it("removes its fragment, pruning /etc/virtnet, when not wanted; nothing when there is none", () => {
    expect(planFragment(path, undefined, host({ [path]: FRAGMENT }))).toEqual([{ op: "fileRemove", path, from: { content: FRAGMENT, mode: 0o644 }, prune: AUTOSTART_DIR }]);
    expect(planFragment(path, undefined, host())).toEqual([]);
  });

  it("a moved fragment (a route's new metric): the old one removed first, then the new one written", () => {
    expect(planFragment(moved, FRAGMENT, host({ [path]: FRAGMENT }), path)).toEqual([
      { op: "fileRemove", path, from: { content: FRAGMENT, mode: 0o644 }, prune: AUTOSTART_DIR },
      { op: "fileWrite", path: moved, content: FRAGMENT, mode: 0o644, from: null, prune: "/etc/virtnet" },
    ]);
    // Moved and no longer wanted: both go; the new path was never written, so only the old one is removed.
    expect(planFragment(moved, undefined, host({ [path]: FRAGMENT }), path)).toEqual([{ op: "fileRemove", path, from: { content: FRAGMENT, mode: 0o644 }, prune: AUTOSTART_DIR }]);
    // Not moved: the previous path is the path, and nothing is removed.
    expect(planFragment(path, FRAGMENT, host({ [path]: FRAGMENT }), path)).toEqual([]);
  });

  it("observes the fragment as networkAutostart: true only when it is there as rendered; absent when never asked and absent", () => {
    expect(observedFragment(undefined, path, undefined, host())).toEqual({});
    expect(observedFragment(false, path, undefined, host())).toEqual({ networkAutostart: false });
    expect(observedFragment(true, path, FRAGMENT, host({ [path]: FRAGMENT }))).toEqual({ networkAutostart: true });
    expect(observedFragment(true, path, FRAGMENT, host({ [path]: `${FRAGMENT}# edited\n` }))).toEqual({ networkAutostart: false });
    expect(observedFragment(true, path, FRAGMENT, host())).toEqual({ networkAutostart: false });
    // Left by an earlier autostart the resource no longer asks for: reads as false, so that the next update removes it.
    expect(observedFragment(undefined, path, undefined, host({ [path]: FRAGMENT }))).toEqual({ networkAutostart: false });
  });
});

describe("inverseOf unitEnable", () => {
  const on: Operation = { op: "unitEnable", unit: unitName(BR), on: true, from: false };
  const off: Operation = { op: "unitEnable", unit: unitName(BR), on: false, from: true };

  it("undoes an enable by disabling and a disable by enabling, and the inverse of the inverse is the operation", () => {
    expect(inverseOf(on)).toEqual([off]);
    expect(inverseOf(off)).toEqual([on]);
    expect(inverseOf(inverseOf(on)[0]!)).toEqual([on]);
    expect(inverseOf(inverseOf(off)[0]!)).toEqual([off]);
  });

  it("has nothing to undo without a previous state, or when it changed nothing", () => {
    expect(inverseOf({ op: "unitEnable", unit: unitName(BR), on: true })).toEqual([]);
    expect(inverseOf({ op: "unitEnable", unit: unitName(BR), on: true, from: true })).toEqual([]);
    expect(inverseOf({ op: "unitEnable", unit: unitName(BR), on: false, from: false })).toEqual([]);
  });

  it("a pruning remove is undone by a write of the same content and mode (the write makes the directories again)", () => {
    expect(inverseOf({ op: "fileRemove", path: SCRIPT, from: { content: WANTED, mode: 0o644 }, prune: AUTOSTART_DIR })).toEqual([
      { op: "fileWrite", path: SCRIPT, content: WANTED, mode: 0o644, from: null, prune: "/etc/virtnet" },
    ]);
  });
});
