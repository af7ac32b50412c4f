// A sandbox host whose PID 1 is systemd, for what virtnet does through systemctl (daemon-reload, enable, is-enabled,
// reload): the same network namespace, veth, /30, keys, owner file and exit hooks as createSandbox's (it starts from
// one), but its sshd is replaced by a unit of a systemd that boots in PID, mount, UTS, IPC and cgroup namespaces of
// its own. Needs root, a mounted cgroup2 hierarchy and overlayfs.
//
// What systemd sees, set up before it starts (LAUNCH below), so that a boot cannot touch this machine:
//   /                    a read-only bind of the machine's root (a boot's tmpfiles, sysusers... find nothing to write)
//   /etc, /var, /root    overlays on the machine's, their upper layers in the state dir (nothing reaches the real ones)
//   /run, /tmp           tmpfs (systemd-tmpfiles empties /tmp at boot: this one, never the machine's)
//   /dev                 tmpfs with binds of null, zero, full, random, urandom, tty, net/tun and a private devpts
//   /proc                the PID namespace's own, /proc/sys read-only except /proc/sys/net (the netns's own)
//   /sys                 sysfs read-only; /sys/fs/cgroup a cgroup2 mount whose root is the sandbox's own cgroup
//   /etc/systemd/system  emptied (the machine's enabled units, e.g. its postgresql or ssh, are not the sandbox's),
//                        then MASKED units and the sshd unit
//   <state dir>          bound read-only at its own path (sshd's config and keys; only sshd.log is writable)
//
// Besides what createSandbox leaves in its state dir: root/ (the mount point of that root), {etc,var,root}.{upper,work}
// (the overlays' layers), units/ (the sandbox's /etc/systemd/system at boot) and systemd.log (the launcher's output
// and systemd's console); and the cgroup <cgroup2 mount>/virtnet-sandbox-vn-<hex6>, removed by destroy.
//
// This keeps the machine safe from the sandbox's boot and units, not from its root sessions: as in createSandbox's
// sandbox, root over SSH keeps every capability (it could mount or load modules on the machine if it meant to).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { childEnv, findBin, runSync, sleepSync } from "./exec";
import { createSandbox, type Sandbox } from "./sandbox";
import { SSH_PORT, tryConnect } from "./sshd";

const SYSTEMD_CANDIDATES = ["/lib/systemd/systemd", "/usr/lib/systemd/systemd"];
const CGROUP_RE = /^virtnet-sandbox-(vn-[0-9a-f]{6})$/;
const SSHD_UNIT = "virtnet-sandbox-sshd.service";
/** systemd's $container: an unknown value still makes it a container ("container-other") that skips host set-up. */
const CONTAINER = "virtnet-sandbox";
const BOOT_TIMEOUT_MS = 90_000;

/**
 * Units masked in the sandbox because they act on the machine (kernel, clock, devices are not namespaced) or on the
 * network namespace virtnet manages. Masking a unit this machine does not have is harmless, so the list is generic.
 */
const MASKED = [
  // kernel modules are the machine's
  "systemd-modules-load.service",
  "kmod-static-nodes.service",
  "modprobe@.service",
  // kernel tunables are the machine's (and /proc/sys is read-only here but for net.*, so it would only fail)
  "systemd-sysctl.service",
  "systemd-binfmt.service",
  "proc-sys-fs-binfmt_misc.automount",
  "proc-sys-fs-binfmt_misc.mount",
  // the clock is not namespaced
  "systemd-timesyncd.service",
  // devices are the machine's: a udev here would replay its uevents
  "systemd-udevd.service",
  "systemd-udevd-control.socket",
  "systemd-udevd-kernel.socket",
  "systemd-udev-trigger.service",
  "systemd-udev-settle.service",
  // the root is a read-only bind: remounting / changes the flags of the machine's file system, not the bind's
  "systemd-remount-fs.service",
  // kernel interfaces a container has no business mounting, the machine's crash log and audit stream
  "sys-kernel-config.mount",
  "sys-kernel-debug.mount",
  "sys-kernel-tracing.mount",
  "sys-fs-fuse-connections.mount",
  "dev-hugepages.mount",
  "systemd-pstore.service",
  "systemd-journald-audit.socket",
  // the namespace's links, addresses and DNS are virtnet's to manage
  "systemd-networkd.service",
  "systemd-networkd.socket",
  "systemd-networkd-wait-online.service",
  "systemd-resolved.service",
  // no terminals, no interactive first boot, no disks
  "getty.target",
  "console-getty.service",
  "systemd-firstboot.service",
  "systemd-repart.service",
];

