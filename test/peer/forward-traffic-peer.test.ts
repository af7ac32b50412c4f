// The same NAT and routed networks through real libvirt (its iptables backend) and through virtnet (libvirt 11's
// nftables rules), each host with a guest on the bridge and a WAN beyond it: the same TCP verdicts both ways.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { network } from "../../provider";
import { closeAllHosts } from "../../provider/host/host-pool";
import { LibvirtPeer } from "../support/libvirt-peer";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { sandboxConnection } from "../support/network-args";
import { addGuest, addWan, removeAttached, tcpCheck, type Endpoint, type RigHost } from "../support/forward-rig";

const BRIDGE = "vnpeer0";
let peer: LibvirtPeer;
let sb: Sandbox;
let peerHost: RigHost;
const wans = new Map<RigHost, Endpoint>();

beforeAll(async () => {
  [peer, sb] = await Promise.all([LibvirtPeer.start(), createSandbox()]);
  peerHost = { namespace: peer.namespace, execInNamespace: (argv) => peer.exec(argv) };
  for (const host of [peerHost, sb]) {
    const rig = addWan(host);
    rig.routeBack("192.168.124.0/24");
    wans.set(host, rig.wan);
  }
}, 120_000);
afterAll(async () => {
  closeAllHosts();
  if (peerHost) removeAttached(peerHost);
  await Promise.all([peer?.stop(), sb?.destroy()]);
});

/** Both directions' verdicts through `host`'s bridge: what the WAN saw of the guest, and the guest of the WAN. */
async function verdicts(host: RigHost, id: string): Promise<{ out: string; in: string }> {
  const guest = addGuest(host, id, BRIDGE, "192.168.124.10/24", "192.168.124.1");
  try {
    const wan = wans.get(host)!;
    return { out: await tcpCheck(guest, wan), in: await tcpCheck(wan, guest) };
  } finally {
    spawnSync("ip", ["netns", "del", guest.ns]);
  }
}

const EXPECTED = {
  nat: { out: /^seen 203\.0\.113\.1$/, in: /^(refused|timeout|unreachable)$/ },
  route: { out: /^seen 192\.168\.124\.10$/, in: /^seen 203\.0\.113\.2$/ },
};

describe("libvirt and virtnet let the same traffic through", () => {
  for (const mode of ["nat", "route"] as const) {
    it(`${mode}: the same verdicts from a guest to the WAN and back`, async () => {
      const name = `peer${mode}`;
      const xml = `<network><name>${name}</name><forward mode='${mode}'/><bridge name='${BRIDGE}' stp='off'/><dns enable='no'/><ip address='192.168.124.1' netmask='255.255.255.0'/></network>`;
      const started = peer.defineAndStart(xml, name);
      const checked = await network.check({}, { connection: sandboxConnection(sb), bridge: { name: BRIDGE, stp: false }, ips: [{ address: "192.168.124.1", prefix: 24 }], forward: { mode } });
      expect(checked.failures).toEqual([]);
      const created = await network.create(checked.inputs);
      try {
        expect(started).toMatchObject({ ok: true });
        const [libvirt, virtnet] = [await verdicts(peerHost, `g${mode}`), await verdicts(sb, `g${mode}`)];
        console.log(`${mode}: libvirt ${JSON.stringify(libvirt)}, virtnet ${JSON.stringify(virtnet)}`);
        expect(libvirt).toEqual({ out: expect.stringMatching(EXPECTED[mode].out), in: expect.stringMatching(EXPECTED[mode].in) });
        expect(virtnet).toEqual(libvirt);
      } finally {
        peer.virsh("net-destroy", name);
        peer.virsh("net-undefine", name);
        await network.delete(created.id, created.outs);
      }
    }, 60_000);
  }
});
