// Host test of the systemd sandbox host (scripts/sandbox/systemd-host.ts), what the autostart tests will stand on:
// over the provider's own SSH path PID 1 is systemd and systemctl works for real (daemon-reload, enable --now,
// is-enabled, reload, disable --now), while this machine's /etc, /tmp, hostname and kernel tunables stay its own, and
// destroy leaves nothing behind. Needs root; never skipped: without root the creation fails with an explicit message.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { knownConnection } from "../../provider/connection/known-connection";
import type { Host } from "../../provider/host/host";
import { closeAllHosts, hostFor } from "../../provider/host/host-pool";
import { createSystemdSandbox } from "../../scripts/sandbox/systemd-host";
import { sandboxConnection } from "../support/network-args";
import type { Sandbox } from "../support/sandbox";

const tag = randomBytes(4).toString("hex");
const UNIT = `vntest-${tag}.service`;
const RUN_MARKER = `/run/vntest-${tag}`;
// systemd-tmpfiles empties /tmp at boot ("D /tmp"): a file of the machine's /tmp must outlive the sandbox's boot.
const TMP_MARKER = path.join("/tmp", `virtnet-systemd-sandbox-marker-${tag}`);
const machineHostname = os.hostname();

let sb: Sandbox | undefined;
let host: Host;
let creationMs = 0;

beforeAll(async () => {
  writeFileSync(TMP_MARKER, "the sandbox's boot must not remove this\n");
  const t0 = performance.now();
  sb = await createSystemdSandbox();
  creationMs = performance.now() - t0;
  process.stdout.write(`systemd sandbox ${sb.name} created in ${Math.round(creationMs)} ms\n`);
  host = hostFor(knownConnection(sandboxConnection(sb, { port: 22, user: "root", insecureIgnoreHostKey: false, sudo: false }) as never, "test"));
}, 120_000);

afterAll(async () => {
  closeAllHosts();
  await sb?.destroy();
  rmSync(TMP_MARKER, { force: true });
});

function sandbox(): Sandbox {
  if (!sb) throw new Error("the sandbox was not created");
  return sb;
}

/** Runs a script on the sandbox over SSH, as the provider does; fails the test on a non-zero exit. */
async function remote(script: string): Promise<string> {
  const r = await host.run(script);
  expect(r.code, `${script}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

/** Every process's command line (NULs as spaces), this one's left out. */
function commandLines(): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      out.set(Number(e), readFileSync(`/proc/${e}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // gone
    }
  }
  return out;
}

/** Mount points of every mount namespace on the machine, by the pid that shows them. */
function mountsMentioning(text: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      for (const line of readFileSync(`/proc/${e}/mountinfo`, "utf8").split("\n")) if (line.includes(text)) found.push(`pid ${e}: ${line}`);
    } catch {
      // gone
    }
  }
  return found;
}

function cgroup2Mounts(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l.split(" - ")[1]?.startsWith("cgroup2 "))
    .map((l) => l.split(" ")[4]!);
}

