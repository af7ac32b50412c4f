// Shared set-up of the engine-faithful tests: a sandbox host and an Engine over the installed package, torn down
// (everything destroyed) after the file, whatever happened.
import { afterAll, beforeAll, expect } from "vitest";
import { Engine, type EngineResult } from "../../scripts/engine";
import { installedVirtnet } from "./virtnet-package";
import { createSandbox, type Sandbox } from "../support/sandbox";

/** Filled in before the file's tests run. */
export interface EngineFixture {
  sb: Sandbox;
  engine: Engine;
}

/** `createHost`: the sandbox to run against, for tests that need more of a host than the plain one (systemd as init). */
export function useEngine(createHost: () => Promise<Sandbox> = createSandbox): EngineFixture {
  const t = {} as EngineFixture;
  beforeAll(async () => {
    t.sb = await createHost();
    t.engine = new Engine({ pkg: installedVirtnet(), packageName: "pulumi-virtnet" });
  });
  afterAll(async () => {
    await t.engine?.destroy().catch(() => undefined);
    await t.engine?.dispose();
    await t.sb?.destroy();
  });
  return t;
}

/** A deployment's steps by resource name, after asserting it had no errors or check failures. */
export function steps(r: EngineResult): Record<string, string> {
  expect(r.errors).toEqual([]);
  expect(r.failures).toEqual([]);
  return Object.fromEntries(r.steps.map((s) => [s.name, s.op]));
}
