// A unicast MAC as libvirt accepts it, in one canonical lower-case form: the one place that parses users' MACs.
import { z } from "zod";
import { isMulticastMac, parseMac } from "../net/mac";
import { shown } from "./shown";

/** libvirt's two messages differ between a network's <mac> and a guest's (docs/libvirt-behaviour.md §1.3, §4.3). */
export function unicastMacSchema(owner: "bridge" | "guest") {
  return z.string().transform((text, ctx) => {
    const mac = parseMac(text);
    if (mac === undefined) {
      ctx.addIssue({ code: "custom", message: `Invalid ${owner} mac address ${shown(text)}: expected six hex octets such as 52:54:00:12:34:56` });
      return z.NEVER;
    }
    // The kernel refuses the all-zero address for an interface (EADDRNOTAVAIL).
    if (mac === "00:00:00:00:00:00") {
      ctx.addIssue({ code: "custom", message: `Invalid ${owner} mac address '${text}': the all-zero address cannot be an interface's` });
      return z.NEVER;
    }
    if (isMulticastMac(mac)) {
      const message = owner === "bridge" ? `Invalid multicast bridge mac address '${text}': the low bit of the first octet must be 0` : `expected unicast mac address, found multicast '${text}'`;
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    return mac;
  });
}

/** A MAC left out is generated once (52:54:00:xx:xx:xx) and then kept from the previous inputs, as libvirt saves it. */
export function keptMac(olds: Record<string, unknown>, generate: () => string): string {
  const previous = typeof olds.mac === "string" ? parseMac(olds.mac) : undefined;
  return previous ?? generate();
}
