// A sandbox host for one test file: created before its tests, pooled connections closed and host destroyed after.
import { afterAll, beforeAll } from "vitest";
import { closeAllHosts } from "../../provider/host/host-pool";
import { createSandbox, type Sandbox } from "./sandbox";

export interface SandboxFixture {
  sb: Sandbox;
}

export function useSandbox(): SandboxFixture {
  const t = {} as SandboxFixture;
  beforeAll(async () => {
    t.sb = await createSandbox();
  });
  afterAll(async () => {
    closeAllHosts();
    await t.sb?.destroy();
  });
  return t;
}
