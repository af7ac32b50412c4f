import { defineConfig } from "vitest/config";

// Three levels (docs/architecture.md §6): unit tests need nothing; host tests need root and a sandbox host;
// e2e tests drive Pulumi's real dynamic-provider plugin against a sandbox host. In every project a test
// that asserts nothing fails, so no test passes without checking something real.
export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], expect: { requireAssertions: true } } },
      { test: { name: "host", include: ["test/host/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000, expect: { requireAssertions: true } } },
      {
        test: {
          name: "peer",
          include: ["test/peer/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          expect: { requireAssertions: true },
        },
      },
      {
        test: {
          name: "e2e",
          // Installs pulumi-virtnet from its npm pack tarball once for all e2e files.
          globalSetup: ["test/e2e/install-virtnet.ts"],
          expect: { requireAssertions: true },
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
