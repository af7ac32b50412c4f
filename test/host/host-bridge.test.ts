// libvirt's host-bridge network (forward mode 'bridge') on a real kernel: the network only uses a bridge the host
// already has. Creating, reading and deleting it changes nothing on that bridge; guests attach to it with the
// network's macTableManager; a missing bridge is an error saying what to do; moving to a bridge of virtnet's replaces.
import { describe, expect, it } from "vitest";
import { guestInterface, network } from "../../provider";
import { useSandbox } from "../support/use-sandbox";
import { sandboxConnection } from "../support/network-args";

type Props = Record<string, unknown>;
const t = useSandbox();

const args = (name = "brhost0") => ({ connection: sandboxConnection(t.sb), bridge: { name, macTableManager: "libvirt" }, forward: { mode: "bridge" } });

async function checked(check: typeof network.check, news: Props, olds: Props = {}): Promise<Props> {
  const r = await check(olds, news);
  expect(r.failures).toEqual([]);
  return r.inputs;
}

/** The host bridge as the kernel shows it, read independently of virtnet, without its running timers. */
function hostBridge(): unknown {
  const [link] = t.sb.ipJson(["-d", "addr", "show", "dev", "brhost0"]) as Array<{ linkinfo: { info_data: Record<string, unknown> } } & Record<string, unknown>>;
  const settings = Object.fromEntries(Object.entries(link.linkinfo.info_data).filter(([k]) => !k.endsWith("_timer")));
  return { ...link, linkinfo: { ...link.linkinfo, info_data: settings } };
}

describe("a network on a host bridge", () => {
  let net: { id: string; outs: Props };
  let before: unknown;

  it("refuses a bridge that does not exist, saying what to do, and creates nothing", async () => {
    const inputs = await checked(network.check, args("brnone0"));
    await expect(network.create(inputs)).rejects.toThrow(/bridge brnone0 does not exist on .*; forward mode 'bridge' uses an existing host bridge, which virtnet does not create/);
    expect((t.sb.ipJson(["link", "show", "type", "bridge"]) as Array<{ ifname: string }>).map((l) => l.ifname)).not.toContain("brnone0");
  });

  it("records an existing bridge without changing it: no marker, no address, no firewall rule", async () => {
    t.sb.execInNamespace(["ip", "link", "add", "brhost0", "type", "bridge"]);
    t.sb.execInNamespace(["ip", "link", "set", "brhost0", "up"]);
    before = hostBridge();
    net = await network.create(await checked(network.check, args()));
    expect(net.outs).toMatchObject({ bridge: { name: "brhost0" }, forward: { mode: "bridge" }, ips: [], substitutions: [] });
    expect(net.outs.libvirtXml).toMatch(/<forward mode='bridge'\/>/);
    expect(hostBridge()).toEqual(before);
    expect(t.sb.execInNamespace(["sh", "-c", "nft list ruleset 2>/dev/null | grep -c brhost0 || true"]).trim()).toBe("0");
    const read = await network.read(net.id, net.outs);
    expect(await network.diff(net.id, read.props, await checked(network.check, args()))).toMatchObject({ changes: false });
  });

  it("takes guests with the network's macTableManager on their ports", async () => {
    const g = await guestInterface.create(await checked(guestInterface.check, { connection: sandboxConnection(t.sb), bridge: "brhost0", macTableManager: "libvirt", mac: "52:54:00:7b:00:01" }));
    const tap = (t.sb.ipJson(["-d", "link", "show", "dev", g.outs.name as string]) as Array<{ master: string; linkinfo: { info_slave_data: Record<string, unknown> } }>)[0];
    expect(tap.master).toBe("brhost0");
    expect(tap.linkinfo.info_slave_data).toMatchObject({ learning: false, flood: false });
    await guestInterface.delete(g.id, g.outs);
  });

  it("replaces, not updates, when the network moves to a bridge of virtnet's", async () => {
    const news = await checked(network.check, { connection: sandboxConnection(t.sb), bridge: { name: "brhost0" }, ips: [{ address: "10.9.0.1", prefix: 24 }], forward: { mode: "nat" } }, net.outs);
    expect((await network.diff(net.id, net.outs, news)).replaces).toContain("forward");
  });

  it("leaves the bridge on the host when the network is deleted", async () => {
    // Guests came and went (a bridge takes its MAC from its ports): compare with the bridge as it is now.
    before = hostBridge();
    await network.delete(net.id, net.outs);
    expect(hostBridge()).toEqual(before);
  });
});
