#!/bin/sh
# virtnet: network virbr10 at boot, run by virtnet-net@virbr10.service (written by virtnet; changes are overwritten)
case "${1:-start}" in
  firewall) true; exit $? ;;
  start) ;;
  *) echo "usage: $0 start|firewall" >&2; exit 2 ;;
esac
status=0
if [ -e /sys/class/net/virbr10 ]; then
  a=$(cat /sys/class/net/virbr10/ifalias 2>/dev/null)
  if [ "$a" != virtnet ]; then echo 'virbr10 exists and is not virtnet'\''s; not touching it' >&2; exit 1; fi
  true || status=1
else
  (
undo() {
  if [ "$1" -gt 0 ]; then ip link del dev virbr10 || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
link add name virbr10 address 52:54:00:10:00:02 type bridge
link set dev virbr10 alias virtnet
link set dev virbr10 type bridge forward_delay 0
link set dev virbr10 type bridge stp_state 1
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((0 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/disable_ipv6=1 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 4 $s; undo 4; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/accept_ra=0 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 5 $s; undo 5; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/autoconf=0 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 6 $s; undo 6; exit 1; }; fi
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
addr add 192.168.101.1/24 broadcast 192.168.101.255 dev virbr10
link set dev virbr10 up
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((7 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
printf '%s\n' @@virtnet-applied
) || status=1
fi
for f in /etc/virtnet/virbr10.d/*.sh; do [ -f "$f" ] || continue; sh "$f" || { echo "$f failed" >&2; status=1; }; done
exit $status
