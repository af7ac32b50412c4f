// The layers run one way (docs/architecture.md §3.5): no import cycle, type-only imports included, and no file
// imports from a layer above its own. dpdm reads the imports the way TypeScript resolves them.
import path from "node:path";
import { parseCircular, parseDependencyTree } from "dpdm";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../..");

/** Top to bottom; a file may import its own layer or any layer below it. */
const LAYERS: [string, RegExp][] = [
  ["sdk", /^sdk\//],
  ["provider entry", /^provider\/index\.ts$/],
  ["resources", /^provider\/resources\//],
  ["host", /^provider\/host\//],
  ["plan", /^provider\/plan\//],
  ["renderers and parsers", /^provider\/(iproute2|nftables|libvirt|dnsmasq|systemd)\//],
  ["exec", /^provider\/exec\//],
  ["connection", /^provider\/connection\//],
  ["domain", /^provider\/(net|schema)\/|^provider\/[^/]+\.ts$/],
];

function layerOf(file: string): number {
  const i = LAYERS.findIndex(([, re]) => re.test(file));
  if (i < 0) throw new Error(`${file} belongs to no layer: add it to LAYERS and to docs/architecture.md`);
  return i;
}

async function tree() {
  const t = await parseDependencyTree(["provider/index.ts", "sdk/index.ts"], { cwd: ROOT, context: ROOT, transform: false, skipDynamicImports: false, tsconfig: path.join(ROOT, "tsconfig.json") });
  return t;
}

describe("layers", () => {
  it("has no import cycle, type-only imports included", async () => {
    const cycles = parseCircular(await tree());
    expect(cycles.map((c) => c.join(" -> "))).toEqual([]);
  });

  it("never imports from a layer above", async () => {
    const t = await tree();
    const files = Object.keys(t).filter((f) => f.startsWith("provider/") || f.startsWith("sdk/"));
    expect(files.length).toBeGreaterThan(50);
    const upward: string[] = [];
    for (const file of files) {
      for (const dep of t[file] ?? []) {
        if (!dep.id || !(dep.id.startsWith("provider/") || dep.id.startsWith("sdk/"))) continue;
        if (layerOf(dep.id) < layerOf(file)) upward.push(`${file} (${LAYERS[layerOf(file)][0]}) imports ${dep.id} (${LAYERS[layerOf(dep.id)][0]})`);
      }
    }
    expect(upward).toEqual([]);
  });
});
