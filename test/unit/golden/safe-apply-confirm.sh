{ if [ -n "${VIRTNET_RUN_DIR:-}" ]; then vd=$VIRTNET_RUN_DIR; else vd=/run/virtnet; [ "$(id -u)" = 0 ] || vd="${TMPDIR:-/tmp}/virtnet-$(id -u)"; { [ -d "$vd" ] && [ -O "$vd" ] || { mkdir -p "$vd" && chmod 700 "$vd"; }; } && export VIRTNET_RUN_DIR="$vd"; fi; } 2>/dev/null
if [ ! -d "$vd/tx/0123456789abcdef" ]; then echo '@@virtnet-tx gone'; exit 0; fi
if mv "$vd/tx/0123456789abcdef"/pending "$vd/tx/0123456789abcdef"/confirmed 2>/dev/null; then systemctl stop virtnet-rollback-0123456789abcdef.timer 2>/dev/null; [ -f "$vd/tx/0123456789abcdef"/guard.pid ] && { g=$(cat "$vd/tx/0123456789abcdef"/guard.pid); kill -- "-$g" 2>/dev/null || kill "$g" 2>/dev/null; }; :; rm -rf "$vd/tx/0123456789abcdef"; echo '@@virtnet-tx confirmed'; exit 0; fi
i=0; while [ ! -f "$vd/tx/0123456789abcdef"/result ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
printf '%s rolled-back %s\n' '@@virtnet-tx' "$(cut -d' ' -f2 "$vd/tx/0123456789abcdef"/result 2>/dev/null || echo unknown)"
tail -n 20 "$vd/tx/0123456789abcdef"/rollback.log 2>/dev/null
rm -rf "$vd/tx/0123456789abcdef"
