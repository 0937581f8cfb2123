import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { v8FrameName } from '../src/core/record/perf.js';
import { DB_FILE } from '../src/core/store/store.js';
import { pyro, ROOT, readFile, requirePeer, tempDir } from './helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'record');
const SHARES_JS = join(FIXTURES, 'shares.js');
// V8's profiler reports the time of code it replaced on the stack mid-loop (OSR) as the caller's,
// more often on a busy machine: the fixture's long loops would then read as \`step\`. Not here.
const SHARES = ['--no-use-osr', SHARES_JS];
const BIN = join(ROOT, 'bin', 'run.js');

interface Report {
  profiler: string;
  exitCode: number;
  signal?: string;
  samples: number;
  top: { name: string; selfPercent: number; totalPercent: number }[];
  stored?: { app: string; profiles: number };
}

/** seventy's share of seventy + thirty (totals, by function name: perf names JavaScript frames "name file:line:col"). */
async function seventyShare(file: string): Promise<number> {
  const p = await readFile(file);
  const t = p.trie();
  const total = (fn: string) => {
    let sum = 0;
    for (let n = 1; n < t.size; n++) {
      const name = p.frames.nameOf(t.frame[n] as number);
      // Each function counted at its outermost frame (no recursion here).
      if (name === fn || name.startsWith(`${fn} `)) sum += t.totalOf(n, p.defaultValue);
    }
    return sum;
  };
  const a = total('seventy');
  const b = total('thirty');
  expect(a + b).toBeGreaterThan(0);
  return (100 * a) / (a + b);
}

function buildC(): string {
  const exe = join(tempDir(), 'shares');
  const r = spawnSync('gcc', ['-O1', '-fno-omit-frame-pointer', '-o', exe, join(FIXTURES, 'shares.c')]);
  expect(r.status, r.stderr?.toString()).toBe(0);
  return exe;
}

