#!/usr/bin/env bash
# Lab 05 — isolation between networks, and `network connect`. Two networks, one container on
# each: they cannot reach each other (the TSNET-ISOLATION chains drop it, as Docker's
# DOCKER-ISOLATION-STAGE-1/2 do). Connecting one container to the other network adds a second
# interface, and they can; disconnecting removes it again.
source "$(dirname "$0")/../lib/tsnetd.sh"
lab_daemon lab05

step tsnet network create --subnet 10.51.0.0/24 front
step tsnet network create --subnet 10.52.0.0/24 back
step tsnet run -d --name app --net front busybox sleep 3600
step tsnet run -d --name db --net back busybox sleep 3600
dbip=$(tsnet inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' db)

out=$(tsnet exec app ping -c 1 -W 2 "$dbip" || true)
printf '\n$ tsnet exec app ping -c 1 %s   (db, on the other network)\n%s\n' "$dbip" "$out"
result before "received=$(received "$out")"
# Why: the trace names the hop that drops it, and the rule whose counter moved.
step tsnet debug trace app db --netns "$LAB_NS" || true

# --alias names app on back (others there could reach it as "frontend"); app reaches db by name.
step tsnet network connect --alias frontend back app
step tsnet exec app ip -4 -o addr show
out=$(tsnet exec app ping -c 1 -W 2 db || true)
printf '\n$ tsnet exec app ping -c 1 db   (after network connect)\n%s\n' "$out"
result connected "received=$(received "$out") resolved=$(sed -n 's/^PING db (\([0-9.]*\)).*/\1/p' <<<"$out") interfaces=$(tsnet exec app ip -o link show | grep -c 'eth[0-9]')"

step tsnet network disconnect back app
out=$(tsnet exec app ping -c 1 -W 2 "$dbip" || true)
printf '\n$ tsnet exec app ping -c 1 %s   (after network disconnect)\n%s\n' "$dbip" "$out"
result disconnected "received=$(received "$out") interfaces=$(tsnet exec app ip -o link show | grep -c 'eth[0-9]')"
step tsnet debug firewall --network back --netns "$LAB_NS"
