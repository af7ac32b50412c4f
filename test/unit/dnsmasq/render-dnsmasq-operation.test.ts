// The dnsmasq operations as the host receives them (docs/libvirt-behaviour.md §10.4): golden argv for each of the four
// kinds, so that a change to the scripts that start, stop, reload and signal a network's dnsmasq is reviewed as a diff;
// their inverses, which a rollback runs; and the apply script that carries a start's undo.
import { describe, expect, it } from "vitest";
import { quoteArgv } from "../../../provider/exec/quote";
import { renderDnsmasqOperation } from "../../../provider/dnsmasq/render-dnsmasq-operation";
import { renderOperation } from "../../../provider/iproute2/render-operation";
import type { DnsmasqFiles, Operation } from "../../../provider/net/operation";
import { renderApplyScript } from "../../../provider/plan/apply-script";
import { inverseOf } from "../../../provider/plan/inverse";

const OLD: DnsmasqFiles = {
  conf: "strict-order\npid-file=/run/virtnet/dnsmasq/virbr7.pid\nexcept-interface=lo\nbind-dynamic\ninterface=virbr7\ndhcp-range=10.7.0.10,10.7.0.20,255.255.255.0\n",
  hostsfile: "",
  addnhosts: "",
};
// Quotes, a dollar sign and a tab: the files reach the host as single arguments, never through the shell's expansion.
const NEW: DnsmasqFiles = {
  conf: "strict-order\npid-file=/run/virtnet/dnsmasq/virbr7.pid\nexcept-interface=lo\nbind-dynamic\ninterface=virbr7\ndhcp-range=10.7.0.10,10.7.0.99,255.255.255.0\ntxt-record=it's,\"$HOME\"\n",
  hostsfile: "52:54:00:07:00:01,10.7.0.5,vm1\n",
  addnhosts: "10.7.0.50\tfiles\t\n",
};
const LINE = "52:54:00:07:00:02,10.7.0.6,vm2,1h\n";

const start: Operation = { op: "dnsmasqStart", bridge: "virbr7", files: NEW, from: null };
const restart: Operation = { op: "dnsmasqStart", bridge: "virbr7", files: NEW, from: OLD };
const stop: Operation = { op: "dnsmasqStop", bridge: "virbr7", from: NEW };
const reload: Operation = { op: "dnsmasqReload", bridge: "virbr7", hostsfile: NEW.hostsfile, addnhosts: NEW.addnhosts, from: { hostsfile: OLD.hostsfile, addnhosts: OLD.addnhosts } };
const hostAdd: Operation = { op: "dhcpHostSet", bridge: "virbr7", key: "10.7.0.6", line: LINE, from: null };
const hostRemove: Operation = { op: "dhcpHostSet", bridge: "virbr7", key: "10.7.0.6", line: null, from: LINE };
const hostChange: Operation = { op: "dhcpHostSet", bridge: "virbr7", key: "10.7.0.6", line: LINE, from: "52:54:00:07:00:02,10.7.0.6,vm2\n" };

const rendered = (o: Operation) => quoteArgv(renderOperation(o).argv) + "\n";

describe("dnsmasq operations as rendered", () => {
  it("dnsmasqStart: the files written under a temporary name and renamed, the old process stopped, dnsmasq exec'd with virtnet's paths", async () => {
    await expect(rendered(start)).toMatchFileSnapshot("../golden/dnsmasq-op-start.sh");
  });
  it("dnsmasqStop: the process stopped and every file of the bridge removed, the hosts directory too", async () => {
    await expect(rendered(stop)).toMatchFileSnapshot("../golden/dnsmasq-op-stop.sh");
  });
  it("dnsmasqReload: the host files rewritten and a SIGHUP to the bridge's own dnsmasq only", async () => {
    await expect(rendered(reload)).toMatchFileSnapshot("../golden/dnsmasq-op-reload.sh");
  });
  it("dhcpHostSet: one file of the hosts directory written, then a SIGHUP", async () => {
    await expect(rendered(hostAdd)).toMatchFileSnapshot("../golden/dnsmasq-op-host-set.sh");
  });
  it("dhcpHostSet with line null: the file removed, then a SIGHUP", async () => {
    await expect(rendered(hostRemove)).toMatchFileSnapshot("../golden/dnsmasq-op-host-remove.sh");
  });

  it("goes through renderOperation unchanged, with no requiresPath (a missing bridge must fail the start, not skip it)", () => {
    for (const o of [start, stop, reload, hostAdd, hostRemove]) {
      expect(renderOperation(o)).toEqual(renderDnsmasqOperation(o as Parameters<typeof renderDnsmasqOperation>[0]));
      expect(renderOperation(o).requiresPath).toBeUndefined();
      expect(renderOperation(o).bestEffort).toBeUndefined();
    }
  });

  it("passes the files and the line as positional arguments, so the script text is the same whatever they hold", () => {
    const argv = renderOperation(start).argv;
    expect(argv.slice(3)).toEqual(["virtnet-dnsmasq", "virbr7", NEW.conf, NEW.hostsfile, NEW.addnhosts]);
    expect(renderOperation(restart).argv).toEqual(argv);
    // An absent line is an absent argument ($# is 2), not an empty one: an empty reservation file would still be a file.
    expect(renderOperation(hostRemove).argv.slice(3)).toEqual(["virtnet-dnsmasq", "virbr7", "10.7.0.6"]);
    expect(renderOperation({ ...hostAdd, line: "" } as Operation).argv.slice(3)).toEqual(["virtnet-dnsmasq", "virbr7", "10.7.0.6", ""]);
  });
});

