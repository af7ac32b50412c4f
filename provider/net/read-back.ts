// What an apply reads back after it runs (docs/architecture.md §5, "Read back what changed"): the parts of the host's
// state its operations can change, so that a wave re-reads its own devices' traffic control, not every device's.
// Pure; the observation script renders a read-back (iproute2/observe-script.ts) and the snapshot patches it in.
import { isTcOperation, type Operation } from "./operation";

/**
 * The whole observation (`all`), or only some parts of it: main-table routes (`routes`), the traffic control of
 * `tcDevices` (with the host's qdisc listing), and the classes and filters of `classDevices` (whose qdiscs no
 * operation changed). Every other part of the host's state is not read and keeps its last observation.
 */
export interface ReadBack {
  all: boolean;
  routes: boolean;
  tcDevices: Set<string>;
  classDevices: Set<string>;
}

/** The whole observation: what a plan starts from, and what an apply that is not only tc and routes reads back. */
export function readAll(): ReadBack {
  return { all: true, routes: true, tcDevices: new Set(), classDevices: new Set() };
}

/**
 * What `ops` can change. A qdisc operation changes its device's traffic control; a class or filter operation only
 * the device's classes and filters (whether it shapes at all is its qdiscs'); a route operation the main table only.
 * Anything else (links, addresses, ports, the firewall, files, sysctls, dnsmasq) reads back everything: its effects
 * reach further (a deleted link takes its routes, addresses and tc with it).
 */
export function readBackOf(ops: readonly Operation[]): ReadBack {
  const back: ReadBack = { all: false, routes: false, tcDevices: new Set(), classDevices: new Set() };
  for (const o of ops) {
    if (o.op === "qdiscAdd" || o.op === "qdiscDel") back.tcDevices.add(o.dev);
    else if (isTcOperation(o)) back.classDevices.add(o.dev);
    else if (o.op === "routeAdd" || o.op === "routeDel" || o.op === "routeReplace") back.routes = true;
    else return readAll();
  }
  return back;
}

/**
 * Widens `into` to cover `more` as well: an exec reads back once for all of its applies. In place, so that a wave's
 * read-back costs O(its operations), however many applies it has.
 */
export function widenReadBack(into: ReadBack, more: ReadBack): void {
  into.all ||= more.all;
  into.routes ||= more.routes;
  for (const d of more.tcDevices) into.tcDevices.add(d);
  for (const d of more.classDevices) into.classDevices.add(d);
}
