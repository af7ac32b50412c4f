// The observation's groups of sections run at once (iproute2/observe-script.ts): on a real kernel, the concurrent
// script reads exactly what its sections read one after another, including a shaped-device report larger than a pipe
// holds, which makes its stage wait for the others. An apply's read-back, patched into the snapshot before it, shows
// what a whole observation shows after the change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostSnapshot } from "../../provider/host/snapshot";
import { renderReadBack, SNAPSHOT_GROUPS, SNAPSHOT_SCRIPT, SNAPSHOT_SECTION } from "../../provider/iproute2/observe-script";
import { OWNER_ALIAS } from "../../provider/net/owner-alias";
import { LocalShell } from "../support/local-shell";
import { createSandbox, type Sandbox } from "../support/sandbox";

/** Enough shaped devices for the tc section to outgrow a pipe's 64 KiB. */
const DEVICES = 140;
const PIPE_BYTES = 65_536;
const names = Array.from({ length: DEVICES }, (_, i) => `ob${i}`);

let sb: Sandbox;
beforeAll(async () => {
  sb = await createSandbox();
  const ip = names.flatMap((d, i) => [
    `tuntap add name ${d} mode tap`,
    `link set ${d} alias ${OWNER_ALIAS}`,
    `addr add 10.77.${i >> 6}.${(i & 63) * 4 + 1}/30 dev ${d}`,
    `link set ${d} up`,
  ]);
  // HTB, a class and a root filter, and an ingress filter: what the observation reads of a shaped guest's tap.
  const tc = names.flatMap((d) => [
    `qdisc add dev ${d} root handle 1: htb default 1`,
    `class add dev ${d} parent 1: classid 1:1 htb rate 1000kbit ceil 2000kbit`,
    `filter add dev ${d} parent 1: protocol all prio 1 u32 match u32 0 0 flowid 1:1`,
    `qdisc add dev ${d} handle ffff: ingress`,
    `filter add dev ${d} parent ffff: protocol all prio 1 u32 match u32 0 0 flowid :1`,
  ]);
  await new LocalShell(sb.namespace).run(`ip -batch - <<'EOF'\n${ip.join("\n")}\nEOF\ntc -batch - <<'EOF'\n${tc.join("\n")}\nEOF\n`).then((r) => {
    if (r.code !== 0) throw new Error(`setting up the shaped devices failed: ${r.stderr}`);
  });
}, 120_000);
afterAll(async () => sb?.destroy());

describe("the observation", () => {
  it("reads the same snapshot with its groups at once as with its sections one after another", async () => {
    const shell = new LocalShell(sb.namespace);
    const concurrent = await shell.run(SNAPSHOT_SCRIPT);
    const sequential = await shell.run(SNAPSHOT_GROUPS.flat().join("\n"));
    expect(concurrent.code).toBe(0);
    expect(sequential.code).toBe(0);

    const sections = (out: string) => out.split(new RegExp(`^${SNAPSHOT_SECTION} `, "m")).slice(1).map((s) => s.slice(0, s.indexOf("\n")));
    expect(sections(concurrent.stdout).sort()).toEqual(sections(sequential.stdout).sort());
    expect(new Set(sections(concurrent.stdout)).size).toBe(sections(concurrent.stdout).length);
    // The shaped devices' stage had more to write than the pipe holds before its reader started.
    const tcSection = concurrent.stdout.split(new RegExp(`^${SNAPSHOT_SECTION} `, "m")).find((s) => s.startsWith("tc\n"))!;
    expect(tcSection.length).toBeGreaterThan(PIPE_BYTES);

    const a = HostSnapshot.parse(concurrent.stdout);
    const b = HostSnapshot.parse(sequential.stdout);
    expect(a).toEqual(b);
    for (const d of names) {
      const tc = a.tcOf(d);
      expect(tc.classes.map((c) => c.classId), d).toEqual(["1:1"]);
      expect(tc.filters.length, d).toBeGreaterThan(0);
      expect(tc.ingressFilters.length, d).toBeGreaterThan(0);
      expect(a.link(d)?.alias, d).toBe(OWNER_ALIAS);
    }
  });
});

describe("a read-back", () => {
  /** Runs a script in the sandbox host, which must succeed, and gives its output. */
  const read = async (script: string) => {
    const r = await new LocalShell(sb.namespace).run(script);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  it("patched into the snapshot before a change, shows what a whole observation shows after it", async () => {
    const before = HostSnapshot.parse(await read(SNAPSHOT_SCRIPT));
    // A class changed (ob0), a device that stops shaping (ob1), one whose qdiscs change (ob2: ingress gone), a route;
    // ob3 is read back unchanged, and lo, which shapes nothing, stays without tc.
    await read(
      [
        "tc class change dev ob0 parent 1: classid 1:1 htb rate 3000kbit ceil 4000kbit",
        "tc qdisc del dev ob1 root",
        "tc qdisc del dev ob1 ingress",
        "tc qdisc del dev ob2 ingress",
        "ip route add 10.78.0.0/24 via 10.77.0.2",
      ].join(" && "),
    );
    const back = renderReadBack({ all: false, routes: true, tcDevices: new Set(["ob1", "ob2"]), classDevices: new Set(["ob0", "ob3", "lo"]) });
    const readBack = await read(back);
    const patched = HostSnapshot.parse(readBack, before);
    const after = HostSnapshot.parse(await read(SNAPSHOT_SCRIPT));

    expect(patched).toEqual(after);
    expect(patched).not.toEqual(before);
    expect(patched.tcOf("ob0").classes[0]?.rateBits).toBe(3_000_000);
    expect(patched.tc.has("ob1")).toBe(false);
    expect(patched.tcOf("ob2").ingressFilters).toEqual([]);
    expect(patched.tc.has("lo")).toBe(false);
    expect(patched.routesTo({ family: "ipv4", address: "10.78.0.0", prefix: 24 })).toHaveLength(1);
    // It read a fraction of what the whole observation reads.
    expect(readBack.length).toBeLessThan((await read(SNAPSHOT_SCRIPT)).length / 2);
  });

  it("of rate changes alone (the header after the class listing) shows what a whole observation shows", async () => {
    const before = HostSnapshot.parse(await read(SNAPSHOT_SCRIPT));
    await read("tc class change dev ob3 parent 1: classid 1:1 htb rate 5000kbit ceil 6000kbit");
    const patched = HostSnapshot.parse(await read(renderReadBack({ all: false, routes: false, tcDevices: new Set(), classDevices: new Set(["ob3", "ob0"]) })), before);
    expect(patched).toEqual(HostSnapshot.parse(await read(SNAPSHOT_SCRIPT)));
    expect(patched.tcOf("ob3").classes[0]?.rateBits).toBe(5_000_000);
  });
});
