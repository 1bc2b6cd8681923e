import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unavailable } from '@tsnet/errors';
import { writeFileAtomic } from './files.js';

/**
 * The per-container shim (see README.md, "Shim"): a perl-base script, because it has to outlive
 * the daemon (live-restore) and cost little — about 6 MB RSS against Node's 40 — and neither dash
 * nor busybox can timestamp lines without buffering them. It runs `runc run` in the foreground
 * (runc stays the container's parent, so the exit status is never lost to init), turns runc's
 * stdout and stderr into json-file lines `{"log","stream","time"}` as they arrive, and when runc
 * returns writes `exit.json` atomically. Arguments: id, log path, exit file, then runc's argv.
 */
export const SHIM_SCRIPT = String.raw`# tsnet container shim: see packages/engine/src/runtime/README.md
use strict;
# Fork runc before anything else is loaded: every millisecond here is container start latency.
my ($id, $log, $exitFile, @cmd) = @ARGV;
pipe(my $outR, my $outW) or die "pipe: $!";
pipe(my $errR, my $errW) or die "pipe: $!";
my $pid = fork() // die "fork: $!";
if ($pid == 0) {
  open(STDIN, '<', '/dev/null');
  open(STDOUT, '>&', $outW);
  open(STDERR, '>&', $errW);
  close($_) for ($outR, $errR, $outW, $errW);
  exec { $cmd[0] } @cmd or exit 127;
}
$SIG{$_} = 'IGNORE' for qw(PIPE HUP INT TERM QUIT);
$0 = "tsnet-shim $id";
my $now = eval { require Time::HiRes; \&Time::HiRes::time } || sub { time };
close($outW);
close($errW);
open(my $lf, '>>', $log) or die "open $log: $!";
binmode($lf);
sub stamp {
  my $t = $now->();
  my $s = int($t);
  my @g = gmtime($s);
  sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%06d000Z', $g[5] + 1900, $g[4] + 1, @g[3, 2, 1, 0], int(($t - $s) * 1e6));
}
sub entry {
  my ($stream, $text, $time) = @_;
  $text =~ s/(["\\])/\\$1/g;
  $text =~ s/\n/\\n/g;
  $text =~ s/\t/\\t/g;
  $text =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord($1))/ge;
  qq({"log":"$text","stream":"$stream","time":"$time"}\n);
}
my %open = (fileno($outR) => [$outR, 'stdout', ''], fileno($errR) => [$errR, 'stderr', '']);
while (%open) {
  my $rin = '';
  vec($rin, $_, 1) = 1 for keys %open;
  my $n = select(my $rout = $rin, undef, undef, undef);
  next if $n <= 0;
  for my $fd (keys %open) {
    next unless vec($rout, $fd, 1);
    my $s = $open{$fd};
    my $got = sysread($s->[0], my $chunk, 65536);
    next if !defined($got) && $!{EINTR};
    my $time = stamp();
    my $outText = '';
    if ($got) {
      $s->[2] .= $chunk;
      # One entry per line; lines over 16 KiB are split into partial entries, as Docker does.
      for (;;) {
        my $i = index($s->[2], "\n");
        if ($i >= 0 && $i < 16384) { $outText .= entry($s->[1], substr($s->[2], 0, $i + 1, ''), $time); next; }
        last if length($s->[2]) < 16384;
        $outText .= entry($s->[1], substr($s->[2], 0, 16384, ''), $time);
      }
    } else {
      $outText .= entry($s->[1], $s->[2], $time) if length($s->[2]);
      close($s->[0]);
      delete $open{$fd};
    }
    syswrite($lf, $outText) if length($outText);
  }
}
waitpid($pid, 0);
my $st = $?;
my $code = ($st & 127) ? 128 + ($st & 127) : ($st >> 8);
open(my $ef, '>', "$exitFile.tmp") or die "open $exitFile.tmp: $!";
print $ef qq({"exitCode":$code,"finishedAt":") . stamp() . qq("}\n);
close($ef);
rename("$exitFile.tmp", $exitFile) or die "rename: $!";
`;

export const SHIM_FILE = 'tsnet-shim.pl';

/** Writes the script under the data root; a shim already running keeps the copy it parsed. */
export async function installShim(dataRoot: string): Promise<string> {
  const path = join(dataRoot, SHIM_FILE);
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current !== SHIM_SCRIPT) await writeFileAtomic(path, SHIM_SCRIPT);
  return path;
}

export interface ShimLaunch {
  shimPath: string;
  id: string;
  logPath: string;
  exitPath: string;
  /** Where the shim's own complaints go (never the container's output). */
  shimLogPath: string;
  runcArgv: string[];
  perl?: string;
}

/**
 * Starts the shim in its own session (setsid), not tied to the daemon: when the daemon dies the
 * shim is re-parented and keeps going. Returns its pid and kernel start time, which together
 * identify it across pid reuse.
 */
export async function launchShim(launch: ShimLaunch): Promise<{ pid: number; startTime: string }> {
  const errFd = openSync(launch.shimLogPath, 'a', 0o600);
  try {
    const child = spawn(launch.perl ?? 'perl', [launch.shimPath, launch.id, launch.logPath, launch.exitPath, ...launch.runcArgv], {
      detached: true,
      stdio: ['ignore', errFd, errFd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', (error) => reject(unavailable('ERR_SHIM_START', `cannot start container shim (perl): ${error.message}`, { cause: error })));
    });
    child.unref();
    return { pid, startTime: (await processStartTime(pid)) ?? '' };
  } finally {
    closeSync(errFd);
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined if gone. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export async function isProcessAlive(pid: number, startTime: string): Promise<boolean> {
  if (pid <= 0) return false;
  const now = await processStartTime(pid);
  return now !== undefined && (startTime === '' || now === startTime);
}
