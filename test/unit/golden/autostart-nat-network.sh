#!/bin/sh
# virtnet: network virbr10 at boot, run by virtnet-net@virbr10.service (written by virtnet; changes are overwritten)
case "${1:-start}" in
  firewall) (
undo() {
  if [ "$1" -gt 1 ]; then sysctl -q -w net/ipv4/ip_forward=0 || printf '%s %d %d\n' @@virtnet-undo-failed 1 $?; fi
  if [ "$1" -gt 0 ]; then sh -c 'command -v nft >/dev/null 2>&1 || { echo "nft is not installed on $(hostname); virtnet'\''s forward modes need it (Debian/Ubuntu: apt-get install nftables; Fedora/RHEL: dnf install nftables)" >&2; exit 127; }
changes=$(for f in ip ip6; do nft -a list table $f virtnet_network 2>/dev/null; done | awk -v br="$1" -v nets=" $2 " '\''
  $1 == "table" { fam = $2 }
  $1 == "chain" { chain = $2 }
  / # handle [0-9]+$/ {
    if (chain == "forward") { for (i = 1; i < NF; i++) if ($i == "jump") seen[fam, $(i + 1)] = 1; next }
    mine = 0
    if (chain == "guest_nat") { for (i = 1; i < NF; i++) if ($i == "saddr" && index(nets, " " $(i + 1) " ")) mine = 1 }
    else if (index($0, "iif \"" br "\"") || index($0, "oif \"" br "\"") || $0 ~ /(^|[ \t])[io]if [0-9]+ /) mine = 1
    if (mine) print "delete rule " fam " virtnet_network " chain " handle " $NF
  }
  END {
    split("ip ip6", fs, " "); n = split("guest_output guest_input guest_cross", cs, " ")
    for (k = 1; k <= 2; k++) for (j = 1; j <= n; j++) if (!((fs[k], cs[j]) in seen)) print "insert rule " fs[k] " virtnet_network forward counter jump " cs[j]
  }'\'') || exit 1
printf '\''%s\n%s\n%s\n'\'' "$3" "$changes" "$4" | nft -f -' virtnet-nft virbr10 192.168.100.0/24 'add table ip virtnet_network
add chain ip virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip virtnet_network guest_output
add chain ip virtnet_network guest_input
add chain ip virtnet_network guest_cross
add chain ip virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }
add table ip6 virtnet_network
add chain ip6 virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip6 virtnet_network guest_output
add chain ip6 virtnet_network guest_input
add chain ip6 virtnet_network guest_cross
add chain ip6 virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }' '' || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
sh -c 'command -v nft >/dev/null 2>&1 || { echo "nft is not installed on $(hostname); virtnet'\''s forward modes need it (Debian/Ubuntu: apt-get install nftables; Fedora/RHEL: dnf install nftables)" >&2; exit 127; }
changes=$(for f in ip ip6; do nft -a list table $f virtnet_network 2>/dev/null; done | awk -v br="$1" -v nets=" $2 " '\''
  $1 == "table" { fam = $2 }
  $1 == "chain" { chain = $2 }
  / # handle [0-9]+$/ {
    if (chain == "forward") { for (i = 1; i < NF; i++) if ($i == "jump") seen[fam, $(i + 1)] = 1; next }
    mine = 0
    if (chain == "guest_nat") { for (i = 1; i < NF; i++) if ($i == "saddr" && index(nets, " " $(i + 1) " ")) mine = 1 }
    else if (index($0, "iif \"" br "\"") || index($0, "oif \"" br "\"") || $0 ~ /(^|[ \t])[io]if [0-9]+ /) mine = 1
    if (mine) print "delete rule " fam " virtnet_network " chain " handle " $NF
  }
  END {
    split("ip ip6", fs, " "); n = split("guest_output guest_input guest_cross", cs, " ")
    for (k = 1; k <= 2; k++) for (j = 1; j <= n; j++) if (!((fs[k], cs[j]) in seen)) print "insert rule " fs[k] " virtnet_network forward counter jump " cs[j]
  }'\'') || exit 1
