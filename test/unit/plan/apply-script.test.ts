// The apply script's batching of best-effort deletes: one -force batch for consecutive ones, whose failures are ignored
// as each command's would be, kept apart from the batches that stop and undo at their first failure.
import { describe, expect, it } from "vitest";
import { renderApplyScript } from "../../../provider/plan/apply-script";
import type { Operation } from "../../../provider/net/operation";

const del = (dev: string, target: "root" | "ingress"): Operation => ({ op: "qdiscDel", dev, target });
const add = (dev: string): Operation => ({ op: "qdiscAdd", dev, qdisc: { kind: "ingress" } });

describe("renderApplyScript: best-effort deletes", () => {
  it("runs consecutive ones as one -force batch whose status is ignored, between the strict batches", () => {
    const script = renderApplyScript([add("a"), add("b"), del("a", "root"), del("a", "ingress"), del("b", "root"), add("c"), add("d")]);
    expect(script).toContain(["tc -force -batch - 2>/dev/null <<'VIRTNET_BATCH' || true", "qdisc del dev a root", "qdisc del dev a ingress", "qdisc del dev b root", "VIRTNET_BATCH"].join("\n"));
    // The strict batches on either side: the second names its failures from operation 5 on.
    expect(script.match(/^out=\$\(tc -batch - 2>&1/gm)).toHaveLength(2);
    expect(script).toContain("i=$((5 + ${n:-1} - 1))");
    expect(script).not.toMatch(/^tc qdisc del/m);
  });

  it("leaves a lone one as its own command", () => {
    const script = renderApplyScript([add("a"), del("b", "root"), add("c")]);
    expect(script).toContain("tc qdisc del dev b root 2>/dev/null || true");
    expect(script).not.toContain("-force");
  });
});
