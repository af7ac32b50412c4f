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
});
