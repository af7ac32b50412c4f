status=0
ip link set dev eth0 mtu 1500 || { echo 'failed: ip link set dev eth0 mtu 1500' >&2; status=1; }
ip addr del 192.0.2.1/24 broadcast 192.0.2.255 dev eth0 || { echo 'failed: ip addr del 192.0.2.1/24 broadcast 192.0.2.255 dev eth0' >&2; status=1; }
ip route del 198.51.100.4/32 via 10.77.0.2 dev vnsa0 proto 241 metric 1 || { echo 'failed: ip route del 198.51.100.4/32 via 10.77.0.2 dev vnsa0 proto 241 metric 1' >&2; status=1; }
exit $status
