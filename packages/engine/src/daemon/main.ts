/**
 * tsnetd entry for tests, labs and `tsnet daemon`:
 *   node --conditions=source --import tsx packages/engine/src/daemon/main.ts \
 *     [--data-root DIR] [--host unix:///path] [--config daemon.json]
 */
import { Command } from 'commander';
import { runDaemon } from './daemon.js';

const program = new Command('tsnetd')
  .description('tsnet daemon: the Docker Engine API (networks, volumes, containers) on a unix socket')
  .option('--data-root <dir>', 'root of persistent state (default /var/lib/tsnet)')
  .option('-H, --host <unix://path>', 'socket to listen on (default unix:///run/tsnet/tsnet.sock)')
  .option('--config <path>', 'daemon.json (default /etc/tsnet/daemon.json)')
  .option('--config-file <path>', 'same as --config (dockerd spelling)')
  .option('--api-headers-timeout <ms>', 'close connections whose request headers take longer (default 10000)')
  .parse(process.argv);

const opts = program.opts<{ dataRoot?: string; host?: string; config?: string; configFile?: string; apiHeadersTimeout?: string }>();
const configPath = opts.config ?? opts.configFile;
try {
  await runDaemon({
    ...(opts.dataRoot ? { dataRoot: opts.dataRoot } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    ...(configPath ? { configPath } : {}),
    ...(opts.apiHeadersTimeout ? { headersTimeoutMs: Number(opts.apiHeadersTimeout) } : {}),
  });
  process.exit(0);
} catch (error) {
  process.stderr.write(`tsnetd: ${(error as Error).message}\n`);
  process.exit(1);
}
