ip tuntap add dev vnet0 mode tap || { printf '%s %d %d\n' @@virtnet-failed 0 $? ; exit 1; }
ip link set dev vnet0 alias virtnet || { printf '%s %d %d\n' @@virtnet-failed 1 $? ; exit 1; }
ip link set dev vnet0 address fe:54:00:12:34:56 || { printf '%s %d %d\n' @@virtnet-failed 2 $? ; exit 1; }
ip link set dev vnet0 mtu 9000 || { printf '%s %d %d\n' @@virtnet-failed 3 $? ; exit 1; }
ip link set dev vnet0 master virbr10 || { printf '%s %d %d\n' @@virtnet-failed 4 $? ; exit 1; }
bridge link set dev vnet0 isolated on || { printf '%s %d %d\n' @@virtnet-failed 5 $? ; exit 1; }
ip link set dev vnet0 up || { printf '%s %d %d\n' @@virtnet-failed 6 $? ; exit 1; }
bridge link set dev vnet0 learning off || { printf '%s %d %d\n' @@virtnet-failed 7 $? ; exit 1; }
bridge link set dev vnet0 flood off || { printf '%s %d %d\n' @@virtnet-failed 8 $? ; exit 1; }
bridge fdb add 52:54:00:12:34:56 dev vnet0 master temp || { printf '%s %d %d\n' @@virtnet-failed 9 $? ; exit 1; }
printf '%s\n' @@virtnet-applied
