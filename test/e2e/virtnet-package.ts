// The pulumi-virtnet installation the e2e global setup made (install-virtnet.ts), for a test file.
import { inject } from "vitest";
import { installedAt, type InstalledPackage } from "../../scripts/engine";

export function installedVirtnet(): InstalledPackage {
  return installedAt(inject("virtnetInstallDir"));
}
