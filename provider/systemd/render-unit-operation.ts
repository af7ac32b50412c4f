// Renders the unit operation: enabling a network's autostart instance (or its dnsmasq's, a hand-over) (after a daemon-reload, so that a unit file
// written in the same script is read) and starting it, so that nftables reloads propagate to it; or stopping and
// disabling it. The unit has no ExecStop: stopping it leaves the live network alone.
import type { Operation } from "../net/operation";
import type { RenderedCommand } from "../iproute2/rendered-command";
import { renderDnsmasqHandover } from "../dnsmasq/render-dnsmasq-operation";
import { dnsmasqUnitBridge } from "./autostart-paths";

export function renderUnitOperation(o: Extract<Operation, { op: "unitEnable" }>): RenderedCommand {
  const bridge = dnsmasqUnitBridge(o.unit);
  if (bridge !== undefined) return renderDnsmasqHandover(bridge, o.on);
  const script = o.on ? 'systemctl daemon-reload && systemctl enable --quiet --now "$1"' : 'systemctl disable --quiet --now "$1"';
  return { argv: ["sh", "-c", script, "virtnet-unit", o.unit] };
}
