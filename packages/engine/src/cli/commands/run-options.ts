import type { Command } from 'commander';
import { collect } from '../context.js';

/** The container-config flags shared by `run` and `create`, with Docker's names and short forms. */
export function addContainerOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'assign a name to the container')
    .option('-h, --hostname <name>', 'container host name')
    .option('-u, --user <user>', 'username or UID (format: <name|uid>[:<group|gid>])')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('--entrypoint <cmd>', 'overwrite the default ENTRYPOINT of the image')
    .option('--net, --network <network>', 'connect a container to a network (bridge, host, none, container:NAME or a network name)')
    .option('--net-alias, --network-alias <alias>', 'add network-scoped alias for the container (repeatable)', collect)
    .option('--ip <address>', 'IPv4 address (e.g. 172.30.100.104)')
    .option('--ip6 <address>', 'IPv6 address')
    .option('--mac-address <mac>', 'container MAC address')
    .option('-p, --publish <spec>', "publish a container's port(s) to the host (repeatable)", collect)
    .option('-P, --publish-all', 'publish all exposed ports to random ports')
    .option('--expose <port>', 'expose a port or a range of ports (repeatable)', collect)
    .option('-e, --env <KEY=VALUE>', 'set environment variables (repeatable)', collect)
    .option('-l, --label <key=value>', 'set meta data on a container (repeatable)', collect)
    .option('-v, --volume <spec>', 'bind mount a volume (repeatable)', collect)
    .option('--mount <spec>', 'attach a filesystem mount to the container (repeatable)', collect)
    .option('--tmpfs <spec>', 'mount a tmpfs directory (repeatable)', collect)
    .option('--volumes-from <container>', 'mount volumes from the specified container(s) (repeatable)', collect)
    .option('--dns <ip>', 'set custom DNS servers (repeatable)', collect)
    .option('--dns-search <domain>', 'set custom DNS search domains (repeatable)', collect)
    .option('--dns-opt, --dns-option <option>', 'set DNS options (repeatable)', collect)
    .option('--add-host <host:ip>', 'add a custom host-to-IP mapping (repeatable)', collect)
    .option('--link <name:alias>', 'add link to another container (repeatable)', collect)
    .option('--shm-size <bytes>', 'size of /dev/shm')
    .option('--rm', 'automatically remove the container when it exits')
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('-i, --interactive', 'keep STDIN open (accepted for compatibility; input is not forwarded)');
}
