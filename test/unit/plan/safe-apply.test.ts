// Safe apply's scripts (docs/architecture.md §3.9) without a host: golden files of the armed apply, the rollback and
// the confirm; parseConfirm of every report; `sh -n` of every script and of the guard and rollback the armed apply
// writes; and the armed apply, its guard and the confirm run for real by sh in a temporary directory. For that, the
// scripts' one PREPARE (which fixes $vd to /run/virtnet for root) is replaced by `vd=<temp dir>`, and `ip`,
// `systemctl`, `systemd-run` and `logger` are fakes on PATH that log their arguments (a fake systemd-run starts a
// detached sleeper like the non-systemd branch, so either branch arms a real timer that a test can watch).
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PREPARE } from "../../../provider/exec/detached-script";
import { quoteArg } from "../../../provider/exec/quote";
import type { Operation } from "../../../provider/net/operation";
import { parseConfirm, renderArmedApply, renderConfirm, renderRollback, TX_BUSY_MARKER, TX_MARKER, type Transaction } from "../../../provider/plan/safe-apply";

const TX: Transaction = { id: "0123456789abcdef", timeoutSeconds: 60 };
const ROUTE: Operation = { op: "routeAdd", name: "vnsa0", family: "ipv4", address: "198.51.100.4", prefix: 32, gateway: "10.77.0.2", metric: 1 };
/** A route, an address, an MTU with the value it replaces, and a link up without one (no inverse: left out). */
const THREE: Operation[] = [
  ROUTE,
  { op: "addrAdd", name: "eth0", family: "ipv4", address: "192.0.2.1", prefix: 24 },
  { op: "linkSetUp", name: "eth0" },
  { op: "linkSetMtu", name: "eth0", mtu: 1400, from: 1500 },
];

/** The text of `<<'DELIMITER'` … `DELIMITER` in a script. */
function heredoc(script: string, delimiter: string): string {
  const m = new RegExp(`<<'${delimiter}'\\n([\\s\\S]*?)\\n${delimiter}\\n`).exec(script);
  if (!m) throw new Error(`no here-document ${delimiter}`);
  return m[1]! + "\n";
}

