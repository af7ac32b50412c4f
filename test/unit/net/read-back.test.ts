// Which parts of the host an apply reads back (net/read-back.ts), and the script that reads them
// (iproute2/observe-script.ts), against a golden file.
import { describe, expect, it } from "vitest";
import { readAll, readBackOf, widenReadBack } from "../../../provider/net/read-back";
import { renderReadBack, SNAPSHOT_SCRIPT } from "../../../provider/iproute2/observe-script";
import type { Operation } from "../../../provider/net/operation";

const cls = { parent: "1:", classId: "1:3", rateKbps: 1000, quantum: 1 };
const ROUTE = { family: "ipv4", address: "10.50.0.0", prefix: 24, gateway: "10.40.0.2", metric: 1 } as const;

describe("what an apply reads back", () => {
  it("for classes and filters: those of their devices only", () => {
    const ops: Operation[] = [
      { op: "classChange", dev: "vnet0", cls, from: cls },
      { op: "filterDelFloor", dev: "virbr0", id: 3 },
      { op: "classDel", dev: "virbr0", classId: "1:3" },
    ];
    expect(readBackOf(ops)).toEqual({ all: false, routes: false, tcDevices: new Set(), classDevices: new Set(["vnet0", "virbr0"]) });
  });

  it("for qdiscs: the device's whole traffic control; for routes: the main table", () => {
    const ops: Operation[] = [
      { op: "qdiscDel", dev: "vnet1", target: "root" },
      { op: "classAdd", dev: "vnet1", cls },
      { op: "routeAdd", name: "virbr0", ...ROUTE },
    ];
    expect(readBackOf(ops)).toEqual({ all: false, routes: true, tcDevices: new Set(["vnet1"]), classDevices: new Set(["vnet1"]) });
  });

  it("for anything else: everything, as a link's deletion takes its routes, addresses and tc with it", () => {
    for (const other of [
      { op: "tapDel", name: "vnet0" },
      { op: "linkSetMtu", name: "virbr0", mtu: 1400 },
      { op: "fdbAdd", name: "vnet0", mac: "52:54:00:00:00:01" },
      { op: "forwardingSysctl", family: "ipv4", value: 1 },
      { op: "fileWrite", path: "/etc/x", content: "", mode: 0o644 },
    ] satisfies Operation[]) {
      expect(readBackOf([{ op: "classChange", dev: "vnet0", cls }, other]), other.op).toEqual(readAll());
    }
  });

  it("for an exec's applies: one read-back covering each of theirs", () => {
    const back = readBackOf([{ op: "classChange", dev: "vnet0", cls }]);
    widenReadBack(back, readBackOf([{ op: "routeDel", name: "virbr0", ...ROUTE }]));
    widenReadBack(back, readBackOf([{ op: "qdiscAdd", dev: "vnet2", qdisc: { kind: "ingress" } }]));
    expect(back).toEqual({ all: false, routes: true, tcDevices: new Set(["vnet2"]), classDevices: new Set(["vnet0"]) });
    widenReadBack(back, readAll());
    expect(back.all).toBe(true);
  });
});

describe("the read-back script", () => {
  it("reads a device's classes alone, another's whole tc with the qdisc listing, and the routes", async () => {
    const script = renderReadBack({ all: false, routes: true, tcDevices: new Set(["vnet1", "virbr0"]), classDevices: new Set(["vnet2", "vnet1"]) });
    await expect(script).toMatchFileSnapshot("../golden/read-back.sh");
  });

  it("of rate changes alone is one pipeline: its header follows the class listing instead of running beside it", async () => {
    const script = renderReadBack({ all: false, routes: false, tcDevices: new Set(), classDevices: new Set(["vnet2", "vnet1"]) });
    await expect(script).toMatchFileSnapshot("../golden/read-back-classes.sh");
    expect(script).not.toContain("cat;");
  });

  it("is the whole observation when it must read everything", () => {
    expect(renderReadBack(readAll())).toBe(SNAPSHOT_SCRIPT);
  });
});
