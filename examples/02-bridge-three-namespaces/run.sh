#!/usr/bin/env bash
# Lab 02 — a bridge with three namespaces: what docker0 is. A "host" namespace holds a Linux
# bridge; three "containers" (red, green, blue) each get a veth pair whose host end is a bridge port.
source "$(dirname "$0")/../lib/common.sh"
HOST=lab02-host-$LAB_ID
NAMES=(red green blue)
cleanup() {
  for c in "${NAMES[@]}"; do ip netns delete "lab02-$c-$LAB_ID" 2>/dev/null || true; done
  ip netns delete "$HOST" 2>/dev/null || true
  echo "cleaned up: $HOST and the red/green/blue namespaces"
}
trap cleanup EXIT

step ip netns add "$HOST"
step ip -n "$HOST" link set lo up
step ip -n "$HOST" link add br0 type bridge
step ip -n "$HOST" addr add 10.0.2.1/24 dev br0
step ip -n "$HOST" link set br0 up
i=11
for c in "${NAMES[@]}"; do
  ns=lab02-$c-$LAB_ID
  step ip netns add "$ns"
  # Host end veth-<c> is enslaved to br0 (a bridge port); the container end is eth0 in its namespace.
  step ip -n "$HOST" link add "veth-$c" master br0 type veth peer name eth0 netns "$ns"
  step ip -n "$HOST" link set "veth-$c" up
  step ip -n "$ns" addr add "10.0.2.$i/24" dev eth0
  step ip -n "$ns" link set eth0 up
  step ip -n "$ns" link set lo up
  step ip -n "$ns" route add default via 10.0.2.1
  i=$((i + 1))
done

step ip -n "$HOST" link show master br0
for target in 10.0.2.12 10.0.2.13 10.0.2.1; do
  out=$(inns "lab02-red-$LAB_ID" busybox ping -c 1 -W 2 "$target" || true)
  printf '\n$ (red) ping -c 1 %s\n%s\n' "$target" "$out"
  result ping "red->$target received=$(received "$out")"
done
# The bridge learned where each MAC lives (which port): that is switching.
step bridge -n "$HOST" fdb show br br0 dynamic
result ports "$(ip -n "$HOST" -o link show master br0 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | sort | tr '\n' ' ')"
# tsnet's view of the same thing, kernel only (no daemon here): each port's peer namespace and address.
step tsnet debug bridges --no-daemon --netns "$HOST"
