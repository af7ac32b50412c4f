// Renders a firewallReplace operation: one network's rules in virtnet's table made exactly the planned ones, in one
// atomic `nft -f` batch (docs/libvirt-behaviour.md §9.4). The network's current rules are found when the batch runs,
// from `nft -a list table`: filter-chain rules naming the bridge by iif/oif, nat rules whose source is one of its
// subnets, and rules naming a deleted interface by number (stale). So neither the operation nor its inverse needs a
// handle, and a jump is added only where the forward chain lacks it.
import type { Operation } from "../net/operation";
import type { RenderedCommand } from "../iproute2/rendered-command";
import { renderNftBase, renderNftInsert } from "./render-nft";
import { TABLE_CHAINS, VIRTNET_TABLE } from "./virtnet-table";

const FAMILIES = ["ip", "ip6"] as const;
const JUMPED = TABLE_CHAINS.filter((c) => c.jumpFrom !== undefined).map((c) => c.name);

/** $1 bridge, $2 subnets (space-separated CIDRs), $3 the base lines without jumps, $4 the inserts. */
const SCRIPT = `command -v nft >/dev/null 2>&1 || { echo "nft is not installed on $(hostname); virtnet's forward modes need it (Debian/Ubuntu: apt-get install nftables; Fedora/RHEL: dnf install nftables)" >&2; exit 127; }
changes=$(for f in ${FAMILIES.join(" ")}; do nft -a list table $f ${VIRTNET_TABLE} 2>/dev/null; done | awk -v br="$1" -v nets=" $2 " '
  $1 == "table" { fam = $2 }
  $1 == "chain" { chain = $2 }
  / # handle [0-9]+$/ {
    if (chain == "forward") { for (i = 1; i < NF; i++) if ($i == "jump") seen[fam, $(i + 1)] = 1; next }
    mine = 0
    if (chain == "guest_nat") { for (i = 1; i < NF; i++) if ($i == "saddr" && index(nets, " " $(i + 1) " ")) mine = 1 }
    else if (index($0, "iif \\"" br "\\"") || index($0, "oif \\"" br "\\"") || $0 ~ /(^|[ \\t])[io]if [0-9]+ /) mine = 1
    if (mine) print "delete rule " fam " ${VIRTNET_TABLE} " chain " handle " $NF
  }
  END {
    split("${FAMILIES.join(" ")}", fs, " "); n = split("${JUMPED.join(" ")}", cs, " ")
    for (k = 1; k <= 2; k++) for (j = 1; j <= n; j++) if (!((fs[k], cs[j]) in seen)) print "insert rule " fs[k] " ${VIRTNET_TABLE} forward counter jump " cs[j]
  }') || exit 1
printf '%s\\n%s\\n%s\\n' "$3" "$changes" "$4" | nft -f -`;

export function renderFirewallReplace(o: Extract<Operation, { op: "firewallReplace" }>): RenderedCommand {
  // Every jump counts as present here: the script adds the missing ones from what it finds.
  const base = FAMILIES.flatMap((f) => renderNftBase(f, JUMPED)).join("\n");
  return { argv: ["sh", "-c", SCRIPT, "virtnet-nft", o.bridge, o.subnets.join(" "), base, o.rules.map(renderNftInsert).join("\n")] };
}