printf '\''%s\n%s\n%s\n'\'' "$3" "$changes" "$4" | nft -f -' virtnet-nft virbr10 192.168.100.0/24 'add table ip virtnet_network
add chain ip virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip virtnet_network guest_output
add chain ip virtnet_network guest_input
add chain ip virtnet_network guest_cross
add chain ip virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }
add table ip6 virtnet_network
add chain ip6 virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip6 virtnet_network guest_output
add chain ip6 virtnet_network guest_input
add chain ip6 virtnet_network guest_cross
add chain ip6 virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }' 'insert rule ip virtnet_network guest_output iif "virbr10" counter reject
insert rule ip virtnet_network guest_input oif "virbr10" counter reject
insert rule ip virtnet_network guest_cross iif "virbr10" oif "virbr10" counter accept
insert rule ip virtnet_network guest_output ip saddr 192.168.100.0/24 iif "virbr10" counter accept
insert rule ip virtnet_network guest_input oif "virbr10" ip daddr 192.168.100.0/24 ct state related,established counter accept
insert rule ip virtnet_network guest_nat ip saddr 192.168.100.0/24 ip daddr != 192.168.100.0/24 counter masquerade
insert rule ip virtnet_network guest_nat meta l4proto udp ip saddr 192.168.100.0/24 ip daddr != 192.168.100.0/24 counter masquerade to :1024-65535
insert rule ip virtnet_network guest_nat meta l4proto tcp ip saddr 192.168.100.0/24 ip daddr != 192.168.100.0/24 counter masquerade to :1024-65535
insert rule ip virtnet_network guest_nat ip saddr 192.168.100.0/24 ip daddr 255.255.255.255/32 counter return
insert rule ip virtnet_network guest_nat ip saddr 192.168.100.0/24 ip daddr 224.0.0.0/24 counter return' || { s=$?; printf '%s %d %d\n' @@virtnet-failed 0 $s; undo 0; exit 1; }
sysctl -q -w net/ipv4/ip_forward=1 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 1 $s; undo 1; exit 1; }
printf '%s\n' @@virtnet-applied
); exit $? ;;
  start) ;;
  *) echo "usage: $0 start|firewall" >&2; exit 2 ;;
esac
status=0
if [ -e /sys/class/net/virbr10 ]; then
  a=$(cat /sys/class/net/virbr10/ifalias 2>/dev/null)
  if [ "$a" != virtnet ]; then echo 'virbr10 exists and is not virtnet'\''s; not touching it' >&2; exit 1; fi
  (
undo() {
  if [ "$1" -gt 1 ]; then sysctl -q -w net/ipv4/ip_forward=0 || printf '%s %d %d\n' @@virtnet-undo-failed 1 $?; fi
  if [ "$1" -gt 0 ]; then sh -c 'command -v nft >/dev/null 2>&1 || { echo "nft is not installed on $(hostname); virtnet'\''s forward modes need it (Debian/Ubuntu: apt-get install nftables; Fedora/RHEL: dnf install nftables)" >&2; exit 127; }
changes=$(for f in ip ip6; do nft -a list table $f virtnet_network 2>/dev/null; done | awk -v br="$1" -v nets=" $2 " '\''
  $1 == "table" { fam = $2 }
  $1 == "chain" { chain = $2 }
  / # handle [0-9]+$/ {
    if (chain == "forward") { for (i = 1; i < NF; i++) if ($i == "jump") seen[fam, $(i + 1)] = 1; next }
    mine = 0
    if (chain == "guest_nat") { for (i = 1; i < NF; i++) if ($i == "saddr" && index(nets, " " $(i + 1) " ")) mine = 1 }
    else if (index($0, "iif \"" br "\"") || index($0, "oif \"" br "\"") || $0 ~ /(^|[ \t])[io]if [0-9]+ /) mine = 1
    if (mine) print "delete rule " fam " virtnet_network " chain " handle " $NF
  }
  END {
    split("ip ip6", fs, " "); n = split("guest_output guest_input guest_cross", cs, " ")
    for (k = 1; k <= 2; k++) for (j = 1; j <= n; j++) if (!((fs[k], cs[j]) in seen)) print "insert rule " fs[k] " virtnet_network forward counter jump " cs[j]
  }'\'') || exit 1
printf '\''%s\n%s\n%s\n'\'' "$3" "$changes" "$4" | nft -f -' virtnet-nft virbr10 192.168.100.0/24 'add table ip virtnet_network
add chain ip virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip virtnet_network guest_output
add chain ip virtnet_network guest_input
add chain ip virtnet_network guest_cross
add chain ip virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }
add table ip6 virtnet_network
add chain ip6 virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip6 virtnet_network guest_output
add chain ip6 virtnet_network guest_input
add chain ip6 virtnet_network guest_cross
add chain ip6 virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }' '' || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
sh -c 'command -v nft >/dev/null 2>&1 || { echo "nft is not installed on $(hostname); virtnet'\''s forward modes need it (Debian/Ubuntu: apt-get install nftables; Fedora/RHEL: dnf install nftables)" >&2; exit 127; }
changes=$(for f in ip ip6; do nft -a list table $f virtnet_network 2>/dev/null; done | awk -v br="$1" -v nets=" $2 " '\''
  $1 == "table" { fam = $2 }
  $1 == "chain" { chain = $2 }
  / # handle [0-9]+$/ {
    if (chain == "forward") { for (i = 1; i < NF; i++) if ($i == "jump") seen[fam, $(i + 1)] = 1; next }
    mine = 0
    if (chain == "guest_nat") { for (i = 1; i < NF; i++) if ($i == "saddr" && index(nets, " " $(i + 1) " ")) mine = 1 }
    else if (index($0, "iif \"" br "\"") || index($0, "oif \"" br "\"") || $0 ~ /(^|[ \t])[io]if [0-9]+ /) mine = 1
    if (mine) print "delete rule " fam " virtnet_network " chain " handle " $NF
  }
  END {
    split("ip ip6", fs, " "); n = split("guest_output guest_input guest_cross", cs, " ")
    for (k = 1; k <= 2; k++) for (j = 1; j <= n; j++) if (!((fs[k], cs[j]) in seen)) print "insert rule " fs[k] " virtnet_network forward counter jump " cs[j]
  }'\'') || exit 1
