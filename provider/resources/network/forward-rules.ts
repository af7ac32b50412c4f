// libvirt's rules for a network's <forward> (docs/libvirt-behaviour.md §1.2–§1.4, §1.8), checked at preview with
// libvirt's own messages, each failure at the property it is about.
import { DEFAULT_NAT_PORTS } from "../../net/firewall-rule";
import { addressFamily, normalizeAddress } from "../../net/ip-address";
import { interfaceNameProblem, isNameTemplate } from "../../net/interface-name";
import type { CheckFailure } from "../../schema/check-failures";
import { isUnknown } from "../../unknown";
import { isKnown, type Known } from "../../known";
import { libvirtNameOf, type ForwardInputs, type NatInputs, type NetworkInputs } from "./schema";

/** The largest port number; libvirt refuses anything above it in <port start end>. */
const MAX_PORT = 65535;

/** The most addresses an IPv4 SNAT range may span beyond its start (virSocketAddrGetRange). */
const MAX_NAT_RANGE = 65535;


/**
 * A checked forward reduced to what it does. libvirt's default port range and ipv6 'no' say no more than leaving
 * them out, and a <nat> that then says nothing is no <nat>: forwards of equal meaning make the same rules, so an
 * imported running network (which shows the default ports) means what its definition meant.
 */
export function forwardMeaning(f: Known<ForwardInputs>): Known<ForwardInputs> {
  const out: Known<ForwardInputs> = { mode: f.mode };
  if (f.dev !== undefined) out.dev = f.dev;
  if (f.nat === undefined) return out;
  const nat: Known<NatInputs> = {};
  if (f.nat.address !== undefined) nat.address = f.nat.address;
  const port = f.nat.port;
  if (port !== undefined && !(port.start === DEFAULT_NAT_PORTS.start && port.end === DEFAULT_NAT_PORTS.end)) nat.port = port;
  if (f.nat.ipv6 === true) nat.ipv6 = true;
  // Outside nat mode a <nat> is an error, never nothing: keep it for the rules to refuse.
  if (Object.keys(nat).length > 0 || f.mode !== "nat") out.nat = nat;
  return out;
}

export function forwardRuleFailures(n: NetworkInputs): CheckFailure[] {
  const f = n.forward;
  if (f === undefined || isUnknown(f)) return [];
  const name = libvirtNameOf(n);
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });

  if (f.dev !== undefined && !isUnknown(f.dev)) {
    const problem = interfaceNameProblem(f.dev);
    if (problem) fail("forward.dev", problem);
  }
  if (f.nat !== undefined && !isUnknown(f.nat) && !isUnknown(f.mode)) {
    if (f.mode !== "nat") fail("forward.nat", `The <nat> element can only be used when <forward> 'mode' is 'nat' in network ${name}`);
    else failures.push(...natFailures(f.nat, name));
  }
  if (isUnknown(f.mode)) return failures;

  switch (f.mode) {
    case "nat":
    case "route":
      // Forwarding to a network without an address of its own has nothing to route or masquerade.
      if (!isUnknown(n.ips) && n.ips.length === 0) fail("ips", `${f.mode} forwarding requested, but no IP address provided for network '${name}'`);
      break;
    case "open":
      // An open network puts no rule on where traffic goes, so a device to restrict it to makes no sense.
      if (f.dev !== undefined) fail("forward.dev", `forward dev not allowed for network '${name}' with forward mode='open'`);
      break;
    case "bridge":
      failures.push(...hostBridgeFailures(n, f, name));
      break;
  }
  return failures;
}

/**
 * A network on a host bridge that virtnet does not create (libvirt's forward mode='bridge' with a bridge name):
 * the bridge must be named, and nothing that only a bridge of virtnet's own could carry may be given.
 */
