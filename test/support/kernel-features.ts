// Test support: what the sandbox host's kernel has, found independently of virtnet's own probes, so that a test
// expecting a kernel-dependent result (a substitution, a fallback) asserts the branch that applies to the kernel it
// runs on, a stock Debian kernel as much as one built without these options.
import type { Sandbox } from "./sandbox";

/** Whether `path` exists as the sandbox namespace sees it (`ip netns exec` mounts the namespace's own /sys). */
function existsInNamespace(sb: Sandbox, path: string): boolean {
  return sb.execInNamespace(["sh", "-c", 'if [ -e "$1" ]; then echo yes; else echo no; fi', "sh", path]).trim() === "yes";
}

/**
 * Whether the kernel has bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), read from an existing bridge's sysfs
 * attribute: netlink reports vlan_filtering 0 even without it (docs/architecture.md §7).
 */
export function hasBridgeVlanFiltering(sb: Sandbox, bridge: string): boolean {
  if (!existsInNamespace(sb, `/sys/class/net/${bridge}/bridge`)) throw new Error(`hasBridgeVlanFiltering: ${bridge} is not a bridge in ${sb.namespace}`);
  return existsInNamespace(sb, `/sys/class/net/${bridge}/bridge/vlan_filtering`);
}