printf '\''%s\n%s\n%s\n'\'' "$3" "$changes" "$4" | nft -f -' virtnet-nft virbr10 192.168.100.0/24 'add table ip virtnet_network
add chain ip virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip virtnet_network guest_output
add chain ip virtnet_network guest_input
add chain ip virtnet_network guest_cross
add chain ip virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }
add table ip6 virtnet_network
add chain ip6 virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip6 virtnet_network guest_output
add chain ip6 virtnet_network guest_input
add chain ip6 virtnet_network guest_cross
add chain ip6 virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }' 'insert rule ip virtnet_network guest_output iif "virbr10" counter reject
insert rule ip virtnet_network guest_input oif "virbr10" counter reject
insert rule ip virtnet_network guest_cross iif "virbr10" oif "virbr10" counter accept
insert rule ip virtnet_network guest_output ip saddr 192.168.100.0/24 iif "virbr10" counter accept
insert rule ip virtnet_network guest_input oif "virbr10" ip daddr 192.168.100.0/24 ct state related,established counter accept
insert rule ip virtnet_network guest_nat ip saddr 192.168.100.0/24 ip daddr != 192.168.100.0/24 counter masquerade
insert rule ip virtnet_network guest_nat meta l4proto udp ip saddr 192.168.100.0/24 ip daddr != 192.168.100.0/24 counter masquerade to :1024-65535
insert rule ip virtnet_network guest_nat meta l4proto tcp ip saddr 192.168.100.0/24 ip daddr != 192.168.100.0/24 counter masquerade to :1024-65535
insert rule ip virtnet_network guest_nat ip saddr 192.168.100.0/24 ip daddr 255.255.255.255/32 counter return
insert rule ip virtnet_network guest_nat ip saddr 192.168.100.0/24 ip daddr 224.0.0.0/24 counter return' || { s=$?; printf '%s %d %d\n' @@virtnet-failed 0 $s; undo 0; exit 1; }
sysctl -q -w net/ipv4/ip_forward=1 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 1 $s; undo 1; exit 1; }
printf '%s\n' @@virtnet-applied
) || status=1
else
  (
undo() {
  if [ "$1" -gt 12 ]; then sysctl -q -w net/ipv4/ip_forward=0 || printf '%s %d %d\n' @@virtnet-undo-failed 12 $?; fi
  if [ "$1" -gt 7 ]; then sh -c 'command -v nft >/dev/null 2>&1 || { echo "nft is not installed on $(hostname); virtnet'\''s forward modes need it (Debian/Ubuntu: apt-get install nftables; Fedora/RHEL: dnf install nftables)" >&2; exit 127; }
changes=$(for f in ip ip6; do nft -a list table $f virtnet_network 2>/dev/null; done | awk -v br="$1" -v nets=" $2 " '\''
  $1 == "table" { fam = $2 }
  $1 == "chain" { chain = $2 }
  / # handle [0-9]+$/ {
    if (chain == "forward") { for (i = 1; i < NF; i++) if ($i == "jump") seen[fam, $(i + 1)] = 1; next }
    mine = 0
    if (chain == "guest_nat") { for (i = 1; i < NF; i++) if ($i == "saddr" && index(nets, " " $(i + 1) " ")) mine = 1 }
    else if (index($0, "iif \"" br "\"") || index($0, "oif \"" br "\"") || $0 ~ /(^|[ \t])[io]if [0-9]+ /) mine = 1
    if (mine) print "delete rule " fam " virtnet_network " chain " handle " $NF
  }
  END {
    split("ip ip6", fs, " "); n = split("guest_output guest_input guest_cross", cs, " ")
    for (k = 1; k <= 2; k++) for (j = 1; j <= n; j++) if (!((fs[k], cs[j]) in seen)) print "insert rule " fs[k] " virtnet_network forward counter jump " cs[j]
  }'\'') || exit 1
printf '\''%s\n%s\n%s\n'\'' "$3" "$changes" "$4" | nft -f -' virtnet-nft virbr10 192.168.100.0/24 'add table ip virtnet_network
add chain ip virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip virtnet_network guest_output
add chain ip virtnet_network guest_input
add chain ip virtnet_network guest_cross
add chain ip virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }
add table ip6 virtnet_network
add chain ip6 virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip6 virtnet_network guest_output
add chain ip6 virtnet_network guest_input
add chain ip6 virtnet_network guest_cross
add chain ip6 virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }' '' || printf '%s %d %d\n' @@virtnet-undo-failed 7 $?; fi
  if [ "$1" -gt 0 ]; then ip link del dev virbr10 || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
