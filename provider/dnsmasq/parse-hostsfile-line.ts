// Reads a dhcp-hostsfile line back into the reservation it makes (the forms render-hostsfile.ts writes, which are
// libvirt's), so that a reservation added at run time can be checked against those already on the host.
import { addressFamily, normalizeAddress } from "../net/ip-address";
import { parseMac } from "../net/mac";

export interface HostsfileEntry {
  mac?: string;
  id?: string;
  name?: string;
  ip?: string;
}

/** The fields of one line; a lease time and anything unrecognised are left out. */
export function parseHostsfileLine(line: string): HostsfileEntry {
  const entry: HostsfileEntry = {};
  for (const raw of line.trim().split(",")) {
    const field = raw.trim();
    const bare = field.replace(/^\[(.*)\]$/, "$1");
    if (field.startsWith("id:")) entry.id = field.slice(3);
    else if (addressFamily(bare) !== undefined) entry.ip = normalizeAddress(bare);
    else if (parseMac(field) !== undefined) entry.mac = parseMac(field);
    // A lease: "infinite", or a number with an optional unit.
    else if (field !== "" && field !== "infinite" && !/^\d+[smhdw]?$/.test(field)) entry.name = field;
  }
  return entry;
}
