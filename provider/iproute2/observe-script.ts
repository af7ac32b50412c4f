// The one script that observes a host's network state (addresses, routes, virtnet's fdb entries and tc), in one exec
// and a constant number of iproute2 processes per section, and the read-backs of some of its sections that follow an
// apply; host/snapshot.ts parses them.
import { OWNER_ALIAS } from "../net/owner-alias";
import { VIRTNET_TABLE } from "../nftables/virtnet-table";
import { DNSMASQ_OBSERVE_SCRIPT } from "../dnsmasq/observe-dnsmasq";
import { AUTOSTART_OBSERVE_SCRIPT } from "../systemd/observe-autostart";
import { SSH_ACCESS_SCRIPT } from "./parse-ssh-access";
import { quoteArg } from "../exec/quote";
import type { ReadBack } from "../net/read-back";

export const SNAPSHOT_SECTION = "@@virtnet-snapshot";
const SECTION = SNAPSHOT_SECTION;

/**
 * Classes and filters of the devices in `$ds`, all through one `tc -force -batch`. tc prints no device names, so each
 * device's queries follow one that must fail (no device can have a '/' in its name): its "Command failed -:N" line,
 * in order on the merged output (tc flushes stdout per command), becomes the device's header; other error text, which
 * always starts upper-case while class and filter listings never do, is dropped.
 */
const CLASSES_OF_DS = `if [ -n "$ds" ]; then for d in $ds; do printf 'class show dev virtnet/none\\nclass show dev %s\\nfilter show dev %s\\nfilter show dev %s parent ffff:\\n' "$d" "$d" "$d"; done | tc -d -force -batch - 2>&1 | awk -v ds="$ds" 'BEGIN { split(ds, d, " ") } /^Command failed -:[0-9]+$/ { k = substr($0, 18) + 0; if (k % 4 == 1) printf "@@dev %s\\n", d[(k + 3) / 4]; next } /^[A-Z]/ { next } { print }'; fi`;

/**
 * The classes and filters of virtnet's devices that shape (HTB or ingress); with `only`, of those among them (a
 * read-back). The shaped devices and their aliases come from one awk: a shell loop reading each alias cost 10 ms at
 * 200 devices.
 */
function shapedDevicesTc(only?: ReadonlySet<string>): string[] {
  const among = only ? ` && index(only, " " $5 " ")` : "";
  const onlyVar = only ? ` -v only=${quoteArg(` ${[...only].join(" ")} `)}` : "";
  return [
    `printf '\\n%s\\n' '${SECTION} tc'; ds=$(tc qdisc show | awk -v ORS=' '${onlyVar} '($2 == "htb" || $2 == "ingress")${among} && !seen[$5]++ { f = "/sys/class/net/" $5 "/ifalias"; a = ""; if ((getline a < f) > 0 && (a == "${OWNER_ALIAS}" || index(a, "${OWNER_ALIAS}:") == 1)) print $5; close(f) }')`,
    CLASSES_OF_DS,
  ];
}

/** The host's one qdisc listing, which the shaped devices' lines read again for their names. */
const QDISC = `printf '\\n%s\\n' '${SECTION} qdisc'; tc -j qdisc show`;
const ROUTES = [
  `printf '\\n%s\\n' '${SECTION} route4'; ip -j -d -4 route show table main`,
  `printf '\\n%s\\n' '${SECTION} route6'; ip -j -d -6 route show table main 2>/dev/null || echo '[]'`,
];

/**
 * The whole observation: what plans start from, and the read-back of an apply that changes more than tc and routes
 * (in the same exec). Netlink reports vlan_filtering 0 even on kernels without CONFIG_BRIDGE_VLAN_FILTERING, so
 * support is read from sysfs (docs/architecture.md §4).
 *
 * Three groups of sections (SNAPSHOT_GROUPS) run at once, as the stages of one pipeline (`concurrently`): the
 * shaped devices' classes and filters (the longest part on a host with a hundred guests); routes, fdb and nftables;
 * everything else. At the bench stack's size that is about 44 ms instead of 60, with no temporary file. The parser
 * finds each section by its header, in whatever order they come (docs/architecture.md §5).
 */
