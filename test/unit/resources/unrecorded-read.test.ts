// Read refreshes only what virtnet recorded: `pulumi import` cannot work with a dynamic provider, and taking over an
// existing object is a create with adopt: true (provider/resources/lifecycle.ts, read).
import { describe, expect, it } from "vitest";
import { guestInterface, network, staticRoute } from "../../../provider";
import { connection } from "./network/network-fixtures";

const base = { connection, bridge: "virbr1", networkIps: [{ address: "192.168.122.1", prefix: 24 }], address: "10.9.0.0", prefix: 16, gateway: "192.168.122.3" };
describe("reads of what virtnet did not record (pulumi import, a read by id)", () => {
  // The engine calls Read for `pulumi import` with only the URN and id (pulumi/pulumi#16175): whatever a read gets
  // that is not virtnet's recorded state is refused with the way that works, never recorded as if converged.
  it.each([
    ["bridge", network, "203.0.113.7/virbr10", { connection, bridge: { name: "virbr10" } }],
    ["route", staticRoute, "203.0.113.7/virbr1/route/10.9.0.0/16", base],
    ["guest interface", guestInterface, "203.0.113.7/vnet0", { connection, bridge: "virbr1", name: "vnet0", mac: "52:54:00:00:00:01" }],
  ] as const)("refuses a %s read with the program's arguments, naming adopt: true", async (noun, handlers, id, args) => {
    await expect(handlers.read(id, args)).rejects.toThrow(
      new RegExp(`^cannot read ${noun} ${id.replace(/[./]/g, "\\$&")}: .*pulumi import .* not supported for a dynamic provider \\(pulumi/pulumi#16175\\)\\. To manage an existing ${noun}, declare the resource with adopt: true`),
    );
    await expect(handlers.read(id, {})).rejects.toThrow(/declare the resource with adopt: true/);
  });
});
