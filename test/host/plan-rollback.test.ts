// Apply and rollback against a real kernel: a failing step undoes the steps before it (docs/architecture.md §3).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Host } from "../../provider/host/host";
import { LocalShell } from "../support/local-shell";
import { createSandbox, type Sandbox } from "../support/sandbox";

let sb: Sandbox;
beforeAll(async () => {
  sb = await createSandbox();
});
afterAll(async () => sb?.destroy());

describe("apply with rollback", () => {
  it("names the failing command and its stderr, and undoes the earlier steps in reverse", async () => {
    const host = new Host(new LocalShell(sb.namespace));
    const plan = [
      { op: "linkAddBridge", name: "rb0", mac: "52:54:00:00:00:aa" },
      { op: "linkSetMtu", name: "rb0", mtu: 9000 },
      { op: "addrAdd", name: "nosuchdev", family: "ipv4", address: "10.1.0.1", prefix: 24 },
      { op: "linkSetUp", name: "rb0" },
    ] as const;
    const err = (await host.apply(plan, "creating bridge rb0").catch((e: Error) => e)) as Error;
    expect(err.message).toMatch(/creating bridge rb0 on netns vn-[0-9a-f]+: `ip addr add 10.1.0.1\/24 broadcast 10.1.0.255 dev nosuchdev` failed \(exit 1\): Cannot find device "nosuchdev"; the steps before it were undone/);
    expect((sb.ipJson(["link", "show"]) as Array<{ ifname: string }>).map((l) => l.ifname)).not.toContain("rb0");
  });

  it("returns the observed state from the same exec on success", async () => {
    const shell = new LocalShell(sb.namespace);
    const host = new Host(shell);
    const snapshot = await host.apply([{ op: "linkAddBridge", name: "rb1", mac: "52:54:00:00:00:ab" }], "creating rb1");
    expect(snapshot.link("rb1")?.mac).toBe("52:54:00:00:00:ab");
    expect(shell.execs).toBe(1);
    await host.apply([{ op: "linkDel", name: "rb1" }], "deleting rb1");
  });

  it("applies a wave's plans merged, in one exec; one that fails is undone alone and the others are applied", async () => {
    const shell = new LocalShell(sb.namespace);
    const host = new Host(shell);
    const tap = (name: string, mtu: number) =>
      [
        { op: "tapAdd", name },
        { op: "linkSetMtu", name, mtu },
        { op: "linkSetUp", name },
      ] as const;
    const failing = [{ op: "tapAdd", name: "mt1" }, { op: "addrAdd", name: "nosuchdev", family: "ipv4", address: "10.2.0.1", prefix: 24 }] as const;
    const results = await Promise.allSettled([host.apply(tap("mt0", 9000), "creating mt0"), host.apply(failing, "creating mt1"), host.apply(tap("mt2", 4000), "creating mt2")]);
    expect(shell.execs).toBe(1);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(((results[1] as PromiseRejectedResult).reason as Error).message).toMatch(/creating mt1 on .*`ip addr add 10.2.0.1\/24 broadcast 10.2.0.255 dev nosuchdev` failed \(exit 1\): Cannot find device "nosuchdev"; the steps before it were undone/);
    const links = new Map((sb.ipJson(["link", "show"]) as Array<{ ifname: string; mtu: number; flags: string[] }>).map((l) => [l.ifname, l]));
    expect(links.has("mt1")).toBe(false);
    expect([links.get("mt0")?.mtu, links.get("mt2")?.mtu]).toEqual([9000, 4000]);
    expect(links.get("mt0")?.flags).toContain("UP");

    // All of them succeeding: one exec, and each resource sees the wave's result.
    const again = await Promise.all([host.apply(tap("mt3", 2000), "creating mt3"), host.apply(tap("mt4", 3000), "creating mt4")]);
    expect(shell.execs).toBe(2);
    expect(again.map((snap) => [snap.link("mt3")?.mtu, snap.link("mt4")?.mtu])).toEqual([[2000, 3000], [2000, 3000]]);
    await Promise.all(["mt0", "mt2", "mt3", "mt4"].map((name) => host.apply([{ op: "tapDel", name }], `deleting ${name}`)));
    expect((sb.ipJson(["link", "show"]) as Array<{ ifname: string }>).filter((l) => l.ifname.startsWith("mt"))).toEqual([]);
  });

  it("runs consecutive best-effort deletes as one -force batch: every one is tried, and a failing one stops nothing", async () => {
    const shell = new LocalShell(sb.namespace);
    const host = new Host(shell);
    await host.apply([{ op: "tapAdd", name: "be0" }, { op: "tapAdd", name: "be1" }, { op: "qdiscAdd", dev: "be0", qdisc: { kind: "ingress" } }, { op: "qdiscAdd", dev: "be1", qdisc: { kind: "ingress" } }], "creating be0 and be1");
    const ingress = () => (JSON.parse(sb.execInNamespace(["tc", "-j", "qdisc", "show"])) as Array<{ kind: string; dev: string }>).filter((q) => q.kind === "ingress").map((q) => q.dev).sort();
    expect(ingress()).toEqual(["be0", "be1"]);
    // The middle two fail (no root qdisc of its own on be0; no such device): the last one must still run, and the plan
    // goes on to the step after the batch.
    const plan = [
      { op: "qdiscDel", dev: "be0", target: "ingress" },
      { op: "qdiscDel", dev: "be0", target: { handle: "7:" } },
      { op: "qdiscDel", dev: "nosuchdev", target: "root" },
      { op: "qdiscDel", dev: "be1", target: "ingress" },
      { op: "linkSetMtu", name: "be1", mtu: 1400 },
    ] as const;
    const snapshot = await host.apply(plan, "clearing be0 and be1");
    expect(ingress()).toEqual([]);
    expect(snapshot.link("be1")?.mtu).toBe(1400);
    await host.apply([{ op: "tapDel", name: "be0" }, { op: "tapDel", name: "be1" }], "deleting be0 and be1");
  });

  it("plans from the observation of the exec in flight, but returns an apply the state after it", async () => {
    const shell = new LocalShell(sb.namespace);
    const host = new Host(shell);
    const first = host.observe();
    await new Promise((r) => setImmediate(r));
    // The exec is in flight: a plan asked for now shares its observation ...
    const joined = host.observe();
    // ... while an apply submitted now goes to the next exec, and its snapshot must show what it did.
    const applied = await host.apply([{ op: "tapAdd", name: "mt9" }], "creating mt9");
    expect(await joined).toBe(await first);
    expect((await first).link("mt9")).toBeUndefined();
    expect(applied.link("mt9")).toBeDefined();
    expect(shell.execs).toBe(2);
    await host.apply([{ op: "tapDel", name: "mt9" }], "deleting mt9");
  });
});
