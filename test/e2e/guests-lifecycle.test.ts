// Engine-faithful lifecycle of two guest interfaces on a libvirt-mode network.
import { describe, expect, it } from "vitest";
import { defineGuests, type GuestsOptions } from "../../examples/guests/guests";
import type { Program } from "../../scripts/engine";
import { steps, useEngine } from "./use-engine";

const t = useEngine();

function guests(options: GuestsOptions = {}): Program {
  return ({ pkg, pulumi }) => {
    defineGuests(pkg, { host: t.sb.host, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey }, options);
  };
}


interface Port {
  ifname: string;
  address: string;
  master?: string;
  linkinfo: { info_kind: string; info_slave_data?: { learning: boolean; flood: boolean; isolated: boolean } };
}
function taps(): Port[] {
  return (t.sb.ipJson(["-d", "link", "show"]) as Port[]).filter((l) => l.linkinfo?.info_kind === "tun");
}
function fdb(tap: string): string[] {
  return (JSON.parse(t.sb.execInNamespace(["bridge", "-j", "fdb", "show", "brport", tap]) || "[]") as Array<{ mac: string; state?: string }>)
    .filter((e) => e.state === "static")
    .map((e) => e.mac);
}

describe("guest interfaces on a libvirt-mode network through Pulumi's dynamic-provider plugin", () => {
  it("previews three creates and changes nothing", async () => {
    expect(steps(await t.engine.preview(guests()))).toEqual({ guests: "create", web: "create", db: "create" });
    expect(taps()).toEqual([]);
  });

  it("creates the network, then both taps with libvirt's MACs and port settings", async () => {
    expect(steps(await t.engine.up(guests()))).toEqual({ guests: "create", web: "create", db: "create" });
    const byMac = Object.fromEntries(taps().map((t) => [t.address, t]));
    expect(Object.keys(byMac).sort()).toEqual(["fa:54:00:00:30:02", "fe:54:00:00:30:01"]);
    for (const t of Object.values(byMac)) {
      expect(t.master).toBe("virbr30");
      expect(t.linkinfo.info_slave_data).toMatchObject({ learning: false, flood: false });
    }
    expect(byMac["fa:54:00:00:30:02"].linkinfo.info_slave_data?.isolated).toBe(true);
    expect(fdb(byMac["fe:54:00:00:30:01"].ifname)).toEqual(["52:54:00:00:30:01"]);
    expect(fdb(byMac["fa:54:00:00:30:02"].ifname)).toEqual(["fe:54:00:00:30:02"]);
  });

  it("finds nothing to do on a second up or after a refresh", async () => {
    expect(steps(await t.engine.up(guests()))).toEqual({ guests: "same", web: "same", db: "same" });
    expect(steps(await t.engine.refresh())).toEqual({ guests: "read", web: "read", db: "read" });
    expect(steps(await t.engine.preview(guests()))).toEqual({ guests: "same", web: "same", db: "same" });
  });

  it("changes a guest's MAC in place", async () => {
    expect(steps(await t.engine.up(guests({ webMac: "52:54:00:00:30:11" })))).toEqual({ guests: "same", web: "update", db: "same" });
    const web = taps().find((t) => t.address === "fe:54:00:00:30:11")!;
    expect(fdb(web.ifname)).toEqual(["52:54:00:00:30:11"]);
  });

  it("switches the network to kernel mode in place, updating its ports", async () => {
    const r = await t.engine.up(guests({ webMac: "52:54:00:00:30:11", macTableManager: "kernel" }));
    expect(steps(r)).toEqual({ guests: "update", web: "update", db: "update" });
    expect(r.steps.every((s) => s.replaces.length === 0)).toBe(true);
    for (const t of taps()) {
      expect(t.linkinfo.info_slave_data).toMatchObject({ learning: true, flood: true });
      expect(fdb(t.ifname)).toEqual([]);
    }
  });

  it("recreates a tap deleted by hand after a refresh", async () => {
    const options = { webMac: "52:54:00:00:30:11", macTableManager: "kernel" as const };
    const web = taps().find((t) => t.address === "fe:54:00:00:30:11")!;
    t.sb.execInNamespace(["ip", "link", "del", web.ifname]);
    expect(steps(await t.engine.refresh())).toEqual({ guests: "read", web: "refresh-delete", db: "read" });
    expect(steps(await t.engine.up(guests(options)))).toMatchObject({ web: "create" });
    expect(taps().some((t) => t.address === "fe:54:00:00:30:11" && t.master === "virbr30")).toBe(true);
  });

  it("renames the network: guests are replaced with it, deleted before the old bridge goes", async () => {
    const r = await t.engine.up(guests({ bridgeName: "virbr31" }));
    expect(steps(r)).toEqual({ guests: "replace", web: "replace", db: "replace" });
    expect(taps().map((t) => t.master)).toEqual(["virbr31", "virbr31"]);
    expect((t.sb.ipJson(["link", "show", "type", "bridge"]) as Array<{ ifname: string }>).map((b) => b.ifname)).toEqual(["virbr31"]);
  });

  it("deletes a guest that leaves the program, and destroy removes guests before the network", async () => {
    expect(steps(await t.engine.up(guests({ bridgeName: "virbr31", onlyWeb: true })))).toMatchObject({ db: "delete" });
    expect(taps()).toHaveLength(1);
    const r = await t.engine.destroy();
    expect(r.errors).toEqual([]);
    expect(r.steps.map((s) => s.name)).toEqual(["web", "guests"]);
    expect(taps()).toEqual([]);
    expect(t.sb.ipJson(["link", "show", "type", "bridge"])).toEqual([]);
  });
});
