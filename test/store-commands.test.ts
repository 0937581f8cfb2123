import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SeriesInfo } from '../src/core/store/types.js';
import { corpus, pyro, ROOT, requirePeer, tempDir } from './helpers.js';

const APP = join(ROOT, 'examples', 'app.cpuprofile');
const PPROF = corpus('speedscope-samples', 'pprof', 'simple.prof');
const PERF = corpus('perf-script', 'flamegraph', 'perf-java-stacks-01.txt');
const FOLDED = corpus('speedscope-samples', 'stackcollapse', 'simple.txt');
const THREADS = corpus('speedscope-samples', 'trace-event', 'multi-thread-with-samples.json');
const HEAP = corpus('speedscope-samples', 'node', '10.11.0', 'Heap-20181003T105432.heapprofile');
const INVALID = corpus('speedscope-samples', 'speedscope', 'invalid', 'incomplete-trace.json');

/** Runs pyro on a store; fails the test with stderr when the exit code is not the one expected. */
function run(store: string, args: string[], status = 0, input?: string) {
  const r = pyro([...args, '--store', store], { input });
  expect(r.status, `pyro ${args.join(' ')}\n${r.stderr}`).toBe(status);
  return r;
}

const json = <T>(store: string, args: string[]): T => JSON.parse(run(store, [...args, '--json']).stdout) as T;

interface Info {
  valueTypes: { type: string; unit: string; total: number }[];
}
const totals = (store: string, input: string, extra: string[] = []) =>
  Object.fromEntries(json<Info[]>(store, ['info', input, ...extra])[0]?.valueTypes.map((v) => [v.type, v.total]) ?? []);
const sortedLines = (s: string) => s.split('\n').filter(Boolean).sort();

