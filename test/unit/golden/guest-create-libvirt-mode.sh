undo() {
  if [ "$1" -gt 0 ]; then ip tuntap del dev vnet0 mode tap || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
ip tuntap add dev vnet0 mode tap || { s=$?; printf '%s %d %d\n' @@virtnet-failed 0 $s; undo 0; exit 1; }
ip link set dev vnet0 alias virtnet || { s=$?; printf '%s %d %d\n' @@virtnet-failed 1 $s; undo 1; exit 1; }
ip link set dev vnet0 address fe:54:00:12:34:56 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 2 $s; undo 2; exit 1; }
ip link set dev vnet0 mtu 9000 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 3 $s; undo 3; exit 1; }
ip link set dev vnet0 master virbr10 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 4 $s; undo 4; exit 1; }
bridge link set dev vnet0 isolated on || { s=$?; printf '%s %d %d\n' @@virtnet-failed 5 $s; undo 5; exit 1; }
ip link set dev vnet0 up || { s=$?; printf '%s %d %d\n' @@virtnet-failed 6 $s; undo 6; exit 1; }
bridge link set dev vnet0 learning off || { s=$?; printf '%s %d %d\n' @@virtnet-failed 7 $s; undo 7; exit 1; }
bridge link set dev vnet0 flood off || { s=$?; printf '%s %d %d\n' @@virtnet-failed 8 $s; undo 8; exit 1; }
bridge fdb add 52:54:00:12:34:56 dev vnet0 master temp || { s=$?; printf '%s %d %d\n' @@virtnet-failed 9 $s; undo 9; exit 1; }
printf '%s\n' @@virtnet-applied
