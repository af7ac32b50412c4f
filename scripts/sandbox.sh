#!/usr/bin/env bash
# Throwaway "remote Linux host" for tests, the demo and the benchmark: a network namespace
# reachable from the root namespace over a veth pair, with its own sshd.
#
#   bash scripts/sandbox.sh create [--sudo-user]   -> prints one JSON object on stdout
#   bash scripts/sandbox.sh destroy NAME           -> idempotent
#   bash scripts/sandbox.sh list                   -> one sandbox name per line
#
# Layout of a sandbox named vn-<hex6>:
#   root namespace:  vnh-<hex6>  198.18.x.(4k+1)/30
#   namespace vn-<hex6>:  lo (up), uplink0 198.18.x.(4k+2)/30, sshd on uplink0's address port 22
#   state dir ${TMPDIR:-/tmp}/virtnet-sandbox-vn-<hex6> (0700): keys, sshd_config, pid file, log.
set -Eeuo pipefail

readonly PROG="sandbox.sh"
readonly NAME_RE='^vn-[0-9a-f]{6}$'
readonly LOCK_FILE="/run/virtnet-sandbox.lock" # serialises name/veth/address allocation across runs
readonly SUDO_USER_NAME="vnsudo"
readonly SUDOERS_FILE="/etc/sudoers.d/virtnet-sandbox"
readonly NS_IFACE="uplink0"
readonly SSH_PORT=22
# 198.18.0.0/15 (RFC 2544 benchmarking range) = 32768 /30 blocks.
readonly POOL_BASE_O1=198 POOL_BASE_O2=18 POOL_BLOCKS=32768

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

trap 'echo "$PROG: command failed (exit $?, line $LINENO): $BASH_COMMAND" >&2' ERR

usage() {
  cat >&2 <<EOF
usage: bash scripts/sandbox.sh create [--sudo-user]
       bash scripts/sandbox.sh destroy NAME
       bash scripts/sandbox.sh list
EOF
  exit 2
}

state_dir_for() { printf '%s/virtnet-sandbox-%s' "${TMPDIR:-/tmp}" "$1"; }
root_veth_for() { printf 'vnh-%s' "${1#vn-}"; }

require_root() {
  [[ ${EUID:-$(id -u)} -eq 0 ]] || die "must be run as root (network namespaces and sshd need it); current uid is $(id -u)"
}

# Resolves a binary to an absolute path (sshd refuses to re-exec itself from a relative path).
find_bin() {
  local name=$1 p
  if p=$(command -v "$name" 2>/dev/null) && [[ $p == /* ]]; then
    printf '%s' "$p"
    return 0
  fi
  for p in "/usr/sbin/$name" "/sbin/$name" "/usr/bin/$name" "/bin/$name"; do
    if [[ -x $p ]]; then
      printf '%s' "$p"
      return 0
    fi
  done
  return 1
}

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

ip_to_int() {
  local IFS=.
  # shellcheck disable=SC2086
  set -- $1
  echo $((($1 << 24) | ($2 << 16) | ($3 << 8) | $4))
}

int_to_ip() {
  local n=$1
  printf '%d.%d.%d.%d' $(((n >> 24) & 255)) $(((n >> 16) & 255)) $(((n >> 8) & 255)) $((n & 255))
}

# True (0) if the /30 starting at integer $1 overlaps any IPv4 address/prefix in the root namespace.
block_in_use() {
  local cand=$1 entry addr plen m mask a json pairs
  json=$(ip -j -4 addr show)
  # Each inet entry: "local":"A"[,"address":"PEER"],"prefixlen":N -> "A/N" (and "PEER/N").
  pairs=$(grep -oE '"local":"[0-9.]+"(,"address":"[0-9.]+")?,"prefixlen":[0-9]+' <<<"$json" |
    sed -E -e 's/^"local":"([0-9.]+)","address":"([0-9.]+)","prefixlen":([0-9]+)$/\1\/\3\n\2\/\3/' \
      -e 's/^"local":"([0-9.]+)","prefixlen":([0-9]+)$/\1\/\2/') || true
  while IFS= read -r entry; do
    [[ -n $entry ]] || continue
    addr=${entry%/*}
    plen=${entry#*/}
    a=$(ip_to_int "$addr")
    m=$((plen < 30 ? plen : 30))
    if ((m == 0)); then mask=0; else mask=$(((0xffffffff << (32 - m)) & 0xffffffff)); fi
    if (((a & mask) == (cand & mask))); then
      return 0
    fi
  done <<<"$pairs"
  return 1
}

netns_exists() { [[ -e /run/netns/$1 ]]; }
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }

# Kills every process in the namespace (sshd and any session children), then deletes it.
destroy_sandbox() {
  local name=$1 state pid i pids
  state=$(state_dir_for "$name")
  if [[ -f $state/sshd.pid ]]; then
    pid=$(<"$state/sshd.pid") || pid=""
    if [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] &&
      tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$state/sshd_config"; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  fi
  if netns_exists "$name"; then
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      pids=$(ip netns pids "$name" 2>/dev/null || true)
      [[ -n $pids ]] || break
      if ((i < 15)); then
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null || true
      else
        # shellcheck disable=SC2086
        kill -KILL $pids 2>/dev/null || true
      fi
      sleep 0.05
    done
    ip netns del "$name" 2>/dev/null || true
    if netns_exists "$name"; then
      echo "$PROG: warning: could not delete network namespace $name" >&2
    fi
  fi
  local veth
  veth=$(root_veth_for "$name")
  if link_exists "$veth"; then
    ip link del dev "$veth" 2>/dev/null || true
  fi
  rm -rf -- "$state"
}

ensure_sudo_user() {
  # Caller holds the allocation lock: useradd/usermod are not safe to run concurrently.
  if ! id -u "$SUDO_USER_NAME" >/dev/null 2>&1; then
    local useradd
    useradd=$(find_bin useradd) || die "useradd is not installed (needed for --sudo-user)"
    "$useradd" --create-home --shell /bin/sh "$SUDO_USER_NAME" ||
      id -u "$SUDO_USER_NAME" >/dev/null 2>&1 || die "could not create user $SUDO_USER_NAME"
  fi
  # With UsePAM no, sshd refuses accounts whose password field starts with '!' (useradd's default
  # "locked" marker) even for public-key logins. '*' means "no valid password" without being locked.
  local pwfield
  pwfield=$(getent shadow "$SUDO_USER_NAME" | cut -d: -f2 || true)
  if [[ $pwfield == '!'* || -z $pwfield ]]; then
    usermod -p '*' "$SUDO_USER_NAME" >/dev/null || die "could not unlock $SUDO_USER_NAME for key-only login"
  fi
  local tmp want
  want="$SUDO_USER_NAME ALL=(ALL) NOPASSWD: ALL"
  if [[ ! -f $SUDOERS_FILE ]] || [[ "$(<"$SUDOERS_FILE")" != *"$want"* ]]; then
    mkdir -p /etc/sudoers.d
    tmp=$(mktemp /etc/sudoers.d/.virtnet-sandbox.XXXXXX)
    printf '# managed by pulumi-virtnet scripts/sandbox.sh\n%s\n' "$want" >"$tmp"
    chmod 0440 "$tmp"
    local visudo
    if visudo=$(find_bin visudo); then
      if ! "$visudo" -cf "$tmp" >/dev/null; then
        rm -f -- "$tmp"
        die "generated sudoers file failed visudo -c"
      fi
    fi
    mv -f -- "$tmp" "$SUDOERS_FILE"
  fi
}

# On a failed/interrupted create, tear down whatever was created so far.
CREATED_NAME=""
on_create_exit() {
  local rc=$?
  if ((rc != 0)) && [[ -n $CREATED_NAME ]]; then
    destroy_sandbox "$CREATED_NAME" || true
  fi
  exit "$rc"
}