link add name virbr10 address 52:54:00:10:00:01 type bridge
link set dev virbr10 alias virtnet
link set dev virbr10 type bridge forward_delay 0
link set dev virbr10 type bridge stp_state 0
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((0 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/disable_ipv6=1 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 4 $s; undo 4; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/accept_ra=0 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 5 $s; undo 5; exit 1; }; fi
if [ -e /proc/sys/net/ipv6/conf/virbr10 ]; then sysctl -q -w net/ipv6/conf/virbr10/autoconf=0 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 6 $s; undo 6; exit 1; }; fi
sh -c 'command -v nft >/dev/null 2>&1 || { echo "nft is not installed on $(hostname); virtnet'\''s forward modes need it (Debian/Ubuntu: apt-get install nftables; Fedora/RHEL: dnf install nftables)" >&2; exit 127; }
changes=$(for f in ip ip6; do nft -a list table $f virtnet_network 2>/dev/null; done | awk -v br="$1" -v nets=" $2 " '\''
  $1 == "table" { fam = $2 }
  $1 == "chain" { chain = $2 }
  / # handle [0-9]+$/ {
    if (chain == "forward") { for (i = 1; i < NF; i++) if ($i == "jump") seen[fam, $(i + 1)] = 1; next }
    mine = 0
    if (chain == "guest_nat") { for (i = 1; i < NF; i++) if ($i == "saddr" && index(nets, " " $(i + 1) " ")) mine = 1 }
    else if (index($0, "iif \"" br "\"") || index($0, "oif \"" br "\"") || $0 ~ /(^|[ \t])[io]if [0-9]+ /) mine = 1
    if (mine) print "delete rule " fam " virtnet_network " chain " handle " $NF
  }
  END {
    split("ip ip6", fs, " "); n = split("guest_output guest_input guest_cross", cs, " ")
    for (k = 1; k <= 2; k++) for (j = 1; j <= n; j++) if (!((fs[k], cs[j]) in seen)) print "insert rule " fs[k] " virtnet_network forward counter jump " cs[j]
  }'\'') || exit 1