function hostBridgeFailures(n: NetworkInputs, f: ForwardInputs, name: string): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const bridgeName = isUnknown(n.bridge) ? undefined : n.bridge.name;
  if (!isUnknown(n.bridge)) {
    if (bridgeName === undefined) {
      fail("bridge.name", "is required with forward mode 'bridge': give the name of the existing host bridge the guests attach to (virtnet does not create it)");
    } else if (!isUnknown(bridgeName) && isNameTemplate(bridgeName)) {
      fail("bridge.name", `'${bridgeName}' is a name template; forward mode 'bridge' needs the name of an existing host bridge`);
    }
  }
  // A bridge-mode network with a forward dev and no bridge is libvirt's macvtap ("direct") network, which needs no
  // bridge and so nothing virtnet builds; with the bridge's name, a dev is libvirt's "not both".
  if (f.dev !== undefined && bridgeName !== undefined) {
    fail("forward.dev", `A network with forward mode='bridge' can specify a bridge name or a forward dev, but not both (network '${name}')`);
  } else if (f.dev !== undefined) {
    fail("forward.dev", "a forward dev without a bridge name is libvirt's macvtap (direct) network, which virtnet does not implement: leave dev out and name the host bridge in bridge.name");
  }
  if (n.mac !== undefined) fail("mac", `Unsupported <mac> element in network ${name} with forward mode='bridge'`);
  if (!isUnknown(n.ips) && n.ips.length > 0) fail("ips", `Unsupported <ip> element in network ${name} with forward mode='bridge'`);
  if (n.mtu !== undefined) fail("mtu", `mtu size only allowed in open, route, nat, and isolated mode, not in bridge (network '${name}')`);
  // libvirt shapes a named host bridge; virtnet changes nothing on a bridge it does not own (a deliberate
  // difference), and without a name there is nowhere to put it anyway (libvirt's own message).
  if (n.bandwidth !== undefined) {
    fail(
      "bandwidth",
      bridgeName === undefined
        ? `Unsupported network-wide <bandwidth> element in network ${name} with forward mode='bridge'`
        : "virtnet changes nothing on a host bridge it does not own, so a network with forward mode 'bridge' takes no network-wide bandwidth; give each GuestInterface its bandwidth instead",
    );
  }
  return failures;
}

/** The <nat> element's rules, in libvirt's order (virNetworkForwardNatDefParseXML), plus the port range it checks only at start. */
function natFailures(nat: NatInputs, name: string): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const address = nat.address;
  if (address !== undefined && !isUnknown(address)) {
    const where = "in <nat> in <forward> in network";
    if (address.start === undefined) fail("forward.nat.address.start", `missing 'start' attribute in <address> element ${where} ${name}`);
    if (address.end === undefined) fail("forward.nat.address.end", `missing 'end' attribute in <address> element ${where} ${name}`);
    const start = ipv4OrProblem(address.start, "start", name);
    const end = ipv4OrProblem(address.end, "end", name);
    if (start.problem) fail("forward.nat.address.start", start.problem);
    if (end.problem) fail("forward.nat.address.end", end.problem);
    if (start.value !== undefined && end.value !== undefined) {
      const span = ipv4Number(end.value) - ipv4Number(start.value);
      // libvirt's message carries a trailing space.
      if (span < 0) fail("forward.nat.address.end", `range ${start.value} - ${end.value} is reversed `);
      else if (span > MAX_NAT_RANGE) fail("forward.nat.address.end", `range ${start.value} - ${end.value} is too large (> 65535)`);
    }
  }
  const port = nat.port;
  if (port !== undefined && isKnown(port)) {
    const where = `in <port> in <nat> in <forward> in network ${name}`;
    const startOk = isPort(port.start);
    const endOk = isPort(port.end) && (!startOk || port.end! >= port.start!);
    if (!startOk) fail("forward.nat.port.start", `Missing or invalid 'start' attribute ${where}`);
    if (!endOk) fail("forward.nat.port.end", `Missing or invalid 'end' attribute ${where}`);
    // libvirt accepts a one-port range here and refuses it only when the network starts; virtnet says so at preview.
    if (startOk && endOk && port.start === port.end) fail("forward.nat.port.end", `Invalid port range '${port.start}-${port.end}'.`);
  }
  return failures;
}

function isPort(p: number | undefined): boolean {
  return p !== undefined && Number.isInteger(p) && p >= 0 && p <= MAX_PORT;
}

/** The address in libvirt's printed form when it is IPv4, else libvirt's message for it. */
function ipv4OrProblem(text: string | undefined, end: "start" | "end", name: string): { value?: string; problem?: string } {
  if (text === undefined || isUnknown(text)) return {};
  if (addressFamily(text) !== "ipv4") return { problem: `Bad ipv4 ${end} address '${text}' in <nat> in <forward> in network '${name}'` };
  return { value: normalizeAddress(text) };
}

function ipv4Number(address: string): number {
  return address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}
