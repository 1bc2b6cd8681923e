#!/usr/bin/env bash
# Lab 03 — NAT and a published port, by hand: what `docker run -p 8080:80` makes the kernel do.
#   client (another machine) --veth-- host (bridge br0, nftables NAT) --veth-- web (busybox httpd)
# DNAT rewrites host:8080 to web:80 on the way in; masquerade rewrites web's source address on
# the way out, so web can reach the outside with the host's address.
source "$(dirname "$0")/../lib/common.sh"
HOST=lab03-host-$LAB_ID
WEB=lab03-web-$LAB_ID
CLIENT=lab03-client-$LAB_ID
WWW=$(mktemp -d /tmp/lab03-www.XXXXXX)
HTTPD=
cleanup() {
  [ -n "$HTTPD" ] && kill "$HTTPD" 2>/dev/null
  for ns in "$CLIENT" "$WEB" "$HOST"; do ip netns delete "$ns" 2>/dev/null || true; done
  rm -rf "$WWW"
  echo "cleaned up: $HOST, $WEB, $CLIENT, the web server"
}
trap cleanup EXIT

for ns in "$HOST" "$WEB" "$CLIENT"; do step ip netns add "$ns"; ip -n "$ns" link set lo up; done

# The container side, as in lab 02: a bridge with the gateway address and one veth port.
step ip -n "$HOST" link add br0 type bridge
step ip -n "$HOST" addr add 172.30.0.1/24 dev br0
step ip -n "$HOST" link set br0 up
step ip -n "$HOST" link add veth-web master br0 type veth peer name eth0 netns "$WEB"
step ip -n "$HOST" link set veth-web up
step ip -n "$WEB" addr add 172.30.0.2/24 dev eth0
step ip -n "$WEB" link set eth0 up
step ip -n "$WEB" route add default via 172.30.0.1

# The outside: the host's "physical" interface eth0 (192.168.50.1) cabled to a client.
step ip -n "$HOST" link add eth0 type veth peer name eth0 netns "$CLIENT"
step ip -n "$HOST" addr add 192.168.50.1/24 dev eth0
step ip -n "$HOST" link set eth0 up
step ip -n "$CLIENT" addr add 192.168.50.2/24 dev eth0
step ip -n "$CLIENT" link set eth0 up

# Routing between the two sides, and the NAT table Docker's DOCKER chain amounts to.
step inns "$HOST" sysctl -w net.ipv4.ip_forward=1
step inns "$HOST" nft -f - <<'NFT'
table ip lab-nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    tcp dport 8080 counter dnat to 172.30.0.2:80 comment "published port 8080 -> web:80"
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 172.30.0.0/24 oifname != "br0" counter masquerade comment "outgoing from the bridge"
  }
}
NFT

echo "hello from the web namespace (172.30.0.2)" >"$WWW/index.html"
printf '\n$ (web) busybox httpd -f -p 80 -h %s &\n' "$WWW"
# nsenter directly (not the inns function) so $! is the server itself, and cleanup can stop it.
nsenter --net="/run/netns/$WEB" -- busybox httpd -f -p 80 -h "$WWW" </dev/null >/dev/null 2>&1 &
HTTPD=$!

# The client only knows the host's address and the published port.
answer=""
for _ in $(seq 1 25); do
  answer=$(inns "$CLIENT" timeout 5 busybox wget -qO- http://192.168.50.1:8080/ 2>/dev/null) && break
  sleep 0.2
done
printf '\n$ (client) wget -qO- http://192.168.50.1:8080/\n%s\n' "$answer"
result wget "$answer"

# Outgoing: web pings the client; the client sees the host's address (masquerade).
out=$(inns "$WEB" busybox ping -c 1 -W 2 192.168.50.2 || true)
printf '\n$ (web) ping -c 1 192.168.50.2\n%s\n' "$out"
result ping "web->client received=$(received "$out")"
step inns "$HOST" nft list table ip lab-nat
masq=$(inns "$HOST" nft list chain ip lab-nat postrouting | sed -n 's/.*counter packets \([0-9]*\).*masquerade.*/\1/p')
dnat=$(inns "$HOST" nft list chain ip lab-nat prerouting | sed -n 's/.*counter packets \([0-9]*\).*dnat.*/\1/p')
result counters "dnat=$dnat masquerade=$masq"
