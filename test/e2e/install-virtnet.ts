// Global setup of the e2e project: install pulumi-virtnet from its npm pack tarball once, as a user would.
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { installPackage } from "../../scripts/engine";

declare module "vitest" {
  export interface ProvidedContext {
    virtnetInstallDir: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const pkg = await installPackage(path.resolve(__dirname, "../.."));
  project.provide("virtnetInstallDir", pkg.dir);
}
