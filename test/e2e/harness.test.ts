import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Engine,
  UNKNOWN,
  installPackage,
  isSecret,
  type EngineResult,
  type InstalledPackage,
  type Program,
} from "../../scripts/engine";

// Self-test of the harness against a throwaway dynamic-provider package whose resources are files, so every claim
// about what the engine did can be checked on disk.
const FIXTURE = path.join(__dirname, "fixtures", "fake-dynamic-pkg");

interface Spec {
  netName?: string;
  mtu?: number;
  via?: string;
  metric?: number;
  /** Extra resources, keyed by logical name. */
  extraNetworks?: Record<string, { name: string; failInit?: boolean }>;
  routeOnExtra?: string;
  /** Adds a route that takes the network resource itself as an input. */
  refRoute?: boolean;
}

let pkg: InstalledPackage;
let engine: Engine;
let work: string;
let fixtureCopy: string;
let installMs = 0;
/** What the program itself observed through the SDK during the last run. */
let seen: { bridge?: string; tokenIsSecret?: boolean } = {};

function program(spec: Spec = {}): Program {
  return async ({ pkg: fake, pulumi }) => {
    seen = {};
    const net = new fake.Network("net", {
      dir: work,
      name: spec.netName ?? "br0",
      mtu: spec.mtu,
      token: pulumi.secret("s3cr3t"),
    });
    const route = new fake.Route("route", {
      dir: work,
      network: net.path,
      via: spec.via ?? "10.0.0.1",
      metric: spec.metric ?? 100,
    });
    route.bridge.apply((b: string) => (seen.bridge = b));
    pulumi.isSecret(net.token).then((s: boolean) => (seen.tokenIsSecret = s));
    if (spec.refRoute) {
      new fake.Route("ref-route", { dir: work, network: net, via: "10.1.1.1" });
    }
    for (const [logical, args] of Object.entries(spec.extraNetworks ?? {})) {
      const extra = new fake.Network(logical, { dir: work, ...args });
      if (spec.routeOnExtra === logical) {
        new fake.Route(`${logical}-route`, { dir: work, network: extra.path, via: "10.9.9.9" });
      }
    }
  };
}

const urn = (type: string, name: string) => `urn:pulumi:test::harness::pulumi-nodejs:dynamic/fake:${type}::${name}`;
const NET = urn("Network", "net");
const ROUTE = urn("Route", "route");

function ops(result: EngineResult): Record<string, string> {
  return Object.fromEntries(result.steps.map((s) => [s.name, s.op]));
}

function step(result: EngineResult, name: string) {
  const s = result.steps.find((x) => x.name === name && x.op !== "delete");
  expect(s, `step for ${name}`).toBeDefined();
  return s!;
}

function opsLog(): string[] {
  const file = path.join(work, "ops.log");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [];
}

