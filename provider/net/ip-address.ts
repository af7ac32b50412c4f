// IP address arithmetic with libvirt's rules for families and effective prefixes (docs/libvirt-behaviour.md §1.5, §2.1).
import * as ipaddr from "ipaddr.js";

export type IpFamily = "ipv4" | "ipv6";

/** The family of a textual address, or undefined when it is not an address (zone ids are rejected). */
export function addressFamily(text: string): IpFamily | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return "ipv4";
  if (!text.includes("%") && ipaddr.IPv6.isValid(text)) return "ipv6";
  return undefined;
}

/** Canonical text: dotted quad for IPv4, RFC 5952 compressed lowercase for IPv6. */
export function normalizeAddress(text: string): string {
  return ipaddr.parse(text).toString();
}

export function maxPrefix(family: IpFamily): number {
  return family === "ipv4" ? 32 : 128;
}

/** Bit count of a contiguous netmask, or undefined for a non-contiguous one. */
export function netmaskPrefix(netmask: string): number | undefined {
  const bits = ipaddr.parse(netmask).prefixLengthFromSubnetMask();
  return bits === null ? undefined : bits;
}

/**
 * virSocketAddrGetIPPrefix: prefix when > 0, else the netmask's bits, else IPv4's natural class
 * (A /8, B /16, C /24, 0.0.0.0 /0) or IPv6 /64 (:: /0). undefined where libvirt returns -1.
 */
export function effectivePrefix(address: string, prefix?: number, netmask?: string): number | undefined {
  if (prefix !== undefined && prefix > 0) return prefix;
  if (netmask !== undefined) return netmaskPrefix(netmask);
  const parsed = ipaddr.parse(address);
  const wildcard = parsed.toByteArray().every((b) => b === 0);
  if (wildcard) return 0;
  if (parsed.kind() === "ipv6") return 64;
  const first = parsed.toByteArray()[0];
  if ((first & 0x80) === 0) return 8;
  if ((first & 0xc0) === 0x80) return 16;
  if ((first & 0xe0) === 0xc0) return 24;
  return undefined;
}

/**
 * networkAddress's results: each of a wave's route resources compares its destination with every route observed on
 * its bridge, so the same few hundred addresses are parsed tens of thousands of times (bounded, as a host is).
 */
const networkMemo = new Map<string, string>();

/** The address with its host bits cleared. */
export function networkAddress(address: string, prefix: number): string {
  const key = `${address}/${prefix}`;
  let network = networkMemo.get(key);
  if (network === undefined) {
    const bytes = ipaddr.parse(address).toByteArray();
    const masked = bytes.map((b, i) => {
      const bitsInByte = Math.max(0, Math.min(8, prefix - i * 8));
      return b & ((0xff << (8 - bitsInByte)) & 0xff);
    });
    network = ipaddr.fromByteArray(masked).toString();
    if (networkMemo.size >= 8192) networkMemo.clear();
    networkMemo.set(key, network);
  }
  return network;
}

/** IPv4 broadcast: the address with its host bits set (what libvirt sends as IFA_BROADCAST). */
export function broadcastAddress(address: string, prefix: number): string {
  return ipaddr.IPv4.broadcastAddressFromCIDR(`${address}/${prefix}`).toString();
}

/** True when both addresses fall in the same /prefix network. */
export function sameNetwork(a: string, b: string, prefix: number): boolean {
  return networkAddress(a, prefix) === networkAddress(b, prefix);
}
