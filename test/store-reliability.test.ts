import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PyroError } from '../src/core/errors.js';
import type { Profile } from '../src/core/model/profile.js';
import { parseSelector } from '../src/core/query/selector.js';
import { DB_FILE, Store } from '../src/core/store/store.js';
// @ts-expect-error: a plain ESM script, shared with the child processes
import { cpuTotal, T0, timeOf } from './fixtures/store-ingest.mjs';
import { ROOT, tempDir } from './helpers.js';
import { flatten, randomProfile, rng, sorted } from './store-helpers.js';

const SCRIPT = join(ROOT, 'test', 'fixtures', 'store-ingest.mjs');
const ALL = { from: -(2 ** 52), until: 2 ** 52 };
const sel = parseSelector;

interface Run {
  child: ChildProcess;
  /** Profile indices whose commit was reported. */
  acked: number[];
  done: Promise<number | null>;
  /** Resolves at the first reported commit. */
  started: Promise<void>;
}

function ingester(dir: string, worker: number, workers: number, start: number, count: number): Run {
  const child = spawn(process.execPath, [SCRIPT, dir, String(worker), String(workers), String(start), String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let started = () => {};
  const run: Run = {
    child,
    acked: [],
    done: Promise.resolve(null),
    started: new Promise((r) => {
      started = r;
    }),
  };
  let buf = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const [, , i] = buf.slice(0, nl).split(' ');
      run.acked.push(Number(i));
      started();
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  run.done = new Promise((resolve) =>
    child.on('close', (code) => {
      if (code !== 0 && code !== null) console.error(err);
      resolve(code);
    }),
  );
  return run;
}

/** Checks the store against what the ingesters reported; returns the profiles it holds, by start time. */
function verify(dir: string, acked: [number, number][], workers: number): Map<number, number> {
  // Killed before it even created the store.
  if (!existsSync(join(dir, DB_FILE)) && acked.length === 0) return new Map();
  const db = new Database(join(dir, DB_FILE), { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  // Killed while it created the store: the file is there, its tables not yet (the next open makes them).
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'profiles'").get() as { n: number };
  if (tables.n === 0) {
    db.close();
    expect(acked).toEqual([]);
    return new Map();
  }
  // Every profile is two rows (samples and cpu): a partial one would show a single row.
  const rows = db.prepare('SELECT t, count(*) AS n, sum(total) AS total FROM profiles GROUP BY t').all() as {
    t: number;
    n: number;
    total: number;
  }[];
  db.close();
  const held = new Map<number, number>();
  for (const r of rows) {
    expect(r.n).toBe(2);
    held.set(r.t, r.total);
  }
  for (const [i, w] of acked) expect(held.has(timeOf(i, w, workers))).toBe(true);
  // Each held profile is whole, and every level agrees with the raw profiles.
  const store = Store.open(dir);
  let cpu = 0;
  for (const t of held.keys()) {
    const i = Math.floor((t - T0) / 7919 / workers);
    const q = store.query(sel('rel'), { from: t, until: t + 1 }) as Profile;
    expect(q.totals()).toEqual([cpuTotal(i)]);
    cpu += cpuTotal(i);
  }
  expect((store.query(sel('rel'), ALL) as Profile | undefined)?.totals() ?? [0]).toEqual([cpu]);
  const [series] = store.series(sel('rel.cpu'));
  expect(series?.profiles ?? 0).toBe(held.size);
  expect(series?.total ?? 0).toBe(cpu);
  store.close();
  return held;
}

describe('store reliability (real processes, real SQLite files)', () => {
  it('SIGKILL at random moments, 25 times: integrity ok, every reported profile there, none partial', async () => {
    const dir = tempDir('pyro-kill-');
    const random = rng(20250101);
    const acked: [number, number][] = [];
    let start = 0;
    for (let round = 0; round < 25; round++) {
      const run = ingester(dir, 0, 1, start, -1);
      // Every fifth round kills it while it starts (opening, maybe creating the store);
      // the others once it is ingesting, at a random moment of the loop.
      if (round % 5 !== 0) await Promise.race([run.started, run.done]);
      await new Promise((r) => setTimeout(r, Math.floor(random() * 150)));
      run.child.kill('SIGKILL');
      expect(await run.done).toBe(null);
      for (const i of run.acked) acked.push([i, 0]);
      const held = verify(dir, acked, 1);
      start += 1000;
      // At most the one profile committed just before the kill went unreported.
      expect(held.size - acked.length).toBeGreaterThanOrEqual(0);
      expect(held.size - acked.length).toBeLessThanOrEqual(round + 1);
    }
    expect(acked.length).toBeGreaterThan(25);
  }, 180_000);

  for (const workers of [2, 8]) {
    it(`${workers} processes ingesting at once all succeed and lose nothing`, async () => {
      const dir = tempDir('pyro-conc-');
      const runs = Array.from({ length: workers }, (_, w) => ingester(dir, w, workers, 0, 20));
      const codes = await Promise.all(runs.map((r) => r.done));
      expect(codes).toEqual(runs.map(() => 0));
      const acked: [number, number][] = [];
      runs.forEach((r, w) => {
        expect(r.acked.length).toBe(20);
        for (const i of r.acked) acked.push([i, w]);
      });
      const held = verify(dir, acked, workers);
      expect(held.size).toBe(workers * 20);
    }, 120_000);
  }
});

describe('store damage', () => {
  const T = Date.UTC(2025, 0, 1);
  function build() {
    const dir = tempDir('pyro-damage-');
    const store = Store.open(dir);
    const items: { t: number; p: Profile; app: string }[] = [];
    for (let i = 0; i < 60; i++) {
      const app = i % 2 ? 'api' : 'web';
      const t = T + i * 600_000;
      const p = randomProfile(500 + i, { samples: 200 });
      store.ingest(p, { app, at: t });
      items.push({ t, p, app });
    }
    store.close();
    return { dir, items };
  }
  const want = (items: { t: number; p: Profile; app: string }[], app: string, from = -Infinity, until = Infinity) => {
    const m = new Map<string, number>();
    for (const it of items) if (it.app === app && it.t >= from && it.t < until) flatten(it.p, 'cpu', m);
    return sorted(m);
  };

  it('a corrupted profile blob is reported with its series and time; the rest stays readable', () => {
    const { dir, items } = build();
    const db = new Database(join(dir, DB_FILE));
    const victim = items[21] as (typeof items)[0];
    const row = db
      .prepare(
        `SELECT b.id, b.blob FROM profiles p JOIN series s ON s.id = p.series JOIN tries b ON b.id = p.trie
         WHERE s.type = 'cpu' AND s.app = ? AND p.t = ?`,
      )
      .get(victim.app, victim.t) as { id: number; blob: Buffer };
    row.blob[Math.floor(row.blob.length / 2)] ^= 0x40;
    db.prepare('UPDATE tries SET blob = ? WHERE id = ?').run(row.blob, row.id);
    db.close();

    const store = Store.open(dir);
    const when = new Date(victim.t).toISOString();
    expect(() => store.query(sel('api'), { from: victim.t, until: victim.t + 1 })).toThrow(PyroError);
    expect(() => store.query(sel('api'), { from: victim.t - 5000, until: victim.t + 5000 })).toThrow(
      `api.cpu{} at ${when}: profile is damaged (checksum mismatch)`,
    );
    // Other times of the same series, the other series, and the listing still answer, exactly.
    const q = store.query(sel('api'), { from: victim.t + 1, until: Number.POSITIVE_INFINITY }) as Profile;
    expect(sorted(flatten(q, 'cpu'))).toEqual(want(items, 'api', victim.t + 1));
    expect(sorted(flatten(store.query(sel('web'), ALL) as Profile, 'cpu'))).toEqual(want(items, 'web'));
    expect(store.series().length).toBe(4);
    store.close();
  });

  it('a corrupted aggregate is replaced by the finer levels under it, with a warning', () => {
    const { dir, items } = build();
    const db = new Database(join(dir, DB_FILE));
    const row = db
      .prepare(
        `SELECT b.id, b.blob FROM buckets b JOIN series s ON s.id = b.series
         WHERE s.type = 'cpu' AND s.app = 'api' ORDER BY b.level DESC LIMIT 1`,
      )
      .get() as { id: number; blob: Buffer };
    row.blob[3] ^= 0x01;
    db.prepare('UPDATE buckets SET blob = ? WHERE id = ?').run(row.blob, row.id);
    db.close();
    const store = Store.open(dir);
    const q = store.query(sel('api'), ALL) as Profile;
    expect(sorted(flatten(q, 'cpu'))).toEqual(want(items, 'api'));
    expect(q.warnings.join('\n')).toMatch(
      /api\.cpu\{\} at .*: level-\d aggregate is damaged \(checksum mismatch\); merged the finer levels/,
    );
    store.close();
  });

  it('a truncated store file is reported as damaged, naming what was being read; the rest stays readable', () => {
    const { dir, items } = build();
    const path = join(dir, DB_FILE);
    const size = statSync(path).size;
    let ok = 0;
    let bad = 0;
    for (const fraction of [0.9, 0.75, 0.6, 0.45]) {
      const copy = tempDir('pyro-truncated-');
      copyFileSync(path, join(copy, DB_FILE));
      truncateSync(join(copy, DB_FILE), Math.floor(size * fraction));
      const store = Store.open(copy);
      expect(store.damage).toMatch(/is damaged \(database disk image is malformed\): reading what is left/);
      expect(() => store.ingest(randomProfile(1), { app: 'api' })).toThrow(/cannot be written/);
      for (const app of ['api', 'web']) {
        for (let k = 0; k < 30; k++) {
          const from = T + k * 1_200_000;
          const until = from + 1_200_000;
          try {
            const q = store.query(sel(app), { from, until });
            expect(q ? sorted(flatten(q, 'cpu')) : []).toEqual(want(items, app, from, until));
            ok++;
          } catch (e) {
            expect(e).toBeInstanceOf(PyroError);
            // SQLite's own error for the range read, or ours for a blob found damaged or missing.
            expect((e as Error).message).toMatch(
              new RegExp(`damaged.*${app}\\.cpu\\{\\}.* from 2025-|${app}\\.cpu\\{\\} at 2025-.*: profile is damaged`),
            );
            bad++;
          }
        }
      }
      try {
        expect(store.series().length).toBe(4);
      } catch (e) {
        expect((e as Error).message).toMatch(
          /damaged.*\(while reading the statistics of (api|web)\.(cpu|samples)\{\}\)/,
        );
      }
      store.close();
    }
    expect(ok).toBeGreaterThan(0);
    expect(bad).toBeGreaterThan(0);
  });
});
