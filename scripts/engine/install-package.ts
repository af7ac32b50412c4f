// Engine-faithful harness: installs pulumi-virtnet into a fresh folder the way a user gets it, from its npm pack
// tarball, next to a chosen @pulumi/pulumi.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { removeOnExit } from "./exit-cleanup";
import type { InstalledPackage } from "./types";

const execFileAsync = promisify(execFile);

export interface InstallOptions {
  /** Version of @pulumi/pulumi to install next to the package; defaults to the one the package dir resolves. */
  pulumiVersion?: string;
}

// One install per package dir per process. Kept on globalThis so it also survives a test runner that re-evaluates
// modules per test file inside one process.
const CACHE_KEY = Symbol.for("pulumi-virtnet.e2e-harness.installs");
const installs: Map<string, Promise<InstalledPackage>> = ((globalThis as Record<symbol, unknown>)[CACHE_KEY] ??=
  new Map()) as Map<string, Promise<InstalledPackage>>;

/**
 * Installs `packageDir` the way a user gets it: `npm pack` it, then `npm install` the tarball plus
 * `@pulumi/pulumi` into a fresh project. The package must already be built.
 */
export function installPackage(packageDir: string, options: InstallOptions = {}): Promise<InstalledPackage> {
  const key = path.resolve(packageDir);
  let install = installs.get(key);
  if (!install) {
    install = doInstall(key, options);
    // A failed install must not poison later attempts in the same process.
    install.catch(() => installs.delete(key));
    installs.set(key, install);
  }
  return install;
}

async function doInstall(packageDir: string, options: InstallOptions): Promise<InstalledPackage> {
  assertBuilt(packageDir);
  const pulumiVersion = options.pulumiVersion ?? resolvePulumiVersion(packageDir);
  const packDir = makeTempDir("harness-pack-");
  // npm pack would run the package's prepare script, rebuilding dist/ under any other run that is reading it; the
  // caller has built it (assertBuilt), and the tarball's contents are the same.
  const { stdout } = await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], packageDir);
  const tarball = path.join(packDir, parsePackOutput(stdout));

  const dir = makeTempDir("harness-install-");
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "harness-install", version: "0.0.0", private: true }, null, 2),
  );
  await npm(
    ["install", "--no-audit", "--no-fund", "--prefer-offline", "--prefix", dir, tarball, `@pulumi/pulumi@${pulumiVersion}`],
    dir,
  );
  fs.rmSync(packDir, { recursive: true, force: true });
  return installedAt(dir);
}

/** An installation made earlier (for example by a test run's global setup), by its folder. */
export function installedAt(dir: string): InstalledPackage {
  const req = createRequire(path.join(dir, "package.json"));
  return { dir, require: <T>(id: string) => req(id) as T };
}

function assertBuilt(packageDir: string): void {
  // Packing an unbuilt package succeeds and only fails later, obscurely, when the program requires it.
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { main?: string };
  const main = path.join(packageDir, manifest.main ?? "index.js");
  if (!fs.existsSync(main) && !fs.existsSync(`${main}.js`)) {
    throw new Error(`${main} does not exist: build ${packageDir} before installing it`);
  }
}

function resolvePulumiVersion(packageDir: string): string {
  // The repo under test pins the SDK in its own node_modules; a bare fixture dir falls back to the harness's copy.
  const pkgJson = require.resolve("@pulumi/pulumi/package.json", { paths: [packageDir, __dirname] });
  return (JSON.parse(fs.readFileSync(pkgJson, "utf8")) as { version: string }).version;
}

function parsePackOutput(stdout: string): string {
  // Lifecycle scripts may print before the JSON document, so parse from the first array bracket.
  const start = stdout.indexOf("[");
  const parsed = JSON.parse(stdout.slice(start)) as { filename: string }[];
  if (parsed.length !== 1 || !parsed[0]?.filename) {
    throw new Error(`unexpected npm pack output: ${stdout}`);
  }
  return parsed[0].filename;
}

async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync("npm", args, { cwd, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(" ")} failed in ${cwd}: ${e.message}\n${e.stderr ?? ""}`);
  }
}

function npmEnv(): NodeJS.ProcessEnv {
  // When tests run under `npm run`, npm exports its own project location; left in place it would redirect
  // the install into the repo's node_modules.
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    const k = key.toLowerCase();
    if (
      k.startsWith("npm_package_") ||
      k.startsWith("npm_lifecycle_") ||
      k === "npm_config_local_prefix" ||
      k === "npm_config_prefix" ||
      k === "npm_config_global" ||
      k.startsWith("npm_config_workspace")
    ) {
      delete env[key];
    }
  }
  return env;
}

function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  removeOnExit(dir);
  return dir;
}
