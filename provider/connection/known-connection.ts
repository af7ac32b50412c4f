// At apply time every connection field must be known; this turns checked inputs into an executor's Connection.
import { containsUnknown } from "../unknown";
import type { Connection, ConnectionInputs } from "./connection";

export function knownConnection(c: ConnectionInputs | string, what: string): Connection {
  if (typeof c === "string" || containsUnknown(c)) {
    throw new Error(`${what}: the connection is not known yet; it depends on an output that has no value`);
  }
  return c as Connection;
}
