// DhcpHost field policy: the host, the bridge and the address replace it (the old reservation first); the keys,
// name and lease change in place with a SIGHUP.
import { connectionHostChanged } from "../../connection/connection";
import { diffByPolicy, type DiffResult, type FieldPolicy } from "../field-policy";
import { reservationLine } from "./reservation";
import type { DhcpHostInputs, DhcpHostOutputs } from "./schema";

export const dhcpHostPolicy: FieldPolicy<DhcpHostOutputs, DhcpHostInputs>[] = [
  { property: "connection", replaces: (o, n) => connectionHostChanged(o.connection, n.connection) },
  { property: "bridge", replaces: true },
  { property: "ip", replaces: true },
  { property: "mac" },
  { property: "duid" },
  { property: "name" },
  { property: "lease" },
  // Not an input: a line edited or removed by hand is drift an update rewrites.
  { property: "reservation", changed: (o) => o.reservation !== reservationLine(o) },
];

export function diffDhcpHost(o: DhcpHostOutputs, n: DhcpHostInputs): DiffResult {
  return diffByPolicy(dhcpHostPolicy, o, n);
}
