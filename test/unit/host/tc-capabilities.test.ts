import { describe, expect, it } from "vitest";
import { parseTcFeatures, TC_PROBE_SCRIPT } from "../../../provider/host/tc-capabilities";
import { ifbNameFor, LIBVIRT_TC, tcCapabilitiesFor } from "../../../provider/net/tc";

describe("tc capability probe", () => {
  it("reads the features the probe found", () => {
    expect(parseTcFeatures("ifb\nsfq\nfw\npolice\n")).toEqual({ sfq: true, fw: true, police: true, ifb: true });
    expect(parseTcFeatures("ifb\n")).toEqual({ sfq: false, fw: false, police: false, ifb: true });
  });
  it("renders libvirt's exact commands on a kernel that has sch_sfq, cls_fw and act_police", () => {
    expect(tcCapabilitiesFor({ sfq: true, fw: true, police: true, ifb: true }, "vnet0")).toBe(LIBVIRT_TC);
  });
  it("substitutes only what is missing", () => {
    expect(tcCapabilitiesFor({ sfq: false, fw: true, police: true, ifb: true }, "vnet0")).toEqual({ leaf: "pfifo", fwFilter: true, ingress: "police" });
    expect(tcCapabilitiesFor({ sfq: true, fw: false, police: false, ifb: true }, "vnet0")).toEqual({ leaf: "sfq", fwFilter: false, ingress: { ifb: ifbNameFor("vnet0") } });
  });
  it("probes on a device of its own and deletes it", () => {
    expect(TC_PROBE_SCRIPT).toMatch(/ip link add "\$p" type ifb/);
    expect(TC_PROBE_SCRIPT.trim().split("\n").at(-1)).toBe('ip link del "$p"');
  });
});
