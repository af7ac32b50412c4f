import { describe, expect, it } from "vitest";
import type { ObservedLink } from "../../../../provider/iproute2/parse-ip-addr";
import { NETWORK_SCHEMA_VERSION, outputsFromObservation, type NetworkOutputs } from "../../../../provider/resources/network/model";
import { connection } from "./network-fixtures";
import { OBSERVED_BRIDGE } from "../../fixtures/observed-bridge";

const previous: NetworkOutputs = {
  schemaVersion: NETWORK_SCHEMA_VERSION,
  connection: { ...connection, port: 22, user: "root", insecureIgnoreHostKey: false, sudo: false },
  bridge: { name: "virbr10", stp: true, delay: 0 },
  mac: "52:54:00:12:34:56",
  mtu: 9000,
  ips: [{ address: "192.168.100.1", netmask: "255.255.255.0" }],
  routes: [],
  up: true,
  substitutions: [],
};

// The model test's network has no IPv6 address and VLAN filtering that the kernel supports but leaves off.
const link: ObservedLink = {
  ...OBSERVED_BRIDGE,
  bridge: { ...OBSERVED_BRIDGE.bridge!, vlanFiltering: false },
  addresses: [OBSERVED_BRIDGE.addresses[0], { family: "ipv6", address: "fe80::1", prefix: 64, scope: "link" }],
};

describe("Network outputs from observation", () => {
  it("reproduces the previous outputs exactly for an unchanged bridge (no diff after refresh)", () => {
    const { libvirtXml, ...rest } = outputsFromObservation(previous, link, [], {});
    expect(rest).toEqual(previous);
    expect(libvirtXml).toContain("<bridge name='virbr10' stp='on' delay='0'/>");
  });
  it("reports a delay changed by hand", () => {
    const drifted = { ...link, bridge: { ...link.bridge!, forwardDelayCentiseconds: 1500 } };
    expect(outputsFromObservation(previous, drifted, [], {}).bridge.delay).toBe(15);
  });
  it("reports an MTU, MAC and STP changed by hand", () => {
    const out = outputsFromObservation(previous, { ...link, mtu: 1500, mac: "52:54:00:00:00:09", bridge: { ...link.bridge!, stpOn: false, forwardDelayCentiseconds: 0 } }, [], {});
    expect(out).toMatchObject({ mtu: 1500, mac: "52:54:00:00:00:09", bridge: { stp: false, delay: 0 } });
  });
  it("reports an address added by hand in plain prefix form, and one removed by hand as gone", () => {
    const out = outputsFromObservation(previous, {
      ...link,
      addresses: [{ family: "ipv6", address: "2001:db8::5", prefix: 64, scope: "global" }],
    }, [], {});
    expect(out.ips).toEqual([{ address: "2001:db8::5", prefix: 64, family: "ipv6" }]);
  });
  it("does not report an MTU the inputs never managed", () => {
    const { mtu: _unused, ...noMtu } = previous;
    expect(outputsFromObservation(noMtu, link, [], {})).not.toHaveProperty("mtu");
  });
  it("reports macTableManager drift where the kernel can show it", () => {
    const libvirt = { ...previous, bridge: { ...previous.bridge, macTableManager: "libvirt" as const } };
    expect(outputsFromObservation(libvirt, link, [], {}).bridge.macTableManager).toBe("kernel");
  });
  it("lists the substitution when the kernel has no VLAN filtering for a libvirt-mode bridge", () => {
    const libvirt = { ...previous, bridge: { ...previous.bridge, macTableManager: "libvirt" as const } };
    const out = outputsFromObservation(libvirt, { ...link, bridge: { ...link.bridge!, vlanFiltering: undefined } }, [], {});
    expect(out.bridge.macTableManager).toBe("libvirt");
    expect(out.substitutions).toEqual([expect.objectContaining({ property: "bridge.macTableManager", reason: expect.stringMatching(/CONFIG_BRIDGE_VLAN_FILTERING/) })]);
  });
});