describe('pyro record: the profilers', () => {
  it('the node profiler and perf both find a 70/30 split in a Node.js program, within 5 points', async () => {
    if (!requirePeer('perf')) return;
    const dir = tempDir();
    const shares: number[] = [];
    for (const profiler of ['node', 'perf']) {
      const out = join(dir, `${profiler}.pb.gz`);
      const r = pyro([
        'record',
        '--no-store',
        '--profiler',
        profiler,
        '-o',
        out,
        '--json',
        '--',
        'node',
        ...SHARES,
        '3000',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as Report;
      expect(report.profiler).toBe(profiler);
      expect(report.samples).toBeGreaterThan(50);
      shares.push(await seventyShare(out));
    }
    for (const s of shares) expect(Math.abs(s - 70), `seventy shares (node, perf): ${shares}`).toBeLessThan(5);
    expect(Math.abs((shares[0] as number) - (shares[1] as number))).toBeLessThan(5);
  });

  it('perf on a C program with frame pointers: the self shares agree with perf report on the same perf.data', () => {
    if (!requirePeer('perf') || !requirePeer('gcc')) return;
    const exe = buildC();
    const data = join(tempDir(), 'c.data');
    const r = pyro(['record', '--no-store', '--json', '-o', data, '--', exe, '2']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.profiler).toBe('perf');
    const ours = new Map(report.top.map((t) => [t.name, t.selfPercent]));
    const theirs = new Map<string, number>();
    const rep = spawnSync('perf', ['report', '-i', data, '--stdio', '--no-children', '--sort', 'sym', '-g', 'none'], {
      encoding: 'utf8',
    });
    for (const m of rep.stdout.matchAll(/^\s+([\d.]+)%\s+\[\.\]\s+(\S+)\s*$/gm))
      theirs.set(m[2] as string, Number(m[1]));
    for (const fn of ['seventy', 'thirty']) {
      expect(theirs.get(fn), rep.stdout).toBeGreaterThan(10);
      expect(Math.abs((ours.get(fn) ?? 0) - (theirs.get(fn) as number))).toBeLessThan(0.5);
    }
    // pyro reads the kept perf.data too.
    expect(pyro(['top', data, '--limit', '2']).stdout).toMatch(/seventy/);
    // DWARF unwinding, for code built without frame pointers, finds the same functions.
    const dwarf = pyro([
      'record',
      '--no-store',
      '--json',
      '--call-graph',
      'dwarf',
      '-o',
      join(tempDir(), 'd.folded'),
      '--',
      exe,
      '1',
    ]);
    expect(dwarf.status, dwarf.stderr).toBe(0);
    expect((JSON.parse(dwarf.stdout) as Report).top.map((t) => t.name)).toEqual(
      expect.arrayContaining(['seventy', 'thirty']),
    );
  });

  it('labels each process and worker thread with --per-process', () => {
    const store = tempDir();
    const r = pyro([
      'record',
      '--per-process',
      '--store',
      store,
      '--rate',
      '499',
      '--json',
      '--',
      'node',
      join(FIXTURES, 'family.cjs'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    const series = JSON.parse(pyro(['series', '--store', store, '--json']).stdout) as {
      labels: Record<string, string>;
    }[];
    const pids = new Set(series.map((s) => s.labels.pid));
    const threads = new Set(series.map((s) => s.labels.thread));
    // The main process, its worker, and the child process.
    expect(pids.size).toBe(2);
    expect(threads.size).toBe(2);
    expect([...threads].sort()[0]).toBe('main');
    expect([...threads].sort()[1]).toMatch(/^worker-\d+$/);
    expect(series.every((s) => s.labels.service_name === 'node' && s.labels.command === 'family.cjs')).toBe(true);
  });

  it('--kind heap samples the live heap of a Node.js program (inuse_space by function)', async () => {
    const dir = tempDir();
    const app = join(ROOT, 'test', 'fixtures', 'record', 'keep.cjs');
    const out = join(dir, 'heap.pb.gz');
    const r = pyro(['record', '--kind', 'heap', '--no-store', '-o', out, '--', 'node', '--expose-gc', app]);
    expect(r.status, r.stderr).toBe(0);
    const p = await readFile(out);
    expect(p.valueTypes[p.defaultValue]).toEqual({ type: 'inuse_space', unit: 'bytes' });
    const t = p.trie();
    const total = (fn: string) => {
      let sum = 0;
      for (let n = 1; n < t.size; n++)
        if (p.frames.nameOf(t.frame[n] as number) === fn) sum += t.totalOf(n, p.defaultValue);
      return sum;
    };
    expect(Math.abs((100 * total('big')) / (total('big') + total('small')) - 75)).toBeLessThan(10);
    // perf cannot sample the heap.
    const perf = pyro(['record', '--kind', 'heap', '--profiler', 'perf', '--no-store', '-o', out, '--', 'node', app]);
    expect(perf.status).toBe(2);
    expect(perf.stderr).toMatch(/--kind heap needs the node profiler/);
  });

  it('--kind wall keeps the time a program waits ((idle)), as wall time; cpu leaves it out', async () => {
    const dir = tempDir();
    const app = join(ROOT, 'test', 'fixtures', 'record', 'half-idle.cjs');
    const share = async (kind: string) => {
      const out = join(dir, `${kind}.pb.gz`);
      const r = pyro(['record', '--kind', kind, '--no-store', '-o', out, '--', 'node', app]);
      expect(r.status, r.stderr).toBe(0);
      const p = await readFile(out);
      const t = p.trie();
      let idle = 0;
      for (let n = 1; n < t.size; n++)
        if (p.frames.nameOf(t.frame[n] as number) === '(idle)') idle += t.totalOf(n, p.defaultValue);
      return { type: p.valueTypes[p.defaultValue], idle: (100 * idle) / t.totalOf(0, p.defaultValue) };
    };
    const wall = await share('wall');
    expect(wall.type).toEqual({ type: 'wall', unit: 'microseconds' });
    // 800 of about 1600 ms wait (start-up and exit take some of the rest).
    expect(wall.idle).toBeGreaterThan(25);
    expect(wall.idle).toBeLessThan(75);
    const cpu = await share('cpu');
    expect(cpu.type).toEqual({ type: 'cpu', unit: 'microseconds' });
    expect(cpu.idle).toBe(0);
    const perf = pyro([
      'record',
      '--kind',
      'wall',
      '--profiler',
      'perf',
      '--no-store',
      '-o',
      join(dir, 'x.pb.gz'),
      '--',
      'node',
      app,
    ]);
    expect(perf.status).toBe(2);
    expect(perf.stderr).toMatch(/--kind wall needs the node profiler/);
  });

  it('names JavaScript frames from perf maps as the node profiler does', () => {
    expect(v8FrameName('JS:*parse file:///app/x.js:12:7')).toBe('parse /app/x.js:12:7');
    expect(v8FrameName('LazyCompile:~render /app/y.js:3')).toBe('render /app/y.js:3');
    expect(v8FrameName('JS:* file:///app/x.js:16:19')).toBe('(anonymous) /app/x.js:16:19');
    expect(v8FrameName('Builtin:JsonParse')).toBe('JsonParse');
    expect(v8FrameName('main')).toBe('main');
  });
});

describe('pyro record: the command it runs', () => {
  for (const profiler of ['node', 'perf']) {
    it(`passes exit codes through (${profiler}): 0, 3, and 128+N for a signal`, () => {
      if (profiler === 'perf' && !requirePeer('perf')) return;
      const run = (code: string) =>
        pyro([
          'record',
          '--no-store',
          '--profiler',
          profiler,
          '-o',
          join(tempDir(), 'p.folded'),
          '--',
          'node',
          '-e',
          code,
        ]);
      expect(run('let x = 0; for (let i = 0; i < 1e7; i++) x += i;').status).toBe(0);
      expect(run('process.exitCode = 3').status).toBe(3);
      const killed = run("process.kill(process.pid, 'SIGKILL')");
      expect(killed.status).toBe(137);
      expect(killed.stderr).toMatch(/ended by SIGKILL/);
    });
  }

  it('passes stdin and stdout through', () => {
    const r = pyro(
      [
        'record',
        '--no-store',
        '-o',
        join(tempDir(), 'p.folded'),
        '--',
        'node',
        '-e',
        'process.stdin.pipe(process.stdout)',
      ],
      {
        input: 'hello from stdin\n',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('hello from stdin\n');
  });

  it('says how to install perf when it is missing', () => {
    // A PATH with node alone.
    const bin = tempDir();
    symlinkSync(process.execPath, join(bin, 'node'));
    const out = join(tempDir(), 'p.folded');
    const r = pyro(['record', '--no-store', '--profiler', 'perf', '-o', out, '--', 'node', '-e', '1'], {
      env: { PATH: bin },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^pyro: .*perf, which is not installed: apt-get install linux-perf/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 127 with one line for a command that cannot be started', () => {
    const r = pyro(['record', '--no-store', '-o', join(tempDir(), 'p.folded'), '--', 'no-such-command-pyro']);
    expect(r.status).toBe(127);
    expect(r.stderr.trim()).toBe('pyro: no-such-command-pyro: command not found');
    const usage = pyro(['record']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/needs a command/);
  });

  for (const profiler of ['node', 'perf']) {
    it(`forwards SIGINT to the command and still writes the profile (${profiler})`, async () => {
      if (profiler === 'perf' && !requirePeer('perf')) return;
      const out = join(tempDir(), 'p.pb.gz');
      const child = spawn(
        process.execPath,
        [BIN, 'record', '--no-store', '--profiler', profiler, '-o', out, '--', 'node', ...SHARES, '60000', 'ready'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()),
      );
      await new Promise((r) => setTimeout(r, 1000));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code, stderr).toBe(130);
      expect(stderr).toMatch(/ended by SIGINT/);
      expect(existsSync(out)).toBe(true);
      expect(await seventyShare(out)).toBeGreaterThan(40);
    });
  }

  it('--duration ends the command (exit 0) with the profile of that long', () => {
    const out = join(tempDir(), 'p.folded');
    const t0 = Date.now();
    const r = pyro([
      'record',
      '--no-store',
      '--duration',
      '1500ms',
      '-o',
      out,
      '--json',
      '--',
      'node',
      ...SHARES,
      '60000',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
    const report = JSON.parse(r.stdout) as Report & { durationMs: number };
    expect(report.durationMs).toBeGreaterThan(1000);
    expect(report.durationMs).toBeLessThan(6000);
    expect(readFileSync(out, 'utf8')).toMatch(/seventy/);
  });

  it('stores the profile under the command name, and writes -o in the format of its extension', async () => {
    const store = tempDir();
    const dir = tempDir();
    for (const ext of ['svg', 'html', 'pb.gz', 'folded', 'speedscope.json', 'cpuprofile']) {
      const out = join(dir, `p.${ext}`);
      const r = pyro(['record', '--store', store, '--label', 'run=t', '-o', out, '--', 'node', ...SHARES, '1000']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/pyro: \d+ samples of node .*shares\.js/);
      expect(r.stderr).toMatch(/seventy/);
      expect(r.stderr).toContain(`pyro: wrote ${out}`);
      // Each reads back (the SVG and the HTML carry the profile), with the functions of the program.
      const p = await readFile(out);
      expect(p.frames.size).toBeGreaterThan(2);
      expect(Array.from({ length: p.frames.size }, (_, f) => p.frames.nameOf(f))).toContain('seventy');
    }
    const series = JSON.parse(pyro(['series', '--store', store, '--json']).stdout) as {
      app: string;
      labels: Record<string, string>;
      profiles: number;
    }[];
    expect(series.some((s) => s.labels.service_name === 'node' && s.labels.run === 't' && s.profiles === 6)).toBe(true);
    const top = pyro(['top', 'node{run="t"}', '--store', store, '--from', 'now-1h']);
    expect(top.stdout).toMatch(/seventy/);
  });
});

/** `pyro record --continuous --interval 1s` of the shares fixture running `ms`, as a child process. */
function recordContinuously(app: string, store: string, extra: string[], ms: number, stderr: 'pipe' | 'ignore') {
  return spawn(
    process.execPath,
    [
      BIN,
      'record',
      '--continuous',
      '--interval',
      '1s',
      ...extra,
      '--app',
      app,
      '--store',
      store,
      '--',
      'node',
      ...SHARES,
      String(ms),
    ],
    { stdio: ['ignore', 'ignore', stderr], env: { ...process.env, NO_COLOR: '1' } },
  );
}

/** The distinct time ranges of an app's stored profiles, in time order (read from the SQLite file itself). */
function storedRanges(store: string, app: string): { t: number; until: number }[] {
  const db = new Database(join(store, DB_FILE), { readonly: true });
  try {
    return db
      .prepare(
        'SELECT DISTINCT p.t, p.until FROM profiles p JOIN series s ON s.id = p.series WHERE s.app = ? ORDER BY p.t',
      )
      .all(app) as { t: number; until: number }[];
  } finally {
    db.close();
  }
}

describe('pyro record --continuous', () => {
  for (const profiler of ['node', 'perf']) {
    it(`stores a profile per interval with contiguous time ranges, queryable while it runs (${profiler})`, async () => {
      if (profiler === 'perf' && !requirePeer('perf')) return;
      const store = tempDir();
      const child = recordContinuously('cont', store, ['--profiler', profiler], 4500, 'pipe');
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      // While it runs, the intervals taken so far are in the store.
      await new Promise((r) => setTimeout(r, 3500));
      // perf recordings have two profile types (samples and cpu-clock): name one.
      const live = pyro(['top', 'cont.samples{}', '--store', store, '--from', 'now-5m', '--json']);
      expect(live.status, live.stderr).toBe(0);
      expect(JSON.parse(live.stdout).total).toBeGreaterThan(0);
      expect(await exited, stderr).toBe(0);
      const rows = storedRanges(store, 'cont');
      expect(rows.length, stderr).toBeGreaterThanOrEqual(4);
      for (let i = 1; i < rows.length; i++)
        expect((rows[i] as { t: number }).t).toBe((rows[i - 1] as { until: number }).until);
      for (const r of rows.slice(0, -1)) expect(Math.abs(r.until - r.t - 1000)).toBeLessThan(300);
    });
  }
});

describe('pyro record --continuous when pyro is killed', () => {
  it('keeps every interval stored before the kill (at most the one in progress is lost)', async () => {
    const store = tempDir();
    const child = recordContinuously('killed', store, [], 6000, 'ignore');
    await new Promise((r) => setTimeout(r, 4000));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const rows = storedRanges(store, 'killed');
    const n = rows.length;
    const last = Math.max(...rows.map((r) => r.until));
    // About 3.5 s of the program ran: 3 whole intervals, give or take start-up, are in.
    expect(n).toBeGreaterThanOrEqual(2);
    expect(Date.now() - last).toBeLessThan(3000);
  });
});

describe('pyro record --pid', () => {
  for (const [kind, profiler] of [
    ['a Node.js process (inspector opened with SIGUSR1)', 'node'],
    ['a native process (perf)', 'perf'],
  ] as const) {
    it(`samples ${kind} for --duration and leaves it running`, async () => {
      if (profiler === 'perf' && (!requirePeer('perf') || !requirePeer('gcc'))) return;
      const target =
        profiler === 'node'
          ? spawn(process.execPath, [...SHARES, '20000', 'ready'], { stdio: ['ignore', 'pipe', 'ignore'] })
          : spawn(buildC(), ['20'], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        if (profiler === 'node')
          await new Promise<void>((resolve) =>
            target.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()),
          );
        const out = join(tempDir(), 'p.folded');
        const r = pyro(['record', '--pid', String(target.pid), '--duration', '1s', '--no-store', '-o', out, '--json']);
        expect(r.status, r.stderr).toBe(0);
        expect((JSON.parse(r.stdout) as Report).profiler).toBe(profiler);
        expect(await seventyShare(out)).toBeGreaterThan(50);
        expect(target.exitCode).toBe(null);
      } finally {
        target.kill('SIGKILL');
      }
    });
  }
});