// Runs as PID 1 of the new PID namespace, in the new mount namespace ($1 the state dir, $2 systemd): builds the root
// described at the top under $1/root, pivots into it and becomes systemd. `set -e`: any mount that fails stops the
// boot before systemd starts, with mount's message in systemd.log. pivot_root, not chroot: systemd refuses to be PID 1
// in a chroot. systemd.unified_cgroup_hierarchy=1 (a container's systemd reads its own arguments as its kernel
// command line): without a cgroup2 file system at /sys/fs/cgroup, systemd 252 was seen to fall back to the legacy
// hierarchies and create init.scope, system.slice... in this machine's own v1 hierarchies (name=systemd, pids,
// devices), whose roots are the sandbox's too; with it, it mounts cgroup2 itself.
const LAUNCH = String.raw`set -eu
S=$1 SYSTEMD=$2 R=$1/root
mount --bind / "$R"
mount -o remount,bind,ro "$R"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"
mount -o remount,bind,ro "$R/proc/sys"
mount --bind /proc/sys/net "$R/proc/sys/net"
if [ -e "$R/proc/sysrq-trigger" ]; then
  mount --bind "$R/proc/sysrq-trigger" "$R/proc/sysrq-trigger"
  mount -o remount,bind,ro "$R/proc/sysrq-trigger"
fi
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup"
mount -t tmpfs -o nosuid,mode=755,size=4m tmpfs "$R/dev"
for d in null zero full random urandom tty net/tun; do
  [ -e "/dev/$d" ] || continue
  mkdir -p "$(dirname "$R/dev/$d")"
  touch "$R/dev/$d"
  mount --bind "/dev/$d" "$R/dev/$d"
done
touch "$R/dev/console"
mount --bind "$S/systemd.log" "$R/dev/console"
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5,nosuid,noexec devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs "$R/run"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$R/tmp"
for d in etc var root; do
  mount -t overlay -o "lowerdir=/$d,upperdir=$S/$d.upper,workdir=$S/$d.work" overlay "$R/$d"
done
mkdir -p "$R$S"
mount --bind "$S" "$R$S"
mount -o remount,bind,ro "$R$S"
mount --bind "$S/sshd.log" "$R$S/sshd.log"
mountpoint -q "$R/etc"
mkdir -p "$R/etc/systemd/system"
find "$R/etc/systemd/system" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
cp -a "$S/units/." "$R/etc/systemd/system/"
cd "$R"
pivot_root . .
umount -l .
cd /
exec env -i container=${CONTAINER} PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$SYSTEMD" --unit=multi-user.target systemd.unified_cgroup_hierarchy=1
`;

// Moves itself into the sandbox's cgroup (so that the cgroup namespace unshare makes is rooted there), enters the
// sandbox's network namespace, and forks PID 1 of new namespaces, which runs LAUNCH. --kill-child: if unshare dies,
// so does the sandbox's systemd. Arguments: cgroup dir, nsenter, netns, unshare, LAUNCH, state dir, systemd.
const ENTER = 'echo $$ > "$1/cgroup.procs" && exec "$2" --net="/run/netns/$3" -- "$4" --pid --fork --kill-child --mount --uts --ipc --cgroup --propagation private -- sh -c "$5" virtnet-sandbox-init "$6" "$7"';

interface Tools {
  systemd: string;
  sshd: string;
  nsenter: string;
  unshare: string;
  cgroupRoot: string;
}

/** What the sandbox needs from this machine, or an error that says exactly what is missing. */
function preflight(): Tools {
  const uid = process.getuid?.();
  if (uid !== 0) throw unavailable(`must be run as root (namespaces, mounts and cgroups need it); current uid is ${uid}`);
  const systemd = SYSTEMD_CANDIDATES.find((p) => existsSync(p));
  if (!systemd) throw unavailable(`systemd is not installed (none of ${SYSTEMD_CANDIDATES.join(", ")}; apt-get install systemd)`);
  if (!/\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8"))) throw unavailable("the kernel has no overlayfs (not in /proc/filesystems): /etc and /var could not be private");
  const cgroupRoot = cgroup2Mount();
  if (!cgroupRoot) throw unavailable("no cgroup2 hierarchy is mounted (none in /proc/self/mountinfo): systemd needs a cgroup2 subtree of its own");
  for (const [bin, pkg] of [["mount", "mount"], ["pivot_root", "util-linux"], ["mountpoint", "util-linux"], ["find", "findutils"], ["cp", "coreutils"]]) findBin(bin!, pkg!);
  return { systemd, sshd: findBin("sshd", "openssh-server"), nsenter: findBin("nsenter", "util-linux"), unshare: findBin("unshare", "util-linux"), cgroupRoot };
}

function unavailable(reason: string): Error {
  return new Error(`systemd sandbox host: ${reason}`);
}

/** Mount point of the cgroup2 hierarchy: /sys/fs/cgroup on a unified machine, /sys/fs/cgroup/unified on a hybrid one. */
function cgroup2Mount(): string | undefined {
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    if (right?.split(" ")[0] === "cgroup2") return left!.split(" ")[4];
  }
  return undefined;
}

