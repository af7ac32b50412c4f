// One wave's plans as one sequence of operations, ordered so that consecutive operations share a -batch tool as often as
// possible: 100 guests' plans become a few `ip -batch`, `bridge -batch` and `tc -batch` runs instead of hundreds of
// processes (docs/architecture.md §5). Pure: it only reorders, and only where the order cannot matter.
import { renderBatchLine } from "../iproute2/render-operation";
import { isTcOperation, type Operation } from "../net/operation";

/**
 * What an operation changes: a device's link state (its settings, ports, addresses and routes) or its traffic control,
 * which are independent of each other; undefined for host-wide state (files, dnsmasq, the firewall, sysctls, units),
 * which keeps its place relative to every operation of every other plan. Making or deleting a device changes both.
 */
function changesOf(o: Operation): string[] | undefined {
  if (isTcOperation(o)) return [`tc ${o.dev}`];
  switch (o.op) {
    case "linkAddBridge":
    case "ifbAdd":
    case "tapAdd":
    case "linkDel":
    case "tapDel":
      return [o.name, `tc ${o.name}`];
    case "linkSetMaster":
      // A new port changes its bridge too (the bridge's ports, and its MTU and carrier follow them).
      return o.from ? [o.name, o.master, o.from] : [o.name, o.master];
    case "firewallReplace":
    case "forwardingSysctl":
    case "dnsmasqStart":
    case "dnsmasqStop":
    case "dnsmasqReload":
    case "dhcpHostSet":
    case "unitEnable":
    case "fileWrite":
    case "fileRemove":
      return undefined;
    default:
      return [o.name];
  }
}

interface Step {
  op: Operation;
  tool: string;
  changes: string[] | undefined;
}

/**
 * The operations of `plans`, each plan's in its own order, and any two operations of different plans that change the
 * same thing (or host-wide state) in the order of their plans: the result has the effect of running the plans one
 * after another. Among the orders that keep this, it greedily groups operations of one -batch tool together.
 *
 * Each pass takes, plan by plan, the leading operations of one tool that no earlier plan's remaining operations hold
 * back; the tool is that of the first unfinished plan's next operation, which nothing holds back, so every pass makes
 * progress. A pass costs O(remaining operations) (a set of what earlier plans still change), and the
 * number of passes is about the number of tool changes in the longest plan, not the number of plans.
 */
export function mergePlans(plans: readonly (readonly Operation[])[]): Operation[] {
  const queues: Step[][] = plans.map((ops) => ops.map((op) => ({ op, tool: renderBatchLine(op)?.key ?? "", changes: changesOf(op) })));
  const next = queues.map(() => 0);
  const merged: Operation[] = [];
  const total = queues.reduce((n, q) => n + q.length, 0);
  while (merged.length < total) {
    const first = queues.findIndex((q, i) => next[i] < q.length);
    const tool = queues[first][next[first]].tool;
    // What the plans before the current one still have to change.
    const pending = new Set<string>();
    let hostWidePending = false;
    for (let i = first; i < queues.length; i++) {
      const q = queues[i];
      while (next[i] < q.length) {
        const s = q[next[i]];
        const heldBack = s.changes === undefined ? hostWidePending || pending.size > 0 : hostWidePending || s.changes.some((c) => pending.has(c));
        if (s.tool !== tool || heldBack) break;
        merged.push(s.op);
        next[i]++;
      }
      for (let k = next[i]; k < q.length; k++) {
        const c = q[k].changes;
        if (c === undefined) hostWidePending = true;
        else for (const x of c) pending.add(x);
      }
    }
  }
  return merged;
}