describe("systemd sandbox host", () => {
  it("is booted: over SSH PID 1 is systemd, /run/systemd/system exists, and the system is running", async () => {
    expect(creationMs).toBeLessThan(60_000);
    const out = await remote(
      ["cat /proc/1/comm", "test -d /run/systemd/system && echo booted", "systemd-detect-virt --container || true", "state=$(timeout 30 systemctl is-system-running --wait) || true", 'echo "$state"'].join("\n"),
    );
    const [comm, booted, virt, state] = out.split("\n");
    expect(comm).toBe("systemd");
    expect(booted).toBe("booted");
    expect(virt).toBe("container-other");
    expect(["running", "degraded"]).toContain(state);
  });

  it("runs execInNamespace in the sandbox's PID, mount and UTS namespaces", () => {
    expect(sandbox().execInNamespace(["cat", "/proc/1/comm"]).trim()).toBe("systemd");
    expect(sandbox().execInNamespace(["hostname"]).trim()).toBe(sandbox().name);
    expect(sandbox().execInNamespace(["sh", "-c", "test -d /run/systemd/system && echo yes"]).trim()).toBe("yes");
  });

  it("daemon-reloads, enables --now, reports enabled, reloads and disables --now a unit written to /etc/systemd/system", async () => {
    await remote(
      [
        `cat > /etc/systemd/system/${UNIT} <<'EOF'`,
        "[Unit]",
        "Description=virtnet systemd sandbox test unit",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=/bin/sh -c 'echo start >> ${RUN_MARKER}'`,
        `ExecReload=/bin/sh -c 'echo reload >> ${RUN_MARKER}'`,
        `ExecStop=/bin/sh -c 'echo stop >> ${RUN_MARKER}'`,
        "[Install]",
        "WantedBy=multi-user.target",
        "EOF",
        "systemctl daemon-reload",
      ].join("\n"),
    );
    expect(await remote(`systemctl is-enabled ${UNIT} || true`)).toBe("disabled");

    await remote(`systemctl enable --now ${UNIT}`);
    expect(await remote(`systemctl is-enabled ${UNIT}; systemctl is-active ${UNIT}; readlink /etc/systemd/system/multi-user.target.wants/${UNIT}`)).toBe(
      `enabled\nactive\n/etc/systemd/system/${UNIT}`,
    );
    expect(await remote(`cat ${RUN_MARKER}`)).toBe("start");

    await remote(`systemctl reload ${UNIT}`);
    expect(await remote(`cat ${RUN_MARKER}`)).toBe("start\nreload");

    await remote(`systemctl disable --now ${UNIT}`);
    expect(await remote(`systemctl is-enabled ${UNIT} || true; systemctl is-active ${UNIT} || true; test -e /etc/systemd/system/multi-user.target.wants/${UNIT} || echo unlinked`)).toBe(
      "disabled\ninactive\nunlinked",
    );
    expect(await remote(`cat ${RUN_MARKER}`)).toBe("start\nreload\nstop");

    // It went to the sandbox's /etc overlay, and nowhere on this machine.
    expect(existsSync(path.join(sandbox().stateDir, "etc.upper", "systemd", "system", UNIT))).toBe(true);
    expect(existsSync(`/etc/systemd/system/${UNIT}`)).toBe(false);
    expect(existsSync(RUN_MARKER)).toBe(false);
  });

  it("leaves this machine alone: its /tmp is not emptied, its /etc has no unit, its hostname and kernel tunables are its own", async () => {
    expect(readFileSync(TMP_MARKER, "utf8")).toContain("must not remove");
    expect(existsSync(`/etc/systemd/system/${UNIT}`)).toBe(false);
    expect(os.hostname()).toBe(machineHostname);
    expect(await remote("hostname")).toBe(sandbox().name);
    // Writes of the current value, harmless even if the protection were missing: machine-wide tunables are read-only,
    // the network namespace's own are writable.
    const fileMax = await host.run("v=$(cat /proc/sys/fs/file-max) && echo \"$v\" > /proc/sys/fs/file-max");
    expect(fileMax.code).not.toBe(0);
    expect(fileMax.stderr).toMatch(/Read-only file system/);
    await remote("v=$(cat /proc/sys/net/ipv4/ip_forward) && echo \"$v\" > /proc/sys/net/ipv4/ip_forward");
  });

  it("destroy leaves no process, mount, network namespace, veth, cgroup or state directory", async () => {
    const { name, stateDir } = sandbox();
    expect([...commandLines().values()].some((c) => c.includes(`virtnet-sandbox-${name}`))).toBe(true);
    expect(mountsMentioning(stateDir).length).toBeGreaterThan(0);

    closeAllHosts();
    await sandbox().destroy();
    sb = undefined;

    expect([...commandLines()].filter(([, c]) => c.includes(name)).map(([pid, c]) => `${pid}: ${c}`)).toEqual([]);
    expect(mountsMentioning(stateDir)).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
    expect(existsSync(`/run/netns/${name}`)).toBe(false);
    expect(readFileSync("/proc/net/dev", "utf8")).not.toContain(`vnh-${name.slice(3)}`);
    for (const root of cgroup2Mounts()) expect(existsSync(path.join(root, `virtnet-sandbox-${name}`))).toBe(false);
    expect(existsSync(TMP_MARKER)).toBe(true);
  });
});
