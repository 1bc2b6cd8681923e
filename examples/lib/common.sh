# Shared by every lab's run.sh: prints each command before running it (so the output reads like a
# terminal session), and names every namespace with a per-run suffix so runs never collide.
# shellcheck shell=bash
set -euo pipefail
LAB_ID=${LAB_ID:-$$}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# `step CMD...`: show it, run it.
step() {
  local a shown=""
  for a in "$@"; do
    # Quote what the shell would need quoted, so the line can be copied and typed.
    if [[ $a =~ [^A-Za-z0-9_./:=,@%+-] ]]; then shown+=" '${a//\'/\'\\\'\'}'"; else shown+=" $a"; fi
  done
  if [ -t 1 ]; then printf '\n\033[1m$%s\033[0m\n' "$shown"; else printf '\n$%s\n' "$shown"; fi
  # iproute2 complains once per stale namespace elsewhere on the machine; that is not this lab.
  "$@" 2> >(grep -v 'Peer netns reference is invalid' >&2)
}

# `inns NS CMD...`: run inside a namespace. nsenter --net, not `ip netns exec`, which remounts /sys.
inns() {
  local ns=$1
  shift
  nsenter --net="/run/netns/$ns" -- "$@"
}

# `result KEY VALUE...`: one machine-readable line per observed fact (the lab's test reads these).
result() {
  local key=$1
  shift
  printf 'RESULT %s %s\n' "$key" "$*"
}

tsnet() {
  node "$REPO/packages/engine/bin/tsnet.js" "$@"
}

# Debian's iputils may be missing; busybox-static (a project dependency) always has ping, nc, wget.
ping() { busybox ping "$@"; }

if [ "$(id -u)" != 0 ]; then
  echo "this lab needs root: it makes network namespaces and links" >&2
  exit 1
fi

# `received PING_OUTPUT`: the "N packets received" count of a ping summary.
received() {
  sed -n 's/.*, \([0-9]*\) packets received.*/\1/p' <<<"$1"
}
