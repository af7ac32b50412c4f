// The sudo user of a --sudo-user sandbox exists only inside that sandbox: its sshd runs in a mount namespace of its
// own where private copies of /etc/passwd, /etc/group, /etc/shadow and /etc/sudoers.d (and a private /home) cover
// the machine's, so nothing is ever written to the machine's /etc.
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";

export const SUDO_USER = "vnsudo";

/** A directory or file of the state dir, and the machine path it covers inside the sandbox's mount namespace. */
export interface Bind {
  source: string;
  target: string;
}

/** The file's lines without those of `user` (a user an older version added for real must not shadow ours). */
function linesWithout(file: string, user: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith(`${user}:`));
}

/** Writes a copy of `original` with its owner and mode: /etc/shadow's group lets unix_chkpwd read it. */
function writeLike(original: string, copy: string, lines: string[]): void {
  const st = statSync(original);
  writeFileSync(copy, lines.join("\n") + "\n", { mode: 0o600 });
  chownSync(copy, st.uid, st.gid);
  chmodSync(copy, st.mode & 0o7777);
}

function freeId(passwd: string[], group: string[]): number {
  const taken = new Set([...passwd, ...group].map((l) => Number(l.split(":")[2])));
  for (let id = 1000; id < 60000; id++) if (!taken.has(id)) return id;
  throw new Error("no free uid/gid between 1000 and 59999 for the sandbox's sudo user");
}

/** Creates the private files under `stateDir` and returns what to bind-mount where. */
export function privateEtc(stateDir: string, user = SUDO_USER): Bind[] {
  if (!existsSync("/etc/sudoers.d")) throw new Error("--sudo-user needs /etc/sudoers.d (included by /etc/sudoers) to cover with a private copy");
  const etc = path.join(stateDir, "etc");
  mkdirSync(etc, { mode: 0o755 });
  const passwd = linesWithout("/etc/passwd", user);
  const group = linesWithout("/etc/group", user);
  const id = freeId(passwd, group);
  const today = Math.floor(Date.now() / 86_400_000);
  writeLike("/etc/passwd", path.join(etc, "passwd"), [...passwd, `${user}:x:${id}:${id}::/home/${user}:/bin/sh`]);
  writeLike("/etc/group", path.join(etc, "group"), [...group, `${user}:x:${id}:`]);
  // '*' and not useradd's '!': with UsePAM no, sshd refuses a "locked" account even for a public-key login.
  writeLike("/etc/shadow", path.join(etc, "shadow"), [...linesWithout("/etc/shadow", user), `${user}:*:${today}:0:99999:7:::`]);

  // The machine's own drop-ins stay in force next to ours; sudo ignores drop-ins not owned by root or writable by others.
  const sudoers = path.join(etc, "sudoers.d");
  cpSync("/etc/sudoers.d", sudoers, { recursive: true, preserveTimestamps: true });
  chmodSync(sudoers, statSync("/etc/sudoers.d").mode & 0o7777);
  writeFileSync(path.join(sudoers, "virtnet-sandbox"), `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });

  // sshd and shells start in the user's home; a private /home gives it one without creating it on the machine.
  const home = path.join(stateDir, "home");
  mkdirSync(path.join(home, user), { recursive: true });
  chmodSync(home, 0o755);
  chmodSync(path.join(home, user), 0o700);
  chownSync(path.join(home, user), id, id);

  return [
    ...["passwd", "group", "shadow", "sudoers.d"].map((f) => ({ source: path.join(etc, f), target: `/etc/${f}` })),
    { source: home, target: "/home" },
  ];
}
