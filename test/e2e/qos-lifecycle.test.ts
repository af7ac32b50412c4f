// Engine-faithful lifecycle of the QoS example: network bandwidth and guests' floors through Pulumi's plugin.
import { describe, expect, it } from "vitest";
import { defineQos, type QosOptions } from "../../examples/qos/qos";
import type { Program } from "../../scripts/engine";
import { steps, useEngine } from "./use-engine";

const t = useEngine();

function qos(options: QosOptions = {}): Program {
  return ({ pkg, pulumi }) => {
    defineQos(pkg, { host: t.sb.host, privateKey: pulumi.secret(t.sb.privateKey), hostKey: t.sb.hostKey }, options);
  };
}
const tc = (...args: string[]) => t.sb.execInNamespace(["tc", ...args]);

describe("QoS network lifecycle through Pulumi's dynamic-provider plugin", () => {
  it("rejects an overcommitting floor at preview", async () => {
    const r = await t.engine.preview(qos({ webFloor: 2500 }));
    expect(r.failures).toEqual([expect.objectContaining({ property: "bandwidth.inbound.floor", reason: expect.stringMatching(/would overcommit peak=2000/) })]);
  });

  it("creates the network's HTB and both guests' floor classes", async () => {
    expect(steps(await t.engine.up(qos()))).toEqual({ qos: "create", web: "create", db: "create" });
    const classes = tc("class", "show", "dev", "virbr40");
    expect(classes).toMatch(/class htb 1:3 parent 1:1 .*rate 3200Kbit ceil 16Mbit/);
    expect(classes).toMatch(/class htb 1:4 parent 1:1 .*rate 1600Kbit ceil 16Mbit/);
    expect(classes).toMatch(/class htb 1:2 parent 1:1 .*rate 11200Kbit ceil 16Mbit/); // 2000 - 600 KB/s
  });

  it("finds nothing to do on a second up or after a refresh", async () => {
    expect(steps(await t.engine.up(qos()))).toEqual({ qos: "same", web: "same", db: "same" });
    expect(steps(await t.engine.refresh())).toEqual({ qos: "read", web: "read", db: "read" });
    expect(steps(await t.engine.preview(qos()))).toEqual({ qos: "same", web: "same", db: "same" });
  });

  it("changes a floor and a guest MAC in place", async () => {
    expect(steps(await t.engine.up(qos({ webFloor: 600, webMac: "52:54:00:00:40:11" })))).toEqual({ qos: "same", web: "update", db: "same" });
    expect(tc("class", "show", "dev", "virbr40")).toMatch(/class htb 1:3 parent 1:1 .*rate 4800Kbit/);
    expect(tc("filter", "show", "dev", "virbr40")).toMatch(/fh 800::803 [\s\S]*?match 00004011\/ffffffff at -12/);
  });

  it("changes the network's peak in place, keeping the guests' floors", async () => {
    const r = await t.engine.up(qos({ webFloor: 600, webMac: "52:54:00:00:40:11", networkPeak: 3000 }));
    expect(steps(r)).toMatchObject({ qos: "update" });
    const classes = tc("class", "show", "dev", "virbr40");
    expect(classes).toMatch(/class htb 1:1 root rate 8Mbit ceil 24Mbit/);
    expect(classes).toMatch(/class htb 1:3 parent 1:1 .*rate 4800Kbit ceil 24Mbit/);
  });

  it("destroys guests (unplugging their floors) before the network", async () => {
    const r = await t.engine.destroy();
    expect(r.errors).toEqual([]);
    expect(r.steps.map((s) => s.name).slice(-1)).toEqual(["qos"]);
    expect(t.sb.ipJson(["link", "show", "type", "bridge"])).toEqual([]);
  });
});
