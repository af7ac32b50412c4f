ip link add virbr10 address 52:54:00:12:34:56 type bridge || { printf '%s %d %d\n' @@virtnet-failed 0 $? ; exit 1; }
ip link set dev virbr10 alias virtnet || { printf '%s %d %d\n' @@virtnet-failed 1 $? ; exit 1; }
ip link set dev virbr10 mtu 9000 || { printf '%s %d %d\n' @@virtnet-failed 2 $? ; exit 1; }
ip link set dev virbr10 type bridge forward_delay 0 || { printf '%s %d %d\n' @@virtnet-failed 3 $? ; exit 1; }
ip link set dev virbr10 type bridge stp_state 1 || { printf '%s %d %d\n' @@virtnet-failed 4 $? ; exit 1; }
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/disable_ipv6=0 || { printf '%s %d %d\n' @@virtnet-failed 5 $? ; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/accept_ra=0 || { printf '%s %d %d\n' @@virtnet-failed 6 $? ; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/autoconf=0 || { printf '%s %d %d\n' @@virtnet-failed 7 $? ; exit 1; }; fi
ip addr add 192.168.100.1/24 broadcast 192.168.100.255 dev virbr10 || { printf '%s %d %d\n' @@virtnet-failed 8 $? ; exit 1; }
ip -6 addr add 2001:db8:ac10:fd01::1/64 dev virbr10 || { printf '%s %d %d\n' @@virtnet-failed 9 $? ; exit 1; }
ip link set dev virbr10 up || { printf '%s %d %d\n' @@virtnet-failed 10 $? ; exit 1; }
ip route add 192.168.222.0/24 via 192.168.100.10 dev virbr10 proto static metric 1 || { printf '%s %d %d\n' @@virtnet-failed 11 $? ; exit 1; }
ip -6 route add 2001:db8:ac10:fc00::/64 via 2001:db8:ac10:fd01::1:24 dev virbr10 proto static metric 2 || { printf '%s %d %d\n' @@virtnet-failed 12 $? ; exit 1; }
printf '%s\n' @@virtnet-applied