printf '\''%s\n%s\n%s\n'\'' "$3" "$changes" "$4" | nft -f -' virtnet-nft virbr10 192.168.100.0/24 'add table ip virtnet_network
add chain ip virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip virtnet_network guest_output
add chain ip virtnet_network guest_input
add chain ip virtnet_network guest_cross
add chain ip virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }
add table ip6 virtnet_network
add chain ip6 virtnet_network forward { type filter hook forward priority 0; policy accept; }
add chain ip6 virtnet_network guest_output
add chain ip6 virtnet_network guest_input
add chain ip6 virtnet_network guest_cross
add chain ip6 virtnet_network guest_nat { type nat hook postrouting priority 100; policy accept; }' 'insert rule ip virtnet_network guest_output iif "virbr10" counter reject
insert rule ip virtnet_network guest_input oif "virbr10" counter reject
insert rule ip virtnet_network guest_cross iif "virbr10" oif "virbr10" counter accept
insert rule ip virtnet_network guest_output ip saddr 192.168.100.0/24 iif "virbr10" counter accept
insert rule ip virtnet_network guest_input oif "virbr10" ip daddr 192.168.100.0/24 ct state related,established counter accept
insert rule ip virtnet_network guest_nat ip saddr 192.168.100.0/24 ip daddr != 192.168.100.0/24 counter masquerade
insert rule ip virtnet_network guest_nat meta l4proto udp ip saddr 192.168.100.0/24 ip daddr != 192.168.100.0/24 counter masquerade to :1024-65535
insert rule ip virtnet_network guest_nat meta l4proto tcp ip saddr 192.168.100.0/24 ip daddr != 192.168.100.0/24 counter masquerade to :1024-65535
insert rule ip virtnet_network guest_nat ip saddr 192.168.100.0/24 ip daddr 255.255.255.255/32 counter return
insert rule ip virtnet_network guest_nat ip saddr 192.168.100.0/24 ip daddr 224.0.0.0/24 counter return' || { s=$?; printf '%s %d %d\n' @@virtnet-failed 7 $s; undo 7; exit 1; }
ip addr add 192.168.100.1/24 broadcast 192.168.100.255 dev virbr10 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 8 $s; undo 8; exit 1; }
if [ -e /sys/class/net/virbr10/bridge/vlan_filtering ]; then ip link set dev virbr10 type bridge vlan_filtering 1 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 9 $s; undo 9; exit 1; }; fi
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
link set dev virbr10 up
route add 10.100.0.0/16 via 192.168.100.2 dev virbr10 proto 241 metric 1
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((10 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
sysctl -q -w net/ipv4/ip_forward=1 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 12 $s; undo 12; exit 1; }
tc -force -batch - 2>/dev/null <<'VIRTNET_BATCH' || true
qdisc del dev virbr10 root
qdisc del dev virbr10 ingress
VIRTNET_BATCH
out=$(tc -batch - 2>&1 <<'VIRTNET_BATCH'
qdisc add dev virbr10 root handle 1: htb default 2
class add dev virbr10 parent 1: classid 1:1 htb rate 10000kbps ceil 20000kbps quantum 853
class add dev virbr10 parent 1:1 classid 1:2 htb rate 10000kbps ceil 20000kbps quantum 853
qdisc add dev virbr10 parent 1:2 handle 2: sfq perturb 10
filter add dev virbr10 parent 1:0 protocol all prio 1 handle 1 fw flowid 1
qdisc add dev virbr10 ingress
filter add dev virbr10 parent ffff: protocol all u32 match u32 0 0 police rate 5000kbps burst 5000kb mtu 64kb drop flowid :1
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((15 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
printf '%s\n' @@virtnet-applied
) || status=1
fi
for f in /etc/virtnet/virbr10.d/*.sh; do [ -f "$f" ] || continue; sh "$f" || { echo "$f failed" >&2; status=1; }; done
sum=$(cat /etc/virtnet/virbr10.d/*.sh 2>/dev/null | awk '$1 == "#" && $2 == "virtnet-floor" { s += $3 } END { print s + 0 }')
if [ "$sum" -gt 0 ]; then tc class change dev virbr10 classid 1:2 htb rate $((20000 - sum))kbps ceil 20000kbps quantum 853 || status=1; fi
exit $status
