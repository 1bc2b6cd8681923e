#!/usr/bin/env bash
# The README's main command. As root on a fresh machine: installs what is missing, then brings up
# tsnetd INSIDE ITS OWN NETWORK NAMESPACE (tsnet-demo; the machine's own interfaces, routes and
# firewall are never touched), imports a busybox image, creates a network, starts two containers
# that resolve and ping each other by name, publishes a port and shows it answering, and writes
# the topology picture. Everything stays running; ./scripts/down.sh removes all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
NS=${TSNET_DEMO_NS:-tsnet-demo}
DEMO=${TSNET_DEMO_DIR:-/var/tmp/tsnet-demo}
SOCK=$DEMO/tsnet.sock
NET=demo-net
SUBNET=10.77.0.0/24

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
tsnet() { node "$REPO/packages/engine/bin/tsnet.js" -H "unix://$SOCK" "$@"; }
in_ns() { nsenter --net="/run/netns/$NS" -- "$@"; }

if [ "$(id -u)" != 0 ]; then
  echo "up.sh needs root: it makes network namespaces, bridges and veths, and runs containers with runc" >&2
  exit 1
fi

say "system packages (only what is missing)"
./scripts/system-packages.sh

say "npm dependencies and the netns addon"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ ! -f packages/libnetwork/build/Release/tsnet_netns.node ]; then
  npm ci --no-fund --no-audit
else
  echo "already installed"
fi

if [ -e "/run/netns/$NS" ] || [ -e "$DEMO/tsnetd.pid" ]; then
  say "a previous demo is still up: removing it first"
  ./scripts/down.sh
fi

say "namespace $NS (tsnetd's own 'host'; nothing is made in the machine's namespace)"
mkdir -p "$DEMO"
ip netns add "$NS"
ip -n "$NS" link set lo up
echo "$NS" > "$DEMO/netns"

say "starting tsnetd (data root $DEMO/data, socket $SOCK)"
cat > "$DEMO/daemon.json" <<JSON
{ "default-address-pools": [{ "base": "10.78.0.0/16", "size": 24 }] }
JSON
# setsid: the daemon outlives this script and its terminal; nsenter --net (not `ip netns exec`,
# which remounts /sys and hides the cgroup mounts runc needs).
setsid nsenter --net="/run/netns/$NS" -- node "$REPO/packages/engine/bin/tsnet.js" daemon \
  --data-root "$DEMO/data" -H "unix://$SOCK" --config "$DEMO/daemon.json" \
  >"$DEMO/tsnetd.log" 2>&1 < /dev/null &
echo $! > "$DEMO/tsnetd.pid"
for _ in $(seq 1 150); do
  tsnet version >/dev/null 2>&1 && break
  kill -0 "$(cat "$DEMO/tsnetd.pid")" 2>/dev/null || { cat "$DEMO/tsnetd.log" >&2; echo "tsnetd exited" >&2; exit 1; }
  sleep 0.2
done
tsnet version --format 'tsnetd {{.Version}} (API {{.ApiVersion}}) is up' || { cat "$DEMO/tsnetd.log" >&2; exit 1; }

say "busybox image"
tsnet rootfs "$DEMO/busybox.tar"
tsnet import "$DEMO/busybox.tar" busybox:latest || { sleep 1; tsnet import "$DEMO/busybox.tar" busybox:latest; }
tsnet images

say "network $NET ($SUBNET)"
tsnet network create --subnet "$SUBNET" "$NET"
tsnet network ls

say "two containers, alice and bob, on $NET"
tsnet run -d --name alice --hostname alice --net "$NET" busybox sleep 2147483647
tsnet run -d --name bob --hostname bob --net "$NET" busybox sleep 2147483647
echo "alice resolves bob through the embedded DNS server (127.0.0.11):"
tsnet exec alice nslookup bob 127.0.0.11 | sed -n '/^Name:/,$p'
echo "alice pings bob by name, bob pings alice by name:"
tsnet exec alice ping -c 2 -W 2 bob
tsnet exec bob ping -c 2 -W 2 alice

say "a published port: web (busybox httpd) on $NET, -p 8080:80"
tsnet run -d --name web --net "$NET" -p 8080:80 busybox \
  sh -c 'mkdir -p /www && echo "hello from tsnet: $(hostname) $(ip -4 -o addr show eth0 | awk "{print \$4}")" > /www/index.html && exec httpd -f -p 80 -h /www'
tsnet port web
answer=""
for _ in $(seq 1 25); do
  # wget from tsnetd's namespace (the demo's "host"): DNAT in nat OUTPUT takes it to the container.
  answer=$(in_ns timeout 5 busybox wget -qO- http://127.0.0.1:8080/ 2>/dev/null) && break
  sleep 0.2
done
[ -n "$answer" ] || { echo "the published port did not answer" >&2; exit 1; }
echo "wget http://127.0.0.1:8080/ in $NS answered: $answer"
echo "and from alice through the host address (hairpin via the gateway):"
gateway=$(tsnet network inspect -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$NET")
tsnet exec alice sh -c "wget -qO- http://$gateway:8080/"

say "what is running"
tsnet ps

say "the topology picture"
tsnet debug graph --netns "$NS" --format svg > "$DEMO/topology.svg"
tsnet debug graph --netns "$NS" --format mermaid > "$DEMO/topology.mmd"
echo "wrote $DEMO/topology.svg (and topology.mmd)"
tsnet debug bridges --netns "$NS"

cat <<DONE

tsnet is up. What this did:
  - made network namespace $NS and started tsnetd inside it (pid $(cat "$DEMO/tsnetd.pid"), log $DEMO/tsnetd.log)
  - imported busybox:latest, created network $NET ($SUBNET)
  - alice and bob resolve and ping each other by name; web publishes 8080 -> 80 and answered
  - topology picture: $DEMO/topology.svg
Try it (same CLI, or the real docker CLI on the same socket):
  export TSNET_HOST=unix://$SOCK
  node packages/engine/bin/tsnet.js ps
  node packages/engine/bin/tsnet.js debug trace --netns $NS alice web --port 80
  node packages/engine/bin/tsnet.js debug firewall --netns $NS
  docker -H unix://$SOCK network ls
Remove everything (daemon, containers, namespaces, demo dir):
  ./scripts/down.sh
DONE
