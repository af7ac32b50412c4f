sh -c 'b=$1; d=/var/lib/virtnet/dnsmasq; r=/run/virtnet/dnsmasq
w() { printf %s "$2" > "$1.virtnet-tmp" && chmod "$3" "$1.virtnet-tmp" && mv -f "$1.virtnet-tmp" "$1"; }
p=$(cat "$r/$b.pid" 2>/dev/null)
own() { [ -n "$p" ] && tr '\''\0'\'' '\''\n'\'' < "/proc/$p/cmdline" 2>/dev/null | grep -qxF -- "--conf-file=$d/$b.conf"; }
busy() { s=$(sed '\''s/.*) //'\'' "/proc/$p/stat" 2>/dev/null | cut -c1); [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ] && { own || [ -z "$(tr -d '\''\0'\'' < "/proc/$p/cmdline" 2>/dev/null)" ]; }; }
stop() { own || return 0; kill "$p" 2>/dev/null; i=0; while busy && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; if own; then kill -9 "$p"; fi; i=0; while busy && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done; }
unit="virtnet-dnsmasq@$b.service"; managed() { [ -d /run/systemd/system ] && systemctl is-enabled --quiet "$unit" 2>/dev/null; }
run() { exec dnsmasq --conf-file="$d/$b.conf" --dhcp-leasefile="$d/$b.leases" --dhcp-hostsdir="$d/$b.hosts.d"; }
umask 022; mkdir -p "$d/$b.hosts.d" "$r" || exit 1
w "$d/$b.conf" "$2" 600 && w "$d/$b.hostsfile" "$3" 644 && w "$d/$b.addnhosts" "$4" 644 || exit 1
shift 4; if [ $# -gt 0 ]; then { [ "$1" = - ] || w "$d/$b.leases" "$1" 644; } || exit 1; shift; fi
while [ $# -ge 2 ]; do w "$d/$b.hosts.d/$1" "$2" 644 || exit 1; shift 2; done
stop; if managed; then systemctl restart "$unit"; else run; fi' virtnet-dnsmasq virbr7 'strict-order
pid-file=/run/virtnet/dnsmasq/virbr7.pid
except-interface=lo
bind-dynamic
interface=virbr7
dhcp-range=10.7.0.10,10.7.0.99,255.255.255.0
txt-record=it'\''s,"$HOME"
' '52:54:00:07:00:01,10.7.0.5,vm1
' '10.7.0.50	files	
'
