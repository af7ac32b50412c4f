import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Batcher } from "../../../provider/exec/batcher";
import { observePrefix, PREPARE } from "../../../provider/exec/detached-script";
import { quoteArg, quoteArgv } from "../../../provider/exec/quote";
import { redact } from "../../../provider/redact";
import { LocalShell } from "../../support/local-shell";

describe("quoting", () => {
  it("leaves safe words alone and single-quotes the rest", () => {
    expect(quoteArgv(["ip", "addr", "add", "10.0.0.1/8", "dev", "br0"])).toBe("ip addr add 10.0.0.1/8 dev br0");
    expect(quoteArg("a b")).toBe("'a b'");
    expect(quoteArg("it's")).toBe("'it'\\''s'");
    expect(quoteArg("")).toBe("''");
  });
  it("makes every argument one literal word for sh", async () => {
    const nasty = ["$(echo pwned)", "a;b", "`id`", "it's", "x\ny", "*"];
    const r = await new LocalShell().run(`for a in ${quoteArgv(nasty)}; do printf '[%s]' "$a"; done`);
    expect(r.stdout).toBe(nasty.map((a) => `[${a}]`).join(""));
  });
});

describe("redaction", () => {
  it("removes a secret and each long line of a multi-line key", () => {
    const key = "-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\nsecondlineofkeymaterial000\n-----END KEY-----";
    const text = `failed with ${key} and password hunter2hunter2 and line secondlineofkeymaterial000`;
    const out = redact(text, [key, "hunter2hunter2"]);
    expect(out).not.toMatch(/AAAAB3|secondline|hunter2/);
    expect(out).toContain("[secret]");
  });
});

describe("group commit", () => {
  it("runs jobs submitted together in one exec, each with its own output and exit status", async () => {
    const shell = new LocalShell();
    const batcher = new Batcher(shell);
    const [a, b, c] = await Promise.all([
      batcher.submit("echo a-out; echo a-err >&2"),
      batcher.submit("echo b-out; exit 3"),
      batcher.submit("printf 'no newline'"),
    ]);
    expect(shell.execs).toBe(1);
    expect(a).toEqual({ code: 0, stdout: "a-out\n", stderr: "a-err\n" });
    expect(b).toEqual({ code: 3, stdout: "b-out\n", stderr: "" });
    expect(c).toEqual({ code: 0, stdout: "no newline", stderr: "" });
  });
  it("runs identical jobs of one batch once", async () => {
    const shell = new LocalShell();
    const batcher = new Batcher(shell);
    const results = await Promise.all(Array.from({ length: 5 }, () => batcher.submit("date +%N")));
    expect(shell.execs).toBe(1);
    expect(new Set(results.map((r) => r.stdout)).size).toBe(1);
  });
  it("queues jobs that arrive during an exec into the next one", async () => {
    const shell = new LocalShell();
    const batcher = new Batcher(shell);
    const first = batcher.submit("sleep 0.2; echo 1");
    await new Promise((r) => setTimeout(r, 50));
    const rest = Array.from({ length: 10 }, (_, i) => batcher.submit(`echo ${i}`));
    const results = await Promise.all([first, ...rest]);
    expect(shell.execs).toBe(2);
    expect(results.map((r) => r.stdout.trim())).toEqual(["1", ...Array.from({ length: 10 }, (_, i) => String(i))]);
  });
});

describe("a script rendered when its exec starts", () => {
  it("takes in what was asked after it was submitted, until its exec starts", async () => {
    const shell = new LocalShell();
    const batcher = new Batcher(shell);
    const asked: string[] = [];
    const rendered: string[] = [];
    const render = () => (rendered.push(asked.join(" ")), `echo ${asked.join(" ")}`);
    // The first exec is in flight: the observation submitted meanwhile waits for the next one.
    const first = batcher.submit("sleep 0.2; echo first");
    await new Promise((r) => setTimeout(r, 50));
    asked.push("a");
    const observed = batcher.submit(render, "observe");
    asked.push("b");
    expect(rendered).toEqual([]);
    expect((await first).stdout.trim()).toBe("first");
    expect((await observed).stdout.trim()).toBe("a b");
    expect(rendered).toEqual(["a b"]);
    expect(shell.execs).toBe(2);
  });
});

