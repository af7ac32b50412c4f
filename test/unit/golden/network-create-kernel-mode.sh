undo() {
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
link add name virbr10 address 52:54:00:12:34:56 type bridge
link set dev virbr10 alias virtnet
link set dev virbr10 type bridge forward_delay 300
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
insert rule ip virtnet_network guest_cross iif "virbr10" oif "virbr10" counter accept' || { s=$?; printf '%s %d %d\n' @@virtnet-failed 7 $s; undo 7; exit 1; }
out=$(ip -batch - 2>&1 <<'VIRTNET_BATCH'
addr add 192.168.100.1/24 broadcast 192.168.100.255 dev virbr10
link set dev virbr10 up
VIRTNET_BATCH
) || { s=$?; n=$(printf '%s\n' "$out" | sed -n 's/^Command failed -:\([0-9][0-9]*\)$/\1/p' | head -n 1); i=$((8 + ${n:-1} - 1)); printf '%s\n' "$out" | grep -v '^Command failed -:' >&2; printf '%s %d %d\n' @@virtnet-failed "$i" "$s"; undo "$i"; exit 1; }
printf '%s\n' @@virtnet-applied
