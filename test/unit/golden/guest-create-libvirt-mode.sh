undo() {
  if [ "$1" -gt 0 ]; then ip tuntap del dev vnet0 mode tap || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
tuntap add dev vnet0 mode tap
link set dev vnet0 alias virtnet
link set dev vnet0 address fe:54:00:12:34:56
link set dev vnet0 mtu 9000
link set dev vnet0 master virbr10
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((0 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
bridge link set dev vnet0 isolated on || { s=$?; printf '%s %d %d\n' @@virtnet-failed 5 $s; undo 5; exit 1; }
ip link set dev vnet0 up || { s=$?; printf '%s %d %d\n' @@virtnet-failed 6 $s; undo 6; exit 1; }
out=$(bridge -batch - 2>&1 <<'VIRTNET_BATCH'
link set dev vnet0 learning off
link set dev vnet0 flood off
fdb add 52:54:00:12:34:56 dev vnet0 master temp
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((7 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
printf '%s\n' @@virtnet-applied
