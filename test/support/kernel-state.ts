// A network's kernel state read independently of the provider (iproute2's JSON, tc's text, nft's JSON), normalized so
// that two readings of the same configuration compare equal however it was made: no interface indexes, timers,
// counters, statistics or nft handles, and lists sorted. Used by the autostart tests to compare before and after a
// simulated reboot.

const VOLATILE = /^(ifindex|link_index|.*_timer|[gt]so_max_(size|segs)|gro_max_size|g[rs]o_ipv4_max_size|handle|stats.*|operstate|linkmode|txqlen|num_[rt]x_queues|inet6_addr_gen_mode|addr_info_flags|preferred_life_time|valid_life_time|dynamic|noprefixroute|used|updated|packets|bytes)$/;

/**
 * JSON values without the keys `volatile` matches, at any depth (`normalized`), and a list of them as sorted text, for
 * comparing lists whatever their order (`sorted`).
 */
export function jsonNormalizer(volatile: RegExp): { normalized: (v: unknown) => unknown; sorted: (items: unknown[]) => string[] } {
  const normalized = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(normalized);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => !volatile.test(k)).map(([k, x]) => [k, normalized(x)]));
    return v;
  };
  return { normalized, sorted: (items) => items.map((i) => JSON.stringify(normalized(i))).sort() };
}

/** iproute2's `-j` output as a list (nothing printed: an empty one). */
export const jsonList = (text: string): unknown[] => (text.trim() === "" ? [] : (JSON.parse(text) as unknown[]));

const { sorted } = jsonNormalizer(VOLATILE);

/** Reads a network's devices (the bridge, its ports, their ifbs), routes, fdb, tc, nft rules and forwarding. */
export function kernelState(run: (argv: string[]) => string, bridge: string): Record<string, unknown> {
  const links = (jsonList(run(["ip", "-j", "-d", "link", "show"])) as Array<{ ifname: string; master?: string; ifalias?: string }>).filter(
    (l) => l.ifname === bridge || l.master === bridge || (l.ifalias?.startsWith("virtnet") && /^ifb/.test(l.ifname)),
  );
  const devices = links.map((l) => l.ifname).sort();
  const tc = Object.fromEntries(
    devices.map((d) => [
      d,
      ["qdisc", "class", "filter"].map((k) => run(["tc", k, "show", "dev", d]).replace(/\bindex \d+ ref/g, "index _ ref").replace(/ \d+ sec/g, "").split("\n").sort().join("\n")),
    ]),
  );
  const nft = ["ip", "ip6"].map((f) => {
    const out = run(["sh", "-c", `nft -j list table ${f} virtnet_network 2>/dev/null || echo '{"nftables":[]}'`]);
    // The table and its chains, and the rules that name the bridge (the network's: libvirt's rules match on it).
    const entries = (JSON.parse(out) as { nftables: Record<string, unknown>[] }).nftables;
    return sorted(entries.filter((e) => "table" in e || "chain" in e || ("rule" in e && JSON.stringify(e).includes(`"${bridge}"`))));
  });
  return {
    links: sorted(links),
    addresses: sorted(jsonList(run(["ip", "-j", "addr", "show", "dev", bridge]))),
    routes: sorted([...jsonList(run(["ip", "-j", "-4", "route", "show", "dev", bridge])), ...jsonList(run(["ip", "-j", "-6", "route", "show", "dev", bridge]))]),
    fdb: sorted(jsonList(run(["bridge", "-j", "fdb", "show", "br", bridge, "state", "static"]))),
    ports: sorted(jsonList(run(["bridge", "-j", "-d", "link", "show"])).filter((p) => (p as { master?: string }).master === bridge)),
    tc,
    nft,
    forwarding: run(["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding"]),
  };
}
