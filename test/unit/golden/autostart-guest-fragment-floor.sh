#!/bin/sh
# virtnet: guest interface vnet0 on virbr10 at boot (written by virtnet; changes are overwritten)
# virtnet-floor 1000
[ -e /sys/class/net/vnet0 ] && exit 0
(
undo() {
  if [ "$1" -gt 2 ]; then ip tuntap del dev vnet0 mode tap || printf '%s %d %d\n' @@virtnet-undo-failed 2 $?; fi
  if [ "$1" -gt 1 ]; then tc filter del dev virbr10 prio 2 handle 800::803 u32 || printf '%s %d %d\n' @@virtnet-undo-failed 1 $?; fi
  if [ "$1" -gt 0 ]; then tc class del dev virbr10 classid 1:3 || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
out=$(tc -batch - 2>&1 <<'VIRTNET_BATCH'
class add dev virbr10 parent 1:1 classid 1:3 htb rate 1000kbps ceil 20000kbps quantum 1
filter add dev virbr10 protocol ip prio 2 handle 800::803 u32 match u16 0x0800 0xffff at -2 match u32 0x00100005 0xffffffff at -12 match u16 0x5254 0xffff at -14 flowid 1:3
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((0 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
tuntap add dev vnet0 mode tap
link set dev vnet0 address fe:54:00:10:00:05
link set dev vnet0 alias virtnet
link set dev vnet0 master virbr10
link set dev vnet0 up
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((2 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
printf '%s\n' @@virtnet-applied
)
