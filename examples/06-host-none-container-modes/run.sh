#!/usr/bin/env bash
# Lab 06 — the three network modes that are not a network: --network none (only lo),
# --network host (the daemon's own interfaces: no namespace of its own), and
# --network container:NAME (another container's stack: same addresses, talk over loopback).
source "$(dirname "$0")/../lib/tsnetd.sh"
lab_daemon lab06

out=$(tsnet run --rm --network none busybox ip -o link show)
printf '\n$ tsnet run --rm --network none busybox ip -o link show\n%s\n' "$out"
result none "$(awk -F': ' '{print $2}' <<<"$out" | tr '\n' ' ')"

# The host namespace here is the daemon's (lab06-...): it holds the default bridge tsnet0.
out=$(tsnet run --rm --network host busybox ip -o link show)
printf '\n$ tsnet run --rm --network host busybox ip -o link show\n%s\n' "$out"
result host "$(awk -F': ' '{print $2}' <<<"$out" | cut -d@ -f1 | tr '\n' ' ')"
step ip -n "$LAB_NS" -o link show

step tsnet run -d --name srv busybox sh -c 'echo "hello over loopback" > /tmp/index.html && exec httpd -f -p 127.0.0.1:8000 -h /tmp'
step tsnet run -d --name sidecar --network container:srv busybox sleep 3600
srvip=$(tsnet inspect -f '{{.NetworkSettings.IPAddress}}' srv)
sideip=$(tsnet exec sidecar ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
result shared-ip "srv=$srvip sidecar=$sideip"
answer=""
for _ in $(seq 1 20); do answer=$(tsnet exec sidecar wget -qO- http://127.0.0.1:8000/ 2>/dev/null) && break; sleep 0.2; done
printf '\n$ tsnet exec sidecar wget -qO- http://127.0.0.1:8000/\n%s\n' "$answer"
result loopback "$answer"
step tsnet debug bridges --netns "$LAB_NS"
