// The tc feature probe: which of sch_sfq, cls_fw, act_police and ifb the host's kernel has (docs/architecture.md §4).

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
