#!/usr/bin/env bash
# Lab 01 — a veth pair by hand: two network namespaces joined by one virtual cable.
source "$(dirname "$0")/../lib/common.sh"
A=lab01-a-$LAB_ID
B=lab01-b-$LAB_ID
cleanup() {
  ip netns delete "$A" 2>/dev/null || true
  ip netns delete "$B" 2>/dev/null || true
  echo "cleaned up: namespaces $A and $B (the veth pair went with them)"
}
trap cleanup EXIT

step ip netns add "$A"
step ip netns add "$B"
# One command makes both ends; the peer is born directly inside B.
step ip -n "$A" link add veth-a type veth peer name veth-b netns "$B"
step ip -n "$A" addr add 10.0.0.1/24 dev veth-a
step ip -n "$B" addr add 10.0.0.2/24 dev veth-b
step ip -n "$A" link set veth-a up
step ip -n "$B" link set veth-b up
step ip -n "$A" link set lo up
step ip -n "$A" -br addr show veth-a
step ip -n "$B" -br addr show veth-b
# Each end names its peer by ifindex ("veth-a@if2") and the peer's namespace by netnsid.
step ip -n "$A" -d link show veth-a

out=$(inns "$A" busybox ping -c 2 -W 2 10.0.0.2)
printf '\n$ nsenter --net=/run/netns/%s ping -c 2 10.0.0.2\n%s\n' "$A" "$out"
received=$(received "$out")
result ping "10.0.0.1->10.0.0.2 received=$received"
# The route the kernel added for the connected subnet: that is why no gateway is needed.
result route "$(ip -n "$A" -4 route show dev veth-a)"