describe('pyro ingest and queries over the store', () => {
  let store: string;
  beforeAll(() => {
    store = join(tempDir(), 'store');
    run(store, ['ingest', APP, '--app', 'web', '--label', 'env=prod', '--at', '2024-05-01T10:00:00Z']);
    run(store, ['ingest', PPROF, '--app', 'api', '--label', 'env=ci']);
    run(store, ['ingest', PERF, FOLDED, '--app', 'batch', '--label', 'env=ci', '--at', '1714557600']);
  });

  it('lists the series with their labels, profile counts and totals', () => {
    const series = json<SeriesInfo[]>(store, ['series']);
    const web = series.filter((s) => s.app === 'web');
    expect(web.map((s) => s.type.type).sort()).toEqual(['cpu', 'samples']);
    for (const s of web) {
      expect(s.labels).toMatchObject({ env: 'prod' });
      expect(s.profiles).toBe(1);
      expect(s.from).toBe(Date.parse('2024-05-01T10:00:00Z'));
    }
    const fileTotals = totals(store, APP);
    for (const s of web) expect(s.total).toBe(fileTotals[s.type.type]);
    // A profile with a time of its own keeps it (the pprof says 2018-09-16T20:47:43Z).
    const api = series.find((s) => s.app === 'api' && s.type.type === 'cpu');
    expect(Math.abs((api?.from ?? 0) - Date.parse('2018-09-16T20:47:43.468Z'))).toBeLessThanOrEqual(1);
    const text = run(store, ['ls']).stdout;
    expect(text).toMatch(/series\s+profiles\s+from\s+until\s+total/);
    expect(text).toContain('web.cpu{env="prod"');
  });

  it('answers a selector with exactly what was ingested, per value type', () => {
    for (const [selector, file] of [
      ['web{}', APP],
      ['api{env="ci"}', PPROF],
    ] as const) {
      const fromFile = totals(store, file);
      for (const [type, total] of Object.entries(fromFile)) {
        expect(totals(store, `${selector.replace('{', `.${type}{`)}`), `${selector} ${type}`).toEqual({
          [type]: total,
        });
      }
    }
    // The two files of one ingest, merged, are the two files merged by convert.
    const fromStore = run(store, ['export', 'batch.samples{}', '--to', 'folded']).stdout;
    const fromFiles = run(store, ['convert', PERF, FOLDED, '--value', 'samples', '--to', 'folded']).stdout;
    expect(sortedLines(fromStore)).toEqual(sortedLines(fromFiles));
  });

  it('reads files and selectors alike in top, peek, info and convert', () => {
    const fromFile = json<{ total: number; rows: unknown[] }>(store, ['top', APP, '--limit', '0']);
    const fromStore = json<{ total: number; rows: unknown[] }>(store, ['top', 'web.cpu{env="prod"}', '--limit', '0']);
    expect(fromStore).toEqual(fromFile);
    const peek = (input: string) => run(store, ['peek', 'spin', input]).stdout;
    expect(peek('web{}')).toBe(peek(APP));
    const conv = run(store, ['convert', 'web{}', '--to', 'folded']).stdout;
    expect(sortedLines(conv)).toEqual(sortedLines(run(store, ['convert', APP, '--to', 'folded']).stdout));
  });

  it('selects by time range: --from and --until in every accepted form', () => {
    // web and batch start at 10:00 (batch given in unix seconds), api in 2018.
    const found = (selector: string, from: string, until?: string) => {
      const r = pyro(['info', selector, '--from', from, ...(until ? ['--until', until] : [])], {
        env: { PYRO_STORE: store },
      });
      if (r.status !== 0) expect(r.stderr).toMatch(/no series in .* match it from /);
      return r.status === 0;
    };
    expect(found('web.cpu{}', '2024-05-01T09:59:59Z', '2024-05-01T10:00:01Z')).toBe(true);
    expect(found('batch.samples{}', '2024-05-01T11:59:59+02:00', '1714557600001')).toBe(true);
    expect(found('web.cpu{}', '2024-05-01T10:00:00.001Z')).toBe(false);
    expect(found('batch.samples{}', '1714557600.001')).toBe(false);
    expect(found('api.cpu{}', '1537000000', '1538000000')).toBe(true);
    expect(found('web.cpu{}', '1537000000', '1538000000')).toBe(false);
    expect(found('web.cpu{}', 'now-30d')).toBe(false);
  });

  it('matches labels with =, !=, =~ and !~', () => {
    const names = (sel: string) => [...new Set(json<SeriesInfo[]>(store, ['series', sel]).map((s) => s.app))].sort();
    expect(names('{env="ci"}')).toEqual(['api', 'batch']);
    expect(names('{env!="ci"}')).toEqual(['web']);
    expect(names('{env=~"c.*"}')).toEqual(['api', 'batch']);
    expect(names('{env=~"c"}')).toEqual([]);
    expect(names('{env!~"pr.*"}')).toEqual(['api', 'batch']);
    expect(names('web.cpu{}')).toEqual(['web']);
  });

  it('lists label names and the values of one', () => {
    expect(json<string[]>(store, ['labels'])).toEqual(expect.arrayContaining(['env', 'service_name']));
    expect(json<string[]>(store, ['labels', 'env']).sort()).toEqual(['ci', 'prod']);
    expect(json<string[]>(store, ['labels', 'env', 'web{}'])).toEqual(['prod']);
    expect(run(store, ['labels', 'service_name']).stdout.split('\n').filter(Boolean).sort()).toEqual([
      'api',
      'batch',
      'web',
    ]);
  });
});

describe('pyro ingest, file by file', () => {
  it('reports a bad file in one line, stores the others, and exits 1', () => {
    const store = join(tempDir(), 'store');
    const r = run(store, ['ingest', APP, INVALID, FOLDED, '--app', 'mixed'], 1);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.filter((l) => l.includes('incomplete-trace.json'))).toHaveLength(1);
    expect(r.stderr).toMatch(/1 file failed/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const samples = json<SeriesInfo[]>(store, ['series', 'mixed.samples{}']);
    expect(samples[0]?.profiles).toBe(2);
    const j = pyro(['ingest', INVALID, '--store', store, '--json']);
    expect(j.status).toBe(1);
    const out = JSON.parse(j.stdout) as { files: { ok: boolean; error?: string }[] };
    expect(out.files).toEqual([{ file: INVALID, ok: false, error: expect.stringContaining('incomplete-trace.json') }]);
  });

  it('names the app after the file, and says so', () => {
    const store = join(tempDir(), 'store');
    const r = run(store, ['ingest', APP]);
    expect(r.stderr).toMatch(/app "app" from the file name/);
    expect(json<SeriesInfo[]>(store, ['series']).map((s) => s.app)).toContain('app');
    run(store, ['ingest', '-', '--app', 'piped'], 0, 'a;b 3\na;c 4\n');
    expect(totals(store, 'piped{}')).toEqual({ samples: 7 });
  });

  it('splits a profile by its per-sample labels into series', () => {
    const store = join(tempDir(), 'store');
    run(store, ['ingest', THREADS, '--app', 'browser']);
    const series = json<SeriesInfo[]>(store, ['series', 'browser.cpu{}']);
    expect(series.length).toBe(2);
    expect(new Set(series.map((s) => s.labels.tid)).size).toBe(2);
    const sum = series.reduce((n, s) => n + s.total, 0);
    expect(sum).toBe(totals(store, THREADS).cpu);
    expect(totals(store, 'browser.cpu{}').cpu).toBe(sum);
  });

  it('averages in-use memory over time by default, and as --aggregation says', () => {
    const store = join(tempDir(), 'store');
    const one = totals(store, HEAP);
    expect(Object.keys(one).sort()).toEqual(['inuse_objects', 'inuse_space']);
    for (const at of ['2024-05-01T10:00:00Z', '2024-05-01T10:00:10Z']) {
      run(store, ['ingest', HEAP, '--app', 'heap', '--at', at]);
      run(store, ['ingest', HEAP, '--app', 'summed', '--at', at, '--aggregation', 'sum']);
      run(store, ['ingest', APP, '--app', 'gauge', '--at', at, '--aggregation', 'average']);
    }
    const series = json<SeriesInfo[]>(store, ['series']);
    expect(Object.fromEntries(series.map((s) => [`${s.app}.${s.type.type}`, s.aggregation]))).toEqual({
      'heap.inuse_space': 'average',
      'heap.inuse_objects': 'average',
      'summed.inuse_space': 'sum',
      'summed.inuse_objects': 'sum',
      'gauge.cpu': 'average',
      'gauge.samples': 'average',
    });
    // Two profiles of the same heap: their mean is one of them, their sum twice it.
    expect(totals(store, 'heap.inuse_space{}').inuse_space).toBeCloseTo(one.inuse_space as number, 6);
    expect(totals(store, 'summed.inuse_space{}').inuse_space).toBe(2 * (one.inuse_space as number));
    expect(totals(store, 'gauge.cpu{}').cpu).toBeCloseTo(totals(store, APP).cpu as number, 6);
    const r = pyro(['ingest', HEAP, '--aggregation', 'mean', '--store', store]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--aggregation/);
  });

  it('refuses a bad label, app or time before touching the store', () => {
    const store = join(tempDir(), 'store');
    expect(pyro(['ingest', APP, '--label', 'env', '--store', store]).status).toBe(2);
    expect(pyro(['ingest', APP, '--app', 'a/b', '--store', store]).status).toBe(2);
    const r = pyro(['ingest', APP, '--at', 'yesterday', '--store', store]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^pyro: --at "yesterday": expected now, now-1h/);
  });
});

describe('selectors where files are expected', () => {
  it('says a mistyped file is neither a file nor a stored series, without creating a store', () => {
    const store = join(tempDir(), 'store');
    const r = pyro(['top', 'cpu.pb.gz', '--store', store]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^pyro: cpu\.pb\.gz: no such file, and there is no store at .*; ingest profiles with `pyro ingest`\n$/,
    );
    expect(existsSync(store)).toBe(false);
    run(store, ['ingest', APP, '--app', 'web']);
    const r2 = pyro(['top', 'cpu.pb.gz', '--store', store]);
    expect(r2.stderr).toMatch(/cpu\.pb\.gz: no such file, and no series in .* match it; list them with `pyro series`/);
  });

  it('reports a bad selector with its column and exit 2', () => {
    const r = pyro(['top', 'web{env=prod}', '--store', tempDir()]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'pyro: selector web{env=prod}: column 9 near "prod}": expected a quoted value, e.g. "prod"\n',
    );
  });

  it('tells an empty store what to do next', () => {
    const store = join(tempDir(), 'store');
    const r = run(store, ['series']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/is empty; ingest profiles with `pyro ingest/);
    expect(json<SeriesInfo[]>(store, ['series'])).toEqual([]);
  });
});

describe('changing the store', () => {
  it('relabels profiles into the right series without losing or duplicating a sample', () => {
    const store = join(tempDir(), 'store');
    run(store, ['ingest', APP, '--app', 'web', '--label', 'commit=abc', '--at', '2024-05-01T10:00:00Z']);
    run(store, ['ingest', APP, '--app', 'web', '--label', 'commit=abc', '--at', '2024-05-02T10:00:00Z']);
    run(store, ['ingest', FOLDED, '--app', 'web', '--label', 'commit=def', '--at', '2024-05-01T10:00:00Z']);
    const before = totals(store, 'web.cpu{}');
    const r = json<{ profiles: number }>(store, [
      'label',
      'web{commit="abc"}',
      '--until',
      '2024-05-02T00:00:00Z',
      '--set',
      'version=1.3',
    ]);
    expect(r.profiles).toBe(2); // cpu and samples of the first profile
    expect(totals(store, 'web.cpu{}')).toEqual(before);
    const one = totals(store, APP).cpu as number;
    expect(totals(store, 'web.cpu{version="1.3"}').cpu).toBe(one);
    expect(totals(store, 'web.cpu{version!="1.3"}').cpu).toBe(one);
    run(store, ['label', 'web{}', '--unset', 'commit']);
    expect(json<string[]>(store, ['labels', 'commit'])).toEqual([]);
    expect(totals(store, 'web.cpu{}')).toEqual(before);
    expect(pyro(['label', 'web{}', '--store', store]).status).toBe(2);
  });

  it('removes with --yes only, off a terminal', () => {
    const store = join(tempDir(), 'store');
    run(store, ['ingest', APP, '--app', 'web', '--at', '2024-05-01T10:00:00Z']);
    run(store, ['ingest', APP, '--app', 'api', '--at', '2024-05-01T10:00:00Z']);
    const r = run(store, ['rm', 'web{}'], 2);
    expect(r.stderr).toMatch(/pass --yes/);
    expect(json<SeriesInfo[]>(store, ['series', 'web{}']).length).toBeGreaterThan(0);
    expect(json<{ profiles: number }>(store, ['rm', 'web.cpu{}', '--yes']).profiles).toBe(1);
    expect(pyro(['top', 'web.cpu{}', '--store', store]).stderr).toMatch(/no series in .* match it/);
    expect(totals(store, 'api.cpu{}')).toEqual({ cpu: totals(store, APP).cpu });
  });

  it('on a terminal, rm asks first and ingest shows a bar of files', () => {
    if (!requirePeer('script')) return;
    const store = join(tempDir(), 'store');
    run(store, ['ingest', APP, '--app', 'web', '--at', '2024-05-01T10:00:00Z']);
    // util-linux script(1) runs the command on a real pseudo-terminal, typing our input into it.
    const onTerminal = (args: string[], input: string) => {
      const cmd = [process.execPath, join(ROOT, 'bin', 'run.js'), ...args, '--store', store]
        .map((a) => `'${a.replace(/'/g, "'\\''")}'`)
        .join(' ');
      const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
      delete env.CI; // bars are off in CI logs
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { input, env, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    const no = onTerminal(['rm', 'web{}'], 'n\n');
    expect(no).toMatch(/remove the profiles of 2 series in .*\? \[y\/N\]/);
    expect(no).toMatch(/nothing removed/);
    expect(json<SeriesInfo[]>(store, ['series', 'web{}']).length).toBe(2);
    expect(onTerminal(['rm', 'web{}'], 'y\n')).toMatch(/removed 2 profiles/);
    expect(json<SeriesInfo[]>(store, ['series', 'web{}'])).toEqual([]);
    // Twenty files or more: a bar counting them, on the terminal only.
    const files = Array.from({ length: 20 }, () => APP);
    expect(onTerminal(['ingest', ...files, '--app', 'many'], '')).toMatch(/ingesting \[[^\]]*\] \d+\/20/);
    expect(run(store, ['ingest', ...files, '--app', 'more']).stderr).not.toMatch(/ingesting \[/);
  });

  it('exports a selection as pprof, folded and speedscope', () => {
    const store = join(tempDir(), 'store');
    const dir = tempDir();
    run(store, ['ingest', APP, '--app', 'web']);
    const expected = sortedLines(run(store, ['convert', APP, '--to', 'folded']).stdout);
    for (const out of ['web.pb.gz', 'web.speedscope.json', 'web.folded']) {
      run(store, ['export', 'web{}', '-o', join(dir, out)]);
      expect(sortedLines(run(store, ['convert', join(dir, out), '--to', 'folded']).stdout), out).toEqual(expected);
    }
    expect(readdirSync(dir).sort()).toEqual(['web.folded', 'web.pb.gz', 'web.speedscope.json']);
    // export reads its argument as a selector even where a file has that name
    const r = pyro(['export', APP, '--store', store]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^pyro: selector /);
  });

  it('drops old profiles with gc, keeping recent ones', () => {
    const store = join(tempDir(), 'store');
    run(store, ['ingest', APP, '--app', 'old', '--at', 'now-60d']);
    run(store, ['ingest', APP, '--app', 'new', '--at', 'now-1d']);
    const r = json<{ profiles: number; bytesFreed: number }>(store, ['gc', '--older-than', '30d']);
    expect(r.profiles).toBe(2); // the cpu and samples series of one profile
    expect(
      json<SeriesInfo[]>(store, ['series'])
        .filter((s) => s.profiles > 0)
        .map((s) => s.app),
    ).toEqual(['new', 'new']);
    expect(totals(store, 'new.cpu{}').cpu).toBe(totals(store, APP).cpu);
    expect(pyro(['gc', '--older-than', 'soon', '--store', store]).status).toBe(2);
  });
});
