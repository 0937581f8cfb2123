import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PyroError } from '../src/core/errors.js';
import { ProfileBuilder } from '../src/core/model/builder.js';
import { mergeProfiles } from '../src/core/model/merge.js';
import type { Profile } from '../src/core/model/profile.js';
import { StackTrie } from '../src/core/model/trie.js';
import { parseSelector } from '../src/core/query/selector.js';
import { CodecError, decodeTrie, encodeTrie } from '../src/core/store/codec.js';
import type { FreshTries } from '../src/core/store/fresh-tries.js';
import { bucketMs, LEVELS, planRange } from '../src/core/store/levels.js';
import { DB_FILE, matchSeries, resolveStoreDir, STORE_VERSION, Store } from '../src/core/store/store.js';
import { corpus, readBytes, readFile, tempDir } from './helpers.js';
import { flatten, randomProfile, rng as rngOf, sorted } from './store-helpers.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const ALL = { from: -(2 ** 52), until: 2 ** 52 };
const sel = parseSelector;

describe('trie codec', () => {
  const stacksArb = fc.array(
    fc.record({
      stack: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 12 }),
      values: fc.array(
        fc.oneof(
          fc.constant(0),
          fc.integer({ min: 0, max: 2 ** 40 }),
          fc.double({ min: 0.001, max: 1e6, noNaN: true }),
        ),
        { minLength: 3, maxLength: 3 },
      ),
    }),
    { maxLength: 60 },
  );
  const build = (samples: { stack: number[]; values: number[] }[], k: number) => {
    const t = new StackTrie(k);
    for (const s of samples) {
      const node = t.insert(s.stack, 0, s.stack.length);
      for (let c = 0; c < k; c++) t.addSelf(node, c, s.values[c] as number);
    }
    return t;
  };
  /** node path -> values, non-zero only. */
  const contents = (t: { size: number; nTypes: number; parent: Int32Array; frame: Int32Array; self: Float64Array }) => {
    const m = new StackTrie(t.nTypes);
    m.mergeFrom(t);
    const out = new Map<string, number[]>();
    for (let n = 1; n < m.size; n++) {
      const vs = Array.from({ length: m.nTypes }, (_, c) => m.selfOf(n, c));
      if (vs.some((v) => v !== 0)) out.set(m.stackOf(n).join(','), vs);
    }
    return out;
  };

  it('round-trips any trie, every column or a chosen one, exactly', () => {
    fc.assert(
      fc.property(stacksArb, fc.integer({ min: 1, max: 3 }), (samples, k) => {
        const t = build(samples, k);
        expect(contents(decodeTrie(encodeTrie(t)))).toEqual(contents(t));
        // A trie built in bulk (its nodes in another order) encodes to the same stacks.
        const bulk = new StackTrie(k);
        const frames = Int32Array.from(samples.flatMap((x) => [...x.stack].reverse()));
        const depth = Int32Array.from(samples.map((x) => x.stack.length));
        const start = new Int32Array(samples.length);
        for (let i = 1; i < samples.length; i++) start[i] = (start[i - 1] as number) + (depth[i - 1] as number);
        bulk.insertStacks(frames, start, depth, Float64Array.from(samples.flatMap((x) => x.values.slice(0, k))));
        expect(contents(decodeTrie(encodeTrie(bulk)))).toEqual(contents(t));
        const col = k - 1;
        const one = decodeTrie(encodeTrie(t, [col]));
        const expected = new Map(
          [...contents(t)].map(([s, vs]) => [s, [vs[col] as number]] as const).filter(([, vs]) => vs[0] !== 0),
        );
        expect(contents(one)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('maps frames through a frame map', () => {
    const t = build([{ stack: [0, 1, 2], values: [5, 0, 0] }], 1);
    const d = decodeTrie(encodeTrie(t, [0], [10, 11, 12]));
    expect([...d.frame.subarray(1)]).toEqual([10, 11, 12]);
  });

  it('detects any changed byte, and truncation', () => {
    fc.assert(
      fc.property(stacksArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (samples, at, x) => {
        const blob = encodeTrie(build(samples, 2));
        const bad = Buffer.from(blob);
        const i = at % bad.length;
        bad[i] = (bad[i] as number) ^ x;
        expect(() => decodeTrie(bad)).toThrow(CodecError);
        expect(() => decodeTrie(blob.subarray(0, blob.length - 1 - (at % (blob.length - 1))))).toThrow(CodecError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('time levels', () => {
  it('plan pieces cover [from, until) exactly once, with few pieces', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * DAY }), fc.integer({ min: 0, max: 400 * DAY }), (a, b) => {
        const [from, until] = a <= b ? [a, b] : [b, a];
        const pieces = planRange(from, until);
        // Back to time intervals, sorted: they must tile the range.
        const spans = pieces
          .map((p) => (p.level === 0 ? [p.lo, p.hi] : [p.lo * bucketMs(p.level), p.hi * bucketMs(p.level)]))
          .sort((x, y) => (x[0] as number) - (y[0] as number));
        let at = from;
        for (const [lo, hi] of spans) {
          expect(lo).toBe(at);
          expect(hi as number).toBeGreaterThan(lo as number);
          at = hi as number;
        }
        expect(at).toBe(until);
        // Per level at most two runs of at most 9 buckets (one for the top level), plus two raw edges.
        expect(pieces.filter((p) => p.level === 0).length).toBeLessThanOrEqual(2);
        for (let k = 1; k < LEVELS; k++) {
          const n = pieces.filter((p) => p.level === k).reduce((s, p) => s + p.hi - p.lo, 0);
          expect(n).toBeLessThanOrEqual(18);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('selectors and store directory', () => {
  const series = [
    { type: { type: 'cpu', unit: 'ns' }, labels: { service_name: 'api', env: 'prod', region: 'eu-west' } },
    { type: { type: 'samples', unit: 'count' }, labels: { service_name: 'api', env: 'prod', region: 'eu-west' } },
    { type: { type: 'cpu', unit: 'ns' }, labels: { service_name: 'api', env: 'ci' } },
    { type: { type: 'alloc_space', unit: 'bytes' }, labels: { service_name: 'worker', env: 'prod' } },
  ];
  const pick = (text: string, defaultType = true) =>
    matchSeries(series, sel(text), defaultType).map((s) => series.indexOf(s));

  it('matches =, !=, =~, !~ with anchored regexes, a missing label being empty', () => {
    expect(pick('api{env="prod"}')).toEqual([0]);
    expect(pick('api{env!="prod"}')).toEqual([2]);
    expect(pick('{region=~"eu-.*"}')).toEqual([0]);
    expect(pick('{region=~"eu"}')).toEqual([]);
    expect(pick('{region!~"eu-.*"}')).toEqual([2]);
    expect(pick('{region=""}')).toEqual([2]);
    expect(pick('api.samples{}')).toEqual([1]);
    expect(pick('{}', false)).toEqual([0, 1, 2, 3]);
  });

  it('defaults the type to cpu, else the only one, else asks for one', () => {
    expect(pick('worker')).toEqual([3]);
    expect(pick('{env="prod"}')).toEqual([0]);
    const noCpu = series.filter((s) => s.type.type !== 'cpu');
    expect(() => matchSeries(noCpu, sel('{}'), true)).toThrow(/several profile types \(alloc_space, samples\)/);
  });

  it('resolves --store, PYRO_STORE, XDG_DATA_HOME, then ~/.local/share', () => {
    expect(resolveStoreDir('/x', { PYRO_STORE: '/y' })).toBe('/x');
    expect(resolveStoreDir(undefined, { PYRO_STORE: '/y', XDG_DATA_HOME: '/z' })).toBe('/y');
    expect(resolveStoreDir(undefined, { XDG_DATA_HOME: '/z' })).toBe('/z/pyro');
    expect(resolveStoreDir(undefined, {})).toMatch(/\.local\/share\/pyro$/);
  });
});

/** The merge of generated profiles whose start is in [from, until) (the store's definition of membership). */
function expected(items: { t: number; p: Profile; env: string }[], from: number, until: number, env?: string) {
  const m = new Map<string, number>();
  for (const it of items)
    if (it.t >= from && it.t < until && (env === undefined || it.env === env)) flatten(it.p, 'cpu', m);
  return sorted(m);
}

describe('store', () => {
  let dir: string;
  let store: Store;
  const items: { t: number; p: Profile; env: string }[] = [];

  beforeAll(() => {
    dir = tempDir('pyro-store-');
    store = Store.open(dir);
    // 300 profiles over ~40 days, clustered so that every level has buckets of one and of many profiles.
    const r = (i: number) => ((i * 2654435761) % 1000) / 1000;
    for (let i = 0; i < 300; i++) {
      const t = T0 + Math.floor((i < 100 ? r(i) * 40 * DAY : i < 200 ? r(i) * 3 * 3600_000 : r(i) * 20_000) + i);
      const p = randomProfile(i);
      const env = i % 3 === 0 ? 'ci' : 'prod';
      store.ingest(p, { app: 'api', labels: { env }, at: t });
      items.push({ t, p, env });
    }
  });
  afterAll(() => store.close());

  it('answers any range with exactly the merge of the profiles that start in it', () => {
    const edges = items.map((it) => it.t);
    const timeArb = fc.oneof(
      fc.integer({ min: T0 - DAY, max: T0 + 41 * DAY }),
      fc.constantFrom(...edges),
      fc.constantFrom(...edges).map((t) => t + 1),
      fc.integer({ min: 0, max: 5000 }).map((b) => T0 + b * 1_000_000),
    );
    fc.assert(
      fc.property(timeArb, timeArb, fc.constantFrom(undefined, 'ci', 'prod'), (a, b, env) => {
        const [from, until] = a <= b ? [a, b] : [b, a];
        const q = store.query(sel(env ? `api{env="${env}"}` : 'api'), { from, until });
        const want = expected(items, from, until, env);
        if (want.length === 0) expect(q === undefined || sorted(flatten(q, 'cpu')).length === 0).toBe(true);
        else expect(sorted(flatten(q as Profile, 'cpu'))).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps totals exact per value type', () => {
    const all = mergeProfiles(items.map((it) => it.p));
    for (const type of ['cpu', 'samples']) {
      const q = store.query(sel(`api.${type}`), ALL) as Profile;
      expect(q.totals()).toEqual([all.totals()[all.valueIndex(type)]]);
      const listed = store.series(sel(`api.${type}`)).reduce((s, x) => s + x.total, 0);
      expect(listed).toBe(all.totals()[all.valueIndex(type)]);
    }
  });

  it('lists series with counts, time span, totals, and label names and values', () => {
    const list = store.series();
    expect(list.map((s) => s.name)).toEqual([
      'api.cpu{env="ci"}',
      'api.cpu{env="prod"}',
      'api.samples{env="ci"}',
      'api.samples{env="prod"}',
    ]);
    const ci = items.filter((it) => it.env === 'ci');
    const s = list[0] as (typeof list)[0];
    expect(s.profiles).toBe(ci.length);
    expect(s.from).toBe(Math.min(...ci.map((it) => it.t)));
    expect(s.until).toBe(Math.max(...ci.map((it) => it.t)) + 10_000);
    expect(s.type).toEqual({ type: 'cpu', unit: 'nanoseconds' });
    expect(s.app).toBe('api');
    expect(store.labelNames()).toEqual(['env', 'service_name']);
    expect(store.labelValues('env')).toEqual(['ci', 'prod']);
    expect(store.labelValues('env', sel('{env=~"c.*"}'))).toEqual(['ci']);
  });

  it('returns undefined for a range with no profile, and keeps frame files, lines and modules', () => {
    expect(store.query(sel('api'), { from: T0 - 10 * DAY, until: T0 - DAY })).toBeUndefined();
    expect(store.query(sel('nothing'), ALL)).toBeUndefined();
    const q = store.query(sel('api'), ALL) as Profile;
    expect(q.labels.service_name).toBe('api');
    expect(q.labelSets.map((l) => l.map(([k, v]) => `${k}=${v}`).join(','))).toEqual(['', 'env=ci', 'env=prod']);
  });
});

describe('store: ingest', () => {
  it('splits a profile by per-sample labels and value types; the profile time wins over --at', () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    const p = randomProfile(7, { sampleLabels: true, samples: 200 });
    p.startTime = T0 + 5000;
    p.duration = 2500;
    const r = store.ingest(p, { app: 'svc', labels: { version: '1.2' }, at: T0 });
    expect(r.series.map((s) => s.name).sort()).toEqual([
      'svc.cpu{span="x",version="1.2"}',
      'svc.cpu{span="y",version="1.2"}',
      'svc.cpu{version="1.2"}',
      'svc.samples{span="x",version="1.2"}',
      'svc.samples{span="y",version="1.2"}',
      'svc.samples{version="1.2"}',
    ]);
    expect(new Set(r.series.map((s) => `${s.from}-${s.until}`))).toEqual(new Set([`${T0 + 5000}-${T0 + 7500}`]));
    for (const span of ['x', 'y']) {
      const q = store.query(sel(`svc{span="${span}"}`), ALL) as Profile;
      const want = p.emptyLike();
      const id = p.labelSets.findIndex((l) => l.length === 1 && l[0]?.[1] === span);
      want.trieFor(id).mergeFrom(p.tries[id] as StackTrie);
      expect(sorted(flatten(q, 'cpu'))).toEqual(sorted(flatten(want, 'cpu')));
    }
    expect((store.query(sel('svc'), ALL) as Profile).totals()).toEqual([p.totals()[1]]);
    store.close();
  });

  it('stores a real pprof with its frames, exactly', async () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    const p = await readFile(corpus('speedscope-samples', 'pprof', 'simple.prof'));
    store.ingest(p, { app: 'go', at: T0 });
    for (const vt of p.valueTypes) {
      const q = store.query(sel(`go.${vt.type}`), ALL) as Profile;
      expect(sorted(flatten(q, vt.type))).toEqual(sorted(flatten(p, vt.type)));
    }
    store.close();
  });

  it('frames are stored once per store', () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    for (let i = 0; i < 20; i++) store.ingest(randomProfile(i), { app: 'a', at: T0 + i * 60_000 });
    store.close();
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    const frames = db.prepare('SELECT count(*) AS n FROM frames').get() as { n: number };
    const strings = db.prepare('SELECT count(*) AS n, count(DISTINCT s) AS d FROM strings').get() as {
      n: number;
      d: number;
    };
    db.close();
    expect(frames.n).toBeLessThanOrEqual(10);
    expect(strings.n).toBe(strings.d);
  });
});

describe('store: relabel, remove, gc', () => {
  function fill(n: number, spreadMs: number) {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    const items: { t: number; p: Profile; env: string }[] = [];
    for (let i = 0; i < n; i++) {
      const t = T0 + Math.floor((i / n) * spreadMs) + (i % 7) * 997;
      const p = randomProfile(1000 + i);
      const env = i % 2 ? 'a' : 'b';
      store.ingest(p, { app: 'api', labels: { env }, at: t });
      items.push({ t, p, env });
    }
    return { dir, store, items };
  }
  const check = (store: Store, items: { t: number; p: Profile; env: string }[], ranges: [number, number][]) => {
    for (const [from, until] of ranges) {
      for (const env of ['a', 'b', 'c']) {
        const q = store.query(sel(`api{env="${env}"}`), { from, until });
        const want = expected(items, from, until, env);
        expect(q ? sorted(flatten(q, 'cpu')) : []).toEqual(want);
      }
    }
  };
  const someRanges = (): [number, number][] => {
    const out: [number, number][] = [[-(2 ** 52), 2 ** 52]];
    const r = (i: number) => ((i * 2654435761) % 10007) / 10007;
    for (let i = 0; i < 40; i++) {
      const a = T0 + Math.floor(r(i) * 12 * DAY);
      const b = T0 + Math.floor(r(i + 77) * 12 * DAY);
      out.push(a < b ? [a, b] : [b, a]);
    }
    return out;
  };

  it('relabel moves profiles to the right series, nothing lost or duplicated', () => {
    const { store, items } = fill(150, 10 * DAY);
    const before = (store.query(sel('{}'), ALL) as Profile).totals();
    const from = T0 + 2 * DAY + 12_345;
    const until = T0 + 7 * DAY + 54_321;
    const moved = items.filter((it) => it.env === 'a' && it.t >= from && it.t < until);
    const r = store.relabel(sel('api{env="a"}'), { from, until }, { env: 'c' }, []);
    expect(r.profiles).toBe(moved.length * 2); // both value types
    for (const it of moved) it.env = 'c';
    check(store, items, someRanges());
    expect((store.query(sel('{}'), ALL) as Profile).totals()).toEqual(before);
    // Back again, and adding a label to everything.
    store.relabel(sel('{env="c"}'), ALL, { env: 'a' }, []);
    for (const it of moved) it.env = 'a';
    check(store, items, someRanges());
    store.relabel(sel('{}'), ALL, { build: '42' }, []);
    expect(store.series().every((s) => s.labels.build === '42')).toBe(true);
    expect(store.series().length).toBe(4);
    check(store, items, someRanges().slice(0, 10));
    expect(() => store.relabel(sel('{}'), ALL, {}, ['service_name'])).toThrow(PyroError);
    store.close();
  });

  it('remove takes out exactly the profiles in the range', () => {
    const { store, items } = fill(120, 10 * DAY);
    const from = T0 + DAY + 1;
    const until = T0 + 4 * DAY + 3;
    const gone = items.filter((it) => it.env === 'b' && it.t >= from && it.t < until);
    expect(store.remove(sel('api{env="b"}'), { from, until }).profiles).toBe(gone.length * 2);
    const rest = items.filter((it) => !gone.includes(it));
    check(store, rest, someRanges());
    expect(store.remove(sel('{}'), ALL).profiles).toBe(rest.length * 2);
    expect(store.series()).toEqual([]);
    store.close();
  });

  it('gc drops old profiles and reclaims space; with --keep-levels, whole old buckets still answer', () => {
    const a = fill(200, 10 * DAY);
    const cutoff = T0 + 5 * DAY + 1234;
    const r = a.store.gc({ olderThan: cutoff, keepLevels: false });
    const old = a.items.filter((it) => it.t < cutoff);
    expect(r.profiles).toBe(old.length * 2);
    expect(r.bytesFreed).toBeGreaterThan(0);
    const rest = a.items.filter((it) => it.t >= cutoff);
    check(a.store, rest, someRanges());
    a.store.close();

    const b = fill(200, 10 * DAY);
    const sizeBefore = b.store.series().reduce((s, x) => s + x.profiles, 0);
    const kept = b.store.gc({ olderThan: cutoff, keepLevels: true });
    expect(kept.profiles).toBeGreaterThan(0);
    // Counts and totals still include the compacted profiles.
    expect(b.store.series().reduce((s, x) => s + x.profiles, 0)).toBe(sizeBefore);
    const aligned = Math.floor(cutoff / 1_000_000) * 1_000_000;
    // Ranges on 1,000 s boundaries before the cutoff, and any range after it, stay exact.
    const base = Math.floor(T0 / 1_000_000) * 1_000_000;
    const ranges: [number, number][] = [
      [base, aligned],
      [base + 1_000_000 * 37, base + 1_000_000 * 301],
      [-(2 ** 52), 2 ** 52],
      [aligned, T0 + 8 * DAY + 17],
    ];
    check(b.store, b.items, ranges);
    // Removing the compacted data takes out whole buckets, exactly.
    b.store.remove(sel('api{env="a"}'), { from: T0, until: aligned });
    const rest2 = b.items.filter((it) => !(it.env === 'a' && it.t < aligned));
    check(b.store, rest2, ranges);
    b.store.close();
  });
});

/**
 * Buckets and profile levels, as a store keeps them: equal when the same
 * profiles are placed; `exact`, with row ids and blobs' bytes: equal when
 * placed the same way.
 */
function storeRows(dir: string, exact = false) {
  const db = new Database(join(dir, DB_FILE), { readonly: true });
  const [id, blob, order] = exact ? ['id, ', ', hex(blob)', 'id'] : ['', '', '1, 2, 3'];
  try {
    return {
      buckets: db
        .prepare(`SELECT ${id}series, level, bucket, count, total${blob} FROM buckets ORDER BY ${order}`)
        .all(),
      levels: db.prepare(`SELECT ${id}series, t, level FROM profiles ORDER BY ${order}`).all(),
    };
  } finally {
    db.close();
  }
}

describe('store: deferred placement (pyro server)', () => {
  const times = (n: number) => {
    const r = (i: number) => ((i * 2654435761) % 1000) / 1000;
    return Array.from({ length: n }, (_, i) =>
      Math.floor(T0 + (i < n / 2 ? r(i) * 20 * DAY : r(i) * 3 * 3600_000) + i),
    );
  };

  it('answers exactly at every step, whatever is placed yet, and ends as placing at once does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const r = rngOf(seed);
        const at = times(120);
        const deferred = tempDir('pyro-store-');
        const eager = tempDir('pyro-store-');
        const store = Store.open(deferred);
        const reference = Store.open(eager);
        const items: { t: number; p: Profile; env: string }[] = [];
        let i = 0;
        while (i < at.length) {
          // A batch, deferred (or now and then placed at once, placing what waits too)...
          const n = 1 + Math.floor(r() * 20);
          const batch = at.slice(i, i + n).map((t, j) => {
            const it = { t, p: randomProfile(5000 + i + j), env: (i + j) % 3 ? 'a' : 'b' };
            items.push(it);
            return { profile: it.p, options: { app: 'api', labels: { env: it.env }, at: t } };
          });
          i += n;
          store.ingestMany(batch, r() < 0.85);
          reference.ingestMany(batch);
          // ...then some of what waits placed, and queries answered exactly meanwhile.
          if (r() < 0.6) store.settle(1 + Math.floor(r() * 30));
          const a = T0 + Math.floor(r() * 21 * DAY);
          const b = r() < 0.5 ? a + Math.floor(r() * 3 * 3600_000) : T0 + Math.floor(r() * 21 * DAY);
          const [from, until] = a < b ? [a, b] : [b, a];
          for (const env of ['a', 'b']) {
            const q = store.query(sel(`api{env="${env}"}`), { from, until });
            expect(q ? sorted(flatten(q, 'cpu')) : []).toEqual(expected(items, from, until, env));
          }
          const stats = store.series(sel('api'));
          expect(stats.reduce((a, s) => a + s.profiles, 0)).toBe(items.length * 2);
        }
        while (store.settle(7) > 0);
        expect(store.settle()).toBe(0);
        store.close();
        reference.close();
        expect(storeRows(deferred)).toEqual(storeRows(eager));
      }),
      { numRuns: 8 },
    );
  });

  it('another process writing meanwhile: what this one kept of its deferred profiles is not used stale', () => {
    const dir = tempDir('pyro-store-');
    const a = Store.open(dir);
    const b = Store.open(dir);
    // Enough profiles in one bucket for it to get a pre-merged row when they are placed.
    const seeds = (from: number) => [0, 1, 2, 3, 4].map((i) => from + i);
    const batch = (from: number) =>
      seeds(from).map((seed, i) => ({ profile: randomProfile(seed), options: { app: 'api', at: T0 + i } }));
    a.ingestMany(batch(100), true);
    // b places and removes a's profiles, then stores others, whose trie rows may take the same ids.
    b.remove(sel('api'), ALL);
    b.ingestMany(batch(200), true);
    a.settle();
    const q = a.query(sel('api'), ALL);
    const want = new Map<string, number>();
    for (const seed of seeds(200)) flatten(randomProfile(seed), 'cpu', want);
    expect(q ? sorted(flatten(q, 'cpu')) : []).toEqual(sorted(want));
    a.close();
    b.close();
  });

  it('keeps no tries in memory for a series that turns out unplaceable (it would never take them)', () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    const add = (i: number, defer: boolean) =>
      store.ingestMany([{ profile: randomProfile(8000 + i), options: { app: 'api', at: T0 + i * 1000 } }], defer);
    for (let i = 0; i < 5; i++) add(i, false);
    const db = new Database(join(dir, DB_FILE));
    db.prepare(
      `UPDATE buckets SET blob = zeroblob(40) WHERE level = 1 AND series IN (SELECT id FROM series WHERE type = 'cpu')`,
    ).run();
    db.close();
    add(5, true);
    add(6, true);
    // One row a transaction: the cpu series fails on its first, with the other profile's trie still kept for it.
    while (store.settle(1) > 0);
    expect(store.placeWarnings.join('\n')).toMatch(/damaged/);
    // The store's own cache, looked at from outside: nothing in it can be taken any more.
    expect((store as unknown as { fresh: FreshTries }).fresh.heldBytes).toBe(0);
    store.close();
  });

  it("a damaged bucket leaves its series' new profiles unplaced, read once; other series and writes go on", () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    const items: { t: number; p: Profile; env: string }[] = [];
    const add = (env: string, i: number, defer: boolean) => {
      const it = { t: T0 + i * 1000, p: randomProfile(9000 + items.length), env };
      items.push(it);
      store.ingestMany([{ profile: it.p, options: { app: 'api', labels: { env }, at: it.t } }], defer);
    };
    for (let i = 0; i < 5; i++) for (const env of ['a', 'b']) add(env, i, false);
    // The level-1 bucket of env=a (its first 10 s) is damaged on disk.
    const db = new Database(join(dir, DB_FILE));
    const a = (
      db.prepare(`SELECT id FROM series WHERE labels LIKE '%"env":"a"%' AND type = 'cpu'`).get() as { id: number }
    ).id;
    db.prepare('UPDATE buckets SET blob = zeroblob(40) WHERE series = ? AND level = 1').run(a);
    db.close();
    add('a', 5, true);
    add('b', 5, true);
    expect(store.settle()).toBe(4);
    expect(store.placeWarnings.join('\n')).toMatch(/api\.cpu\{env="a"\}.*damaged.*unplaced/);
    // A write that places everything first still works.
    store.ingest(randomProfile(1), { app: 'other', at: T0 });
    for (const env of ['a', 'b']) {
      const q = store.query(sel(`api{env="${env}"}`), { from: T0, until: T0 + 10_000 });
      expect(sorted(flatten(q as Profile, 'cpu'))).toEqual(expected(items, T0, T0 + 10_000, env));
      if (env === 'a') expect(q?.warnings.join('\n')).toMatch(/damaged/);
    }
    store.close();
  });

  it('settle with minRows places only the series with that many rows waiting; the others read exactly meanwhile', () => {
    const store = Store.open(tempDir('pyro-store-'));
    const items: { t: number; p: Profile; env: string }[] = [];
    const add = (env: string, i: number) => {
      const it = { t: T0 + i * 1000, p: randomProfile(7000 + items.length), env };
      items.push(it);
      store.ingestMany([{ profile: it.p, options: { app: 'api', labels: { env }, at: it.t } }], true);
    };
    for (let i = 0; i < 6; i++) add('busy', i);
    for (let i = 0; i < 2; i++) add('quiet', i);
    const types = items[0]?.p.valueTypes.length as number;
    // Each profile is a row per type (series): the busy series have 6 rows waiting, the quiet ones 2.
    expect(store.settle(1000, 3)).toBe(6 * types);
    expect(store.settle(1000, 3)).toBe(0);
    for (const env of ['busy', 'quiet']) {
      const q = store.query(sel(`api{env="${env}"}`), { from: T0, until: T0 + 10_000 });
      expect(sorted(flatten(q as Profile, 'cpu'))).toEqual(expected(items, T0, T0 + 10_000, env));
    }
    expect(store.settle()).toBe(2 * types);
    expect(store.settle()).toBe(0);
    store.close();
  });

  describe('placing holds at most settleBytes of trie blobs a transaction', () => {
    /** A store with deferred profiles of env=a, the one at `big` much larger; their blobs' sizes, in order. */
    function deferred(n: number, big: number) {
      const dir = tempDir('pyro-store-');
      const store = Store.open(dir);
      const items: { t: number; p: Profile; env: string }[] = [];
      for (let i = 0; i < n; i++) {
        const it = { t: T0 + i * 1000, p: randomProfile(5000 + i, { samples: i === big ? 3000 : 5 }), env: 'a' };
        items.push(it);
        store.ingestMany([{ profile: it.p, options: { app: 'api', labels: { env: 'a' }, at: it.t } }], true);
      }
      const db = new Database(join(dir, DB_FILE), { readonly: true });
      const sizes = (db.prepare('SELECT length(blob) AS n FROM tries ORDER BY id').all() as { n: number }[]).map(
        (r) => r.n,
      );
      db.close();
      const types = items[0]?.p.valueTypes.length as number;
      const exact = () => {
        const q = store.query(sel('api{env="a"}'), { from: T0, until: T0 + 60_000 });
        expect(sorted(flatten(q as Profile, 'cpu'))).toEqual(expected(items, T0, T0 + 60_000, 'a'));
      };
      return { store, items, sizes, types, exact };
    }

    it('takes profiles while their blobs fit (the first whatever its size), says when it stopped short, and the rest follow', () => {
      for (const minRows of [1, 2]) {
        const { store, sizes, types, exact } = deferred(4, 1);
        expect(sizes[1]).toBeGreaterThan(10 * ((sizes[0] as number) + (sizes[2] as number) + (sizes[3] as number)));
        // Room for the three small ones together, not for a small one and the large one.
        store.settleBytes = (sizes[0] as number) + (sizes[2] as number) + (sizes[3] as number);
        const took: [number, boolean][] = [];
        for (let n = store.settle(1000, minRows); n > 0; n = store.settle(1000, minRows)) {
          took.push([n / types, store.settleStoppedShort]);
          exact();
        }
        // A profile's rows in the other value type's series come with it.
        expect(took).toEqual([
          [1, true],
          [1, true],
          [2, false],
        ]);
        store.close();
      }
    });

    it('a write that places everything first places it all, however many transactions that takes', () => {
      const { store, items, types, exact } = deferred(5, 2);
      store.settleBytes = 1;
      const extra = { t: T0 + 30_000, p: randomProfile(42), env: 'a' };
      items.push(extra);
      store.ingest(extra.p, { app: 'api', labels: { env: 'a' }, at: extra.t });
      expect(store.settle()).toBe(0);
      exact();
      // And a removal, over profiles left pending until then.
      const more = deferred(5, 2);
      more.store.settleBytes = 1;
      expect(more.store.remove(sel('api{env="a"}'), { from: T0 + 2000, until: T0 + 4000 }).profiles).toBe(2 * types);
      more.items.splice(2, 2);
      expect(more.store.settle()).toBe(0);
      more.exact();
      store.close();
      more.store.close();
    });
  });

  it("places a profile's rows in every series together, each series' buckets holding its own column", () => {
    /** Every bucket's stacks (frame ids from the root) and values, by series key, level and bucket. */
    function contents(dir: string) {
      const db = new Database(join(dir, DB_FILE), { readonly: true });
      try {
        const out: Record<string, Record<string, number>> = {};
        const rows = db
          .prepare(`SELECT s.type, s.labels, b.level, b.bucket, b.blob FROM buckets b JOIN series s ON s.id = b.series`)
          .all() as { type: string; labels: string; level: number; bucket: number; blob: Buffer }[];
        for (const r of rows) {
          const t = decodeTrie(r.blob);
          const path: string[] = [''];
          const stacks: Record<string, number> = {};
          for (let n = 1; n < t.size; n++) {
            path[n] = `${path[t.parent[n] as number]};${t.frame[n]}`;
            if (t.self[n] !== 0) stacks[path[n] as string] = t.self[n] as number;
          }
          out[`${r.type} ${r.labels} ${r.level}/${r.bucket}`] = stacks;
        }
        return out;
      } finally {
        db.close();
      }
    }
    const deferred = tempDir('pyro-store-');
    const eager = tempDir('pyro-store-');
    const store = Store.open(deferred);
    const reference = Store.open(eager);
    // Two series of two types, a profile every 10 s for 20 minutes: buckets of several profiles up to level 3.
    for (let i = 0; i < 240; i++) {
      const item = [
        {
          profile: randomProfile(300 + i),
          options: { app: 'api', labels: { env: i % 2 ? 'a' : 'b' }, at: T0 + i * 5000 },
        },
      ];
      store.ingestMany(item, true);
      reference.ingestMany(item);
    }
    const types = randomProfile(0).valueTypes.length;
    expect(types).toBeGreaterThan(1);
    // Three rows of one series asked for, and their profiles' rows in the other types' series with them.
    expect(store.settle(3)).toBe(3 * types);
    while (store.settle(5) > 0);
    store.close();
    reference.close();
    const got = contents(deferred);
    expect(Object.keys(got).length).toBeGreaterThan(40);
    expect(got).toEqual(contents(eager));
  });

  it('a series of a profile with several types has no stacks of the other types (zero nodes)', () => {
    const store = Store.open(tempDir('pyro-store-'));
    const b = new ProfileBuilder(
      [
        { type: 'alloc_space', unit: 'bytes' },
        { type: 'inuse_space', unit: 'bytes' },
      ],
      'test',
    );
    b.addStack(Int32Array.from([b.frame('main'), b.frame('both')]), 2, [10, 5]);
    b.addStack(Int32Array.from([b.frame('main'), b.frame('allocOnly')]), 2, [7, 0]);
    const p = b.finish();
    // Placed at once and deferred, merged raw and into buckets.
    for (let i = 0; i < 6; i++)
      store.ingestMany([{ profile: p, options: { app: 'go', at: T0 + i * 1000 } }], i % 2 === 0);
    for (const range of [ALL, { from: T0, until: T0 + 3000 }]) {
      const q = store.query(sel('go.inuse_space'), range) as Profile;
      const t = q.trie();
      const names = Array.from({ length: t.size - 1 }, (_, i) => q.frames.nameOf(t.frame[i + 1] as number));
      expect(names.sort()).toEqual(['both', 'main']);
    }
    store.settle();
    const q = store.query(sel('go.inuse_space'), ALL) as Profile;
    expect(q.trie().size).toBe(3);
    store.close();
  });

  it('relabel, remove and gc place what waits first: nothing lost or counted twice', () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    // Two of every time: one profile placed, one waiting, in the same buckets.
    const items = [...times(60), ...times(60)].map((t, i) => ({
      t,
      p: randomProfile(7000 + i),
      env: i % 2 ? 'a' : 'b',
    }));
    const batch = (list: typeof items) =>
      list.map((it) => ({ profile: it.p, options: { app: 'api', labels: { env: it.env }, at: it.t } }));
    const check = (list: typeof items) => {
      for (const env of ['a', 'b', 'c']) {
        const q = store.query(sel(`api{env="${env}"}`), ALL);
        expect(q ? sorted(flatten(q, 'cpu')) : []).toEqual(expected(list, ALL.from, ALL.until, env));
        const n = store.series(sel(`api{env="${env}"}`)).reduce((a, s) => a + s.profiles, 0);
        expect(n).toBe(list.filter((it) => it.env === env).length * 2);
      }
    };
    store.ingestMany(batch(items.slice(0, 60)));
    store.ingestMany(batch(items.slice(60, 100)), true);
    store.relabel(sel('api{env="a"}'), ALL, { env: 'c' }, []);
    const moved = items.map((it, i) => (i < 100 && it.env === 'a' ? { ...it, env: 'c' } : it));
    check(moved.slice(0, 100));
    store.ingestMany(batch(moved.slice(100)), true);
    const cut = T0 + 10 * DAY;
    store.remove(sel('api{env="b"}'), { from: ALL.from, until: cut });
    const left = moved.filter((it) => !(it.env === 'b' && it.t < cut));
    check(left);
    const again = items.slice(0, 30).map((it) => ({ ...it, env: 'c' }));
    store.ingestMany(batch(again), true);
    store.gc({ olderThan: T0 + 5 * DAY, keepLevels: false });
    check([...left, ...again].filter((it) => it.t >= T0 + 5 * DAY));
    expect(store.settle()).toBe(0);
    store.close();
  });
});

describe("store: placement planned on another connection (pyro server's placing thread)", () => {
  const batch = (from: number, n: number, env = (i: number) => (i % 3 ? 'a' : 'b')) =>
    Array.from({ length: n }, (_, j) => ({
      profile: randomProfile(from + j),
      options: { app: 'api', labels: { env: env(from + j) }, at: T0 + ((from + j) % 97) * 9000 + (from + j) },
    }));

  const items = (list: ReturnType<typeof batch>) =>
    list.map((it) => ({ t: it.options.at, p: it.profile, env: it.options.labels.env }));

  it('writes what settle() would, chunk by chunk, with deferred ingests between planning and applying', () => {
    const direct = tempDir('pyro-store-');
    const planned = tempDir('pyro-store-');
    const a = Store.open(direct);
    const b = Store.open(planned);
    const reader = Store.openReadOnly(planned);
    let next = 0;
    const ingest = (n: number) => {
      const items = batch(next, n);
      next += n;
      a.ingestMany(items, true);
      b.ingestMany(items, true, false);
    };
    ingest(150);
    const stoppedShort: boolean[] = [];
    // max, minRows, and settleBytes (a few profiles' blobs, or the default).
    for (const [max, minRows, bytes] of [
      [40, 1, a.settleBytes],
      [25, 6, a.settleBytes],
      [300, 1, 3000],
      [7, 1, a.settleBytes],
      [2000, 1, a.settleBytes],
    ] as const) {
      a.settleBytes = reader.settleBytes = bytes;
      const placed = a.settle(max, minRows);
      const epoch = b.placementEpoch;
      const plan = reader.planPlacement(max, minRows, b.unplaceableSeries);
      // Profiles stored after the snapshot: the plan holds on (they wait for the next one).
      ingest(10);
      expect(b.applyPlacement(plan, epoch)).toBe(placed);
      expect(b.settleStoppedShort).toBe(a.settleStoppedShort);
      stoppedShort.push(b.settleStoppedShort);
    }
    expect(stoppedShort).toContain(true);
    expect(storeRows(planned, true).buckets.length).toBeGreaterThan(20);
    expect(storeRows(planned, true)).toEqual(storeRows(direct, true));
    while (a.settle() > 0);
    let epoch = b.placementEpoch;
    while ((b.applyPlacement(reader.planPlacement(2000, 1, []), epoch) ?? 0) > 0) epoch = b.placementEpoch;
    expect(storeRows(planned, true)).toEqual(storeRows(direct, true));
    for (const env of ['a', 'b']) {
      const q = b.query(sel(`api{env="${env}"}`), ALL);
      expect(sorted(flatten(q as Profile, 'cpu'))).toEqual(expected(items(batch(0, next)), ALL.from, ALL.until, env));
    }
    for (const s of [a, b, reader]) s.close();
  });

  it('a plan the store changed under is refused whole, and planning again places everything exactly', () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    const other = Store.open(dir);
    const reader = Store.openReadOnly(dir);
    store.ingestMany(batch(0, 60), true, false);
    const before = storeRows(dir, true);
    // Planning writes nothing.
    let epoch = store.placementEpoch;
    let plan = reader.planPlacement(2000, 1, []);
    expect(plan.taken).toBe(60 * randomProfile(0).valueTypes.length);
    expect(storeRows(dir, true)).toEqual(before);
    // This store's own write that places (a removal), after the plan was made from the snapshot.
    store.remove(sel('api{env="b"}'), { from: T0, until: T0 + 100_000 });
    const removed = storeRows(dir, true);
    expect(store.applyPlacement(plan, epoch)).toBeUndefined();
    expect(storeRows(dir, true)).toEqual(removed);
    // Another process's write: one that places what waits (this store's profiles too) after the snapshot.
    store.ingestMany(batch(100, 20), true, false);
    epoch = store.placementEpoch;
    plan = reader.planPlacement(2000, 1, []);
    expect(plan.taken).toBeGreaterThan(0);
    other.ingestMany(batch(200, 5));
    const placedElsewhere = storeRows(dir, true);
    expect(store.applyPlacement(plan, epoch)).toBeUndefined();
    expect(storeRows(dir, true)).toEqual(placedElsewhere);
    // And one that only stores: this store cannot tell what it changed.
    other.ingestMany(batch(300, 5), true);
    epoch = store.placementEpoch;
    plan = reader.planPlacement(2000, 1, []);
    other.ingestMany(batch(400, 5), true);
    expect(store.applyPlacement(plan, epoch)).toBeUndefined();
    // Planned again: the store is placed as settle() leaves it, and reads exactly.
    epoch = store.placementEpoch;
    expect(store.applyPlacement(reader.planPlacement(2000, 1, []), epoch)).toBeGreaterThan(0);
    expect(store.settle()).toBe(0);
    const kept = items(batch(0, 60)).filter((it) => !(it.env === 'b' && it.t < T0 + 100_000));
    const all = [...kept, ...[100, 200, 300, 400].flatMap((from) => items(batch(from, from === 100 ? 20 : 5)))];
    for (const env of ['a', 'b']) {
      const q = store.query(sel(`api{env="${env}"}`), ALL);
      expect(sorted(flatten(q as Profile, 'cpu'))).toEqual(expected(all, ALL.from, ALL.until, env));
    }
    for (const s of [store, other, reader]) s.close();
  });

  it('a series with a damaged bucket is left out of the plan, said so, and not planned again', () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    const reader = Store.openReadOnly(dir);
    store.ingestMany(batch(0, 30), false);
    const db = new Database(join(dir, DB_FILE));
    const a = (
      db.prepare(`SELECT id FROM series WHERE labels LIKE '%"env":"a"%' AND type = 'cpu'`).get() as { id: number }
    ).id;
    // Every bucket of env=a, as coarse ones are the same for all its profiles.
    db.prepare('UPDATE buckets SET blob = zeroblob(40) WHERE series = ?').run(a);
    db.close();
    store.ingestMany(batch(30, 30), true, false);
    const epoch = store.placementEpoch;
    const plan = reader.planPlacement(2000, 1, store.unplaceableSeries);
    expect(plan.unplaceable).toEqual([a]);
    const taken = store.applyPlacement(plan, epoch);
    expect(taken).toBe(plan.taken);
    expect(store.placeWarnings.join('\n')).toMatch(/api\.cpu\{env="a"\}.*damaged.*unplaced/);
    expect(store.unplaceableSeries).toEqual([a]);
    // Only its rows wait, and the next plan does not take them.
    expect(reader.planPlacement(2000, 1, store.unplaceableSeries).taken).toBe(0);
    for (const env of ['a', 'b']) {
      const q = store.query(sel(`api{env="${env}"}`), ALL);
      expect(sorted(flatten(q as Profile, 'cpu'))).toEqual(expected(items(batch(0, 60)), ALL.from, ALL.until, env));
    }
    store.close();
    reader.close();
  });
});

describe('store: aggregation', () => {
  it('an average series gives its mean profile, each chart part its own mean, and keeps averaging when a write names none', () => {
    const store = Store.open(tempDir('pyro-store-'));
    const gauge = (v: number) => {
      const b = new ProfileBuilder([{ type: 'inuse_space', unit: 'bytes' }], 'test');
      b.addStack(Int32Array.from([b.frame('main'), b.frame('held')]), 2, [v]);
      return b.finish();
    };
    // 49 profiles of 1 (a mean of exactly 1), and 10 of 100 in ten parts.
    for (let i = 0; i < 49; i++)
      store.ingestMany([{ profile: gauge(1), options: { app: 'g', at: T0 + i * 10_000, averaged: ['inuse_space'] } }]);
    expect(store.query(sel('g.inuse_space'), ALL)?.trie().columnTotal(0)).toBe(1);
    const from = T0 + DAY;
    for (let i = 0; i < 10; i++)
      store.ingestMany([
        { profile: gauge(100), options: { app: 'h', at: from + i * 10_000, averaged: ['inuse_space'] } },
      ]);
    const q = store.query(sel('h.inuse_space'), { from, until: from + 100_000 }, { buckets: 10 }) as Profile;
    expect(q.trie().columnTotal(0)).toBe(100);
    const times = q.times as NonNullable<Profile['times']>;
    expect(Array.from(times.values.subarray(0, times.count))).toEqual(new Array(10).fill(100));
    // A write that says nothing of aggregation (pyro ingest) leaves the series averaging.
    store.ingest(gauge(400), { app: 'h', at: from + 100_000 });
    expect(store.series(sel('h.inuse_space'))[0]?.aggregation).toBe('average');
    expect(
      store
        .query(sel('h.inuse_space'), { from, until: from + 200_000 })
        ?.trie()
        .columnTotal(0),
    ).toBeCloseTo(1400 / 11, 9);
    store.close();
  });
});

describe('store: versions', () => {
  it('opens a store of the first format (v1) and adds what the next ones have (remote acknowledgments, pending profiles, aggregation)', async () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    store.ingest(await readBytes('a.folded', 'main;work 3\n'), { app: 'old' });
    store.close();
    // The v1 schema: no remote_acks table, and its version.
    const db = new Database(join(dir, DB_FILE));
    db.exec(
      'DROP TRIGGER profiles_forget_acks; DROP TABLE remote_acks; DROP INDEX profiles_pending; ALTER TABLE series DROP COLUMN aggregation;',
    );
    db.pragma('user_version = 1');
    db.close();
    const again = Store.open(dir);
    const [row] = again.profiles({ matchers: [] }, { from: 0, until: 2 ** 52 }, { notAckedBy: 'http://x' });
    expect(row?.app).toBe('old');
    expect(again.series().map((s) => s.aggregation)).toEqual(['sum']);
    again.ack('http://x', [row?.id as number]);
    expect(again.profiles({ matchers: [] }, { from: 0, until: 2 ** 52 }, { notAckedBy: 'http://x' })).toEqual([]);
    // A profile that goes takes its acknowledgment along.
    again.remove({ matchers: [] }, { from: 0, until: 2 ** 52 });
    again.close();
    const check = new Database(join(dir, DB_FILE));
    expect(check.pragma('user_version', { simple: true })).toBe(STORE_VERSION);
    expect((check.prepare('SELECT count(*) AS n FROM remote_acks').get() as { n: number }).n).toBe(0);
    check.close();
  });

  it('refuses a store written by a newer pyro, with a clear message', () => {
    const dir = tempDir('pyro-store-');
    Store.open(dir).close();
    const db = new Database(join(dir, DB_FILE));
    db.pragma('user_version = 99');
    db.close();
    expect(() => Store.open(dir)).toThrow(
      new RegExp(`written by a newer pyro \\(store format v99; this pyro reads up to v${STORE_VERSION}\\)`),
    );
  });

  it('says so when the file is not a store', async () => {
    const dir = tempDir('pyro-store-');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, DB_FILE), 'hello, this is not a database at all, not even close'.repeat(100));
    expect(() => Store.open(dir)).toThrow(PyroError);
    expect(() => Store.open(dir)).toThrow(/damaged: file is not a database/);
  });
});
