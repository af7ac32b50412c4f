// Which tc features the host's kernel has, probed once per connection on a throwaway ifb device (design §4).
import type { TcFeatures } from "../net/tc";
import type { Host } from "./host";

export type { TcFeatures } from "../net/tc";

/** Touches nothing but a device it creates and deletes; prints one word per feature the kernel has. */
export const TC_PROBE_SCRIPT = `p=vtprobe$$
if ip link add "$p" type ifb 2>/dev/null; then echo ifb; else ip link add "$p" type veth peer name "\${p}b" || exit 3; fi
t() { tc "$@" >/dev/null 2>&1; }
t qdisc add dev "$p" root handle 1: htb default 1 && t class add dev "$p" parent 1: classid 1:1 htb rate 1kbps
t qdisc add dev "$p" parent 1:1 handle 2: sfq perturb 10 && echo sfq
t filter add dev "$p" parent 1:0 protocol all prio 1 handle 1 fw flowid 1 && echo fw
t qdisc add dev "$p" ingress && t filter add dev "$p" parent ffff: protocol all u32 match u32 0 0 police rate 1kbps burst 1kb mtu 64kb drop flowid :1 && echo police
ip link del "$p"
`;

export function parseTcFeatures(stdout: string): TcFeatures {
  const words = new Set(stdout.split(/\s+/));
  return { sfq: words.has("sfq"), fw: words.has("fw"), police: words.has("police"), ifb: words.has("ifb") };
}

const probes = new WeakMap<Host, Promise<TcFeatures>>();

export function tcFeatures(host: Host): Promise<TcFeatures> {
  let p = probes.get(host);
  if (!p) {
    p = host.run(TC_PROBE_SCRIPT).then((r) => parseTcFeatures(r.stdout));
    p.catch(() => probes.delete(host));
    probes.set(host, p);
  }
  return p;
}
