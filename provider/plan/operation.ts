// The operations a plan is made of; each mirrors one iproute2 (or sysctl) verb.
import type { IpFamily } from "../net/ip-address";

export type Operation =
  | { op: "linkAddBridge"; name: string; mac: string }
  | { op: "linkDel"; name: string }
  | { op: "linkSetUp"; name: string }
  | { op: "linkSetDown"; name: string }
  | { op: "linkSetMtu"; name: string; mtu: number }
  | { op: "linkSetAddress"; name: string; mac: string }
  | { op: "linkSetAlias"; name: string; alias: string }
  | { op: "bridgeSetForwardDelay"; name: string; centiseconds: number }
  | { op: "bridgeSetStp"; name: string; on: boolean }
  | { op: "bridgeSetVlanFiltering"; name: string; on: boolean }
  | { op: "ipv6Sysctl"; name: string; key: "disable_ipv6" | "accept_ra" | "autoconf"; value: 0 | 1 }
  | { op: "addrAdd"; name: string; family: IpFamily; address: string; prefix: number }
  | { op: "addrDel"; name: string; family: IpFamily; address: string; prefix: number }
  | { op: "tc"; argv: string[]; bestEffort?: boolean }
  | { op: "ifbAdd"; name: string }
  | { op: "tapAdd"; name: string }
  | { op: "tapDel"; name: string }
  | { op: "linkSetMaster"; name: string; master: string }
  | { op: "bridgePortSet"; name: string; setting: "learning" | "flood" | "isolated"; on: boolean }
  | { op: "fdbAdd" | "fdbDel"; name: string; mac: string }
  | { op: "routeAdd" | "routeReplace" | "routeDel"; name: string; family: IpFamily; address: string; prefix: number; gateway: string; metric: number };

/** One step of a plan: the operation and what undoes it if a later step fails (design §3, partial failure). */
export interface PlanStep {
  operation: Operation;
  undo: Operation[];
}

export function step(operation: Operation, ...undo: Operation[]): PlanStep {
  return { operation, undo };
}
