// What a host has of virtnet's autostart (docs/libvirt-behaviour.md §11): whether systemd is its init, the boot
// scripts, fragments and unit file with their contents, and whether each network's unit instance is enabled. One
// section of the host snapshot; on a host without /etc/virtnet it costs one test.
import { AUTOSTART_DIR, DNSMASQ_UNIT_PATH, UNIT_PATH } from "./autostart-paths";

export interface AutostartObservation {
  /** /run/systemd/system exists: systemd is the init system. */
  systemd: boolean;
  /** Every file of virtnet's autostart, by path. */
  files: ReadonlyMap<string, string>;
  /** `systemctl is-enabled` of each network's instance, by bridge ("enabled", "disabled", …). */
  enabled: ReadonlyMap<string, string>;
  /** Likewise of each network's dnsmasq instance. */
  enabledDnsmasq?: ReadonlyMap<string, string>;
}

export const NO_AUTOSTART: AutostartObservation = { systemd: false, files: new Map(), enabled: new Map(), enabledDnsmasq: new Map() };

export const AUTOSTART_OBSERVE_SCRIPT = [
  `if [ -d /run/systemd/system ]; then echo '@@init systemd'; else echo '@@init other'; fi`,
  `if [ -d ${AUTOSTART_DIR} ]; then for f in ${AUTOSTART_DIR}/*.sh ${AUTOSTART_DIR}/*.d/*.sh ${UNIT_PATH} ${DNSMASQ_UNIT_PATH} /etc/sysctl.d/60-virtnet-*.conf; do [ -f "$f" ] && printf '@@file %s\\n' "$f" && awk '{ print "|" $0 }' "$f"; done`,
  `for f in ${AUTOSTART_DIR}/*.sh; do [ -f "$f" ] || continue; b=\${f##*/}; b=\${b%.sh}; printf '@@enabled %s %s %s\\n' "$b" "$(systemctl is-enabled "virtnet-net@$b.service" 2>/dev/null || true)" "$(systemctl is-enabled "virtnet-dnsmasq@$b.service" 2>/dev/null || true)"; done; fi`,
].join("\n");

export function parseAutostartSection(text: string): AutostartObservation {
  const files = new Map<string, string>();
  const enabled = new Map<string, string>();
  const enabledDnsmasq = new Map<string, string>();
  let systemd = false;
  let current: string | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("|")) {
      if (current !== undefined) files.set(current, files.get(current)! + line.slice(1) + "\n");
      continue;
    }
    current = undefined;
    const [tag, a, b, c] = line.split(" ");
    if (tag === "@@init") systemd = a === "systemd";
    else if (tag === "@@file" && a) files.set((current = a), "");
    else if (tag === "@@enabled" && a) {
      enabled.set(a, b ?? "");
      enabledDnsmasq.set(a, c ?? "");
    }
  }
  return { systemd, files, enabled, enabledDnsmasq };
}
