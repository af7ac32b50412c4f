// The SDK classes register without the SDK's per-property stack capture, and lose nothing a user sees by it:
// the source position Pulumi records, the secret connection, stacks of errors, the leak debugging variable.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
// The SDK's registry of pending promises, each with the stack it recorded: internal (absent from its types), so an
// SDK upgrade that moves it fails here rather than leaving the pause unchecked.
import * as sdkState from "@pulumi/pulumi/runtime/state";
import type { Network as NetworkClass } from "../../../sdk";

type Sdk = typeof import("../../../sdk");
let sdk: Sdk;
const registered: { name: string; sourceUri: string | undefined; stackUris: string[]; secretOutputs: string[] }[] = [];
const connection = { host: "203.0.113.7", privateKey: "k", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAwcTVKxJz3ZfMZjgMjJqHiFzxNjQm2s4SwY5fNG7UaV" };
let unique = 0;

beforeAll(async () => {
  pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, "lab", "dev", false);
  // The mock monitor sees every registration request as the engine would: wrap it to read what the SDK sends.
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    registered.push({
      name: req.getName(),
      sourceUri: req.getSourceposition()?.getUri(),
      stackUris: (req.getStacktrace()?.getFramesList() ?? []).map((f) => f.getPc()?.getUri() ?? ""),
      secretOutputs: req.getAdditionalsecretoutputsList(),
    });
    return register(req, cb);
  };
  sdk = await import("../../../sdk");
});

interface RegisterRequest {
  getName(): string;
  getSourceposition(): { getUri(): string } | undefined;
  getStacktrace(): { getFramesList(): { getPc(): { getUri(): string } | undefined }[] } | undefined;
  getAdditionalsecretoutputsList(): string[];
}

const savedLimit = Error.stackTraceLimit;
afterEach(() => {
  Error.stackTraceLimit = savedLimit;
  delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
});

/** The stacks the SDK recorded for the properties of the resource `name`. */
function propertyStacks(name: string): string[] {
  const { getStore } = sdkState as unknown as { getStore(): { leakCandidates: Set<{ _debugCtx: string; _debugStackTrace: string }> } };
  const { leakCandidates } = getStore();
  return [...leakCandidates].filter((p) => String(p._debugCtx).startsWith(`transferProperty(resource:${name}[`)).map((p) => p._debugStackTrace);
}

const settled = (r: pulumi.Resource) => new Promise((resolve) => r.urn.apply(resolve));

function network(name: string): NetworkClass {
  return new sdk.Network(name, { connection, bridge: { name: "virbr10" } });
}

describe("VirtnetResource", () => {
  it("registers every class without a stack per property, and restores the caller's limit", async () => {
    Error.stackTraceLimit = 17;
    const net = network(`net${++unique}`);
    const resources: [string, pulumi.Resource][] = [
      [`net${unique}`, net],
      [`gi${unique}`, new sdk.GuestInterface(`gi${unique}`, { network: net })],
      [`route${unique}`, new sdk.StaticRoute(`route${unique}`, { network: net, address: "10.8.0.0", prefix: 16, gateway: "192.168.100.2" })],
      [`host${unique}`, new sdk.DhcpHost(`host${unique}`, { network: net, mac: "52:54:00:7a:00:01", ip: "192.168.100.10" })],
    ];
    expect(Error.stackTraceLimit).toBe(17);
    for (const [name] of resources) {
      const stacks = propertyStacks(name);
      expect(stacks.length, name).toBeGreaterThan(5);
      // With no frames, the stack is the error's name alone.
      for (const stack of stacks) expect(stack, name).toMatch(/^Error:? *$/);
    }
    await Promise.all(resources.map(([, r]) => settled(r)));
  });

  it("keeps the stacks when PULUMI_DEBUG_PROMISE_LEAKS asks the SDK to print them", async () => {
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
    const net = network(`net${++unique}`);
    const stacks = propertyStacks(`net${unique}`);
    expect(stacks.length).toBeGreaterThan(5);
    for (const stack of stacks) expect(stack).toContain("virtnet-resource.test.ts");
    await settled(net);
  });

  it("still sends the engine the program's stack and the connection as a secret output", async () => {
    const name = `net${++unique}`;
    await settled(network(name));
    const request = registered.find((r) => r.name === name);
    // The SDK takes its own stack, limit lifted. Its source position is the frame it counts as the caller's, which
    // for a dynamic resource's subclass is virtnet's own class, as it was before the pause.
    expect(request?.sourceUri).toMatch(/^file:\/\/.*\/sdk\/virtnet-resource\.ts$/);
    expect(request?.stackUris.some((uri) => uri.endsWith("/test/unit/sdk/virtnet-resource.test.ts"))).toBe(true);
    expect(request?.secretOutputs).toEqual(["connection"]);
  });

  it("gives an error thrown while registering its stack back, from the caller's frame, and restores the limit", () => {
    Error.stackTraceLimit = 9;
    const net = network(`net${++unique}`);
    let thrown: unknown;
    try {
      new sdk.GuestInterface(`gi${unique}`, { network: net, macTableManager: "libvirt" });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    const stack = (thrown as Error).stack ?? "";
    expect(stack).toMatch(/^Error: GuestInterface gi\d+: macTableManager comes from its Network/);
    expect(stack.split("\n")[1]).toContain("virtnet-resource.test.ts");
    expect(stack).not.toContain("new GuestInterface");
    expect(Error.stackTraceLimit).toBe(9);
  });
});