describe("applies in a batch", () => {
  // The run directory moves to a temporary one so the test writes nothing of the machine's.
  function detachedShell() {
    const dir = mkdtempSync(path.join(os.tmpdir(), "virtnet-batcher-"));
    const local = new LocalShell();
    const scripts: string[] = [];
    const shell = { label: "localhost", close() {}, run: (s: string) => (scripts.push(s), local.run(s.replaceAll("/run/virtnet", dir))) };
    return { shell, scripts, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it("run in one detached job under one lock, each with its own output and status, before the observation", async () => {
    const { shell, scripts, dir, cleanup } = detachedShell();
    try {
      const batcher = new Batcher(shell);
      const [a, b, c, seen] = await Promise.all([
        batcher.submit(`echo written > ${dir}/x; echo a-out`, "apply"),
        batcher.submit("echo b-err >&2; exit 4", "apply"),
        batcher.submit("echo a-out", "apply"),
        batcher.submit(`cat ${dir}/x`, "observe"),
      ]);
      expect(scripts).toHaveLength(1);
      expect(scripts[0].match(/setsid/g)).toHaveLength(1);
      expect(a).toEqual({ code: 0, stdout: "a-out\n", stderr: "" });
      expect(b).toEqual({ code: 4, stdout: "", stderr: "b-err\n" });
      // Identical applies are still two applies.
      expect(c).toEqual({ code: 0, stdout: "a-out\n", stderr: "" });
      expect(seen).toEqual({ code: 0, stdout: "written\n", stderr: "" });
    } finally {
      cleanup();
    }
  });

  it("prepare the run directory once per exec", async () => {
    const { shell, cleanup } = detachedShell();
    // `id` is run only to prepare the run directory: a logging one on the PATH counts the preparations.
    const bin = mkdtempSync(path.join(os.tmpdir(), "virtnet-id-"));
    try {
      writeFileSync(path.join(bin, "id"), `#!/bin/sh\necho x >> ${bin}/calls\nexec /usr/bin/env -u PATH PATH=/usr/bin:/bin id "$@"\n`, { mode: 0o755 });
      const counted = { ...shell, run: (s: string) => shell.run(`PATH=${bin}:$PATH; export PATH\n${s}`) };
      const batcher = new Batcher(counted);
      const [applied, observed] = await Promise.all([batcher.submit("echo applied", "apply"), batcher.submit("echo observed", "observe"), batcher.submit("echo probed")]);
      expect(applied.stdout).toBe("applied\n");
      expect(observed.stdout).toBe("observed\n");
      // One preparation: `id -u` once as root, twice for a user (who gets a directory of their own).
      expect(readFileSync(path.join(bin, "calls"), "utf8").trim().split("\n")).toHaveLength(process.getuid?.() === 0 ? 1 : 2);
    } finally {
      cleanup();
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("make a missing run directory private, and use one already there as it is", async () => {
    const { shell, dir, cleanup } = detachedShell();
    try {
      rmSync(dir, { recursive: true, force: true });
      expect((await shell.run(`${PREPARE} && echo "$vd"`)).stdout.trim()).toBe(dir);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      // One there already is not chmod-ed again (a process on every exec); a user's own is what PREPARE made.
      chmodSync(dir, 0o750);
      expect((await shell.run(`${PREPARE} && echo "$vd"`)).code).toBe(0);
      expect(statSync(dir).mode & 0o777).toBe(0o750);
    } finally {
      cleanup();
    }
  });

  it("clear what execs cut off long ago left in the run directory, in a whole observation only", async () => {
    const { shell, dir, cleanup } = detachedShell();
    try {
      const leave = `mkdir -p ${dir}/batch.cut ${dir}/batch.recent && touch ${dir}/apply-cut.out ${dir}/apply-recent.out && touch -d '20 minutes ago' ${dir}/batch.cut ${dir}/apply-cut.out`;
      await new LocalShell().run(leave);
      // A read-back leaves them: it runs in every exec of applies, and leftovers are rare.
      expect((await shell.run(`${observePrefix(false)}\necho read`)).stdout).toBe("read\n");
      expect(existsSync(`${dir}/batch.cut`) && existsSync(`${dir}/apply-cut.out`)).toBe(true);
      expect((await shell.run(`${observePrefix(true)}\necho read`)).stdout).toBe("read\n");
      expect(existsSync(`${dir}/batch.cut`) || existsSync(`${dir}/apply-cut.out`)).toBe(false);
      expect(existsSync(`${dir}/batch.recent`) && existsSync(`${dir}/apply-recent.out`)).toBe(true);
    } finally {
      cleanup();
    }
  });

  // The merge stands in for the renderers: a plan here is a list of shell lines, merged by joining them.
  const mergeLines = (plans: readonly string[][]) => plans.flat().join("\n") + "\n";

  it("run as one merged script when it succeeds, each apply told the merged result, none run on its own", async () => {
    const { shell, scripts, dir, cleanup } = detachedShell();
    try {
      const batcher = new Batcher<string[]>(shell, mergeLines);
      const plans = [[`echo 1 >> ${dir}/merged`], [`echo 2 >> ${dir}/merged`], [`echo 3 >> ${dir}/merged`]];
      const results = await Promise.all(plans.map((p, i) => batcher.submit(`echo alone-${i} >> ${dir}/alone; echo own-${i}`, "apply", p)));
      expect(scripts).toHaveLength(1);
      expect(readFileSync(`${dir}/merged`, "utf8")).toBe("1\n2\n3\n");
      expect(existsSync(`${dir}/alone`)).toBe(false);
      for (const r of results) expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    } finally {
      cleanup();
    }
  });

  it("run one by one when the merged script fails, each with its own result; applies without a plan always alone", async () => {
    const { shell, scripts, dir, cleanup } = detachedShell();
    try {
      const batcher = new Batcher<string[]>(shell, mergeLines);
      const [a, b, c] = await Promise.all([
        batcher.submit(`echo a >> ${dir}/alone; echo a-out`, "apply", [`echo merged-a >> ${dir}/merged`]),
        batcher.submit("echo b-err >&2; exit 3", "apply", [`echo merged-b >> ${dir}/merged`, "exit 1"]),
        batcher.submit(`echo c >> ${dir}/alone; echo c-out`, "apply"),
      ]);
      expect(scripts).toHaveLength(1);
      // The merged attempt ran (and, as a real one does, would have undone itself); then each apply on its own.
      expect(readFileSync(`${dir}/merged`, "utf8")).toBe("merged-a\nmerged-b\n");
      expect(readFileSync(`${dir}/alone`, "utf8")).toBe("a\nc\n");
      expect(a).toEqual({ code: 0, stdout: "a-out\n", stderr: "" });
      expect(b).toEqual({ code: 3, stdout: "", stderr: "b-err\n" });
      expect(c).toEqual({ code: 0, stdout: "c-out\n", stderr: "" });
    } finally {
      cleanup();
    }
  });

  it("merge nothing for a single apply with a plan", async () => {
    const { shell, scripts, cleanup } = detachedShell();
    try {
      const batcher = new Batcher<string[]>(shell, (plans) => (plans.length < 2 ? expect.fail("merged a single plan") : mergeLines(plans)));
      const r = await batcher.submit("echo own", "apply", ["echo merged"]);
      expect(r).toEqual({ code: 0, stdout: "own\n", stderr: "" });
      expect(scripts).toHaveLength(1);
    } finally {
      cleanup();
    }
  });

  it("give every apply the job's error when the job cannot start", async () => {
    const local = new LocalShell();
    // A run directory that cannot be made: a file stands where it should be.
    const blocker = path.join(mkdtempSync(path.join(os.tmpdir(), "virtnet-batcher-")), "file");
    writeFileSync(blocker, "");
    const shell = { label: "localhost", close() {}, run: (s: string) => local.run(s.replaceAll("/run/virtnet", `${blocker}/sub`)) };
    try {
      const batcher = new Batcher(shell);
      const results = await Promise.all([batcher.submit("echo 1", "apply"), batcher.submit("echo 2", "apply")]);
      for (const r of results) {
        expect(r.code).toBe(97);
        expect(r.stderr).toContain("virtnet cannot write its run directory");
      }
    } finally {
      rmSync(path.dirname(blocker), { recursive: true, force: true });
    }
  });
});

describe("sameValue", () => {
  it("ignores key order, as values that crossed gRPC come back sorted, but not array order", async () => {
    const { sameValue } = await import("../../../provider/same-value");
    expect(sameValue({ learning: false, flood: false }, { flood: false, learning: false })).toBe(true);
    expect(sameValue({ a: [1, { x: 1, y: 2 }] }, { a: [1, { y: 2, x: 1 }] })).toBe(true);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
    expect(sameValue({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  });
});