function resourceFiles(): string[] {
  return fs.readdirSync(work).filter((f) => f.endsWith(".json")).sort();
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function expectClean(result: EngineResult) {
  expect(result.errors).toEqual([]);
  expect(result.failures).toEqual([]);
}

describe("e2e harness self-test (fake dynamic package)", () => {
  beforeAll(async () => {
    fixtureCopy = fs.mkdtempSync(path.join(os.tmpdir(), "fake-dynamic-pkg-"));
    fs.cpSync(FIXTURE, fixtureCopy, { recursive: true });
    work = fs.mkdtempSync(path.join(os.tmpdir(), "harness-work-"));
    const started = Date.now();
    pkg = await installPackage(fixtureCopy);
    installMs = Date.now() - started;
    engine = new Engine({ pkg, packageName: "fake-dynamic-pkg" });
  });

  afterAll(async () => {
    await engine?.dispose();
    for (const dir of [work, fixtureCopy]) {
      if (dir) {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    console.log(`harness self-test: install took ${installMs} ms`);
  });

  it("installs the package and the SDK into a fresh directory", () => {
    expect(fs.existsSync(path.join(pkg.dir, "node_modules", "fake-dynamic-pkg", "impl.js"))).toBe(true);
    expect(pkg.require<{ version: string }>("@pulumi/pulumi/package.json").version).toMatch(/^3\./);
    expect(path.dirname(require.resolve("@pulumi/pulumi", { paths: [pkg.dir] }))).toContain(pkg.dir);
  });

  it("preview plans creates, exposes unknowns to dependents and touches nothing", async () => {
    const result = await engine.preview(program());
    expectClean(result);
    expect(ops(result)).toEqual({ net: "create", route: "create" });
    const route = result.registrations.find((r) => r.name === "route")!;
    // `path` is an output the network only has once created, so the dependent must see it as unknown.
    expect(route.inputs.network).toBe(UNKNOWN);
    expect(typeof route.inputs.__provider).toBe("string");
    expect(opsLog()).toEqual([]);
    expect(resourceFiles()).toEqual([]);
    expect(engine.state.size).toBe(0);
  });

  it("up creates in dependency order and dependents see real outputs", async () => {
    const result = await engine.up(program());
    expectClean(result);
    expect(ops(result)).toEqual({ net: "create", route: "create" });
    expect(opsLog()).toEqual(["create network br0", "create route 10.0.0.1"]);

    const net = engine.state.get(NET)!;
    const route = engine.state.get(ROUTE)!;
    expect(net.id).toBe("br0");
    expect(net.outputs.path).toBe(path.join(work, "net-br0.json"));
    expect(result.registrations.find((r) => r.name === "route")!.inputs.network).toBe(net.outputs.path);
    expect(route.outputs.bridge).toBe("br0");
    expect(route.dependencies).toContain(NET);
    expect(seen.bridge).toBe("br0");
    expect(resourceFiles()).toEqual(["net-br0.json", `route-${route.id}.json`]);
  });

  it("keeps secret inputs secret in state while sending them plain to the provider", async () => {
    const raw = (await engine.preview(program())).registrations.find((r) => r.name === "net")!;
    expect(isSecret(raw.inputs.token)).toBe(true);

    const net = engine.state.get(NET)!;
    expect(net.secretOutputs).toEqual(["token"]);
    expect(net.outputs.token).toBe("s3cr3t");
    expect(readJson(path.join(work, "net-br0.json")).token).toBe("s3cr3t");
    expect(engine.state.get(ROUTE)!.secretOutputs).toEqual([]);
    expect(seen.tokenIsSecret).toBe(true);
  });

  it("a second up changes nothing", async () => {
    const before = opsLog();
    const result = await engine.up(program());
    expectClean(result);
    expect(ops(result)).toEqual({ net: "same", route: "same" });
    expect(opsLog()).toEqual(before);
  });

  it("changing an updatable field updates in place", async () => {
    const routeId = engine.state.get(ROUTE)!.id;
    const result = await engine.up(program({ mtu: 9000 }));
    expectClean(result);
    expect(ops(result)).toEqual({ net: "update", route: "same" });
    expect(step(result, "net")).toMatchObject({ diffs: ["mtu"], replaces: [] });
    expect(opsLog().at(-1)).toBe("update network br0");
    expect(readJson(path.join(work, "net-br0.json")).mtu).toBe(9000);
    expect(engine.state.get(NET)!.outputs.mtu).toBe(9000);
    expect(engine.state.get(ROUTE)!.id).toBe(routeId);
  });

  it("a delete-before-replace deletes the old resource and its dependents first", async () => {
    const spec = { mtu: 9000, netName: "br1" };
    const before = opsLog();
    const preview = await engine.preview(program(spec));
    expectClean(preview);
    expect(step(preview, "net")).toMatchObject({ op: "replace", replaces: ["name"], deleteBeforeReplace: true });
    expect(step(preview, "route")).toMatchObject({ op: "replace", deleteBeforeReplace: true });
    expect(opsLog()).toEqual(before);

    const result = await engine.up(program(spec));
    expectClean(result);
    expect(step(result, "net")).toMatchObject({ op: "replace", replaces: ["name"], deleteBeforeReplace: true });
    expect(step(result, "route").op).toBe("replace");
    expect(opsLog().slice(before.length)).toEqual([
      "delete route 10.0.0.1",
      "delete network br0",
      "create network br1",
      "create route 10.0.0.1",
    ]);
    expect(engine.state.get(NET)!.id).toBe("br1");
    expect(engine.state.get(ROUTE)!.outputs.bridge).toBe("br1");
    expect(resourceFiles()).toEqual(["net-br1.json", `route-${engine.state.get(ROUTE)!.id}.json`]);
  });

  it("a create-before-delete replace creates the replacement first", async () => {
    const spec = { mtu: 9000, netName: "br1", via: "10.0.0.2" };
    const oldRoute = engine.state.get(ROUTE)!.id;
    const before = opsLog();
    const result = await engine.up(program(spec));
    expectClean(result);
    expect(ops(result)).toEqual({ net: "same", route: "replace" });
    expect(step(result, "route")).toMatchObject({ replaces: ["via"], deleteBeforeReplace: false });
    expect(opsLog().slice(before.length)).toEqual(["create route 10.0.0.2", "delete route 10.0.0.1"]);
    const newRoute = engine.state.get(ROUTE)!.id;
    expect(newRoute).not.toBe(oldRoute);
    expect(resourceFiles()).toEqual(["net-br1.json", `route-${newRoute}.json`]);
  });

  it("a resource passed as an input reaches the provider as its ID; dropping it deletes it", async () => {
    const spec = { mtu: 9000, netName: "br1", via: "10.0.0.2" };
    const result = await engine.up(program({ ...spec, refRoute: true }));
    expectClean(result);
    expect(ops(result)).toEqual({ net: "same", route: "same", "ref-route": "create" });
    const raw = result.registrations.find((r) => r.name === "ref-route")!.inputs.network;
    expect(raw).toMatchObject({ urn: NET, id: "br1" });
    const ref = engine.state.get(urn("Route", "ref-route"))!;
    expect(ref.inputs.network).toBe("br1");
    expect(ref.outputs.bridge).toBe("br1");
    expect(ref.dependencies).toEqual([NET]);

    const dropped = await engine.up(program(spec));
    expectClean(dropped);
    expect(ops(dropped)).toEqual({ net: "same", route: "same", "ref-route": "delete" });
    expect(opsLog().at(-1)).toBe("delete route 10.1.1.1");
    expect(engine.state.has(urn("Route", "ref-route"))).toBe(false);
  });

  it("refresh drops a resource deleted out of band and the next preview plans its creation", async () => {
    const spec = { mtu: 9000, netName: "br1", via: "10.0.0.2" };
    fs.rmSync(engine.state.get(ROUTE)!.outputs.path as string);

    const refreshed = await engine.refresh();
    expectClean(refreshed);
    expect(ops(refreshed)).toEqual({ net: "read", route: "refresh-delete" });
    expect(engine.state.has(ROUTE)).toBe(false);
    expect(engine.state.get(NET)!.secretOutputs).toEqual(["token"]);

    const preview = await engine.preview(program(spec));
    expectClean(preview);
    expect(ops(preview)).toEqual({ net: "same", route: "create" });
    // An unchanged resource exposes its real outputs even during a preview.
    expect(preview.registrations.find((r) => r.name === "route")!.inputs.network).toBe(
      path.join(work, "net-br1.json"),
    );

    expectClean(await engine.up(program(spec)));
    expect(engine.state.has(ROUTE)).toBe(true);
  });

  it("looks up a resource by ID through Read without managing it", async () => {
    const before = opsLog();
    let found: string | undefined;
    const result = await engine.up(async (modules) => {
      await program({ mtu: 9000, netName: "br1", via: "10.0.0.2" })(modules);
      const lookup = new modules.pkg.Network("lookup", { dir: work }, { id: "br1" });
      lookup.path.apply((p: string) => (found = p));
    });
    expectClean(result);
    expect(ops(result)).toEqual({ net: "same", route: "same", lookup: "read" });
    expect(found).toBe(path.join(work, "net-br1.json"));
    expect(engine.state.has(urn("Network", "lookup"))).toBe(false);
    expect(opsLog()).toEqual(before);
  });

  it("reports check failures by property and never creates the invalid resource", async () => {
    const spec: Spec = { mtu: 9000, netName: "br1", via: "10.0.0.2", extraNetworks: { bad: { name: "Bad Name!" } } };
    const before = opsLog();
    const result = await engine.up(program(spec));
    expect(result.failures).toEqual([
      { urn: urn("Network", "bad"), property: "name", reason: 'invalid network name "Bad Name!"' },
    ]);
    expect(result.errors).toEqual([]);
    expect(ops(result)).toMatchObject({ net: "same", route: "same" });
    expect(engine.state.has(urn("Network", "bad"))).toBe(false);
    expect(opsLog()).toEqual(before);
  });

  it("records a resource that was created but failed to initialize, and skips its dependents", async () => {
    const spec: Spec = {
      mtu: 9000,
      netName: "br1",
      via: "10.0.0.2",
      extraNetworks: { flaky: { name: "flaky", failInit: true } },
      routeOnExtra: "flaky",
    };
    const result = await engine.up(program(spec));
    expect(result.errors).toEqual([{ urn: urn("Network", "flaky"), message: "network flaky failed to initialize" }]);
    const flaky = engine.state.get(urn("Network", "flaky"));
    expect(flaky?.id).toBe("flaky");
    expect(flaky?.outputs.path).toBe(path.join(work, "net-flaky.json"));
    expect(engine.state.has(urn("Route", "flaky-route"))).toBe(false);
    expect(opsLog().some((l) => l.includes("10.9.9.9"))).toBe(false);

    // Dropping it from the program deletes it, once the program runs cleanly.
    const cleanup = await engine.up(program({ mtu: 9000, netName: "br1", via: "10.0.0.2" }));
    expectClean(cleanup);
    expect(ops(cleanup)).toEqual({ net: "same", route: "same", flaky: "delete" });
    expect(opsLog().at(-1)).toBe("delete network flaky");
  });

  it("a failing program reports its error and deletes nothing it did not declare", async () => {
    const before = opsLog();
    const result = await engine.up(({ pkg: fake, pulumi }) => {
      new fake.Network("net", { dir: work, name: "br1", mtu: 9000, token: pulumi.secret("s3cr3t") });
      throw new Error("program bug");
    });
    expect(result.errors).toEqual([
      { urn: "urn:pulumi:test::harness::pulumi:pulumi:Stack::harness-test", message: "program bug" },
    ]);
    expect(ops(result)).toEqual({ net: "same" });
    expect(engine.state.has(ROUTE)).toBe(true);
    expect(opsLog()).toEqual(before);
  });

  it("destroy deletes everything, dependents first", async () => {
    const before = opsLog();
    const result = await engine.destroy();
    expectClean(result);
    expect(result.steps.map((s) => [s.name, s.op])).toEqual([
      ["route", "delete"],
      ["net", "delete"],
    ]);
    expect(opsLog().slice(before.length)).toEqual(["delete route 10.0.0.2", "delete network br1"]);
    expect(engine.state.size).toBe(0);
    expect(resourceFiles()).toEqual([]);
  });
});
