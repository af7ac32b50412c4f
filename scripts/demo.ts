// npm run demo: a sandbox host, the example network previewed and applied through Pulumi's plugin, the
// resulting kernel state, then destroy and cleanup. Needs root (the sandbox host is a network namespace).
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { defineLab } from "../examples/sandbox/lab";
import { Engine, installPackage, type EngineResult, type Program } from "./engine";
import { createSandbox } from "./sandbox/sandbox";

const REPO = path.resolve(__dirname, "..");

function show(title: string, r: EngineResult): void {
  console.log(`\n== ${title}`);
  for (const s of r.steps) console.log(`   ${s.op.padEnd(8)} ${s.type.split(":").pop()} ${s.name}${s.replaces.length ? ` (replaces: ${s.replaces.join(", ")})` : ""}`);
  for (const f of r.failures) console.log(`   check failed: ${f.property}: ${f.reason}`);
  for (const e of r.errors) console.log(`   error: ${e.message}`);
  if (r.errors.length > 0 || r.failures.length > 0) throw new Error(`${title} failed`);
}

function onHost(namespace: string, ...args: string[]): string {
  return execFileSync("ip", ["-n", namespace, ...args], { encoding: "utf8" }).trimEnd();
}

async function main(): Promise<void> {
  console.log("== creating a sandbox host and installing pulumi-virtnet from its npm pack tarball");
  const [sb, pkg] = await Promise.all([createSandbox(), installPackage(REPO)]);
  const engine = new Engine({ pkg, packageName: "pulumi-virtnet" });
  try {
    console.log(`   host ${sb.host} (namespace ${sb.namespace}), host key ${sb.hostKey}`);
    const program: Program = ({ pkg: virtnet, pulumi }) => {
      defineLab(virtnet, { host: sb.host, user: sb.user, privateKey: pulumi.secret(sb.privateKey), hostKey: sb.hostKey });
    };
    show("pulumi preview", await engine.preview(program));
    show("pulumi up", await engine.up(program));
    const [lab] = engine.state.values();
    const { libvirtXml, ...outputs } = lab.outputs;
    console.log(`   id ${lab.id}; outputs: ${JSON.stringify({ ...outputs, connection: "[secret]", __provider: undefined })}`);
    console.log(`\n== the network as libvirt XML (libvirtXml output)\n${libvirtXml}`);
    console.log("\n== kernel state on the host");
    console.log(`$ ip -br link\n${onHost(sb.namespace, "-br", "link")}`);
    console.log(`$ ip -br addr\n${onHost(sb.namespace, "-br", "addr")}`);
    console.log(`$ ip -d link show type bridge\n${onHost(sb.namespace, "-d", "link", "show", "type", "bridge")}`);
    show("pulumi up (again: nothing to do)", await engine.up(program));
    show("pulumi destroy", await engine.destroy());
    console.log(`   bridges left on the host: ${onHost(sb.namespace, "-br", "link", "show", "type", "bridge") || "none"}`);
  } finally {
    await engine.dispose();
    await sb.destroy();
    console.log("\n== sandbox host removed");
  }
}

main().catch((e: Error) => {
  console.error(`demo failed: ${e.message}`);
  process.exit(1);
});
