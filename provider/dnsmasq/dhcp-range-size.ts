// How many addresses a DHCP range holds, counted as libvirt counts them for `dhcp-lease-max`
// (virSocketAddrGetRange, docs/libvirt-behaviour.md §10.2). For IPv6 libvirt only looks at the last 16-bit
// group, so a range may differ from its start only there.
import * as ipaddr from "ipaddr.js";

/** The number of addresses from `start` to `end` inclusive; throws libvirt's message for a range it refuses. */
export function dhcpRangeSize(start: string, end: string): number {
  const a = ipaddr.parse(start);
  const b = ipaddr.parse(end);
  if (a.kind() !== b.kind()) throw new Error(`mismatch of address family in range ${start} - ${end}`);
  if (a.kind() === "ipv4") {
    const first = ipv4Number(a.toByteArray());
    const last = ipv4Number(b.toByteArray());
    // libvirt's message ends with a space.
    if (last < first) throw new Error(`range ${start} - ${end} is reversed `);
    if (last - first > 65535) throw new Error(`range ${start} - ${end} is too large (> 65535)`);
    return last - first + 1;
  }
  const ga = (a as ipaddr.IPv6).parts;
  const gb = (b as ipaddr.IPv6).parts;
  for (let i = 0; i < 7; i++) {
    if (ga[i] !== gb[i]) throw new Error(`range ${start} - ${end} is too large (> 65535)`);
  }
  if (gb[7] < ga[7]) throw new Error(`range ${start} - ${end} start larger than end`);
  return gb[7] - ga[7] + 1;
}

function ipv4Number(bytes: number[]): number {
  return ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3];
}
