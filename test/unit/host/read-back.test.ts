// What a Host reads after an apply (docs/architecture.md §5, "Read back what changed"): only what the operations can
// change, one read-back for all the applies of an exec, and the whole observation again once an exec failed. The
// scripts are checked as sent to a scripted host; the read-back's effect on the snapshot is checked on a real kernel
// (test/host/observation.test.ts).
import { describe, expect, it } from "vitest";
import { ApplyInterrupted, Host } from "../../../provider/host/host";
import { READ_BACK_SECTION, SNAPSHOT_SCRIPT, SNAPSHOT_SECTION } from "../../../provider/iproute2/observe-script";
import type { Operation } from "../../../provider/net/operation";
import type { ExecResult, RemoteShell } from "../../../provider/exec/remote-shell";
import { FakeHost, hostFixture } from "../../support/fake-host";
import { TX_MARKER } from "../../../provider/plan/safe-apply";

const classChange = (dev: string): Operation => ({
  op: "classChange",
  dev,
  cls: { parent: "1:", classId: "1:1", rateKbps: 2000, quantum: 1 },
  from: { parent: "1:", classId: "1:1", rateKbps: 1000, quantum: 1 },
});
const MTU: Operation = { op: "linkSetMtu", name: "vnfk0", mtu: 1400, from: 1500 };
const READ_BACK_HEADER = `'${SNAPSHOT_SECTION} ${READ_BACK_SECTION}'`;

/** A scripted host whose execs can be held (to submit while one is in flight) or cut (the connection fails). */
class GatedHost implements RemoteShell {
  readonly label = "gated host";
  readonly fake = new FakeHost(hostFixture("guest-created"), hostFixture("tc-probe"));
  private held?: Promise<void>;
  private cutNext = false;
  release!: () => void;

  hold(): void {
    this.held = new Promise((r) => (this.release = r));
  }

  cut(): void {
    this.cutNext = true;
  }

  async run(script: string): Promise<ExecResult> {
    if (this.cutNext) {
      this.cutNext = false;
      this.fake.received.push(script);
      throw new Error("connection reset");
    }
    const held = this.held;
    this.held = undefined;
    const r = this.fake.run(script);
    await held;
    return r;
  }

  close(): void {}
}

const readsWhole = (script: string) => script.includes(SNAPSHOT_SCRIPT);
const readBacks = (script: string) => script.split(READ_BACK_HEADER).length - 1;

