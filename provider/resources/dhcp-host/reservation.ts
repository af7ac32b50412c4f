// A DhcpHost's file in its network's hosts directory: its name and its one line (docs/libvirt-behaviour.md §10.4).
import { renderHostsfileLine } from "../../dnsmasq/render-hostsfile";
import { normalizeAddress } from "../../net/ip-address";
import type { Known } from "../../known";
import type { DhcpHostInputs } from "./schema";

type Reservation = Pick<Known<DhcpHostInputs>, "mac" | "duid" | "name" | "ip" | "lease">;

/** The file is named by the address, which is the resource's identity (one reservation per address and network). */
export function reservationKey(r: Pick<Known<DhcpHostInputs>, "ip">): string {
  return normalizeAddress(r.ip!);
}

/** The line dnsmasq reads, as libvirt writes a <host> into its hostsfile. */
export function reservationLine(r: Reservation): string {
  return renderHostsfileLine({ mac: r.mac, id: r.duid, name: r.name, ip: r.ip!, lease: r.lease });
}
