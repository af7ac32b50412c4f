// The ways a user can install pulumi-virtnet today, and both ends of its declared @pulumi/pulumi peer range, end to
// end: each case installs the package into a fresh folder (from git, or from its npm pack tarball next to a chosen
// @pulumi/pulumi), then runs the example network through Pulumi's own dynamic-provider plugin against a sandbox host:
// up, the bridge checked on the host's kernel, destroy, the bridge checked gone.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineLab } from "../../examples/sandbox/lab";
import {
  Engine,
  NPM_TIMEOUT_MS,
  installPackage,
  removeInstall,
  type EngineResult,
  type InstallOptions,
  type InstalledPackage,
  type Program,
} from "../../scripts/engine";
import { createSandbox, type Sandbox } from "../support/sandbox";
import { installedVirtnet } from "./virtnet-package";

const REPO = path.resolve(__dirname, "..", "..");
const PEER_RANGE: string = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).peerDependencies["@pulumi/pulumi"];

/** Every published @pulumi/pulumi the declared peer range admits, oldest first, as the registry lists them. */
function publishedInPeerRange(): string[] {
  const out = execFileSync("npm", ["view", `@pulumi/pulumi@${PEER_RANGE}`, "version", "--json"], { cwd: REPO, encoding: "utf8", timeout: 60_000 });
  const versions = [JSON.parse(out) as string | string[]].flat();
  if (versions.length === 0) throw new Error(`no published @pulumi/pulumi satisfies the peer range ${PEER_RANGE}`);
  return versions;
}
const PUBLISHED = publishedInPeerRange();
const LOWEST = PUBLISHED[0];
const HIGHEST = PUBLISHED[PUBLISHED.length - 1];

interface Route {
  title: string;
  /** A fresh installation; `shared` ones belong to the e2e setup and stay. */
  install(): Promise<InstalledPackage>;
  shared?: boolean;
  /** The @pulumi/pulumi the install must have resolved, when the case pins it. */
  pulumi?: string;
  /** What proves the package came by this route. */
  provenance?(pkg: InstalledPackage): void;
}

function git(...args: string[]): string {
  return execFileSync("git", ["-C", REPO, ...args], { encoding: "utf8" }).trim();
}
function isAncestor(older: string, newer: string): boolean {
  try {
    git("merge-base", "--is-ancestor", older, newer);
    return true;
  } catch {
    return false;
  }
}
let headBeforeInstall = "";

const fresh = (options: InstallOptions) => () => installPackage(REPO, options);

/** Installed from a packed tarball, not linked to the checkout: npm records the .tgz it unpacked. */
function fromTarball(pkg: InstalledPackage): void {
  const lock = JSON.parse(fs.readFileSync(path.join(pkg.dir, "package-lock.json"), "utf8"));
  expect(lock.packages["node_modules/pulumi-virtnet"]).toMatchObject({ resolved: expect.stringMatching(/^file:.*\.tgz$/) });
  expect(fs.lstatSync(path.join(pkg.dir, "node_modules", "pulumi-virtnet")).isSymbolicLink()).toBe(false);
}

