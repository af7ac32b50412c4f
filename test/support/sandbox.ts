// Test support: the sandbox host (scripts/sandbox) under the names the host tests import, and its CLI as a command.
import * as path from "node:path";

export { createSandbox, type Sandbox } from "../../scripts/sandbox/sandbox";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Command line of `npm run sandbox --` without npm, whose banner would mix with the CLI's own output. */
export const SANDBOX_CLI: readonly [string, ...string[]] = [path.join(REPO_ROOT, "node_modules", ".bin", "tsx"), path.join(REPO_ROOT, "scripts", "sandbox", "cli.ts")];
