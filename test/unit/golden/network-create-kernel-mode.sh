undo() {
  if [ "$1" -gt 0 ]; then ip link del dev virbr10 || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
ip link add name virbr10 address 52:54:00:12:34:56 type bridge || { s=$?; printf '%s %d %d\n' @@virtnet-failed 0 $s; undo 0; exit 1; }
ip link set dev virbr10 alias virtnet || { s=$?; printf '%s %d %d\n' @@virtnet-failed 1 $s; undo 1; exit 1; }
ip link set dev virbr10 type bridge forward_delay 300 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 2 $s; undo 2; exit 1; }
ip link set dev virbr10 type bridge stp_state 0 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 3 $s; undo 3; exit 1; }
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/disable_ipv6=1 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 4 $s; undo 4; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/accept_ra=0 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 5 $s; undo 5; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/autoconf=0 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 6 $s; undo 6; exit 1; }; fi
ip addr add 192.168.100.1/24 broadcast 192.168.100.255 dev virbr10 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 7 $s; undo 7; exit 1; }
ip link set dev virbr10 up || { s=$?; printf '%s %d %d\n' @@virtnet-failed 8 $s; undo 8; exit 1; }
printf '%s\n' @@virtnet-applied
