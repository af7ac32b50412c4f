import { describe, expect, it } from "vitest";
import { interfaceNameProblem, nameMatchesTemplate, nameTemplateProblem } from "../../../provider/net/interface-name";
import { generateLibvirtMac, isMulticastMac, parseMac } from "../../../provider/net/mac";

describe("interface names", () => {
  it("accepts 15 characters and refuses 16 (IFNAMSIZ)", () => {
    expect(interfaceNameProblem("a".repeat(15))).toBeUndefined();
    expect(interfaceNameProblem("a".repeat(16))).toMatch(/at most 15/);
  });
  it("refuses '.', '..', empty names and anything needing shell quoting", () => {
    for (const bad of [".", "..", "", "a b", "a/b", "a:b", "a;b", "a$b"]) expect(interfaceNameProblem(bad), bad).toBeDefined();
  });
  it("checks templates by their widest expansion and matches names against them", () => {
    expect(nameTemplateProblem("virbr%d")).toBeUndefined();
    expect(nameTemplateProblem("abcdefghijklm%d")).toMatch(/not valid/);
    expect(nameMatchesTemplate("virbr12", "virbr%d")).toBe(true);
    expect(nameMatchesTemplate("virbr012", "virbr%d")).toBe(false);
    expect(nameMatchesTemplate("virbrx", "virbr%d")).toBe(false);
  });
});

describe("MAC addresses", () => {
  it("parses and lowercases, padding single digits like virMacAddrParse", () => {
    expect(parseMac("52:54:00:17:3F:37")).toBe("52:54:00:17:3f:37");
    expect(parseMac("52:54:0:1:2:3")).toBe("52:54:00:01:02:03");
    expect(parseMac("52-54-00-17-3f-37")).toBeUndefined();
    expect(parseMac("52:54:00:17:3f")).toBeUndefined();
  });
  it("tells multicast from unicast", () => {
    expect(isMulticastMac("01:00:5e:00:00:01")).toBe(true);
    expect(isMulticastMac("52:54:00:00:00:01")).toBe(false);
  });
  it("generates unicast addresses in 52:54:00", () => {
    expect(generateLibvirtMac(() => Buffer.from([0xab, 0x01, 0xff]))).toBe("52:54:00:ab:01:ff");
    expect(generateLibvirtMac()).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
  });
});
