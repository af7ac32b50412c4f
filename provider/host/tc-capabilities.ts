// Which tc features the host's kernel has, probed once per connection on a throwaway ifb device (docs/architecture.md §4).
import type { TcFeatures } from "../net/tc";
import { TC_PROBE_SCRIPT } from "../iproute2/tc-probe-script";
import type { Host } from "./host";

export type { TcFeatures } from "../net/tc";
export { TC_PROBE_SCRIPT };

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
