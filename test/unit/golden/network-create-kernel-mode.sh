undo() {
  if [ "$1" -gt 0 ]; then ip link del dev virbr10 || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
link add name virbr10 address 52:54:00:12:34:56 type bridge
link set dev virbr10 alias virtnet
link set dev virbr10 type bridge forward_delay 300
link set dev virbr10 type bridge stp_state 0
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((0 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/disable_ipv6=1 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 4 $s; undo 4; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/accept_ra=0 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 5 $s; undo 5; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/autoconf=0 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 6 $s; undo 6; exit 1; }; fi
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
addr add 192.168.100.1/24 broadcast 192.168.100.255 dev virbr10
link set dev virbr10 up
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((7 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
printf '%s\n' @@virtnet-applied
