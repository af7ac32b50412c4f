// Renders operations to argv: the only place that knows iproute2's syntax (docs/architecture.md §3.2), reproducing
// libvirt's command forms (docs/libvirt-behaviour.md §6.2) and virtnet's route form (docs/architecture.md §4).
import { quoteArg } from "../exec/quote";
import { broadcastAddress } from "../net/ip-address";
import { isTcOperation, type Operation } from "../net/operation";
import { ROUTE_PROTOCOL } from "../net/owner-alias";
import { renderFileOperation } from "./render-file";
import { renderFirewallReplace } from "../nftables/render-firewall-replace";
import { renderDnsmasqOperation } from "../dnsmasq/render-dnsmasq-operation";
import { renderUnitOperation } from "../systemd/render-unit-operation";
import type { RenderedCommand } from "./rendered-command";
import { renderTcOperation } from "./render-tc";

export type { RenderedCommand } from "./rendered-command";

const BATCH_TOOLS = new Set(["ip", "tc", "bridge"]);

/** One operation as a line of its tool's `-batch` input. */
export interface BatchLine {
  tool: string;
  line: string;
  /**
   * A best-effort line (a tc delete, docs/libvirt-behaviour.md §5.1): it goes in a batch of its own kind, run with
   * -force so that a failing line does not stop the rest, and whose failures are ignored as the command's would be.
   */
  bestEffort: boolean;
  /** Consecutive lines with the same key can share one batch: the tool, and whether failures are ignored. */
  key: string;
}

/** An operation that can go through its tool's batch input as a line of it, else undefined. */
export function renderBatchLine(o: Operation): BatchLine | undefined {
  const { argv, requiresPath, bestEffort = false } = renderOperation(o);
  // Batch lines take no options (ip -6 …) and no single quotes.
  if (requiresPath || !BATCH_TOOLS.has(argv[0]) || argv[1]?.startsWith("-")) return undefined;
  if (argv.some((a) => quoteArg(a) !== a)) return undefined;
  return { tool: argv[0], line: argv.slice(1).join(" "), bestEffort, key: bestEffort ? `${argv[0]} -force` : argv[0] };
}

export function renderOperation(o: Operation): RenderedCommand {
  if (isTcOperation(o)) return renderTcOperation(o);
  switch (o.op) {
    case "linkAddBridge":
      // `name` first: a bridge called 'dev', 'type' or 'help' would otherwise be read as a keyword.
      return { argv: ["ip", "link", "add", "name", o.name, "address", o.mac, "type", "bridge"] };
    case "linkDel":
      return { argv: ["ip", "link", "del", "dev", o.name] };
    case "linkSetUp":
      return { argv: ["ip", "link", "set", "dev", o.name, "up"] };
    case "linkSetDown":
      return { argv: ["ip", "link", "set", "dev", o.name, "down"] };
    case "linkSetMtu":
      return { argv: ["ip", "link", "set", "dev", o.name, "mtu", String(o.mtu)] };
    case "linkSetAddress":
      return { argv: ["ip", "link", "set", "dev", o.name, "address", o.mac] };
    case "linkSetAlias":
      return { argv: ["ip", "link", "set", "dev", o.name, "alias", o.alias] };
    case "bridgeSetForwardDelay":
      return { argv: ["ip", "link", "set", "dev", o.name, "type", "bridge", "forward_delay", String(o.centiseconds)] };
    case "bridgeSetStp":
      return { argv: ["ip", "link", "set", "dev", o.name, "type", "bridge", "stp_state", o.on ? "1" : "0"] };
    case "bridgeSetVlanFiltering":
      // The attribute only exists with CONFIG_BRIDGE_VLAN_FILTERING (docs/architecture.md §4: capability policy).
      return {
        argv: ["ip", "link", "set", "dev", o.name, "type", "bridge", "vlan_filtering", o.on ? "1" : "0"],
        requiresPath: `/sys/class/net/${o.name}/bridge/vlan_filtering`,
      };
    case "ipv6Sysctl":
      // libvirt skips all three writes when IPv6 is disabled on the host (docs/libvirt-behaviour.md §6.2 step 7).
      return {
        argv: ["sysctl", "-q", "-w", `net/ipv6/conf/${o.name}/${o.key}=${o.value}`],
        requiresPath: `/proc/sys/net/ipv6/conf/${o.name}`,
      };
    case "addrAdd":
    case "addrDel": {
      const verb = o.op === "addrAdd" ? "add" : "del";
      const cidr = `${o.address}/${o.prefix}`;
      return o.family === "ipv4"
        ? { argv: ["ip", "addr", verb, cidr, "broadcast", broadcastAddress(o.address, o.prefix), "dev", o.name] }
        : { argv: ["ip", "-6", "addr", verb, cidr, "dev", o.name] };
    }
    case "fileWrite":
    case "fileRemove":
      return renderFileOperation(o);
    case "firewallReplace":
      return renderFirewallReplace(o);
    case "dnsmasqStart":
    case "dnsmasqStop":
    case "dnsmasqReload":
    case "dhcpHostSet":
      return renderDnsmasqOperation(o);
    case "unitEnable":
      return renderUnitOperation(o);
    case "forwardingSysctl":
      return { argv: ["sysctl", "-q", "-w", o.family === "ipv4" ? `net/ipv4/ip_forward=${o.value}` : `net/ipv6/conf/all/forwarding=${o.value}`] };
    case "ifbAdd":
      return { argv: ["ip", "link", "add", "name", o.name, "type", "ifb"] };
    case "tapAdd":
      // A persistent tap (docs/libvirt-behaviour.md §4.1): QEMU's taps live as long as its fd; virtnet's outlive the exec.
      return { argv: ["ip", "tuntap", "add", "dev", o.name, "mode", "tap"] };
    case "tapDel":
      return { argv: ["ip", "tuntap", "del", "dev", o.name, "mode", "tap"] };
    case "linkSetMaster":
      return { argv: ["ip", "link", "set", "dev", o.name, "master", o.master] };
    case "bridgePortSet":
      return { argv: ["bridge", "link", "set", "dev", o.name, o.setting, o.on ? "on" : "off"] };
    case "fdbAdd":
    case "fdbDel":
      // libvirt's MASTER|TEMP entry for the guest's MAC (docs/libvirt-behaviour.md §3.1).
      return { argv: ["bridge", "fdb", o.op === "fdbAdd" ? "add" : "del", o.mac, "dev", o.name, "master", "temp"] };
    case "routeAdd":
    case "routeReplace":
    case "routeDel": {
      // docs/architecture.md §4: virtnet's own route protocol marks its routes; the metric is always given (default 1, docs/libvirt-behaviour.md §2.2).
      const verb = o.op === "routeAdd" ? "add" : o.op === "routeReplace" ? "replace" : "del";
      const dst = o.prefix === 0 ? "default" : `${o.address}/${o.prefix}`;
      const family = o.family === "ipv6" ? ["-6"] : [];
      // A replace may put back a route that was not virtnet's (the undo of an adoption) with the protocol it had.
      const protocol = o.op === "routeReplace" && o.protocol !== undefined ? o.protocol : String(ROUTE_PROTOCOL);
      return { argv: ["ip", ...family, "route", verb, dst, "via", o.gateway, "dev", o.name, "proto", protocol, "metric", String(o.metric)] };
    }
  }
}
