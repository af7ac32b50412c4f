// parseSshAccess (docs/architecture.md §3.9): the observation's `ssh` section, `$SSH_CONNECTION` and the JSON of
// `ip -j route get CLIENT`, read into the facts safe apply classifies plans by: the client's and the server's
// addresses (normalized), and the device and gateway the replies leave by when the route can be read.
import { describe, expect, it } from "vitest";
import { parseSshAccess } from "../../../provider/iproute2/parse-ssh-access";

describe("parseSshAccess", () => {
  it("reads the addresses from $SSH_CONNECTION and the reply device and gateway from the route", () => {
    const text =
      '198.51.100.4 52144 203.0.113.7 22\n[{"dst":"198.51.100.4","gateway":"203.0.113.1","dev":"eth0","prefsrc":"203.0.113.7","flags":[],"uid":0,"cache":[]}]';
    expect(parseSshAccess(text)).toEqual({ client: "198.51.100.4", server: "203.0.113.7", dev: "eth0", gateway: "203.0.113.1" });
  });

  it("normalizes IPv6 addresses (RFC 5952: lowercase, zeros compressed)", () => {
    const text =
      '2001:DB8:0:0:0:0:0:4 40022 2001:db8:0000::7 22\n[{"dst":"2001:db8::4","from":"::","gateway":"fe80::1","dev":"ens3","protocol":"ra","prefsrc":"2001:db8::7","metric":100,"flags":[],"pref":"medium"}]\n';
    expect(parseSshAccess(text)).toEqual({ client: "2001:db8::4", server: "2001:db8::7", dev: "ens3", gateway: "fe80::1" });
  });

  it("a directly connected client: a device and no gateway", () => {
    const text = '192.0.2.20 50000 192.0.2.1 22\n[{"dst":"192.0.2.20","dev":"eth1","prefsrc":"192.0.2.1","flags":[],"uid":0,"cache":[]}]';
    expect(parseSshAccess(text)).toEqual({ client: "192.0.2.20", server: "192.0.2.1", dev: "eth1" });
  });

  it("an empty section (a local shell, no $SSH_CONNECTION) is no access", () => {
    expect(parseSshAccess("")).toBeUndefined();
    expect(parseSshAccess("\n\n")).toBeUndefined();
  });

  it("a first line that is not two addresses is no access", () => {
    expect(parseSshAccess("hello world\n[]")).toBeUndefined();
    expect(parseSshAccess("198.51.100.4 52144\n[]")).toBeUndefined();
  });

  it("an unreadable route JSON leaves the addresses only", () => {
    expect(parseSshAccess("198.51.100.4 52144 203.0.113.7 22\nError: any valid prefix is expected rather than \"x\".")).toEqual({ client: "198.51.100.4", server: "203.0.113.7" });
    expect(parseSshAccess('198.51.100.4 52144 203.0.113.7 22\n[{"dst":"198.51.100.4",')).toEqual({ client: "198.51.100.4", server: "203.0.113.7" });
  });

  it("the script's fallback `[]` (ip failed) and a lone first line leave the addresses only", () => {
    expect(parseSshAccess("198.51.100.4 52144 203.0.113.7 22\n[]\n")).toEqual({ client: "198.51.100.4", server: "203.0.113.7" });
    expect(parseSshAccess("198.51.100.4 52144 203.0.113.7 22")).toEqual({ client: "198.51.100.4", server: "203.0.113.7" });
  });
});
