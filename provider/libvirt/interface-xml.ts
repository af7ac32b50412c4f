// A domain's <interface type='network'|'bridge'> to GuestInterface arguments (docs/libvirt-behaviour.md §4).
import { readBandwidth } from "./network-xml";
import { ElementReader, numberOrText, parseXml } from "./xml";

export interface InterfaceXmlArgs {
  type: "network" | "bridge";
  /** The libvirt network's name (type='network') or the host bridge (type='bridge'). */
  source: string;
  mac?: string;
  name?: string;
  mtu?: number | string;
  bandwidth?: Record<string, unknown>;
}

/**
 * Parses an <interface> element. <model>, <address> and <alias> describe the guest's side of the NIC, which
 * virtnet does not create, and are not needed; anything else virtnet does not implement is listed as an error.
 */
export function interfaceArgsFromXml(xml: string): InterfaceXmlArgs {
  const doc = parseXml(xml);
  if (doc.interface === undefined) throw new Error("the document is not a libvirt <interface>");
  const unsupported: string[] = [];
  const el = new ElementReader(Array.isArray(doc.interface) ? doc.interface[0] : doc.interface, "interface", unsupported);
  const type = el.attr("type");
  if (type !== "network" && type !== "bridge") throw new Error(`<interface type='${type}'> is not supported: virtnet makes taps for type='network' and type='bridge'`);
  const source = el.child("source");
  const sourceName = source?.attr(type);
  source?.finish();
  if (!sourceName) throw new Error(`<interface type='${type}'> needs <source ${type}='…'/>`);
  const out: InterfaceXmlArgs = { type, source: sourceName };
  const mac = el.child("mac");
  if (mac) {
    out.mac = mac.attr("address");
    mac.finish();
  }
  const target = el.child("target");
  if (target) {
    out.name = target.attr("dev");
    target.finish();
  }
  const mtu = el.child("mtu");
  if (mtu) {
    out.mtu = numberOrText(mtu.attr("size"));
    mtu.finish();
  }
  out.bandwidth = readBandwidth(el.child("bandwidth"));
  el.ignore("model", "address", "alias");
  el.finish();
  if (unsupported.length > 0) throw new Error(`libvirt interface uses what virtnet does not implement (yet): ${unsupported.join("; ")}`);
  return out;
}
