# Labs 04–07: a tsnetd of their own, started inside a fresh network namespace (its "host"), with
# data root and socket in a temporary directory, a busybox image imported, and everything removed
# on exit — containers, networks, volumes, the daemon, its namespace and mounts.
# shellcheck shell=bash
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# lab_daemon NAME [DAEMON_JSON]: sets LAB_NS, LAB_DIR and TSNET_HOST (so plain `tsnet ...` talks to it).
lab_daemon() {
  LAB_NS="$1-$LAB_ID"
  LAB_DIR=$(mktemp -d "/tmp/tsnet-$1.XXXXXX")
  export TSNET_HOST="unix://$LAB_DIR/tsnet.sock"
  trap lab_cleanup EXIT
  ip netns add "$LAB_NS"
  ip -n "$LAB_NS" link set lo up
  # Its own daemon.json (empty: Docker's defaults), whatever /etc/tsnet/daemon.json says.
  printf '%s\n' "${2:-"{}"}" >"$LAB_DIR/daemon.json"
  nsenter --net="/run/netns/$LAB_NS" -- node "$REPO/packages/engine/bin/tsnet.js" daemon \
    --data-root "$LAB_DIR/data" -H "$TSNET_HOST" --config "$LAB_DIR/daemon.json" >"$LAB_DIR/tsnetd.log" 2>&1 &
  LAB_PID=$!
  local i
  for i in $(seq 1 150); do
    tsnet version >/dev/null 2>&1 && break
    kill -0 "$LAB_PID" 2>/dev/null || { cat "$LAB_DIR/tsnetd.log" >&2; return 1; }
    sleep 0.2
  done
  echo "tsnetd is running in namespace $LAB_NS (socket $LAB_DIR/tsnet.sock)"
  tsnet rootfs "$LAB_DIR/busybox.tar" >/dev/null
  tsnet import "$LAB_DIR/busybox.tar" busybox >/dev/null || tsnet import "$LAB_DIR/busybox.tar" busybox >/dev/null
}

lab_cleanup() {
  set +e
  if [ -n "${LAB_PID:-}" ] && kill -0 "$LAB_PID" 2>/dev/null; then
    local ids
    ids=$(tsnet ps -aq 2>/dev/null)
    # shellcheck disable=SC2086
    [ -n "$ids" ] && tsnet rm -f -v $ids >/dev/null 2>&1
    for net in $(tsnet network ls --format '{{.Name}}' 2>/dev/null); do
      case $net in bridge | host | none) ;; *) tsnet network rm "$net" >/dev/null 2>&1 ;; esac
    done
    tsnet volume prune -f --all >/dev/null 2>&1
    kill -TERM "$LAB_PID"
    for _ in $(seq 1 50); do kill -0 "$LAB_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$LAB_PID" 2>/dev/null && kill -KILL "$LAB_PID"
  fi
  if [ -n "${LAB_DIR:-}" ]; then
    awk -v d="$LAB_DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$LAB_DIR"
  fi
  [ -n "${LAB_NS:-}" ] && ip netns delete "$LAB_NS" 2>/dev/null
  echo
  echo "cleaned up: daemon, containers, networks, volumes, namespace ${LAB_NS:-}"
}
