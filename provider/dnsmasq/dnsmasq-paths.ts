// Where a network's dnsmasq keeps its files on a host (docs/libvirt-behaviour.md §10.4). libvirt keys them by
// network name under /var/lib/libvirt/dnsmasq; virtnet keys them by bridge under its own directories, because a
// bridge name is unique on a host and safe in a path, while a libvirt name may hold any character and two
// stacks may both call a network "default".

/** The files of one network's dnsmasq. */
export interface DnsmasqPaths {
  /** The configuration file given to `--conf-file`. */
  conf: string;
  /** Written by dnsmasq itself once it has daemonized. */
  pidFile: string;
  /** Static DHCP reservations, re-read on SIGHUP. */
  hostsfile: string;
  /** DNS host records, re-read on SIGHUP. */
  addnhosts: string;
  /** dnsmasq's own lease database (`--dhcp-leasefile`). */
  leases: string;
  /** One file per DhcpHost resource (`--dhcp-hostsdir`), so that no two resources ever write the same file. */
  hostsDir: string;
}

export const DNSMASQ_STATE_DIR = "/var/lib/virtnet/dnsmasq";
export const DNSMASQ_RUN_DIR = "/run/virtnet/dnsmasq";

/**
 * Shell test: pid `$p` is the dnsmasq of bridge `$b` (state directory `$d`), known by the `--conf-file=` virtnet starts
 * it with, so that a pid file left behind and a pid reused since are never taken for it.
 */
export const OWNS_PID = `[ -n "$p" ] && tr '\\0' '\\n' < "/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "--conf-file=$d/$b.conf"`;

/** The paths for the network on `bridge`. */
export function dnsmasqPaths(bridge: string): DnsmasqPaths {
  return {
    conf: `${DNSMASQ_STATE_DIR}/${bridge}.conf`,
    pidFile: `${DNSMASQ_RUN_DIR}/${bridge}.pid`,
    hostsfile: `${DNSMASQ_STATE_DIR}/${bridge}.hostsfile`,
    addnhosts: `${DNSMASQ_STATE_DIR}/${bridge}.addnhosts`,
    leases: `${DNSMASQ_STATE_DIR}/${bridge}.leases`,
    hostsDir: `${DNSMASQ_STATE_DIR}/${bridge}.hosts.d`,
  };
}
