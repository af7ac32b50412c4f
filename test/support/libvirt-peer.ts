// Real libvirt as a peer: libvirtd in a network namespace of its own, with private runtime, state and config
// directories, pid file and user database (a mount namespace, its files on a tmpfs that goes with it), so it neither
// sees nor touches the machine's libvirt or /etc, and leaves nothing behind. Debian's libvirt-daemon.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * libvirt's QEMU driver looks up its default user before reading qemu.conf, and libvirtd stops without it: private
 * copies of /etc/passwd and /etc/group with that user and the kvm group cover the machine's, inside the namespace.
 */
const PRIVATE_USERS = [
  'e=/run/libvirt/.peer-etc && mkdir -p "$e/libvirt" && cp -a /etc/libvirt/. "$e/libvirt/" && mount --bind "$e/libvirt" /etc/libvirt',
  'cp /etc/passwd "$e/passwd" && { grep -q "^libvirt-qemu:" "$e/passwd" || echo "libvirt-qemu:x:64055:64055::/nonexistent:/usr/sbin/nologin" >> "$e/passwd"; } && mount --bind "$e/passwd" /etc/passwd',
  'cp /etc/group "$e/group" && { grep -q "^kvm:" "$e/group" || echo "kvm:x:64056:" >> "$e/group"; } && { grep -q "^libvirt-qemu:" "$e/group" || echo "libvirt-qemu:x:64055:" >> "$e/group"; } && mount --bind "$e/group" /etc/group',
];

/** Made inside the namespace once its mounts are in place: the readiness probe trusts nothing it finds before. */
const READY = "/run/libvirt/.peer-mounted";

function run(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8" });
  if (r.error) throw new Error(`${argv[0]} is missing: ${r.error.message} (scripts/setup.sh installs libvirt-daemon)`);
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

const PRIVATE_DIRS = ["/run/libvirt", "/var/lib/libvirt", "/var/log/libvirt", "/var/cache/libvirt"];

export class LibvirtPeer {
  private constructor(
    readonly namespace: string,
    private readonly daemon: ChildProcess,
  ) {}

  static async start(): Promise<LibvirtPeer> {
    const namespace = `vn-lv-${randomBytes(3).toString("hex")}`;
    run(["ip", "netns", "add", namespace]);
    const script = [
      ...PRIVATE_DIRS.map((d) => `mkdir -p ${d} && mount -t tmpfs tmpfs ${d}`),
      ...PRIVATE_USERS,
      `touch ${READY}`,
      "ip link set lo up",
      // Its own pid file: the machine's libvirtd (if one runs) holds /run/libvirtd.pid.
      "exec libvirtd --pid-file /run/libvirt/libvirtd.pid",
    ].join(" && ");
    // Its own session: libvirtd signals its process group at times, which must not reach the test runner.
    const daemon = spawn("ip", ["netns", "exec", namespace, "unshare", "--mount", "--propagation", "private", "sh", "-c", script], {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    let stderr = "";
    daemon.stderr?.on("data", (d: Buffer) => (stderr += d));
    const peer = new LibvirtPeer(namespace, daemon);
    for (let i = 0; i < 100; i++) {
      if (daemon.exitCode !== null) break;
      const probe = `test -e ${READY} && test -S /run/libvirt/libvirt-sock`;
      if (daemon.pid && spawnSync("nsenter", ["-t", String(daemon.pid), "-m", "sh", "-c", probe]).status === 0) return peer;
      await new Promise((r) => setTimeout(r, 100));
    }
    await peer.stop();
    throw new Error(`libvirtd did not start in ${namespace}: ${stderr.split("\n").filter((l) => !/dmi|DMI|bus/.test(l)).join("\n").trim()}`);
  }

  /** False once libvirtd has exited (it can crash on a kernel that lacks what a network needs). */
  alive(): boolean {
    // Read the kernel's view: Node learns of the exit only when its event loop runs, and a dead child it has not
    // reaped yet is a zombie.
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${this.daemon.pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  }

  /** Runs virsh against this libvirtd; returns its status and output instead of throwing (libvirt may refuse). */
  virsh(...args: string[]): { ok: boolean; output: string } {
    const r = spawnSync("nsenter", ["-t", String(this.daemon.pid), "-m", "-n", "virsh", "-q", "-c", "qemu:///system", ...args], { encoding: "utf8", input: "" });
    return { ok: r.status === 0, output: (r.stdout + r.stderr).trim() };
  }

  /** Defines and starts a network from XML (written inside libvirtd's private /run). */
  defineAndStart(xml: string, name: string): { ok: boolean; output: string } {
    const path = `/run/libvirt/peer-${name}.xml`;
    const write = spawnSync("nsenter", ["-t", String(this.daemon.pid), "-m", "sh", "-c", `cat > ${path}`], { input: xml });
    if (write.status !== 0) return { ok: false, output: "could not write the XML" };
    const defined = this.virsh("net-define", path);
    if (!defined.ok) return defined;
    return this.virsh("net-start", name);
  }

  ipJson(args: string[]): unknown {
    const out = run(["ip", "-n", this.namespace, "-j", ...args]);
    return out.trim() === "" ? [] : JSON.parse(out);
  }

  exec(argv: string[]): string {
    return run(["ip", "netns", "exec", this.namespace, ...argv]);
  }

  async stop(): Promise<void> {
    if (this.daemon.exitCode === null) {
      const exited = new Promise((r) => this.daemon.once("exit", r));
      this.daemon.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (this.daemon.exitCode === null) this.daemon.kill("SIGKILL");
    }
    spawnSync("ip", ["netns", "del", this.namespace]);
  }
}
