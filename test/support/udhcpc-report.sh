#!/bin/sh
# udhcpc's event script for test guests: configures the offered address (so the guest can query DNS afterwards)
# and prints what the server handed out, one line per event, for the test to read.
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    echo "bound ip=$ip mask=$mask hostname=${hostname:-} lease=$lease router=${router:-} dns=${dns:-} domain=${domain:-}"
    ;;
  deconfig)
    ip addr flush dev "$interface"
    ;;
esac
