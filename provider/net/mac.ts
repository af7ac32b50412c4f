// MAC addresses: parsing and formatting as libvirt does (virMacAddrParse / virMacAddrFormat).
import { randomBytes } from "node:crypto";

/** Parses "52:54:00:AB:cd:1" style addresses (1 or 2 hex digits per octet); returns lowercase "52:54:00:ab:cd:01". */
export function parseMac(text: string): string | undefined {
  const parts = text.split(":");
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return parts.map((p) => p.toLowerCase().padStart(2, "0")).join(":");
}

/** The multicast bit is the low bit of the first octet. */
export function isMulticastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

/** A random address in QEMU/libvirt's 52:54:00 range, as libvirt generates for a network without <mac>. */
export function generateLibvirtMac(random: (n: number) => Buffer = randomBytes): string {
  const tail = [...random(3)].map((b) => b.toString(16).padStart(2, "0"));
  return ["52", "54", "00", ...tail].join(":");
}

/**
 * The host-side tap's MAC for a guest MAC (docs/libvirt-behaviour.md §4.3): first byte 0xFE, or 0xFA when the guest's is already 0xFE,
 * so the tap never equals the guest and the bridge never adopts the tap's (high) address.
 */
export function tapMacFor(guestMac: string): string {
  const first = guestMac.slice(0, 2) === "fe" ? "fa" : "fe";
  return first + guestMac.slice(2);
}
