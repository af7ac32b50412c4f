import { defineConfig } from "vitest/config";

// Three levels (design §6): unit tests need nothing; host tests need root and a sandbox host;
// e2e tests drive Pulumi's real dynamic-provider plugin against a sandbox host.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { test: { name: "host", include: ["test/host/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