describe("a host's read-back after an apply", () => {
  it("reads only the classes of the devices whose classes changed, not the whole host", async () => {
    const shell = new GatedHost();
    const host = new Host(shell);
    await host.observe();
    shell.fake.willApply(hostFixture("guest-created"));
    await host.apply([classChange("vnfkt0")], "updating guest g");
    const sent = shell.fake.received.at(-1)!;
    expect(readsWhole(sent)).toBe(false);
    expect(readBacks(sent)).toBe(1);
    expect(sent).toContain(`${READ_BACK_HEADER} '' vnfkt0`);
  });

  it("reads the whole host back after an apply that changes more than tc and routes", async () => {
    const shell = new GatedHost();
    const host = new Host(shell);
    await host.observe();
    shell.fake.willApply(hostFixture("guest-created"));
    await host.apply([MTU], "updating network n");
    const sent = shell.fake.received.at(-1)!;
    expect(readsWhole(sent)).toBe(true);
    expect(readBacks(sent)).toBe(0);
  });

  it("reads back once for all the applies of an exec, covering each of them", async () => {
    const shell = new GatedHost();
    const host = new Host(shell);
    await host.observe();
    const applies = [host.apply([classChange("vnfkt0")], "updating guest a"), host.apply([classChange("vnfk0")], "updating guest b")];
    await Promise.allSettled(applies);
    const sent = shell.fake.received.at(-1)!;
    expect(shell.fake.received).toHaveLength(2);
    expect(readBacks(sent)).toBe(1);
    expect(sent).toContain(`${READ_BACK_HEADER} '' 'vnfkt0 vnfk0'`);
  });

  it("serves a plan asked for during an exec with that exec's read-back, unless it asks for a whole observation", async () => {
    const shell = new GatedHost();
    const host = new Host(shell);
    await host.observe();
    shell.fake.willApply(hostFixture("guest-created"));
    shell.hold();
    const applied = host.apply([classChange("vnfkt0")], "updating guest g");
    await new Promise((r) => setImmediate(r));
    // In flight: a plan joins its read-back; one that must not plan from a patched snapshot waits for the next exec.
    const joined = host.observe();
    const whole = host.observe(true);
    shell.release();
    await Promise.all([applied, joined, whole]);
    expect(shell.fake.received).toHaveLength(3);
    expect(readsWhole(shell.fake.received[1]!)).toBe(false);
    expect(readsWhole(shell.fake.received[2]!)).toBe(true);
  });

  it("after an exec failed, plans from a whole observation and reads the whole host back, until one was read", async () => {
    const shell = new GatedHost();
    const host = new Host(shell);
    await host.observe();
    shell.cut();
    await expect(host.apply([classChange("vnfkt0")], "updating guest g")).rejects.toBeInstanceOf(ApplyInterrupted);
    shell.fake.willApply(hostFixture("guest-created"), hostFixture("guest-created"));
    // The apply cut off may have completed on the host: the next apply reads everything back, not its own tc only.
    await host.apply([classChange("vnfkt0")], "updating guest g");
    expect(readsWhole(shell.fake.received.at(-1)!)).toBe(true);
    // Having read the whole host, read-backs are enough again.
    await host.apply([classChange("vnfkt0")], "updating guest g");
    expect(readsWhole(shell.fake.received.at(-1)!)).toBe(false);
    expect(readBacks(shell.fake.received.at(-1)!)).toBe(1);
  });

  /** A host reached over SSH from 198.51.100.7 (a route covering it makes a plan risky), whose confirmations wait for `confirm`. */
  function safeApplyHost() {
    const shell = new GatedHost();
    shell.fake.state += `\n${SNAPSHOT_SECTION} ssh\n198.51.100.7 50000 192.0.2.1 22\n[{"dev":"uplink0"}]\n`;
    let confirm!: () => void;
    const confirmed = new Promise<void>((r) => (confirm = r));
    const dial = (): RemoteShell => ({ label: "new connection", close() {}, run: async () => (await confirmed, { code: 0, stdout: `${TX_MARKER} confirmed\n`, stderr: "" }) });
    const host = new Host(shell, { confirmTimeoutSeconds: 60, dial });
    const route: Operation = { op: "routeAdd", name: "vnfk0", family: "ipv4", address: "198.51.100.0", prefix: 24, gateway: "192.168.122.2", metric: 1 };
    return { shell, host, route, confirm };
  }
  const sent = async (shell: GatedHost, n: number) => {
    while (shell.fake.received.length < n) await new Promise((r) => setImmediate(r));
  };

  it("while a safe apply waits for its confirmation, reads the whole host back: the armed change has no read-back of its own", async () => {
    const { shell, host, route, confirm } = safeApplyHost();
    await host.observe();
    shell.fake.willApply(hostFixture("guest-created"), hostFixture("guest-created"), hostFixture("guest-created"));
    const safe = host.apply([route], "creating route r");
    await sent(shell, 2);
    await host.apply([classChange("vnfkt0")], "updating guest g");
    expect(readsWhole(shell.fake.received.at(-1)!)).toBe(true);
    confirm();
    await safe;
    // Confirmed and read whole: read-backs are enough again.
    await host.apply([classChange("vnfkt0")], "updating guest g");
    expect(readBacks(shell.fake.received.at(-1)!)).toBe(1);
  });

  it("does not take a whole observation already under way when a safe apply armed for one that shows its change", async () => {
    const { shell, host, route, confirm } = safeApplyHost();
    await host.observe();
    shell.fake.willApply(hostFixture("guest-created"), hostFixture("guest-created"));
    shell.hold();
    const underWay = host.observe(true);
    await new Promise((r) => setImmediate(r));
    const safe = host.apply([route], "creating route r");
    shell.release();
    await underWay;
    await sent(shell, 3);
    await host.apply([classChange("vnfkt0")], "updating guest g");
    expect(readsWhole(shell.fake.received.at(-1)!)).toBe(true);
    confirm();
    await safe;
  });
});