function shSyntax(script: string): { status: number | null; stderr: string } {
  const r = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

describe("safe apply's scripts (golden)", () => {
  it("the armed apply of a one-route plan", async () => {
    await expect(renderArmedApply([ROUTE], TX)).toMatchFileSnapshot("../golden/safe-apply-armed.sh");
  });
  it("the rollback: the undo newest first, operations without an inverse left out", async () => {
    const rollback = renderRollback(THREE);
    await expect(rollback).toMatchFileSnapshot("../golden/safe-apply-rollback.sh");
    const steps = rollback.split("\n").filter((l) => l.startsWith("ip "));
    expect(steps.map((l) => l.split(" || ")[0])).toEqual([
      "ip link set dev eth0 mtu 1500",
      "ip addr del 192.0.2.1/24 broadcast 192.0.2.255 dev eth0",
      "ip route del 198.51.100.4/32 via 10.77.0.2 dev vnsa0 proto 241 metric 1",
    ]);
    expect(rollback).not.toMatch(/\bup\b|\bdown\b/);
  });
  it("the confirm", async () => {
    await expect(renderConfirm(TX.id)).toMatchFileSnapshot("../golden/safe-apply-confirm.sh");
  });
  it("the rollback of a plan with no inverse at all only exits 0", () => {
    expect(renderRollback([{ op: "linkSetUp", name: "eth0" }])).toBe("status=0\nexit $status\n");
  });
  it("a rollback step that needs a path runs only where the path exists", () => {
    const r = renderRollback([{ op: "bridgeSetVlanFiltering", name: "virbr0", on: true, from: false }]);
    expect(r).toContain("if [ -e /sys/class/net/virbr0/bridge/vlan_filtering ]; then ip link set dev virbr0 type bridge vlan_filtering 0 || {");
  });
});

describe("safe apply's scripts are valid POSIX sh (sh -n)", () => {
  const armed = renderArmedApply(THREE, TX);
  const scripts: [string, string][] = [
    ["the armed apply (one route)", renderArmedApply([ROUTE], TX)],
    ["the armed apply (three operations, an ip batch)", armed],
    ["the rollback", renderRollback(THREE)],
    ["the rollback with a path-guarded step", renderRollback([{ op: "bridgeSetVlanFiltering", name: "virbr0", on: true, from: false }, ...THREE])],
    ["the rollback the armed apply writes", heredoc(armed, `VIRTNET_ROLLBACK_${TX.id}`)],
    ["the guard the armed apply writes", heredoc(armed, `VIRTNET_GUARD_${TX.id}`)],
    ["the confirm", renderConfirm(TX.id)],
  ];
  it.each(scripts)("%s", (_, script) => {
    expect(shSyntax(script)).toEqual({ status: 0, stderr: "" });
  });
  it("sh -n does catch a broken script (the check is not vacuous)", () => {
    expect(shSyntax(renderConfirm(TX.id).replace(/; fi\n/, "\n")).status).not.toBe(0);
  });
  it("the armed apply writes exactly renderRollback as its rollback", () => {
    expect(heredoc(armed, `VIRTNET_ROLLBACK_${TX.id}`)).toBe(renderRollback(THREE));
  });
});

describe("parseConfirm", () => {
  it("confirmed", () => expect(parseConfirm(`${TX_MARKER} confirmed\n`)).toEqual({ kind: "confirmed" }));
  it("confirmed after other output (a login banner)", () => expect(parseConfirm(`Welcome\n${TX_MARKER} confirmed`)).toEqual({ kind: "confirmed" }));
  it("gone", () => expect(parseConfirm(`${TX_MARKER} gone\n`)).toEqual({ kind: "gone" }));
  it("rolled-back 0 with the log's lines", () => {
    const out = `${TX_MARKER} rolled-back 0\nRTNETLINK answers: No such process\nfailed: ip route del 198.51.100.4/32\n`;
    expect(parseConfirm(out)).toEqual({ kind: "rolledBack", exit: "0", log: "RTNETLINK answers: No such process\nfailed: ip route del 198.51.100.4/32" });
  });
  it("rolled-back 1 without a log", () => expect(parseConfirm(`${TX_MARKER} rolled-back 1\n`)).toEqual({ kind: "rolledBack", exit: "1", log: "" }));
  it("rolled-back unknown (no result in time)", () => expect(parseConfirm(`${TX_MARKER} rolled-back unknown`)).toEqual({ kind: "rolledBack", exit: "unknown", log: "" }));
  it.each([[""], ["garbage"], [`${TX_MARKER} maybe`], [`${TX_MARKER}-busy 0123456789abcdef`], [`x ${TX_MARKER} confirmed`]])("%j is no report", (out) => {
    expect(parseConfirm(out)).toBeUndefined();
  });
});

// ---- Run for real ----------------------------------------------------------------------------------------------

const FAKES: Record<string, string> = {
  ip: `#!/bin/sh
printf 'ip %s\\n' "$*" >>"$FAKE_LOG"
fail() { echo "RTNETLINK answers: fake failure" >&2; }
if [ "$1" = -batch ]; then
  n=0
  while IFS= read -r line; do
    n=$((n + 1)); printf 'ip %s\\n' "$line" >>"$FAKE_LOG"
    if [ -n "$FAKE_IP_FAIL" ]; then case "$line" in *"$FAKE_IP_FAIL"*) fail; echo "Command failed -:$n" >&2; exit 1;; esac; fi
  done
  exit 0
fi
if [ -n "$FAKE_IP_FAIL" ]; then case "$*" in *"$FAKE_IP_FAIL"*) fail; exit 2;; esac; fi
exit 0
`,
  logger: `#!/bin/sh
printf 'logger %s\\n' "$*" >>"$FAKE_LOG"
`,
  // A transient timer: a sleeper in a session of its own, stopped by the fake systemctl.
  "systemd-run": `#!/bin/sh
printf 'systemd-run %s\\n' "$*" >>"$FAKE_LOG"
for a; do case $a in --on-active=*) t=\${a#--on-active=}; t=\${t%s};; --unit=*) u=\${a#--unit=};; esac; g=$a; done
setsid sh -c 'sleep "$1"; exec /bin/sh "$2"' fake-timer "$t" "$g" </dev/null >/dev/null 2>&1 &
echo $! >"$FAKE_DIR/timer-$u.pid"
`,
  systemctl: `#!/bin/sh
printf 'systemctl %s\\n' "$*" >>"$FAKE_LOG"
if [ "$1" = stop ]; then f="$FAKE_DIR/timer-\${2%.timer}.pid"; [ -f "$f" ] && kill -- "-$(cat "$f")" 2>/dev/null; rm -f "$f"; fi
exit 0
`,
};

interface Rig {
  dir: string;
  vd: string;
  run: (script: string, env?: Record<string, string>) => { status: number | null; stdout: string; stderr: string };
  /** The fakes' commands, but for how the timer was started (systemd-run or not depends on the machine's init). */
  log: () => string[];
  txDir: (id: string) => string;
  /** The process group of a transaction's timer: the sleeper's guard.pid, or the fake systemd-run's. */
  timerGroup: (id: string) => number;
}

const rigs: Rig[] = [];

function rig(): Rig {
  const dir = mkdtempSync(join(tmpdir(), "virtnet-safe-apply-"));
  const bin = join(dir, "bin");
  const vd = join(dir, "run");
  mkdirSync(bin);
  mkdirSync(vd);
  for (const [name, text] of Object.entries(FAKES)) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  const logFile = join(dir, "commands.log");
  writeFileSync(logFile, "");
  const txDir = (id: string) => join(vd, "tx", id);
  const r: Rig = {
    dir,
    vd,
    txDir,
    run(script, env = {}) {
      // The one PREPARE becomes the temp dir: nothing may reach /run/virtnet.
      expect(script.split(PREPARE).length - 1).toBe(1);
      const file = join(dir, "script.sh");
      writeFileSync(file, script.replace(PREPARE, `vd=${quoteArg(vd)}`));
      const res = spawnSync("sh", [file], {
        encoding: "utf8",
        timeout: 20_000,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, FAKE_LOG: logFile, FAKE_DIR: dir, FAKE_IP_FAIL: "", ...env },
      });
      return { status: res.status, stdout: res.stdout, stderr: res.stderr };
    },
    log: () => readFileSync(logFile, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("systemd-run ")),
    timerGroup(id) {
      const sleeper = join(txDir(id), "guard.pid");
      const fake = join(dir, `timer-virtnet-rollback-${id}.pid`);
      return Number(readFileSync(existsSync(sleeper) ? sleeper : fake, "utf8").trim());
    },
  };
  rigs.push(r);
  return r;
}

