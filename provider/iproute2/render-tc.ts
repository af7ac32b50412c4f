// Renders traffic-control operations to tc argv, reproducing libvirt's command lines to the character
// (docs/libvirt-behaviour.md §5.2–§5.6; the golden files in test/unit/golden hold them).
import type { TcOperation } from "../net/operation";
import { floorIds, type FilterSpec, type HtbClassSpec, type QdiscSpec } from "../net/tc";
import type { RenderedCommand } from "./rendered-command";

const kbps = (n: number): string => `${n}kbps`;
const tc = (...argv: string[]): RenderedCommand => ({ argv: ["tc", ...argv] });
/** libvirt ignores the exit status of every tc delete (docs/libvirt-behaviour.md §5.1). */
const tcDel = (...argv: string[]): RenderedCommand => ({ argv: ["tc", ...argv], bestEffort: true });

function qdiscAdd(dev: string, q: QdiscSpec): RenderedCommand {
  switch (q.kind) {
    case "htb":
      return tc("qdisc", "add", "dev", dev, "root", "handle", q.handle, "htb", "default", q.defaultClass);
    case "sfq":
      return tc("qdisc", "add", "dev", dev, "parent", q.parent, "handle", q.handle, "sfq", "perturb", "10");
    case "pfifo":
      return tc("qdisc", "add", "dev", dev, "parent", q.parent, "handle", q.handle, "pfifo");
    case "ingress":
      return tc("qdisc", "add", "dev", dev, "ingress");
  }
}

function classParams(c: HtbClassSpec): string[] {
  return [
    "htb", "rate", kbps(c.rateKbps),
    ...(c.ceilKbps !== undefined ? ["ceil", kbps(c.ceilKbps)] : []),
    ...(c.burstKb !== undefined ? ["burst", `${c.burstKb}kb`] : []),
    "quantum", String(c.quantum),
  ];
}

function filterAdd(dev: string, f: FilterSpec): RenderedCommand {
  switch (f.kind) {
    case "fw":
      return tc("filter", "add", "dev", dev, "parent", "1:0", "protocol", "all", "prio", "1", "handle", "1", "fw", "flowid", "1");
    case "police":
      return tc("filter", "add", "dev", dev, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0", "police", "rate", kbps(f.rateKbps), "burst", `${f.burstKb}kb`, "mtu", "64kb", "drop", "flowid", ":1");
    case "redirect":
      return tc("filter", "add", "dev", dev, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", f.to);
    case "floorMac": {
      // The guest MAC is the Ethernet destination, at -14..-9 from the IP header; IPv4 only, as libvirt.
      const hex = f.mac.replace(/:/g, "");
      const { classId, filterHandle } = floorIds(f.id);
      return tc(
        "filter", "add", "dev", dev, "protocol", "ip", "prio", "2", "handle", filterHandle, "u32",
        "match", "u16", "0x0800", "0xffff", "at", "-2",
        "match", "u32", `0x${hex.slice(4)}`, "0xffffffff", "at", "-12",
        "match", "u16", `0x${hex.slice(0, 4)}`, "0xffff", "at", "-14",
        "flowid", classId,
      );
    }
  }
}

export function renderTcOperation(o: TcOperation): RenderedCommand {
  switch (o.op) {
    case "qdiscAdd":
      return qdiscAdd(o.dev, o.qdisc);
    case "qdiscDel":
      if (typeof o.target === "string") return tcDel("qdisc", "del", "dev", o.dev, o.target);
      return tcDel("qdisc", "del", "dev", o.dev, ...(o.target.parent ? ["parent", o.target.parent] : []), "handle", o.target.handle);
    case "classAdd":
      return tc("class", "add", "dev", o.dev, "parent", o.cls.parent, "classid", o.cls.classId, ...classParams(o.cls));
    case "classChange":
      return tc("class", "change", "dev", o.dev, "classid", o.cls.classId, ...classParams(o.cls));
    case "classDel":
      return tcDel("class", "del", "dev", o.dev, "classid", o.classId);
    case "filterAdd":
      return filterAdd(o.dev, o.filter);
    case "filterDelFloor":
      // By its exact handle and prio: deleting the 800:: hash table itself is refused by kernels since 4.20.
      return tcDel("filter", "del", "dev", o.dev, "prio", "2", "handle", floorIds(o.id).filterHandle, "u32");
  }
}