const ROUTES: Route[] = [
  {
    title: "from git: npm install git+file://REPO#HEAD builds dist/ with the prepare script",
    install: async () => {
      headBeforeInstall = git("rev-parse", "HEAD");
      return installPackage(REPO, { from: "git" });
    },
    provenance: (pkg) => {
      const lock = JSON.parse(fs.readFileSync(path.join(pkg.dir, "package-lock.json"), "utf8"));
      const resolved: string = lock.packages["node_modules/pulumi-virtnet"].resolved;
      expect(resolved).toMatch(/^git\+file:\/\/.*#[0-9a-f]{40}$/);
      // The commit HEAD named when the install began (someone may commit meanwhile: it lies between then and now).
      const sha = resolved.split("#")[1];
      expect(isAncestor(headBeforeInstall, sha) && isAncestor(sha, "HEAD"), `${sha} is ${headBeforeInstall} or after it`).toBe(true);
      // dist/ is not committed, so only the prepare script can have made the installed one.
      expect(git("ls-files", "--", "dist")).toBe("");
    },
  },
  {
    title: "from the npm pack tarball, as the e2e suite installs it (@pulumi/pulumi as the repo pins it)",
    install: async () => installedVirtnet(),
    shared: true,
    provenance: fromTarball,
  },
  {
    title: `from the tarball with @pulumi/pulumi ${LOWEST}, the lowest the peer range ${PEER_RANGE} admits`,
    install: fresh({ pulumiVersion: LOWEST }),
    pulumi: LOWEST,
    provenance: fromTarball,
  },
  {
    // npm avoids versions whose engines exclude the running Node, so this is what a user on this Node gets.
    title: `from the tarball with @pulumi/pulumi@${PEER_RANGE} as npm resolves it for Node ${process.versions.node}`,
    install: fresh({ pulumiVersion: PEER_RANGE }),
    provenance: fromTarball,
  },
  {
    title: `from the tarball with @pulumi/pulumi ${HIGHEST}, the highest published in the peer range`,
    install: fresh({ pulumiVersion: HIGHEST }),
    pulumi: HIGHEST,
    provenance: fromTarball,
  },
];

type KernelLink = { ifname: string; mtu: number; flags: string[] };

function ops(r: EngineResult): string[] {
  expect(r.errors).toEqual([]);
  expect(r.failures).toEqual([]);
  return r.steps.map((s) => s.op);
}

function versionOf(pkg: InstalledPackage, name: string): string {
  return pkg.require<{ version: string }>(`${name}/package.json`).version;
}

describe("install routes and the @pulumi/pulumi peer range", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await createSandbox();
  });
  afterAll(async () => {
    await sb?.destroy();
  });

  const bridges = () => sb.ipJson(["link", "show", "type", "bridge"]) as KernelLink[];

  ROUTES.forEach((route, i) => {
    it(
      route.title,
      async () => {
        const bridgeName = `vnroute${i}`;
        const started = Date.now();
        const pkg = await route.install();
        const installMs = Date.now() - started;
        const engine = new Engine({ pkg, packageName: "pulumi-virtnet", stack: `install-route-${i}` });
        try {
          const pulumiVersion = versionOf(pkg, "@pulumi/pulumi");
          console.log(`${route.title}: @pulumi/pulumi ${pulumiVersion}, install ${installMs} ms`);
          if (route.pulumi) expect(pulumiVersion).toBe(route.pulumi);
          route.provenance?.(pkg);
          // What a user gets: the built code with its licence and changelog, and no maps to sources it lacks.
          const installed = path.join(pkg.dir, "node_modules", "pulumi-virtnet");
          expect(fs.existsSync(path.join(installed, "dist", "sdk", "index.js"))).toBe(true);
          expect(fs.existsSync(path.join(installed, "LICENSE"))).toBe(true);
          expect(fs.existsSync(path.join(installed, "CHANGELOG.md"))).toBe(true);
          expect(fs.readdirSync(installed, { recursive: true }).filter((f) => String(f).endsWith(".map"))).toEqual([]);

          const program: Program = ({ pkg: virtnet, pulumi }) => {
            defineLab(virtnet, { host: sb.host, user: sb.user, privateKey: pulumi.secret(sb.privateKey), hostKey: sb.hostKey }, { bridgeName });
          };
          expect(ops(await engine.up(program))).toEqual(["create"]);
          const bridge = bridges().find((b) => b.ifname === bridgeName);
          expect(bridge, `bridge ${bridgeName} on the host after up`).toBeDefined();
          expect(bridge!.mtu).toBe(9000);
          expect(bridge!.flags).toContain("UP");

          expect(ops(await engine.destroy())).toEqual(["delete"]);
          expect(bridges().map((b) => b.ifname)).not.toContain(bridgeName);
          expect(engine.state.size).toBe(0);
        } finally {
          // Whatever failed, nothing stays on the host, no plugin keeps running and the folder goes.
          await engine.destroy().catch(() => undefined);
          await engine.dispose();
          if (!route.shared) removeInstall(pkg);
        }
      },
      NPM_TIMEOUT_MS + 120_000,
    );
  });
});