describe("dnsmasq operations' inverses", () => {
  it.each([
    ["a start from nothing is undone by a stop that knows the files", start, [{ op: "dnsmasqStop", bridge: "virbr7", from: NEW }]],
    ["a restart is undone by a restart with the old files", restart, [{ op: "dnsmasqStart", bridge: "virbr7", files: OLD, from: NEW }]],
    ["a stop is undone by a start from nothing", stop, [{ op: "dnsmasqStart", bridge: "virbr7", files: NEW, from: null }]],
    ["a reload is undone by a reload of the old host files", reload, [{ op: "dnsmasqReload", bridge: "virbr7", hostsfile: "", addnhosts: "", from: { hostsfile: NEW.hostsfile, addnhosts: NEW.addnhosts } }]],
    ["an added reservation is undone by removing it", hostAdd, [{ op: "dhcpHostSet", bridge: "virbr7", key: "10.7.0.6", line: null, from: LINE }]],
    ["a removed reservation is undone by writing it back", hostRemove, [{ op: "dhcpHostSet", bridge: "virbr7", key: "10.7.0.6", line: LINE, from: null }]],
  ] as [string, Operation, Operation[]][])("%s", (_what, o, inverse) => {
    expect(inverseOf(o)).toEqual(inverse);
  });

  it.each([
    ["dnsmasqStart from null", start],
    ["dnsmasqStart from old files", restart],
    ["dnsmasqStop", stop],
    ["dnsmasqReload", reload],
    ["dhcpHostSet adding", hostAdd],
    ["dhcpHostSet removing", hostRemove],
    ["dhcpHostSet changing", hostChange],
  ] as [string, Operation][])("%s: the inverse of the inverse is the operation itself", (_what, o) => {
    const [inverse, ...more] = inverseOf(o);
    expect(more).toEqual([]);
    expect(inverseOf(inverse!)).toEqual([o]);
  });

  it.each([
    ["dnsmasqStart", { op: "dnsmasqStart", bridge: "virbr7", files: NEW }],
    ["dnsmasqStop", { op: "dnsmasqStop", bridge: "virbr7" }],
    ["dnsmasqReload", { op: "dnsmasqReload", bridge: "virbr7", hostsfile: "", addnhosts: "" }],
    ["dhcpHostSet", { op: "dhcpHostSet", bridge: "virbr7", key: "10.7.0.6", line: LINE }],
  ] as [string, Operation][])("%s without `from` has no inverse: nothing says what it replaced", (_what, o) => {
    expect(inverseOf(o)).toEqual([]);
  });
});

describe("a start's undo in the apply script", () => {
  it("stops the dnsmasq it started when a later step fails", () => {
    const script = renderApplyScript([start]);
    const undo = script.slice(script.indexOf("undo() {"), script.indexOf("\n}\n"));
    expect(undo).toContain(`if [ "$1" -gt 0 ]; then ${quoteArgv(renderOperation({ op: "dnsmasqStop", bridge: "virbr7", from: NEW }).argv)} || printf`);
    // The stop is a script of its own: the start's text must not have leaked into the undo.
    expect(undo).not.toContain('w "$d/$b.conf" "$2" 600');
    expect(script.slice(script.indexOf("\n}\n"))).toContain("exec dnsmasq");
  });

  it("is not dropped because the plan created a device of the same name: dnsmasq is no property of the bridge", () => {
    const script = renderApplyScript([{ op: "linkAddBridge", name: "virbr7", mac: "52:54:00:07:00:00" }, start]);
    expect(script).toContain(`if [ "$1" -gt 1 ]; then ${quoteArgv(renderOperation({ op: "dnsmasqStop", bridge: "virbr7", from: NEW }).argv)} `);
  });
});