/** Live (not zombie) processes of a process group. */
function groupMembers(pgid: number): number[] {
  const live: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(pgrp) === pgid && state !== "Z") live.push(Number(p));
    } catch {
      // Gone meanwhile.
    }
  }
  return live;
}

/** Live processes whose command line names a path under `dir` (the timers of a rig: sleepers and guards). */
function processesUnder(dir: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z" && readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

afterEach(() => {
  // Stop every timer these tests started (by the process groups they recorded), then remove their directories.
  for (const r of rigs.splice(0)) {
    const pidFiles = [
      ...readdirSync(r.dir).filter((f) => /^timer-.*\.pid$/.test(f)).map((f) => join(r.dir, f)),
      ...(existsSync(join(r.vd, "tx")) ? readdirSync(join(r.vd, "tx")).map((id) => join(r.vd, "tx", id, "guard.pid")) : []),
    ].filter((f) => existsSync(f));
    for (const f of pidFiles) {
      const g = Number(readFileSync(f, "utf8").trim());
      if (g > 1 && groupMembers(g).length > 0) process.kill(-g, "SIGKILL");
    }
    rmSync(r.dir, { recursive: true, force: true });
  }
});

const ADD = "ip route add 198.51.100.4/32 via 10.77.0.2 dev vnsa0 proto 241 metric 1";
const DEL = "ip route del 198.51.100.4/32 via 10.77.0.2 dev vnsa0 proto 241 metric 1";

describe("safe apply run by sh in a temporary run directory", () => {
  it("arms, applies and is confirmed: the change stays, the timer and the transaction go", async () => {
    const r = rig();
    const armed = r.run(renderArmedApply([ROUTE], TX));
    expect(armed).toMatchObject({ status: 0, stdout: "@@virtnet-applied\n" });
    expect(readdirSync(r.txDir(TX.id)).sort()).toEqual(expect.arrayContaining(["guard.sh", "pending", "rollback.sh"]));
    expect(readFileSync(join(r.txDir(TX.id), "rollback.sh"), "utf8")).toBe(renderRollback([ROUTE]));
    const timer = r.timerGroup(TX.id);
    expect(groupMembers(timer).length).toBeGreaterThan(0);
    expect(r.log()).toContain(ADD);

    const confirmed = r.run(renderConfirm(TX.id));
    expect(confirmed.status).toBe(0);
    expect(parseConfirm(confirmed.stdout)).toEqual({ kind: "confirmed" });
    expect(existsSync(r.txDir(TX.id))).toBe(false);
    await until("the timer to stop", () => groupMembers(timer).length === 0 && processesUnder(r.dir).length === 0, 3_000);
    expect(r.log()).toContain(`systemctl stop virtnet-rollback-${TX.id}.timer`);
    expect(r.log()).not.toContain(DEL);
    // Asked again (a retry whose first answer was lost): the transaction is gone.
    expect(parseConfirm(r.run(renderConfirm(TX.id)).stdout)).toEqual({ kind: "gone" });
  });

  it("not confirmed within the window: the guard rolls back and logs it, the confirm then reports it and removes the transaction", async () => {
    const r = rig();
    const tx = { id: "00000000000000a1", timeoutSeconds: 1 };
    expect(r.run(renderArmedApply([ROUTE], tx)).status).toBe(0);
    await until("the guard's result", () => existsSync(join(r.txDir(tx.id), "result")));
    expect(readFileSync(join(r.txDir(tx.id), "result"), "utf8")).toBe("rolled-back 0\n");
    expect(existsSync(join(r.txDir(tx.id), "pending"))).toBe(false);
    // Done: kept as a record, no longer a pending transaction (the guard renames it right after writing its result).
    await until("the guard's rename", () => existsSync(join(r.txDir(tx.id), "rolled-back")));
    expect(existsSync(join(r.txDir(tx.id), "running"))).toBe(false);
    expect(existsSync(join(r.txDir(tx.id), "rolled-back"))).toBe(true);
    await until("the guard's log line", () => r.log().some((l) => l.startsWith("logger ")));
    expect(r.log()).toEqual([ADD, DEL, `logger -t virtnet safe apply ${tx.id}: the change was not confirmed within 1 s and was rolled back (rolled-back 0)`]);

    const report = r.run(renderConfirm(tx.id));
    expect(parseConfirm(report.stdout)).toEqual({ kind: "rolledBack", exit: "0", log: "" });
    expect(existsSync(r.txDir(tx.id))).toBe(false);
    // The confirm lost the rename: it stopped no timer.
    expect(r.log().filter((l) => l.startsWith("systemctl"))).toEqual([]);
  }, 20_000);

  it("a rollback step that fails does not stop the others; the report gives exit 1 and the log", async () => {
    const r = rig();
    const tx = { id: "00000000000000a2", timeoutSeconds: 1 };
    expect(r.run(renderArmedApply(THREE, tx), { FAKE_IP_FAIL: "addr del" })).toMatchObject({ status: 0, stdout: "@@virtnet-applied\n" });
    await until("the guard's result", () => existsSync(join(r.txDir(tx.id), "result")));
    expect(r.log().filter((l) => !l.startsWith("logger "))).toEqual([
      "ip -batch -",
      ADD,
      "ip addr add 192.0.2.1/24 broadcast 192.0.2.255 dev eth0",
      "ip link set dev eth0 up",
      "ip link set dev eth0 mtu 1400",
      // The rollback: newest first, on past the failed step.
      "ip link set dev eth0 mtu 1500",
      "ip addr del 192.0.2.1/24 broadcast 192.0.2.255 dev eth0",
      DEL,
    ]);
    expect(parseConfirm(r.run(renderConfirm(tx.id)).stdout)).toEqual({ kind: "rolledBack", exit: "1", log: "RTNETLINK answers: fake failure\nfailed: ip addr del 192.0.2.1/24 broadcast 192.0.2.255 dev eth0" });
  }, 20_000);

  it("a failed apply undoes itself, disarms and removes the transaction", async () => {
    const r = rig();
    const armed = r.run(renderArmedApply([ROUTE], TX), { FAKE_IP_FAIL: "route add" });
    expect(armed.status).toBe(1);
    expect(armed.stdout).toBe("@@virtnet-failed 0 2\n");
    expect(existsSync(r.txDir(TX.id))).toBe(false);
    expect(r.log()).toEqual([ADD, `systemctl stop virtnet-rollback-${TX.id}.timer`]);
    // No timer is left: the sleeper (or the fake systemd-run's) was stopped with the transaction.
    await until("the timer to stop", () => processesUnder(r.dir).length === 0, 3_000);
    expect(parseConfirm(r.run(renderConfirm(TX.id)).stdout)).toEqual({ kind: "gone" });
  });

  it("a pending transaction refuses the next armed apply, which changes nothing", () => {
    const r = rig();
    expect(r.run(renderArmedApply([ROUTE], TX)).status).toBe(0);
    const second = r.run(renderArmedApply([{ ...ROUTE, address: "198.51.100.5" }], { id: "fedcba9876543210", timeoutSeconds: 60 }));
    expect(second).toMatchObject({ status: 1, stdout: `${TX_BUSY_MARKER} ${TX.id}\n` });
    expect(existsSync(r.txDir("fedcba9876543210"))).toBe(false);
    expect(r.log()).toEqual([ADD]);
    expect(parseConfirm(r.run(renderConfirm(TX.id)).stdout)).toEqual({ kind: "confirmed" });
    // Confirmed: the next one arms.
    expect(r.run(renderArmedApply([{ ...ROUTE, address: "198.51.100.5" }], { id: "fedcba9876543210", timeoutSeconds: 60 })).status).toBe(0);
  });

  // A provider killed before confirming never reads the report: the finished rollback must not block later applies.
  it("a rolled-back transaction that no one confirmed does not block the next armed apply", async () => {
    const r = rig();
    const tx = { id: "00000000000000a3", timeoutSeconds: 1 };
    expect(r.run(renderArmedApply([ROUTE], tx)).status).toBe(0);
    await until("the guard's rename", () => existsSync(join(r.txDir(tx.id), "rolled-back")));
    const next = r.run(renderArmedApply([ROUTE], { id: "00000000000000b3", timeoutSeconds: 60 }));
    expect(next.stdout).not.toContain(TX_BUSY_MARKER);
    expect(next.status).toBe(0);
  }, 20_000);
});
