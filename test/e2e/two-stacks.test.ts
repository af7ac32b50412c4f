// Two stacks at once: two engines, each with its own plugin process, apply 20 auto-named guests each to one host's
// bridge at the same time. Every create succeeds, the 40 taps are distinct, and each stack destroys only its own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, type Program } from "../../scripts/engine";
import { installedVirtnet } from "./virtnet-package";
import { createSandbox, type Sandbox } from "../support/sandbox";

let sb: Sandbox;
const engines: Engine[] = [];

beforeAll(async () => {
  sb = await createSandbox();
  sb.execInNamespace(["ip", "link", "add", "tsbr0", "type", "bridge"]);
  for (const stack of ["blue", "green"]) engines.push(new Engine({ pkg: installedVirtnet(), packageName: "pulumi-virtnet", stack }));
});
afterAll(async () => {
  for (const e of engines) {
    await e.destroy().catch(() => undefined);
    await e.dispose();
  }
  await sb?.destroy();
});

const guests = (prefix: string): Program => ({ pkg, pulumi }) => {
  const connection = { host: sb.host, privateKey: pulumi.secret(sb.privateKey), hostKey: sb.hostKey };
  for (let i = 0; i < 20; i++) {
    new pkg.GuestInterface(`${prefix}${i}`, { connection, network: "tsbr0", mac: `52:54:00:19:${prefix === "a" ? "a0" : "b0"}:${(16 + i).toString(16)}` });
  }
};
const taps = () => (sb.ipJson(["-d", "link", "show", "master", "tsbr0"]) as Array<{ ifname: string; ifalias?: string }>).filter((l) => l.ifalias?.startsWith("virtnet"));

describe("two stacks deploying to one host at once", () => {
  it("creates 40 auto-named taps with no error", async () => {
    const [a, b] = await Promise.all([engines[0].up(guests("a")), engines[1].up(guests("b"))]);
    expect([...a.errors, ...b.errors]).toEqual([]);
    expect(a.steps.filter((s) => s.op === "create")).toHaveLength(20);
    expect(b.steps.filter((s) => s.op === "create")).toHaveLength(20);
    const names = taps().map((l) => l.ifname);
    expect(names).toHaveLength(40);
    expect(new Set(names).size).toBe(40);
    expect(new Set(taps().map((l) => l.ifalias)).size).toBe(40);
  });

  it("destroys one stack's taps and leaves the other's", async () => {
    expect((await engines[0].destroy()).errors).toEqual([]);
    expect(taps()).toHaveLength(20);
    expect((await engines[1].destroy()).errors).toEqual([]);
    expect(taps()).toEqual([]);
  });
});
