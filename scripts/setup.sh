#!/usr/bin/env bash
# Installs what virtnet needs on a fresh Debian machine (run as root): the tools a sandbox host uses
# (sshd, iproute2, sudo for the non-root user test), python3 for real-frame and traffic tests, libvirt-clients for
# virt-xml-validate (libvirt's RNG schemas), libvirt-daemon (with iptables and dnsmasq) for the peer suite that
# compares virtnet with real libvirt, nftables for the forward modes' rules, git for the test that installs virtnet from git as a user would, and the npm
# dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages; the sandbox host needs network namespaces)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Node.js 20.19 or newer (vitest needs it). Debian's own nodejs where this release's is recent enough (Debian 13:
# 20.19); otherwise say so plainly rather than fail later (Debian 12's is 18).
node_ok() { command -v node >/dev/null 2>&1 && node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; }
if ! node_ok; then
  candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }')
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && dpkg --compare-versions "$candidate" ge 20.19; then
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
fi
if ! node_ok; then
  echo "setup.sh: virtnet needs Node.js 20.19 or newer (found: $(node --version 2>/dev/null || echo none); this Debian release offers ${candidate:-no nodejs package}); install it from nodejs.org or NodeSource, then run this again" >&2
  exit 1
fi
apt-get install -y -qq --no-install-recommends openssh-server openssh-client iproute2 procps sudo ca-certificates python3 libvirt-clients libxml2-utils libvirt-daemon iptables nftables dnsmasq-base busybox bind9-dnsutils systemd git >/dev/null
# npm's warnings stay visible (an engine mismatch among them).
npm ci --no-audit --no-fund --loglevel=warn
echo "setup: done ($(node --version), $(ip -V))"
