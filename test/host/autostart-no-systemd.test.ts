// Autostart on a host whose init is not systemd (docs/libvirt-behaviour.md §11): the create fails before any change,
// naming the host and the reason, and leaves nothing behind; the same network without autostart is made as always.
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { network } from "../../provider";
import { closeAllHosts } from "../../provider/host/host-pool";
import { bootScriptPath } from "../../provider/systemd/autostart-paths";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection, uniqueBridgeName } from "../support/network-args";

let sb: Sandbox;
const BRIDGE = uniqueBridgeName("va");

beforeAll(async () => {
  sb = await createSandbox();
}, 60_000);
afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
});

describe("autostart without systemd", () => {
  it("fails the create with the host and the reason, and leaves no bridge, script or unit", async () => {
    // The sandbox host runs no systemd; the test asserts that, rather than assuming it.
    expect(sb.execInNamespace(["sh", "-c", "[ -d /run/systemd/system ] && echo systemd || echo other"]).trim()).toBe("other");
    const args = { connection: sandboxConnection(sb), bridge: { name: BRIDGE }, forward: { mode: "nat" }, ips: [{ address: "192.168.170.1", prefix: 24 }], autostart: true };
    const checked = await network.check({}, args);
    expect(checked.failures).toEqual([]);
    await expect(network.create(checked.inputs)).rejects.toThrow(new RegExp(`autostart needs systemd as the init system, and ${sb.host.replaceAll(".", "\\.")}\\S* does not run it \\(/run/systemd/system is missing\\); set autostart: false`));
    expect(sb.execInNamespace(["ip", "-j", "link", "show"])).not.toContain(BRIDGE);
    expect(existsSync(bootScriptPath(BRIDGE))).toBe(false);
    const plain = await network.check({}, { ...args, autostart: false });
    const created = await network.create(plain.inputs);
    expect(created.outs.autostart).toBe(false);
    expect(created.outs.autostartDrift).toBeUndefined();
    await network.delete(created.id, created.outs);
  });
});
