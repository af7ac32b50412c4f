// The one systemd template unit of virtnet's autostart (docs/libvirt-behaviour.md §11.2). Its instance for a bridge
// runs the network's boot script once at boot, before the services that start VMs and after the firewall, and again
// (the firewall part only) whenever nftables.service reloads, which flushes the ruleset.
import { AUTOSTART_DIR } from "./autostart-paths";

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
# The script starts the network's dnsmasq, which must outlive this unit's stop or restart (an nftables restart
# restarts it): only the main process, long gone for a oneshot, is ever killed.
KillMode=process

[Install]
WantedBy=multi-user.target
`;