export const SNAPSHOT_GROUPS: readonly (readonly string[])[] = [
  shapedDevicesTc(),
  [
    ...ROUTES,
    // Only the static fdb entries (added ones, as libvirt's "master temp"), in one process: a busy host's learned
    // table stays out, and the snapshot keeps those of virtnet's ports.
    `printf '\\n%s\\n' '${SECTION} fdb'; bridge -j fdb show state static`,
    // virtnet's nftables table of each family (docs/libvirt-behaviour.md §9.5): "none" when the host has no nft, {} when
    // a family's table is absent; every table's chains, for the host firewall's warnings.
    `printf '\\n%s\\n' '${SECTION} nft'; if command -v nft >/dev/null 2>&1; then for f in ip ip6; do printf '@@family %s\\n' "$f"; nft -j list table "$f" ${VIRTNET_TABLE} 2>/dev/null || echo '{}'; done; printf '@@chains\\n'; nft -j list chains 2>/dev/null || echo '{}'; else echo none; fi`,
  ],
  [
    `printf '%s\\n' '${SECTION} addr'; ip -j -d addr show`,
    QDISC,
    // Host-wide forwarding, which the forward modes turn on.
    `printf '\\n%s\\n' '${SECTION} forwarding'; cat /proc/sys/net/ipv4/ip_forward 2>/dev/null || echo 0; cat /proc/sys/net/ipv6/conf/all/forwarding 2>/dev/null || echo 0`,
    // libvirt's check before IPv6 forwarding (docs/libvirt-behaviour.md §9.7): the interfaces holding kernel-
    // autoconfigured routes (RTF_ADDRCONF, 0x40000), each with its accept_ra, after all/accept_ra.
    // The flags are 8 hex digits: RTF_ADDRCONF is bit 2 of the 4th. One awk, not a shell loop over the table, which on
    // a host with a hundred taps holds hundreds of link-local and multicast routes.
    `printf '\\n%s\\n' '${SECTION} ra'; if [ -r /proc/net/ipv6_route ]; then cat /proc/sys/net/ipv6/conf/all/accept_ra 2>/dev/null || echo 1; for d in $(awk 'substr($9, 4, 1) ~ /[4-7c-f]/ { print $10 }' /proc/net/ipv6_route | sort -u); do printf '%s %s\\n' "$d" "$(cat "/proc/sys/net/ipv6/conf/$d/accept_ra" 2>/dev/null || echo 1)"; done; else echo unreadable; fi`,
    // virtnet's dnsmasq instances, their files, leases and reservations (docs/libvirt-behaviour.md §10.4).
    `printf '\\n%s\\n' '${SECTION} dnsmasq'`,
    DNSMASQ_OBSERVE_SCRIPT,
    // How this connection reaches the host, for safe apply (docs/architecture.md §3.9).
    `printf '\\n%s\\n' '${SECTION} ssh'`,
    SSH_ACCESS_SCRIPT,
    // virtnet's autostart: the init system, the boot scripts and units, and which instances are enabled.
    `printf '\\n%s\\n' '${SECTION} autostart'`,
    AUTOSTART_OBSERVE_SCRIPT,
    `printf '\\n%s\\n' '${SECTION} vlan-filtering'; for f in /sys/class/net/*/bridge/vlan_filtering; do [ -e "$f" ] || continue; d=\${f%/bridge/vlan_filtering}; echo "\${d##*/}"; done`,
  ],
];

export const SNAPSHOT_SCRIPT = concurrently(SNAPSHOT_GROUPS);

/** The header of a read-back: then a line of the devices whose tc it read, and one of those whose classes it read. */
export const READ_BACK_SECTION = "read-back";
/** The section of a read-back's classes and filters of devices whose qdiscs it did not read. */
export const CLASSES_SECTION = "tc-classes";

/**
 * What an apply reads back (net/read-back.ts): the whole observation, or only the sections its operations can
 * change, headed by the devices it covers, so that a device that no longer shapes is known to have no tc.
 */
export function renderReadBack(back: ReadBack): string {
  if (back.all) return SNAPSHOT_SCRIPT;
  const classOnly = [...back.classDevices].filter((d) => !back.tcDevices.has(d));
  const classList = quoteArg(classOnly.join(" "));
  const header = `printf '\\n%s\\n%s\\n%s\\n' '${SECTION} ${READ_BACK_SECTION}' ${quoteArg([...back.tcDevices].join(" "))} ${classList}`;
  const groups: string[][] = [];
  if (back.tcDevices.size > 0) groups.push(shapedDevicesTc(back.tcDevices));
  if (classOnly.length > 0) groups.push([`printf '\\n%s\\n' '${SECTION} ${CLASSES_SECTION}'; ds=${classList}`, CLASSES_OF_DS]);
  const last = [header, ...(back.tcDevices.size > 0 ? [QDISC] : []), ...(back.routes ? ROUTES : [])];
  // The header alone is one printf: it follows the stage before it instead of being a stage of its own (two forks
  // and a cat fewer in every exec of rate changes, docs/architecture.md §5).
  if (last.length === 1 && groups.length > 0) groups[groups.length - 1].push(header);
  else groups.push(last);
  return concurrently(groups);
}

/**
 * Shell running each group of lines at once, each as a stage of one pipeline: a stage prints its own output, then
 * passes on, through `cat`, that of the stage before it, which the pipe holds (or makes wait) until then. The
 * output of the last group comes first, and the script's status is that of the last `cat`.
 */
function concurrently(groups: readonly (readonly string[])[]): string {
  const [first, ...others] = groups;
  const own = first!.join("\n");
  return others.length === 0 ? own : `{\n${own}\n} | {\n${concurrently(others)}\ncat; }`;
}
