#!/bin/sh
# virtnet: route to 10.191.0.0/16 via 192.168.100.3 on virbr10 at boot (written by virtnet; changes are overwritten)
out=$(ip route add 10.191.0.0/16 via 192.168.100.3 dev virbr10 proto 241 metric 1 2>&1) || case "$out" in *"File exists"*) ;; *) echo "$out" >&2; exit 1 ;; esac
out=$(ip -6 route add 2001:db8:191::/64 via 2001:db8:100::3 dev virbr10 proto 241 metric 2 2>&1) || case "$out" in *"File exists"*) ;; *) echo "$out" >&2; exit 1 ;; esac