# ----------------------------------------------------------------------------------------------
cmd_create() {
  local want_sudo=0
  while (($#)); do
    case $1 in
      --sudo-user) want_sudo=1 ;;
      *) usage ;;
    esac
    shift
  done

  require_root
  local SSHD SSH_KEYGEN IP
  SSHD=$(find_bin sshd) || die "sshd is not installed (expected /usr/sbin/sshd; apt-get install openssh-server)"
  IP=$(find_bin ip) || die "ip is not installed (apt-get install iproute2)"
  SSH_KEYGEN=$(find_bin ssh-keygen) || die "ssh-keygen is not installed (apt-get install openssh-client)"
  find_bin flock >/dev/null || die "flock is not installed (apt-get install util-linux)"
  local CAT
  CAT=$(find_bin cat) || die "cat not found"
  if ((want_sudo)); then
    find_bin sudo >/dev/null || die "sudo is not installed (needed for --sudo-user; apt-get install sudo)"
  fi
  [[ -n ${SRANDOM:-} ]] || die "bash >= 5.1 is required (for \$SRANDOM)"

  # From here on, anything that fails tears down what was created so far.
  trap on_create_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local lock_fd
  exec {lock_fd}>>"$LOCK_FILE"
  flock -w 30 "$lock_fd" || die "timed out waiting for $LOCK_FILE"

  # --- unique name + namespace ---
  local name="" hex veth state attempt add_err=""
  for ((attempt = 0; attempt < 100; attempt++)); do
    hex=$(printf '%06x' $((SRANDOM & 0xffffff)))
    name="vn-$hex"
    veth="vnh-$hex"
    state=$(state_dir_for "$name")
    if netns_exists "$name" || link_exists "$veth" || [[ -e $state ]]; then
      name=""
      continue
    fi
    if add_err=$("$IP" netns add "$name" 2>&1); then
      break
    fi
    name=""
  done
  [[ -n $name ]] || die "could not create a network namespace: ${add_err:-all names taken}"
  CREATED_NAME=$name

  # --- unique /30 in 198.18.0.0/15 ---
  local pool_base cand="" block
  pool_base=$(ip_to_int "$POOL_BASE_O1.$POOL_BASE_O2.0.0")
  for ((attempt = 0; attempt < 200; attempt++)); do
    block=$((SRANDOM % POOL_BLOCKS))
    cand=$((pool_base + block * 4))
    if ! block_in_use "$cand"; then break; fi
    cand=""
  done
  [[ -n $cand ]] || die "could not find a free /30 in 198.18.0.0/15"
  local root_addr ns_addr
  root_addr=$(int_to_ip $((cand + 1)))
  ns_addr=$(int_to_ip $((cand + 2)))

  "$IP" -batch - <<EOF
link add $veth type veth peer name $NS_IFACE netns $name
addr add $root_addr/30 dev $veth
link set $veth up
EOF
  "$IP" -n "$name" -batch - <<EOF
link set lo up
addr add $ns_addr/30 dev $NS_IFACE
link set $NS_IFACE up
EOF

  if ((want_sudo)); then
    ensure_sudo_user
  fi

  flock -u "$lock_fd"
  exec {lock_fd}>&-

  # --- state dir, keys, sshd_config ---
  (umask 077 && mkdir -m 0700 -- "$state")
  chmod 0700 -- "$state"
  "$SSH_KEYGEN" -q -t ed25519 -N '' -C "virtnet-sandbox-$name-host" -f "$state/ssh_host_ed25519_key"
  "$SSH_KEYGEN" -q -t ed25519 -N '' -C "virtnet-sandbox-$name-client" -f "$state/id_ed25519"
  cp -- "$state/id_ed25519.pub" "$state/authorized_keys"
  chmod 0600 -- "$state/authorized_keys"

  local host_pub key_type key_b64 fingerprint known_hosts
  host_pub=$(<"$state/ssh_host_ed25519_key.pub")
  read -r key_type key_b64 _ <<<"$host_pub"
  known_hosts="$ns_addr $key_type $key_b64"
  printf '%s\n' "$known_hosts" >"$state/known_hosts"
  fingerprint=$("$SSH_KEYGEN" -lf "$state/ssh_host_ed25519_key.pub" | awk '{print $2}')
  [[ $fingerprint == SHA256:* ]] || die "unexpected ssh-keygen -lf output: $fingerprint"

  local allow_users="root"
  ((want_sudo)) && allow_users="root $SUDO_USER_NAME"

  cat >"$state/sshd_config" <<EOF
# Generated by scripts/sandbox.sh for sandbox $name. Self-contained: no Include of /etc/ssh.
ListenAddress $ns_addr:$SSH_PORT
AddressFamily inet
HostKey "$state/ssh_host_ed25519_key"
PidFile "$state/sshd.pid"
LogLevel VERBOSE

PermitRootLogin prohibit-password
AllowUsers $allow_users
PubkeyAuthentication yes
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
UsePAM no
StrictModes no
AuthorizedKeysFile "$state/authorized_keys"

MaxSessions 64
MaxStartups 100
MaxAuthTries 10
LoginGraceTime 30
UseDNS no

# Fast, non-interactive sessions: no motd/lastlog/banner, no user environment files, no
# forwarding of client env. SHLVL=1 makes bash treat the sshd-spawned shell as nested, so
# Debian's bash does not source ~/.bashrc for "ssh host cmd" (root's may be heavy, e.g. pyenv).
PrintMotd no
PrintLastLog no
Banner none
PermitUserEnvironment no
X11Forwarding no
AllowAgentForwarding no
SetEnv PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SHLVL=1
Subsystem sftp internal-sftp
EOF
  if ((want_sudo)); then
    cat >>"$state/sshd_config" <<EOF

# sshd reads AuthorizedKeysFile as the target user, and the 0700 root-owned state dir is not
# readable by $SUDO_USER_NAME, so its keys are served by a root-run command instead.
Match User $SUDO_USER_NAME
    AuthorizedKeysCommand $CAT "$state/authorized_keys"
    AuthorizedKeysCommandUser root
EOF
  fi

  mkdir -p /run/sshd
  chmod 0755 /run/sshd

  local log="$state/sshd.log"
  # shellcheck disable=SC2094 # -E and the redirections both append to the log
  if ! "$IP" netns exec "$name" "$SSHD" -f "$state/sshd_config" -E "$log" </dev/null >>"$log" 2>&1; then
    echo "$PROG: sshd failed to start in $name; its log follows:" >&2
    cat -- "$log" >&2 || true
    exit 1
  fi

  # --- wait (bounded) until port 22 accepts TCP from the root namespace ---
  local deadline_us ok=0
  deadline_us=$((${EPOCHREALTIME//[.,]/} + 5000000))
  while ((${EPOCHREALTIME//[.,]/} < deadline_us)); do
    if timeout 0.5 bash -c "exec 3<>/dev/tcp/$ns_addr/$SSH_PORT" 2>/dev/null; then
      ok=1
      break
    fi
    sleep 0.02
  done
  if ((!ok)); then
    echo "$PROG: sshd in $name did not accept connections on $ns_addr:$SSH_PORT within 5s; its log follows:" >&2
    cat -- "$log" >&2 || true
    exit 1
  fi

  local out
  out="{\"name\":$(json_str "$name")"
  out+=",\"namespace\":$(json_str "$name")"
  out+=",\"host\":$(json_str "$ns_addr")"
  out+=",\"port\":$SSH_PORT"
  out+=",\"user\":\"root\""
  out+=",\"privateKeyPath\":$(json_str "$state/id_ed25519")"
  out+=",\"hostKey\":$(json_str "$fingerprint")"
  out+=",\"knownHosts\":$(json_str "$known_hosts")"
  out+=",\"stateDir\":$(json_str "$state")"
  out+=",\"rootAddress\":$(json_str "$root_addr")"
  if ((want_sudo)); then
    out+=",\"sudoUser\":$(json_str "$SUDO_USER_NAME")"
  fi
  out+="}"
  printf '%s\n' "$out"
  CREATED_NAME="" # success: keep it
}

cmd_destroy() {
  (($# == 1)) || usage
  local name=$1
  [[ $name =~ $NAME_RE ]] || die "refusing to destroy '$name': sandbox names match ${NAME_RE}"
  require_root
  destroy_sandbox "$name"
}

cmd_list() {
  (($# == 0)) || usage
  local n _rest
  while read -r n _rest; do
    if [[ $n =~ $NAME_RE ]]; then printf '%s\n' "$n"; fi
  done < <(ip netns list 2>/dev/null || true)
  return 0
}

main() {
  (($# >= 1)) || usage
  local cmd=$1
  shift
  case $cmd in
    create) cmd_create "$@" ;;
    destroy) cmd_destroy "$@" ;;
    list) cmd_list "$@" ;;
    *) usage ;;
  esac
}

main "$@"
