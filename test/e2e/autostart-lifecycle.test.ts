// Engine-faithful lifecycle of autostart on a host whose init is systemd (docs/libvirt-behaviour.md §11): the SDK
// passes the Network's autostart to the StaticRoute and GuestInterface attached through it (their hidden
// networkAutostart), so that the engine, not the user, keeps their boot fragments in step with the network's script
// and unit. Created with
// autostart, nothing to do on a preview, turned off and on again in place, and destroyed without a file, unit link or
// kernel object left behind.
import { describe, expect, it } from "vitest";
import type { EngineResult, Program } from "../../scripts/engine";
import { createSystemdSandbox } from "../../scripts/sandbox/systemd-host";
import { steps, useEngine } from "./use-engine";

const t = useEngine(createSystemdSandbox);

const BR = "vnae0";
const TAP = "vnaetap0";
const UNIT = `virtnet-net@${BR}.service`;
const SCRIPT = `/etc/virtnet/${BR}.sh`;
const ROUTE_FRAGMENT = `/etc/virtnet/${BR}.d/50-route-10.194.0.0_16-1.sh`;
const GUEST_FRAGMENT = `/etc/virtnet/${BR}.d/70-guest-${TAP}.sh`;

function program(autostart: boolean): Program {
  return ({ pkg, pulumi }) => {
    const connection = { host: t.sb.host, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey };
    const net = new pkg.Network("auto", {
      connection,
      bridge: { name: BR, stp: false, macTableManager: "libvirt" },
      forward: { mode: "nat" },
      ips: [{ address: "192.168.194.1", prefix: 24 }],
      autostart,
    });
    new pkg.StaticRoute("route", { network: net, address: "10.194.0.0", prefix: 16, gateway: "192.168.194.2" });
    new pkg.GuestInterface("vm", { network: net, name: TAP, mac: "52:54:00:19:40:01" });
  };
}

/** Runs in the sandbox's own mount and PID namespaces: its /etc and its systemd, not this machine's. */
const sh = (script: string) => t.sb.execInNamespace(["sh", "-c", script]).trim();
/** The instance's state as systemctl reports it; "not-found" once the unit file is gone, never an exception. */
const enabled = () => sh(`systemctl is-enabled ${UNIT} 2>/dev/null || true`);
/** Every file and directory virtnet's autostart could leave: its directory, the unit, the instance's enable link. */
const autostartFiles = () => sh(`find /etc/virtnet /etc/systemd/system/virtnet-net@.service /etc/systemd/system/*.wants/virtnet-net@* 2>/dev/null | sort; :`);
const exists = (argv: string) => sh(`${argv} >/dev/null 2>&1 && echo yes || echo no`) === "yes";
const kernel = () => ({
  bridge: exists(`ip link show dev ${BR}`),
  route: sh("ip route show 10.194.0.0/16").includes(`via 192.168.194.2 dev ${BR}`),
  tap: sh(`ip -o link show dev ${TAP} 2>/dev/null; :`).includes(`master ${BR}`),
});

/** Every step an in-place update, and what changed its autostart (never a replace). */
function updatedInPlace(r: EngineResult): void {
  expect(steps(r)).toEqual({ auto: "update", route: "update", vm: "update" });
  for (const s of r.steps) expect(s.replaces).toEqual([]);
  const diffs = Object.fromEntries(r.steps.map((s) => [s.name, s.diffs]));
  expect(diffs.auto).toContain("autostart");
  expect(diffs.route).toContain("networkAutostart");
  expect(diffs.vm).toContain("networkAutostart");
}

/** What the engine recorded of autostart for each resource, as the provider last returned it. */
function recorded(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [urn, s] of t.engine.state) {
    const name = urn.slice(urn.lastIndexOf("::") + 2);
    out[name] = name === "auto" ? s.outputs.autostart : s.outputs.networkAutostart;
  }
  return out;
}

describe("autostart through Pulumi's dynamic-provider plugin on a systemd host", () => {
  it("creates the network with its script and enabled unit, and a fragment for each attached resource", async () => {
    expect(sh("[ -d /run/systemd/system ] && echo systemd || echo other")).toBe("systemd");
    expect(steps(await t.engine.up(program(true)))).toEqual({ auto: "create", route: "create", vm: "create" });
    expect(enabled()).toBe("enabled");
    expect(autostartFiles().split("\n")).toEqual([
      "/etc/systemd/system/multi-user.target.wants/virtnet-net@vnae0.service",
      "/etc/systemd/system/virtnet-net@.service",
      "/etc/virtnet",
      `/etc/virtnet/${BR}.d`,
      ROUTE_FRAGMENT,
      GUEST_FRAGMENT,
      SCRIPT,
    ]);
    // The attached resources were handed the Network's autostart, and each found its own fragment in place.
    expect(recorded()).toEqual({ auto: true, route: true, vm: true });
    expect(kernel()).toEqual({ bridge: true, route: true, tap: true });
  });

  it("previews no change for the same program", async () => {
    expect(steps(await t.engine.preview(program(true)))).toEqual({ auto: "same", route: "same", vm: "same" });
  });

  it("previews turning autostart off as in-place updates of all three, and changes nothing", async () => {
    const r = await t.engine.preview(program(false));
    expect(steps(r)).toEqual({ auto: "update", route: "update", vm: "update" });
    for (const s of r.steps) expect(s.replaces).toEqual([]);
    // What the SDK will pass the attached resources is already known in preview: the Network's input.
    expect(Object.fromEntries(r.registrations.map((x) => [x.name, x.name === "auto" ? x.inputs.autostart : x.inputs.networkAutostart]))).toEqual({ auto: false, route: false, vm: false });
    expect(enabled()).toBe("enabled");
    expect(autostartFiles().split("\n")).toHaveLength(7);
  });

  it("turns autostart off in place for the network and what is attached to it: no file or enabled unit left, the live network untouched", async () => {
    updatedInPlace(await t.engine.up(program(false)));
    expect(enabled()).not.toBe("enabled");
    expect(autostartFiles()).toBe("");
    expect(recorded()).toEqual({ auto: false, route: false, vm: false });
    expect(kernel()).toEqual({ bridge: true, route: true, tap: true });
    expect(steps(await t.engine.preview(program(false)))).toEqual({ auto: "same", route: "same", vm: "same" });
  });

  it("turns it on again in place, bringing back the script, the unit and both fragments", async () => {
    updatedInPlace(await t.engine.up(program(true)));
    expect(enabled()).toBe("enabled");
    expect(autostartFiles().split("\n")).toEqual(expect.arrayContaining([SCRIPT, ROUTE_FRAGMENT, GUEST_FRAGMENT, "/etc/systemd/system/virtnet-net@.service"]));
    expect(recorded()).toEqual({ auto: true, route: true, vm: true });
    expect(kernel()).toEqual({ bridge: true, route: true, tap: true });
    expect(steps(await t.engine.preview(program(true)))).toEqual({ auto: "same", route: "same", vm: "same" });
  });

  it("destroys everything: no file, unit or enable link, bridge, route or tap left", async () => {
    const r = await t.engine.destroy();
    expect(r.errors).toEqual([]);
    expect(steps(r)).toEqual({ auto: "delete", route: "delete", vm: "delete" });
    expect(autostartFiles()).toBe("");
    expect(sh("systemctl list-unit-files 'virtnet-net@*' --no-legend 2>/dev/null; :")).toBe("");
    expect(enabled()).not.toBe("enabled");
    expect(kernel()).toEqual({ bridge: false, route: false, tap: false });
  });
});
