#!/bin/sh
# virtnet: guest interface vnet0 on virbr10 at boot (written by virtnet; changes are overwritten)
[ -e /sys/class/net/vnet0 ] && exit 0
(
undo() {
  if [ "$1" -gt 0 ]; then ip tuntap del dev vnet0 mode tap || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
tuntap add dev vnet0 mode tap
link set dev vnet0 address fe:54:00:10:00:05
link set dev vnet0 alias virtnet
link set dev vnet0 master virbr10
link set dev vnet0 up
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((0 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
printf '%s\n' @@virtnet-applied
)