// ---- processes and cgroups -----------------------------------------------------------------------------------

/** Start time (clock ticks since boot) of a live process, undefined for a zombie or a gone one. */
function liveStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] === "Z" ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function populated(cgroupDir: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(path.join(cgroupDir, "cgroup.events"), "utf8"));
  } catch {
    return false; // gone
  }
}

/** rmdir, deepest first: an empty cgroup's control files go with its directory. Fails only on a populated one. */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(path.join(dir, e.name));
  rmdirSync(dir);
}

/** Cgroups of systemd sandboxes destroyed by `destroySandbox` or `clean`, which know nothing of them. */
function removeStaleCgroups(cgroupRoot: string): void {
  for (const e of readdirSync(cgroupRoot)) {
    const m = CGROUP_RE.exec(e);
    if (!m || existsSync(`/run/netns/${m[1]}`) || populated(path.join(cgroupRoot, e))) continue;
    try {
      removeCgroupTree(path.join(cgroupRoot, e));
    } catch {
      // being created or used right now
    }
  }
}

// ---- running sandboxes: stopped before createSandbox's own hooks remove the rest ------------------------------

interface Booted {
  name: string;
  /** PID 1 of the sandbox, as this machine numbers it, and its start time (a reused pid is not it). */
  pid1: number;
  pid1Start: string;
  cgroupDir: string;
}

const booted = new Map<string, Booted>();
let hooksInstalled = false;

/**
 * Ends the sandbox's PID namespace (SIGKILL to its PID 1 makes the kernel kill everything in it, units and
 * execInNamespace's commands alike, and its mount namespace goes with the last of them), then deletes its network
 * namespace: `destroySandbox` then finds no bridges there, whose dnsmasq files it would look for on this machine's
 * /run, where this sandbox never kept them. Synchronous: it also runs in exit handlers.
 */
function stopSystemd(b: Booted): void {
  if (liveStart(b.pid1) === b.pid1Start) signal(b.pid1, "SIGKILL");
  // Anything left in the cgroup (nothing should be: all of it is in the PID namespace) goes too.
  try {
    writeFileSync(path.join(b.cgroupDir, "cgroup.kill"), "1");
  } catch {
    // kernel before 5.14, or the cgroup is gone
  }
  const deadline = Date.now() + 10_000;
  while (liveStart(b.pid1) === b.pid1Start || populated(b.cgroupDir)) {
    if (Date.now() > deadline) throw new Error(`systemd sandbox ${b.name}: PID 1 (${b.pid1}) or its cgroup ${b.cgroupDir} still has processes 10s after SIGKILL`);
    sleepSync(20);
  }
  if (existsSync(`/run/netns/${b.name}`)) runSync(["ip", "netns", "del", b.name]);
}

function stopAllBooted(): void {
  for (const b of [...booted.values()]) {
    booted.delete(b.name);
    try {
      stopSystemd(b);
      removeCgroupTree(b.cgroupDir);
    } catch (e) {
      process.stderr.write(`sandbox: could not stop systemd of ${b.name}: ${(e as Error).message}\n`);
    }
  }
}

/** Prepended, so that they run before createSandbox's hooks, which then remove the veth and the state dir. */
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.prependListener("exit", stopAllBooted);
  const onSignal = (sig: NodeJS.Signals): void => {
    stopAllBooted();
    process.removeListener(sig, onSignal);
    // createSandbox's handler, still registered, re-raises the signal once it is done; only if it is not there, do.
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.prependListener(sig, onSignal);
}

// ---- create --------------------------------------------------------------------------------------------------

/** Runs a command, never throwing on its exit status: for polls whose failures are expected for a while. */
function attempt(argv: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: childEnv(), stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => resolve({ code: null, stdout: "", stderr: e.message }));
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

