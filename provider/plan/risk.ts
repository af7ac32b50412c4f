// Which plans can cut the connection virtnet applies them over (docs/architecture.md §3.9): the route back to the SSH
// client, the device those replies leave by, the address the client connects to, and the firewall of a network whose
// subnet holds that address (its masquerade would rewrite the replies). Pure; everything else applies directly.
import { addressFamily, sameNetwork } from "../net/ip-address";
import type { Operation } from "../net/operation";
import type { SshAccess } from "../iproute2/parse-ssh-access";

const within = (address: string, network: string, prefix: number) => addressFamily(address) === addressFamily(network) && sameNetwork(address, network, prefix);

/** Why the plan may cut the connection, naming the change; undefined when it cannot. */
export function riskOf(ops: readonly Operation[], access: SshAccess | undefined): string | undefined {
  if (!access) return undefined;
  const { client, server, dev } = access;
  for (const o of ops) {
    switch (o.op) {
      case "routeAdd":
      case "routeDel":
      case "routeReplace":
        if (within(client, o.address, o.prefix)) return `the route to ${o.address}/${o.prefix}, which covers the SSH client ${client}`;
        if (access.gateway !== undefined && within(access.gateway, o.address, o.prefix) && o.prefix > 0) {
          return `the route to ${o.address}/${o.prefix}, which covers ${access.gateway}, the gateway SSH replies to ${client} go through`;
        }
        break;
      case "addrDel":
        if (o.address === server) return `the removal of ${server}, the address SSH connects to`;
        if (o.name === dev) return `an address change on ${dev}, the device SSH replies to ${client} leave by`;
        break;
      case "firewallReplace": {
        const subnet = o.subnets.find((s) => within(server, s.split("/")[0]!, Number(s.split("/")[1])));
        if (subnet) return `the firewall rules of ${o.bridge}, whose subnet ${subnet} holds ${server}, the address SSH connects to`;
        if (o.bridge === dev) return `the firewall rules of ${dev}, the device SSH replies to ${client} leave by`;
        break;
      }
      case "linkSetMaster":
        if (o.name === dev) return `enslaving ${dev}, the device SSH replies to ${client} leave by, to ${o.master}`;
        break;
      default: {
        // Any other change of the device itself: its MTU, state, addresses, traffic control, deletion.
        const device = "dev" in o ? o.dev : "name" in o ? o.name : undefined;
        if (device !== undefined && device === dev && o.op !== "fdbAdd" && o.op !== "fdbDel" && o.op !== "linkSetAlias") return `a change of ${dev} (${o.op}), the device SSH replies to ${client} leave by`;
      }
    }
  }
  return undefined;
}
