/**
 * Child processes of the benchmark: every server under test, the simulator and Redis run in a
 * process of their own. Every child is registered so that `stopAll()` (called from `finally` and
 * on SIGINT/SIGTERM) ends exactly the processes this run started, by their pid.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** Clock ticks per second of /proc/<pid>/stat: `getconf CLK_TCK` (100 on Linux). */
export const CLK_TCK = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

export interface Child {
  name: string;
  pid: number;
  /** What the process printed as `{"url": …}`, or '' for processes that print nothing. */
  url: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<Child>();

export interface StartOptions {
  /** Extra node flags before the file (and `--import tsx` for a .ts file), e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  env: Record<string, string>;
  /** Longest wait for the `{"url": …}` line. */
  timeoutMs?: number;
}

/**
 * `node [nodeArgs] <file.js>` (built JavaScript, the production way) or `node [nodeArgs] --import
 * tsx <file.ts>`; resolves once it prints `{"url": …}` on stdout.
 */
export async function startNodeServer(name: string, file: string, opts: StartOptions): Promise<Child> {
  const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...loader, file], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = register(name, proc, '');
  const stderr: string[] = [];
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    stderr.push(chunk);
    if (stderr.length > 50) stderr.shift();
  });
  const lines = createInterface({ input: proc.stdout! });
  try {
    child.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not print its URL within ${opts.timeoutMs ?? 30_000} ms`)),
        opts.timeoutMs ?? 30_000,
      );
      lines.on('line', (line) => {
        try {
          const parsed = JSON.parse(line) as { url?: unknown };
          if (typeof parsed.url === 'string') {
            clearTimeout(timer);
            resolve(parsed.url);
          }
        } catch {
          // Not our line: ignore.
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before listening:\n${stderr.join('').slice(-2_000)}`));
      });
    });
  } catch (err) {
    await child.stop(500);
    throw err;
  }
  // Keep draining its output so a chatty child never blocks on a full pipe.
  proc.stdout!.resume();
  return child;
}

/** A command that prints nothing useful, e.g. redis-server. */
export function startCommand(name: string, command: string, args: string[]): Child {
  const proc = spawn(command, args, { stdio: 'ignore' });
  return register(name, proc, '');
}

function register(name: string, proc: ChildProcess, url: string): Child {
  if (proc.pid === undefined) throw new Error(`${name}: could not start`);
  const child: Child = {
    name,
    pid: proc.pid,
    url,
    process: proc,
    async stop(graceMs = 5_000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = once(proc, 'exit');
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      children.delete(child);
    },
  };
  children.add(child);
  proc.once('exit', () => {
    if (proc.exitCode !== null && proc.exitCode !== 0 && children.has(child))
      console.error(`  ! ${name} (pid ${proc.pid}) exited with status ${proc.exitCode}`);
  });
  return child;
}

/** Stops every child this run started that is still registered. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop(3_000)));
}

/** Kill every registered child at once (for a signal: no waiting). */
export function killAllNow(): void {
  for (const c of children) {
    if (c.process.exitCode === null) c.process.kill('SIGKILL');
  }
}

/** CPU time the process has used (user + system), in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Busy time of every CPU of the machine since boot, in seconds, from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
  return busy / CLK_TCK;
}

/** Peak resident set size since start (or since `resetPeakRss`), in MiB: VmHWM. */
export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs); false where the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}
