// The inverse of every operation, derived from the operation alone (docs/architecture.md §3.2). A rollback runs the
// inverses of the applied operations newest first, each inverse's own operations in their own order.
import type { Operation } from "../net/operation";
import type { QdiscSpec } from "../net/tc";

/** What undoes `o`; empty when `o` carries no previous value (it goes away with the object it was made on). */
export function inverseOf(o: Operation): Operation[] {
  switch (o.op) {
    case "linkAddBridge":
    case "ifbAdd":
      return [{ op: "linkDel", name: o.name }];
    case "tapAdd":
      return [{ op: "tapDel", name: o.name }];
    case "linkDel":
    case "tapDel":
    case "qdiscDel":
      return o.restore ?? [];
    case "linkSetUp":
      return o.from === false ? [{ op: "linkSetDown", name: o.name, from: true }] : [];
    case "linkSetDown":
      return o.from === true ? [{ op: "linkSetUp", name: o.name, from: false }] : [];
    case "linkSetMtu":
      return o.from === undefined ? [] : [{ op: "linkSetMtu", name: o.name, mtu: o.from, from: o.mtu }];
    case "linkSetAddress":
      return o.from === undefined ? [] : [{ op: "linkSetAddress", name: o.name, mac: o.from, from: o.mac }];
    case "linkSetAlias":
      return o.from === undefined ? [] : [{ op: "linkSetAlias", name: o.name, alias: o.from, from: o.alias }];
    case "linkSetMaster":
      return o.from === undefined ? [] : [{ op: "linkSetMaster", name: o.name, master: o.from, from: o.master }];
    case "bridgeSetForwardDelay":
      return o.from === undefined ? [] : [{ op: "bridgeSetForwardDelay", name: o.name, centiseconds: o.from, from: o.centiseconds }];
    case "bridgeSetStp":
    case "bridgeSetVlanFiltering":
      return o.from === undefined ? [] : [{ ...o, on: o.from, from: o.on }];
    case "bridgePortSet":
      return o.from === undefined ? [] : [{ ...o, on: o.from, from: o.on }];
    case "ipv6Sysctl":
      return o.from === undefined ? [] : [{ ...o, value: o.from, from: o.value }];
    case "fdbAdd":
      return [{ op: "fdbDel", name: o.name, mac: o.mac }];
    case "fdbDel":
      return [{ op: "fdbAdd", name: o.name, mac: o.mac }];
    case "addrAdd":
      return [{ ...o, op: "addrDel" }];
    case "addrDel":
      return [{ ...o, op: "addrAdd" }];
    case "routeAdd":
      return [{ ...o, op: "routeDel" }];
    case "routeDel":
      return [{ ...o, op: "routeAdd" }];
    case "routeReplace": {
      if (o.fromGateway === undefined) return [];
      const { fromGateway, fromDev, fromProtocol, protocol, ...route } = o;
      // The route as it was: its gateway, and its device and protocol where the replace changed them.
      return [
        stripAbsent({
          ...route,
          name: fromDev ?? o.name,
          gateway: fromGateway,
          protocol: fromProtocol,
          fromGateway: o.gateway,
          fromDev: fromDev === undefined ? undefined : o.name,
          fromProtocol: protocol,
        }),
      ];
    }
    case "qdiscAdd":
      return [{ op: "qdiscDel", dev: o.dev, target: qdiscTarget(o.qdisc) }];
    case "classAdd":
      return [{ op: "classDel", dev: o.dev, classId: o.cls.classId }];
    case "classChange":
      return o.from === undefined ? [] : [{ op: "classChange", dev: o.dev, cls: o.from, from: o.cls }];
    case "classDel":
      return o.from === undefined ? [] : [{ op: "classAdd", dev: o.dev, cls: o.from }];
    case "filterAdd":
      return o.filter.kind === "floorMac" ? [{ op: "filterDelFloor", dev: o.dev, id: o.filter.id }] : [];
    case "filterDelFloor":
      return o.from === undefined ? [] : [{ op: "filterAdd", dev: o.dev, filter: o.from }];
    case "firewallReplace":
      return o.from === undefined ? [] : [{ ...o, rules: o.from, from: o.rules }];
    case "forwardingSysctl":
      return o.from === undefined || o.from === o.value ? [] : [{ ...o, value: o.from, from: o.value }];
    case "fileWrite":
      if (o.from === undefined) return [];
      return o.from === null
        ? [{ op: "fileRemove", path: o.path, from: { content: o.content, mode: o.mode }, ...(o.prune !== undefined ? { prune: o.prune } : {}) }]
        : [{ op: "fileWrite", path: o.path, content: o.from, mode: o.fromMode ?? o.mode, from: o.content, fromMode: o.mode }];
    case "fileRemove":
      return o.from === undefined ? [] : [{ op: "fileWrite", path: o.path, content: o.from.content, mode: o.from.mode, from: null, ...(o.prune !== undefined ? { prune: o.prune } : {}) }];
    case "dnsmasqStart":
      if (o.from === undefined) return [];
      return o.from === null ? [{ op: "dnsmasqStop", bridge: o.bridge, from: o.files }] : [{ op: "dnsmasqStart", bridge: o.bridge, files: o.from, from: o.files }];
    case "dnsmasqStop":
      return o.from === undefined ? [] : [{ op: "dnsmasqStart", bridge: o.bridge, files: o.from, from: null }];
    case "dnsmasqReload":
      return o.from === undefined ? [] : [{ op: "dnsmasqReload", bridge: o.bridge, ...o.from, from: { hostsfile: o.hostsfile, addnhosts: o.addnhosts } }];
    case "unitEnable":
      return o.from === undefined || o.from === o.on ? [] : [{ ...o, on: o.from, from: o.on }];
    case "dhcpHostSet":
      return o.from === undefined ? [] : [{ ...o, line: o.from, from: o.line }];
  }
}

/** An operation without its absent optional fields, so that inverses compare equal to operations written out. */
function stripAbsent<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Deleting a qdisc by where it sits: the root and ingress by name, a leaf by its handle. */
function qdiscTarget(q: QdiscSpec): "root" | "ingress" | { handle: string; parent: string } {
  if (q.kind === "ingress") return "ingress";
  if (q.kind === "htb") return "root";
  return { parent: q.parent, handle: q.handle };
}

/** The device an operation changes, if it changes one. */
function deviceOf(o: Operation): string | undefined {
  if ("dev" in o) return o.dev;
  if ("name" in o) return o.name;
  return undefined;
}

/**
 * The inverse of each operation of a plan for its rollback. A change to a device the same plan created needs no
 * inverse of its own: deleting the device takes its settings, addresses, routes and qdiscs with it.
 */
export function rollbackInverses(ops: readonly Operation[]): Operation[][] {
  const created = new Set<string>();
  return ops.map((o) => {
    const dev = deviceOf(o);
    if (o.op === "linkAddBridge" || o.op === "tapAdd" || o.op === "ifbAdd") {
      const inverse = inverseOf(o);
      created.add(o.name);
      return inverse;
    }
    return dev !== undefined && created.has(dev) ? [] : inverseOf(o);
  });
}
