sh -c 'b=$1; d=/var/lib/virtnet/dnsmasq; r=/run/virtnet/dnsmasq
w() { printf %s "$2" > "$1.virtnet-tmp" && chmod "$3" "$1.virtnet-tmp" && mv -f "$1.virtnet-tmp" "$1"; }
p=$(cat "$r/$b.pid" 2>/dev/null)
own() { [ -n "$p" ] && tr '\''\0'\'' '\''\n'\'' < "/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "--conf-file=$d/$b.conf"; }
busy() { s=$(sed '\''s/.*) //'\'' "/proc/$p/stat" 2>/dev/null | cut -c1); [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ] && { own || [ -z "$(tr -d '\''\0'\'' < "/proc/$p/cmdline" 2>/dev/null)" ]; }; }
stop() { own || return 0; kill "$p" 2>/dev/null; i=0; while busy && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; if own; then kill -9 "$p"; fi; i=0; while busy && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done; }
unit="virtnet-dnsmasq@$b.service"; managed() { [ -d /run/systemd/system ] && systemctl is-enabled --quiet "$unit" 2>/dev/null; }
run() { exec dnsmasq --conf-file="$d/$b.conf" --dhcp-leasefile="$d/$b.leases" --dhcp-hostsdir="$d/$b.hosts.d"; }
umask 022; w "$d/$b.hostsfile" "$2" 644 && w "$d/$b.addnhosts" "$3" 644 || exit 1
if own; then kill -HUP "$p"; fi' virtnet-dnsmasq virbr7 '52:54:00:07:00:01,10.7.0.5,vm1
' '10.7.0.50	files	
'
