undo() {
  if [ "$1" -gt 6 ]; then ip tuntap del dev vnet2 mode tap || printf '%s %d %d\n' @@virtnet-undo-failed 6 $?; fi
  if [ "$1" -gt 3 ]; then ip tuntap del dev vnet1 mode tap || printf '%s %d %d\n' @@virtnet-undo-failed 3 $?; fi
  if [ "$1" -gt 0 ]; then ip tuntap del dev vnet0 mode tap || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
tuntap add dev vnet0 mode tap
link set dev vnet0 alias virtnet
link set dev vnet0 master br0
tuntap add dev vnet1 mode tap
link set dev vnet1 alias virtnet
link set dev vnet1 master br0
tuntap add dev vnet2 mode tap
link set dev vnet2 alias virtnet
link set dev vnet2 master br0
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((0 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
out=$(bridge -batch - 2>&1 <<'VIRTNET_BATCH'
link set dev vnet0 learning off
link set dev vnet1 learning off
link set dev vnet2 learning off
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((9 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
link set dev vnet0 up
link set dev vnet1 up
link set dev vnet2 up
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((12 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
out=$(tc -batch - 2>&1 <<'VIRTNET_BATCH'
qdisc add dev vnet0 root handle 1: htb default 1
class change dev br0 classid 1:2 htb rate 100kbps quantum 1500
qdisc add dev vnet1 root handle 1: htb default 1
qdisc add dev vnet2 root handle 1: htb default 1
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((15 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
printf '%s\n' @@virtnet-applied
