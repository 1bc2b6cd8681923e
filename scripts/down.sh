#!/usr/bin/env bash
# Removes everything ./scripts/up.sh made: containers, the daemon, every namespace it created,
# its mounts and the demo directory. Safe to run twice.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
NS=${TSNET_DEMO_NS:-tsnet-demo}
DEMO=${TSNET_DEMO_DIR:-/var/tmp/tsnet-demo}
SOCK=$DEMO/tsnet.sock
tsnet() { node "$REPO/packages/engine/bin/tsnet.js" -H "unix://$SOCK" "$@"; }

if [ -S "$SOCK" ] && tsnet version >/dev/null 2>&1; then
  ids=$(tsnet ps -aq)
  # shellcheck disable=SC2086
  [ -n "$ids" ] && tsnet rm -f -v $ids >/dev/null
  for net in $(tsnet network ls --format '{{.Name}}'); do
    case $net in bridge|host|none) ;; *) tsnet network rm "$net" >/dev/null ;; esac
  done
fi

if [ -f "$DEMO/tsnetd.pid" ]; then
  pid=$(cat "$DEMO/tsnetd.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$DEMO/tsnetd.pid"
fi

# Anything still running from the demo's data root (a container shim whose daemon was killed).
if [ -d "$DEMO/data" ]; then
  for state in "$DEMO/data/runc"; do
    [ -d "$state" ] || continue
    for c in $(runc --root "$state" list -q 2>/dev/null); do runc --root "$state" delete -f "$c" 2>/dev/null; done
  done
  # Container rootfs overlays and volume mounts under the demo dir, deepest first.
  awk -v d="$DEMO/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
fi

# Sandboxes the daemon made: namespaces whose network namespace is one tsnetd created from
# inside $NS. Each sandbox records its path in the data root; remove those, then $NS itself.
if [ -d "$DEMO/data" ]; then
  for id in $(grep -rhoE '[0-9a-f]{64}' "$DEMO/data" 2>/dev/null | sort -u); do
    ns="tsnet-${id:0:12}"
    [ -e "/run/netns/$ns" ] && ip netns delete "$ns" 2>/dev/null
  done
fi
[ -e "/run/netns/$NS" ] && ip netns delete "$NS"
rm -rf "$DEMO"
echo "tsnet demo removed (namespace $NS, daemon, containers, $DEMO)"
