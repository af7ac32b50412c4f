// The one systemd template unit of virtnet's autostart (docs/libvirt-behaviour.md §11.2). Its instance for a bridge
// runs the network's boot script once at boot, before the services that start VMs and after the firewall, and again
// (the firewall part only) whenever nftables.service reloads, which flushes the ruleset.
import { AUTOSTART_DIR } from "./autostart-paths";
import { DNSMASQ_RUN_DIR, DNSMASQ_STATE_DIR } from "../dnsmasq/dnsmasq-paths";

export const UNIT_TEXT = `# virtnet-net@.service: converges a virtnet network at boot (written by virtnet; changes are overwritten)
[Unit]
Description=virtnet network %i
After=local-fs.target systemd-sysctl.service nftables.service firewalld.service
Before=network.target libvirtd.service virtqemud.service
PartOf=nftables.service
ReloadPropagatedFrom=nftables.service
ConditionPathExists=${AUTOSTART_DIR}/%i.sh

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh ${AUTOSTART_DIR}/%i.sh start
ExecReload=/bin/sh ${AUTOSTART_DIR}/%i.sh firewall
# Nothing it leaves running is killed when it stops or restarts (an nftables restart restarts it).
KillMode=process

[Install]
WantedBy=multi-user.target
`;

/**
 * The template unit of a network's dnsmasq with autostart (docs/libvirt-behaviour.md §11.2): libvirt's daemonizing
 * command line, after the network's unit; its reload is dnsmasq's SIGHUP. Not PartOf the network's unit, so an
 * nftables restart never cuts DHCP.
 */
export const DNSMASQ_UNIT_TEXT = `# virtnet-dnsmasq@.service: a virtnet network's dnsmasq (written by virtnet; changes are overwritten)
[Unit]
Description=virtnet dnsmasq for network %i
After=virtnet-net@%i.service
ConditionPathExists=${DNSMASQ_STATE_DIR}/%i.conf

[Service]
Type=forking
PIDFile=${DNSMASQ_RUN_DIR}/%i.pid
ExecStartPre=/bin/mkdir -p ${DNSMASQ_RUN_DIR} ${DNSMASQ_STATE_DIR}/%i.hosts.d
ExecStart=dnsmasq --conf-file=${DNSMASQ_STATE_DIR}/%i.conf --dhcp-leasefile=${DNSMASQ_STATE_DIR}/%i.leases --dhcp-hostsdir=${DNSMASQ_STATE_DIR}/%i.hosts.d
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure

[Install]
WantedBy=multi-user.target
`;
