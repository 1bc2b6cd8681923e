#!/usr/bin/env bash
# Installs the Debian packages tsnet and its tests need, only those missing (quick when all are there).
set -euo pipefail
packages=(iproute2 nftables iptables runc busybox-static graphviz dnsutils dnsperf docker.io util-linux procps kmod psmisc perl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing system packages (run as root to install): ${missing[*]}" >&2
  exit 0
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# docker.io's postinst must not start a daemon in the machine's own namespace.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
