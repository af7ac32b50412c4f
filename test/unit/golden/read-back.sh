{
printf '\n%s\n' '@@virtnet-snapshot tc'; ds=$(tc qdisc show | awk -v ORS=' ' -v only=' vnet1 virbr0 ' '($2 == "htb" || $2 == "ingress") && index(only, " " $5 " ") && !seen[$5]++ { f = "/sys/class/net/" $5 "/ifalias"; a = ""; if ((getline a < f) > 0 && (a == "virtnet" || index(a, "virtnet:") == 1)) print $5; close(f) }')
if [ -n "$ds" ]; then for d in $ds; do printf 'class show dev virtnet/none\nclass show dev %s\nfilter show dev %s\nfilter show dev %s parent ffff:\n' "$d" "$d" "$d"; done | tc -d -force -batch - 2>&1 | awk -v ds="$ds" 'BEGIN { split(ds, d, " ") } /^Command failed -:[0-9]+$/ { k = substr($0, 18) + 0; if (k % 4 == 1) printf "@@dev %s\n", d[(k + 3) / 4]; next } /^[A-Z]/ { next } { print }'; fi
} | {
{
printf '\n%s\n' '@@virtnet-snapshot tc-classes'; ds=vnet2
if [ -n "$ds" ]; then for d in $ds; do printf 'class show dev virtnet/none\nclass show dev %s\nfilter show dev %s\nfilter show dev %s parent ffff:\n' "$d" "$d" "$d"; done | tc -d -force -batch - 2>&1 | awk -v ds="$ds" 'BEGIN { split(ds, d, " ") } /^Command failed -:[0-9]+$/ { k = substr($0, 18) + 0; if (k % 4 == 1) printf "@@dev %s\n", d[(k + 3) / 4]; next } /^[A-Z]/ { next } { print }'; fi
} | {
printf '\n%s\n%s\n%s\n' '@@virtnet-snapshot read-back' 'vnet1 virbr0' vnet2
printf '\n%s\n' '@@virtnet-snapshot qdisc'; tc -j qdisc show
printf '\n%s\n' '@@virtnet-snapshot route4'; ip -j -d -4 route show table main
printf '\n%s\n' '@@virtnet-snapshot route6'; ip -j -d -6 route show table main 2>/dev/null || echo '[]'
cat; }
cat; }