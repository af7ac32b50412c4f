// A network with QoS: libvirt's bandwidth-network on the bridge, and guests with guaranteed floors within it.
import type * as pulumi from "@pulumi/pulumi";
import type * as virtnet from "pulumi-virtnet";

export interface QosOptions {
  webFloor?: number;
  webMac?: string;
  networkPeak?: number;
}

export function defineQos(sdk: typeof virtnet, connection: pulumi.Input<virtnet.ConnectionArgs>, o: QosOptions = {}) {
  const net = new sdk.Network("qos", {
    connection,
    bridge: { name: "virbr40", stp: false },
    ips: [{ address: "192.168.140.1", prefix: 24 }],
    // KB/s and KB, as libvirt: guests share 1000 KB/s, may burst to the peak; 2000 KB/s out of them.
    bandwidth: { inbound: { average: 1000, peak: o.networkPeak ?? 2000, burst: 1024 }, outbound: { average: 2000 } },
  });
  const web = new sdk.GuestInterface("web", {
    network: net,
    mac: o.webMac ?? "52:54:00:00:40:01",
    bandwidth: { inbound: { average: 1000, floor: o.webFloor ?? 400 }, outbound: { average: 500 } },
  });
  const db = new sdk.GuestInterface("db", { network: net, mac: "52:54:00:00:40:02", bandwidth: { inbound: { floor: 200 } } });
  return { bridge: net.bridge, webFloorClass: web.floorClassId, dbFloorClass: db.floorClassId, substitutions: net.substitutions };
}
