// The dnsmasq section of the host snapshot read back (docs/libvirt-behaviour.md §10.4): a hand-written section in the
// form DNSMASQ_OBSERVE_SCRIPT prints, so that what the parser gets wrong shows against text whose meaning is known,
// above all file content that looks like a header.
import { describe, expect, it } from "vitest";
import { DNSMASQ_OBSERVE_SCRIPT, parseDnsmasqSection } from "../../../provider/dnsmasq/observe-dnsmasq";

const CONF = [
  "##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE",
  "strict-order",
  "pid-file=/run/virtnet/dnsmasq/virbr7.pid",
  "except-interface=lo",
  "bind-dynamic",
  "interface=virbr7",
  "dhcp-range=10.7.0.10,10.7.0.20,255.255.255.0",
  "dhcp-hostsfile=/var/lib/virtnet/dnsmasq/virbr7.hostsfile",
  "addn-hosts=/var/lib/virtnet/dnsmasq/virbr7.addnhosts",
];
const LEASE = "1764170000 52:54:00:07:00:09 10.7.0.12 guest9 01:52:54:00:07:00:09";

/** Every content line behind the "|" the script puts there. */
const content = (lines: string[]) => lines.map((l) => `|${l}`);

const SECTION = [
  "@@bridge virbr7 4242 1",
  "@@file conf",
  ...content(CONF),
  "@@file hostsfile",
  ...content(["52:54:00:07:00:01,10.7.0.5,vm1", "52:54:00:07:00:02,10.7.0.6,vm2,1h"]),
  // An empty file: a header and no line at all (awk prints nothing for it).
  "@@file addnhosts",
  "@@file leases",
  ...content([LEASE]),
  "@@host 10.7.0.30",
  ...content(["52:54:00:07:00:03,10.7.0.30,vm3"]),
  // A reservation whose text looks like headers, and has a blank line: all of it is the file's content.
  "@@host 10.7.0.31",
  ...content(["@@bridge evil 1 1", "@@file conf", "", "52:54:00:07:00:04,10.7.0.31"]),
  "@@bridge virbr8 - 0",
  "@@file conf",
  ...content(["strict-order", "interface=virbr8"]),
  "@@host 2001:db8::5",
  ...content(["id:00:01:00:01,vm6,[2001:db8::5]"]),
  "",
].join("\n");

describe("parseDnsmasqSection", () => {
  const parsed = parseDnsmasqSection(SECTION);

  it("has one instance per @@bridge header, none for header-like content", () => {
    expect([...parsed.keys()]).toEqual(["virbr7", "virbr8"]);
  });

  it("reads a running instance's pid, files (each line ending in a newline) and reservations", () => {
    const o = parsed.get("virbr7")!;
    expect(o.pid).toBe(4242);
    expect(o.running).toBe(true);
    expect(o.files).toEqual({
      conf: CONF.map((l) => `${l}\n`).join(""),
      hostsfile: "52:54:00:07:00:01,10.7.0.5,vm1\n52:54:00:07:00:02,10.7.0.6,vm2,1h\n",
      addnhosts: "",
      leases: `${LEASE}\n`,
    });
    expect([...o.hosts]).toEqual([
      ["10.7.0.30", "52:54:00:07:00:03,10.7.0.30,vm3\n"],
      ["10.7.0.31", "@@bridge evil 1 1\n@@file conf\n\n52:54:00:07:00:04,10.7.0.31\n"],
    ]);
  });

  it("tells an empty file from a missing one", () => {
    expect(parsed.get("virbr7")!.files.addnhosts).toBe("");
    expect("addnhosts" in parsed.get("virbr8")!.files).toBe(false);
    expect(parsed.get("virbr8")!.files.leases).toBeUndefined();
  });

  it("reads a stopped instance: pid '-' is no pid, and it is not running", () => {
    const o = parsed.get("virbr8")!;
    expect(o).toMatchObject({ running: false, files: { conf: "strict-order\ninterface=virbr8\n" } });
    expect("pid" in o).toBe(false);
    expect([...o.hosts]).toEqual([["2001:db8::5", "id:00:01:00:01,vm6,[2001:db8::5]\n"]]);
  });

  it("keeps a pid whose process is gone: the drift message names it", () => {
    expect(parseDnsmasqSection("@@bridge virbr9 777 0\n").get("virbr9")).toEqual({ pid: 777, running: false, files: {}, hosts: new Map() });
  });

  it("reads nothing from an empty section (a host without virtnet's dnsmasq, or a snapshot from before it)", () => {
    expect(parseDnsmasqSection("")).toEqual(new Map());
  });

  it("ignores content and file headers before any bridge, and lines of neither kind", () => {
    const o = parseDnsmasqSection(["|stray", "@@file conf", "|stray", "noise", "@@bridge virbr7 1 1", "noise", "@@file conf", "|x"].join("\n"));
    expect([...o]).toEqual([["virbr7", { pid: 1, running: true, files: { conf: "x\n" }, hosts: new Map() }]]);
  });

  it("matches the script: every content line goes out behind a '|', headers with the fields the parser reads", () => {
    expect(DNSMASQ_OBSERVE_SCRIPT).toContain(`awk '{ print "|" $0 }'`);
    expect(DNSMASQ_OBSERVE_SCRIPT).toContain(`printf '@@bridge %s %s %s\\n' "$b" "\${p:--}" "$up"`);
  });
});