/** createSandbox's sshd runs in the machine's file system; the sandbox's must be systemd's. */
async function stopPlainSshd(name: string): Promise<void> {
  const pids = () => runSync(["ip", "netns", "pids", name]).split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
  for (let i = 0; i < 100; i++) {
    const left = pids();
    if (left.length === 0) return;
    for (const p of left) signal(p, i < 50 ? "SIGTERM" : "SIGKILL");
    await delay(20);
  }
  throw new Error(`the plain sshd of ${name} did not stop`);
}

/** The sandbox's /etc/systemd/system at boot, and the files of its /etc that must not be the machine's. */
function prepareState(stateDir: string, name: string, sshd: string): void {
  mkdirSync(path.join(stateDir, "root"));
  for (const d of ["etc", "var", "root"]) {
    mkdirSync(path.join(stateDir, `${d}.upper`));
    mkdirSync(path.join(stateDir, `${d}.work`));
  }
  const etc = path.join(stateDir, "etc.upper");
  // Its own name (in its own UTS namespace), its own machine id (journal, D-Bus), and no file systems of the machine's fstab.
  writeFileSync(path.join(etc, "hostname"), `${name}\n`);
  writeFileSync(path.join(etc, "machine-id"), `${randomBytes(16).toString("hex")}\n`, { mode: 0o444 });
  writeFileSync(path.join(etc, "fstab"), "# the virtnet sandbox mounts nothing from fstab\n");

  const units = path.join(stateDir, "units");
  mkdirSync(path.join(units, "multi-user.target.wants"), { recursive: true });
  for (const unit of MASKED) symlinkSync("/dev/null", path.join(units, unit));
  const config = path.join(stateDir, "sshd_config");
  const log = path.join(stateDir, "sshd.log");
  // createSandbox's sshd_config as is; PidFile none because the state dir is read-only in the sandbox. Type=notify
  // and RuntimeDirectory (its privilege separation directory) as Debian's own ssh.service.
  writeFileSync(
    path.join(units, SSHD_UNIT),
    [
      "[Unit]",
      `Description=sshd of virtnet sandbox ${name}`,
      "After=network.target",
      "",
      "[Service]",
      "Type=notify",
      `ExecStart=${sshd} -D -f ${config} -E ${log} -o PidFile=none`,
      "RuntimeDirectory=sshd",
      "RuntimeDirectoryMode=0755",
      "KillMode=process",
      "",
      "[Install]",
      "WantedBy=multi-user.target",
      "",
    ].join("\n"),
  );
  symlinkSync(`../${SSHD_UNIT}`, path.join(units, "multi-user.target.wants", SSHD_UNIT));
  writeFileSync(log, "", { flag: "a" });
  writeFileSync(path.join(stateDir, "systemd.log"), "", { flag: "a" });
}

