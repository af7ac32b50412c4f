// How users describe an SSH host: the `connection` argument of every virtnet resource.
import type * as pulumi from "@pulumi/pulumi";

export interface ConnectionArgs {
  /** Host name or IP address of the Linux host. Changing it replaces the resource. */
  host: pulumi.Input<string>;
  /** SSH port. Default 22. */
  port?: pulumi.Input<number>;
  /** Login user. Default "root"; any other user needs `sudo: true` and passwordless sudo. */
  user?: pulumi.Input<string>;
  /** An OpenSSH or PEM private key (the key text, not a path). Use a Pulumi secret. */
  privateKey?: pulumi.Input<string>;
  /** Passphrase of an encrypted privateKey. */
  passphrase?: pulumi.Input<string>;
  password?: pulumi.Input<string>;
  /** Path of an ssh-agent socket, e.g. process.env.SSH_AUTH_SOCK. */
  agentSocket?: pulumi.Input<string>;
  /** The host key's SHA256 fingerprint as `ssh-keygen -lf` prints it ("SHA256:…"). */
  hostKey?: pulumi.Input<string>;
  /** known_hosts lines to verify the host key against (plain, bracketed-port or hashed hosts). */
  knownHosts?: pulumi.Input<string>;
  /** Skip host-key verification. Off by default: without a key, connections fail closed. */
  insecureIgnoreHostKey?: pulumi.Input<boolean>;
  /** Run commands through `sudo -n`. Default false. */
  sudo?: pulumi.Input<boolean>;
}

/** The connection as recorded in state (kept as a Pulumi secret). */
export type { Connection } from "../provider/connection/connection";
