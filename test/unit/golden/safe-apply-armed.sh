{ if [ -n "${VIRTNET_RUN_DIR:-}" ]; then vd=$VIRTNET_RUN_DIR; else vd=/run/virtnet; [ "$(id -u)" = 0 ] || vd="${TMPDIR:-/tmp}/virtnet-$(id -u)"; { [ -d "$vd" ] && [ -O "$vd" ] || { mkdir -p "$vd" && chmod 700 "$vd"; }; } && export VIRTNET_RUN_DIR="$vd"; fi; } || exit 97
find "$vd/tx" -mindepth 1 -maxdepth 1 -type d -mmin +60 -exec sh -c '[ -e "$1/pending" ] || [ -e "$1/running" ] || rm -rf "$1"' virtnet-gc {} ; 2>/dev/null
for p in "$vd"/tx/*/pending "$vd"/tx/*/running; do [ -e "$p" ] || continue; t=${p%/*}; printf '%s %s\n' @@virtnet-tx-busy "${t##*/}"; exit 1; done
mkdir -p "$vd/tx/0123456789abcdef" || exit 1
cat > "$vd/tx/0123456789abcdef"/rollback.sh <<'VIRTNET_ROLLBACK_0123456789abcdef'
status=0
ip route del 198.51.100.4/32 via 10.77.0.2 dev vnsa0 proto 241 metric 1 || { echo 'failed: ip route del 198.51.100.4/32 via 10.77.0.2 dev vnsa0 proto 241 metric 1' >&2; status=1; }
exit $status
VIRTNET_ROLLBACK_0123456789abcdef
cat > "$vd/tx/0123456789abcdef"/guard.sh <<'VIRTNET_GUARD_0123456789abcdef'
cd "${0%/*}" || exit 0
mv pending running 2>/dev/null || exit 0
exec 9>../../lock && flock 9
sh rollback.sh >rollback.log 2>&1; echo "rolled-back $?" >result
mv running rolled-back
cat rollback.log
command -v logger >/dev/null 2>&1 && logger -t virtnet "safe apply 0123456789abcdef: the change was not confirmed within 60 s and was rolled back ($(cat result))"
:
VIRTNET_GUARD_0123456789abcdef
: > "$vd/tx/0123456789abcdef"/pending
if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then
  systemd-run --quiet --unit=virtnet-rollback-0123456789abcdef --on-active=60s --timer-property=AccuracySec=1s /bin/sh "$vd/tx/0123456789abcdef"/guard.sh || { rm -rf "$vd/tx/0123456789abcdef"; exit 1; }
else
  setsid sh -c 'sleep "$1"; exec sh "$2"' virtnet-guard 60 "$vd/tx/0123456789abcdef"/guard.sh </dev/null >/dev/null 2>&1 9>&- &
  echo $! > "$vd/tx/0123456789abcdef"/guard.pid
fi
(
undo() {
  if [ "$1" -gt 0 ]; then ip route del 198.51.100.4/32 via 10.77.0.2 dev vnsa0 proto 241 metric 1 || printf '%s %d %d\n' @@virtnet-undo-failed 0 $?; fi
  :
}
ip route add 198.51.100.4/32 via 10.77.0.2 dev vnsa0 proto 241 metric 1 || { s=$?; printf '%s %d %d\n' @@virtnet-failed 0 $s; undo 0; exit 1; }
printf '%s\n' @@virtnet-applied
)
rc=$?
if [ $rc -ne 0 ] && mv "$vd/tx/0123456789abcdef"/pending "$vd/tx/0123456789abcdef"/cancelled 2>/dev/null; then systemctl stop virtnet-rollback-0123456789abcdef.timer 2>/dev/null; [ -f "$vd/tx/0123456789abcdef"/guard.pid ] && { g=$(cat "$vd/tx/0123456789abcdef"/guard.pid); kill -- "-$g" 2>/dev/null || kill "$g" 2>/dev/null; }; :; rm -rf "$vd/tx/0123456789abcdef"; fi
exit $rc
