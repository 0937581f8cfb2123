// Shared helpers for the benchmarks: timing child processes (wall time and peak RSS), medians, tables.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = join(ROOT, 'bench', 'out');
export const CORPUS = join(ROOT, '..', 'shared', 'corpus');
export const PYRO = join(ROOT, 'bin', 'run.js');
mkdirSync(OUT, { recursive: true });

/** Number of runs per measurement (BENCH_RUNS, default 3). */
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/**
 * Runs a command to completion, stdout discarded (or to a file), and returns
 * its wall time in seconds and its peak RSS in MB (from /usr/bin/time when present).
 */
export function timeCommand(cmd, args, { stdin, env, stdout } = {}) {
  const useTime = existsSync('/usr/bin/time');
  const argv = useTime ? ['-f', '%M', cmd, ...args] : args;
  const bin = useTime ? '/usr/bin/time' : cmd;
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const out = stdout ? openSync(stdout, 'w') : 'ignore';
    const child = spawn(bin, argv, {
      stdio: [stdin ? 'pipe' : 'ignore', out, 'pipe'],
      env: { ...process.env, ...env },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    if (stdin) {
      import('node:fs').then(({ createReadStream }) => createReadStream(stdin).pipe(child.stdin));
    }
    child.on('error', reject);
    child.on('close', (code) => {
      if (typeof out === 'number') closeSync(out);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-500)}`));
      const lines = err.trim().split('\n');
      const kb = useTime ? Number(lines[lines.length - 1]) : Number.NaN;
      resolve({ seconds, rssMB: kb / 1024 });
    });
  });
}

/** Median wall time and the largest peak RSS over `n` runs (RUNS by default). */
export async function measure(cmd, args, options, n = RUNS) {
  const runs = [];
  for (let i = 0; i < n; i++) runs.push(await timeCommand(cmd, args, options));
  const times = runs.map((r) => r.seconds).sort((a, b) => a - b);
  return {
    seconds: times[Math.floor(times.length / 2)],
    rssMB: Math.max(...runs.map((r) => r.rssMB)),
    runs: runs.length,
  };
}

export function table(head, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export const mb = (bytes) => bytes / 1e6;
export const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/** A FlameGraph script (stackcollapse-perf.pl, flamegraph.pl) from $FLAMEGRAPH_DIR or PATH: it is not shipped with pyro. */
export function findFlameGraphScript(name) {
  const dirs = [process.env.FLAMEGRAPH_DIR, ...(process.env.PATH ?? '').split(delimiter)].filter(Boolean);
  for (const d of dirs) {
    const f = join(d, name);
    if (existsSync(f)) return f;
  }
  return undefined;
}

/** mulberry32, seeded: the same generated input on every machine. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
