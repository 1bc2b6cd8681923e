#!/usr/bin/env bash
# Lab 04 — a user-defined network and its DNS. On a network you create, containers find each
# other by name and by --network-alias through the embedded server at 127.0.0.11; on the default
# bridge they do not (only by IP, or with --link).
source "$(dirname "$0")/../lib/tsnetd.sh"
# The lab's namespace cannot reach the machine's nameservers, and a name lookup on the default
# bridge would wait seconds for each of them: give containers a nameserver that refuses at once
# (the bridge gateway, where nothing listens on port 53) and a short resolver timeout.
lab_daemon lab04 '{ "dns": ["172.17.0.1"], "dns-opts": ["timeout:1", "attempts:1"] }'

step tsnet network create --subnet 10.10.10.0/24 -o com.docker.network.bridge.name=lab04br mynet
step tsnet run -d --name web1 --net mynet --network-alias www busybox sleep 3600
step tsnet run -d --name client --net mynet busybox sleep 3600
step tsnet exec client cat /etc/resolv.conf

out=$(tsnet exec client ping -c 1 -W 2 web1 || true)
printf '\n$ tsnet exec client ping -c 1 web1\n%s\n' "$out"
result ping-name "client->web1 received=$(received "$out")"
out=$(tsnet exec client nslookup www 127.0.0.11 || true)
printf '\n$ tsnet exec client nslookup www\n%s\n' "$out"
result alias "www=$(sed -n '/^Name:/,$ s/^Address: *\([0-9.]*\).*/\1/p' <<<"$out" | head -1)"
result web1-ip "$(tsnet inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web1)"
# What the container asked and what came back, seen from its own namespace.
step tsnet debug dns web1 --from client --netns "$LAB_NS"

# The default bridge: no embedded DNS, so names do not resolve there.
step tsnet run -d --name b1 busybox sleep 3600
out=$(tsnet run --rm busybox sh -c 'cat /etc/resolv.conf; ping -c 1 -W 1 b1 2>&1' || true)
printf '\n$ tsnet run --rm busybox ping -c 1 b1   (default bridge)\n%s\n' "$out"
if grep -q 'bad address' <<<"$out"; then result default-bridge-name "unresolved"; else result default-bridge-name "resolved"; fi
b1ip=$(tsnet inspect -f '{{.NetworkSettings.IPAddress}}' b1)
out=$(tsnet run --rm busybox ping -c 1 -W 2 "$b1ip" || true)
printf '\n$ tsnet run --rm busybox ping -c 1 %s\n%s\n' "$b1ip" "$out"
result default-bridge-ip "received=$(received "$out")"
step tsnet debug graph --netns "$LAB_NS" --format mermaid