/** PID 1 once it is systemd (the mounts are done then), or an error with the launcher's output. */
async function waitForSystemd(launcher: number, logPath: string, deadline: number): Promise<Booted["pid1"]> {
  for (;;) {
    let child: number | undefined;
    try {
      child = Number(readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8").trim().split(" ")[0]) || undefined;
    } catch {
      // the launcher is gone
    }
    if (child !== undefined) {
      try {
        if (readFileSync(`/proc/${child}/comm`, "utf8").trim() === "systemd") return child;
      } catch {
        // exited between the two reads
      }
    } else if (liveStart(launcher) === undefined) {
      throw new Error(`the sandbox's init stopped before systemd started; its output:\n${readFileSync(logPath, "utf8").trim()}`);
    }
    if (Date.now() > deadline) throw new Error(`systemd did not start within ${BOOT_TIMEOUT_MS / 1000}s; the launcher's output:\n${readFileSync(logPath, "utf8").trim()}`);
    await delay(10);
  }
}

/** `systemctl is-system-running --wait` until boot is over: "running", or "degraded" (a unit failed, the system runs). */
async function waitForBoot(inSandbox: (argv: string[]) => string[], pid1: number, deadline: number): Promise<string> {
  for (;;) {
    if (liveStart(pid1) === undefined) throw new Error("systemd (PID 1 of the sandbox) exited during boot");
    const r = await attempt(inSandbox(["systemctl", "is-system-running", "--wait"]), Math.max(1, deadline - Date.now()));
    const state = r.stdout.trim();
    if (state === "running" || state === "degraded") return state;
    // "offline": the manager's socket is not there yet; anything else (maintenance, stopping...) is final.
    if (state !== "offline" && state !== "" && state !== "starting" && state !== "initializing") throw new Error(`systemd reached state '${state}'`);
    if (Date.now() > deadline) throw new Error(`systemd did not finish booting within ${BOOT_TIMEOUT_MS / 1000}s (state '${state}', ${r.stderr.trim()})`);
    await delay(50);
  }
}

/** What to read when the boot went wrong: failed units and the journal's end. */
async function bootDiagnostics(inSandbox: (argv: string[]) => string[], logPath: string): Promise<string> {
  const failed = await attempt(inSandbox(["systemctl", "--failed", "--no-pager", "--no-legend"]), 5_000);
  const journal = await attempt(inSandbox(["journalctl", "-b", "-n", "40", "--no-pager"]), 5_000);
  return [`failed units:\n${failed.stdout.trim() || failed.stderr.trim()}`, `journal:\n${journal.stdout.trim() || journal.stderr.trim()}`, `launcher and console:\n${readFileSync(logPath, "utf8").trim()}`].join("\n");
}

/**
 * Creates a sandbox host whose PID 1 is systemd, for this process's own use: destroyed on exit, SIGINT, SIGTERM or
 * SIGHUP if not before. Its sshd is a systemd unit; execInNamespace runs in all of the sandbox's namespaces (its
 * /etc, /var, /run, its PID 1). Throws, leaving nothing, if this machine cannot run systemd that way, saying why.
 */
export async function createSystemdSandbox(): Promise<Sandbox> {
  const tools = preflight();
  removeStaleCgroups(tools.cgroupRoot);
  const sb = await createSandbox();
  const { name, stateDir } = sb;
  const cgroupDir = path.join(tools.cgroupRoot, `virtnet-sandbox-${name}`);
  const logPath = path.join(stateDir, "systemd.log");
  let b: Booted | undefined;
  let launched = false;
  try {
    await stopPlainSshd(name);
    prepareState(stateDir, name, tools.sshd);
    try {
      mkdirSync(cgroupDir);
    } catch (e) {
      throw unavailable(`cannot create the sandbox's cgroup ${cgroupDir}: ${(e as Error).message}`);
    }
    installHooks();

    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    const logFd = openSync(logPath, "a");
    const launcher = spawn("sh", ["-c", ENTER, "virtnet-sandbox-enter", cgroupDir, tools.nsenter, name, tools.unshare, LAUNCH, stateDir, tools.systemd], {
      env: childEnv(),
      stdio: ["ignore", logFd, logFd],
      detached: true, // its own process group: a Ctrl-C to this process's group reaches the sandbox only through the hooks
    });
    closeSync(logFd);
    launcher.unref(); // it lives as long as the sandbox, not as this process's event loop
    launched = true;
    const launcherPid = launcher.pid;
    if (launcherPid === undefined) throw new Error(`could not start the sandbox's init: ${readFileSync(logPath, "utf8").trim()}`);

    const pid1 = await waitForSystemd(launcherPid, logPath, deadline);
    b = { name, pid1, pid1Start: liveStart(pid1)!, cgroupDir };
    booted.set(name, b);
    const inSandbox = (argv: string[]) => [tools.nsenter, "-t", String(pid1), "-a", "--", ...argv];
    try {
      await waitForBoot(inSandbox, pid1, deadline);
      while (!(await tryConnect(sb.host, SSH_PORT, 500))) {
        if (Date.now() > deadline) throw new Error(`the sandbox's sshd (${SSHD_UNIT}) does not accept connections on ${sb.host}:${SSH_PORT}`);
        await delay(20);
      }
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await bootDiagnostics(inSandbox, logPath)}`);
    }

    const running = b;
    return {
      ...sb,
      execInNamespace(argv: string[]): string {
        if (argv.length === 0) throw new Error("execInNamespace: empty argv");
        if (liveStart(running.pid1) !== running.pid1Start) throw new Error(`systemd sandbox ${name} is not running`);
        return runSync(inSandbox(argv));
      },
      async destroy(): Promise<void> {
        try {
          if (booted.delete(name)) stopSystemd(running);
        } finally {
          await sb.destroy();
        }
        removeCgroupTree(cgroupDir);
      },
    };
  } catch (e) {
    try {
      if (b) booted.delete(name);
      if (b || launched) stopSystemd(b ?? { name, pid1: 0, pid1Start: "", cgroupDir });
      await sb.destroy();
      removeCgroupTree(cgroupDir);
    } catch (cleanup) {
      process.stderr.write(`sandbox: could not clean up the failed systemd sandbox ${name}: ${(cleanup as Error).message}\n`);
    }
    throw new Error(`systemd sandbox host ${name} did not start: ${(e as Error).message.replace(/^systemd sandbox host: /, "")}`);
  }
}
