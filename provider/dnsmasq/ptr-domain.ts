// The reverse-lookup zone of a subnet, for `local=/ZONE/` when an ip asks for localPtr (libvirt's
// virSocketAddrPTRDomain, docs/libvirt-behaviour.md §10.2). A zone is made of whole labels, so only a prefix
// of whole bytes (IPv4) or whole nibbles (IPv6) has one.
import * as ipaddr from "ipaddr.js";

/** The zone, e.g. `122.168.192.in-addr.arpa`, or undefined where libvirt cannot make one. */
export function ptrDomain(address: string, prefix: number): string | undefined {
  const parsed = ipaddr.parse(address);
  const bytes = parsed.toByteArray();
  if (parsed.kind() === "ipv4") {
    if (prefix === 0 || prefix >= 32 || prefix % 8 !== 0) return undefined;
    return [...bytes.slice(0, prefix / 8)].reverse().join(".") + ".in-addr.arpa";
  }
  if (prefix === 0 || prefix >= 128 || prefix % 4 !== 0) return undefined;
  const nibbles = bytes.flatMap((b) => [b >> 4, b & 0xf]);
  return nibbles.slice(0, prefix / 4).reverse().map((n) => n.toString(16)).join(".") + ".ip6.arpa";
}

/** libvirt's message when an ip with localPtr has a prefix that gives no zone. */
export function ptrDomainError(address: string, prefix: number): string {
  const family = ipaddr.parse(address).kind() === "ipv4" ? "IPv4" : "IPv6";
  return `PTR domain for ${family} network with prefix ${prefix} cannot be automatically created`;
}
