// Engine-faithful harness: installs pulumi-virtnet into a fresh folder the way a user gets it, from its npm pack
// tarball or from git, next to a chosen @pulumi/pulumi.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { removeOnExit } from "./exit-cleanup";
import type { InstalledPackage } from "./types";

const execFileAsync = promisify(execFile);

export interface InstallOptions {
  /** Version of @pulumi/pulumi to install next to the package; defaults to the one the package dir resolves. */
  pulumiVersion?: string;
  /**
   * `tarball` (the default): `npm pack` the built package dir and install the tarball. `git`: install the dir's
   * committed HEAD as `git+file://DIR#SHA`, so npm clones it and builds it with the package's prepare script, as
   * `npm install git+https://…` does for a user; nothing needs to be built, and uncommitted changes are not installed.
   */
  from?: "tarball" | "git";
}

// One install per package dir, route and @pulumi/pulumi version per process. Kept on globalThis so it also survives a
// test runner that re-evaluates modules per test file inside one process.
const CACHE_KEY = Symbol.for("pulumi-virtnet.e2e-harness.installs");
const installs: Map<string, Promise<InstalledPackage>> = ((globalThis as Record<symbol, unknown>)[CACHE_KEY] ??=
  new Map()) as Map<string, Promise<InstalledPackage>>;
// The cache key of each finished install, by its folder, for removeInstall.
const KEYS_BY_DIR = Symbol.for("pulumi-virtnet.e2e-harness.install-keys");
const keysByDir: Map<string, string> = ((globalThis as Record<symbol, unknown>)[KEYS_BY_DIR] ??= new Map()) as Map<
  string,
  string
>;

/**
 * Installs `packageDir` the way a user gets it: `npm pack` it, then `npm install` the tarball plus
 * `@pulumi/pulumi` into a fresh project (the package must already be built), or from git (`from: "git"`).
 */
export function installPackage(packageDir: string, options: InstallOptions = {}): Promise<InstalledPackage> {
  const resolved = path.resolve(packageDir);
  const key = `${options.from ?? "tarball"}\0${options.pulumiVersion ?? ""}\0${resolved}`;
  let install = installs.get(key);
  if (!install) {
    install = (options.from === "git" ? installFromGit : installFromTarball)(resolved, options);
    // A failed install must not poison later attempts in the same process.
    install.then(
      (p) => keysByDir.set(p.dir, key),
      () => installs.delete(key),
    );
    installs.set(key, install);
  }
  return install;
}

async function installFromTarball(packageDir: string, options: InstallOptions): Promise<InstalledPackage> {
  assertBuilt(packageDir);
  const pulumiVersion = options.pulumiVersion ?? resolvePulumiVersion(packageDir);
  const packDir = makeTempDir("harness-pack-");
  // npm pack would run the package's prepare script, rebuilding dist/ under any other run that is reading it; the
  // caller has built it (assertBuilt), and the tarball's contents are the same.
  const { stdout } = await npm(["pack", "--json", "--ignore-scripts", "--pack-destination", packDir], packageDir);
  const tarball = path.join(packDir, parsePackOutput(stdout));
  try {
    return await installInto(makeTempDir("harness-install-"), [tarball, `@pulumi/pulumi@${pulumiVersion}`]);
  } finally {
    fs.rmSync(packDir, { recursive: true, force: true });
  }
}

async function installFromGit(repoDir: string, options: InstallOptions): Promise<InstalledPackage> {
  const pulumiVersion = options.pulumiVersion ?? resolvePulumiVersion(repoDir);
  let sha: string;
  try {
    sha = (await execFileAsync("git", ["-C", repoDir, "rev-parse", "--verify", "HEAD"])).stdout.trim();
  } catch (err) {
    throw new Error(`installing ${repoDir} from git needs a git checkout with a commit: ${(err as Error).message}`);
  }
  // Pinned to the commit, so the install is of what was resolved here even if HEAD moves meanwhile.
  const spec = `git+${pathToFileURL(repoDir).href}#${sha}`;
  return installInto(makeTempDir("harness-install-"), [spec, `@pulumi/pulumi@${pulumiVersion}`]);
}

async function installInto(dir: string, specs: string[]): Promise<InstalledPackage> {
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "harness-install", version: "0.0.0", private: true }, null, 2),
  );
  try {
    await npm(["install", "--no-audit", "--no-fund", "--prefer-offline", "--prefix", dir, ...specs], dir);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return installedAt(dir);
}

/** Deletes an installation now (rather than when the process ends) and forgets it, so it is never handed out again. */
export function removeInstall(pkg: InstalledPackage): void {
  const key = keysByDir.get(pkg.dir);
  if (key !== undefined) {
    installs.delete(key);
    keysByDir.delete(pkg.dir);
  }
  fs.rmSync(pkg.dir, { recursive: true, force: true });
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

/** Longest an npm command may take: a wedged registry or git clone becomes an error, not a run that never ends. */
export const NPM_TIMEOUT_MS = 300_000;

async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync("npm", args, { cwd, env: npmEnv(), maxBuffer: 64 * 1024 * 1024, timeout: NPM_TIMEOUT_MS });
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
