import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { PyroError } from '../errors.js';
import { Profile, type ValueType } from '../model/profile.js';
import { SampleTimes } from '../model/times.js';
import { StackTrie, type TrieColumns } from '../model/trie.js';
import type { Selector } from '../query/selector.js';
import { CodecError, decodeTrie, encodeTrie } from './codec.js';
import { FreshTries } from './fresh-tries.js';
import { bucketMs, bucketOf, KEPT_LEVEL, LEVELS, planRange } from './levels.js';
import { APP_LABEL, matchSeries } from './match.js';
import { Symbols } from './symbols.js';
import type {
  Aggregation,
  IngestOptions,
  IngestResult,
  ProfileStore,
  SeriesInfo,
  StoredProfile,
  TimeRange,
} from './types.js';

export { matchSeries, resolveStoreDir } from './match.js';

export const DB_FILE = 'pyro.db';
/** The length given to a profile whose format records none (most text formats). */
export const DEFAULT_DURATION_MS = 10_000;
const BUSY_TIMEOUT_MS = 60_000;

/**
 * Schema migrations, in order; PRAGMA user_version is the number applied.
 * Never edit one that has shipped: append the next.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY) STRICT;
   CREATE TABLE strings (id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE) STRICT;
   CREATE TABLE frames (id INTEGER PRIMARY KEY, name INTEGER NOT NULL, file INTEGER NOT NULL,
     line INTEGER NOT NULL, module INTEGER NOT NULL, UNIQUE (name, file, line, module)) STRICT;
   -- labels: canonical JSON of the sorted label pairs, service_name included.
   CREATE TABLE series (id INTEGER PRIMARY KEY, app TEXT NOT NULL, type TEXT NOT NULL, unit TEXT NOT NULL,
     labels TEXT NOT NULL, UNIQUE (type, unit, labels)) STRICT;
   -- The trie of one ingested profile and per-sample label set, every value column in one
   -- blob (the series of a profile share its stacks); refs = the profile rows that read it.
   CREATE TABLE tries (id INTEGER PRIMARY KEY, refs INTEGER NOT NULL, blob BLOB NOT NULL) STRICT;
   -- One row per ingested profile and series: [t, until), the total of its value, the trie
   -- and column it reads, and its level: the finest level whose bucket holds it and another
   -- profile (LEVELS + 1 when none). Finer buckets, holding it alone, have no row.
   CREATE TABLE profiles (id INTEGER PRIMARY KEY, series INTEGER NOT NULL, t INTEGER NOT NULL,
     until INTEGER NOT NULL, total REAL NOT NULL, level INTEGER NOT NULL, trie INTEGER NOT NULL,
     col INTEGER NOT NULL) STRICT;
   CREATE INDEX profiles_by_level ON profiles (series, level, t);
   -- Pre-merged tries per series, level and bucket (see levels.ts), for the buckets that
   -- hold more than one profile (or data that gc --keep-levels compacted).
   CREATE TABLE buckets (id INTEGER PRIMARY KEY, series INTEGER NOT NULL, level INTEGER NOT NULL,
     bucket INTEGER NOT NULL, count INTEGER NOT NULL, total REAL NOT NULL, blob BLOB NOT NULL,
     UNIQUE (series, level, bucket)) STRICT;`,
  // What each remote (pyro sync --url) acknowledged; a profile row that goes takes its acks along,
  // so that a row id SQLite hands out again is never taken for a sent profile.
  `CREATE TABLE remote_acks (remote TEXT NOT NULL, profile INTEGER NOT NULL, PRIMARY KEY (remote, profile)) STRICT, WITHOUT ROWID;
   CREATE INDEX remote_acks_by_profile ON remote_acks (profile);
   CREATE TRIGGER profiles_forget_acks AFTER DELETE ON profiles BEGIN
     DELETE FROM remote_acks WHERE profile = OLD.id;
   END;`,
  // Profiles stored but not yet placed into their levels' buckets (level 8 = PENDING, below).
  'CREATE INDEX profiles_pending ON profiles (series, t, id) WHERE level = 8;',
  // How a series merges over time: 'sum', or 'average' (gauges such as in-use memory, as Pyroscope's aggregationType).
  "ALTER TABLE series ADD COLUMN aggregation TEXT NOT NULL DEFAULT 'sum';",
];
export const STORE_VERSION = MIGRATIONS.length;

interface SeriesRow {
  id: number;
  app: string;
  type: string;
  unit: string;
  labels: string;
  aggregation: Aggregation;
}

interface BucketRow {
  id: number;
  bucket: number;
  count: number;
  total: number;
  blob: Buffer;
}

/** A profile row (of a series). */
interface RawRow {
  id: number;
  level: number;
  t: number;
  until: number;
  total: number;
  trie: number;
  col: number;
}

/** A pending profile row, with its series and the size of its trie's blob (null: missing; a sibling's: not read). */
type PendingRow = RawRow & { series: number; bytes?: number | null };

/** Column `col` of a trie (a profile row's trie holds every value column of the profile). */
interface TrieColumn {
  trie: TrieColumns;
  col: number;
}

/**
 * Where placing profiles writes: the store itself, or a plan that another
 * thread made from a snapshot and the writing one applies (planPlacement).
 */
interface PlacementWrites {
  setLevel(id: number, level: number): void;
  /** A bucket's new content; `id` null: a new row. */
  bucket(id: number | null, series: number, level: number, b: number, count: number, total: number, blob: Buffer): void;
}

/** A bucket row as a placement plan writes it (`id` null: a new row). */
interface PlannedBucket {
  id: number | null;
  series: number;
  level: number;
  bucket: number;
  count: number;
  total: number;
  blob: Uint8Array;
}

/**
 * The writes of one placement, made on a snapshot of the store by
 * planPlacement() (on another thread), for applyPlacement().
 */
export interface PlacementPlan {
  /** Pending rows it took up (placed, or left for an unplaceable series). */
  taken: number;
  /** Whether it left rows it could have taken, for their size (settleBytes). */
  stoppedShort: boolean;
  /** Profile rows' new levels: id, level, id, level, ... */
  levels: number[];
  buckets: PlannedBucket[];
  /** Series found unplaceable (a damaged bucket), and the warnings that say why. */
  unplaceable: number[];
  warnings: string[];
}

/** The writes of one series' placement, kept for a plan (dropped when the series turns out unplaceable). */
class PlannedWrites implements PlacementWrites {
  readonly levels = new Map<number, number>();
  readonly buckets: PlannedBucket[] = [];
  setLevel(id: number, level: number): void {
    this.levels.set(id, level);
  }
  bucket(id: number | null, series: number, level: number, b: number, count: number, total: number, blob: Buffer) {
    this.buckets.push({ id, series, level, bucket: b, count, total, blob });
  }
  addTo(plan: PlacementPlan): void {
    for (const [id, level] of this.levels) plan.levels.push(id, level);
    plan.buckets.push(...this.buckets);
  }
}

/** A bucket as addToBucket() left it: how many profiles it holds, and its blob. */
interface Written {
  count: number;
  blob: Buffer;
}

/** What a level's bucket gains or loses: n profiles, their total, their merged trie. */
interface Delta {
  n: number;
  total: number;
  /** Decoded on first use: a bucket that holds one profile has no row and never needs it. */
  trie: () => TrieColumn;
  /** The profile rows among the n (the others: data compacted by gc --keep-levels). */
  ids: number[];
}

/** A series' samples over the parts of a query's range: bucket, node of the series' trie, value. */
interface SeriesTimes {
  start: number;
  step: number;
  bucket: number[];
  node: number[];
  value: number[];
}

/**
 * A bucket holding fewer profiles than this has no row (unless gc compacted
 * data into it): merging so few costs a query about what merging their
 * aggregate would, and the aggregate would take about as much room as they do.
 */
const MIN_BUCKET = 4;
/**
 * Profile levels (see the profiles table): 1 .. LEVELS + 1; 0 marks a row
 * being placed, invisible to lookups; PENDING a row stored but in no bucket
 * yet (read raw at every level until settle() places it).
 */
const ALONE = LEVELS + 1;
const PENDING = LEVELS + 2;
const PLACING = 0;
/** The most pending profiles placed in one transaction. */
const SETTLE_BATCH = 2000;
/**
 * The most bytes of trie blobs placed in one transaction (beyond the first
 * row): their tries, decoded, are held until it ends, at five to seven times
 * their blobs' size. 2,000 Node.js CPU profiles of 1,800 nodes take 13 MB of
 * blobs; 2,000 of 41,000 nodes took 225 MB, 1.3 GB decoded.
 */
const SETTLE_BYTES = 16 * 1024 * 1024;
/** The size of a profile row's trie blob, for a SELECT of profiles (SQLite reads it from the record's header). */
const BLOB_BYTES = '(SELECT length(blob) FROM tries WHERE tries.id = profiles.trie) AS bytes';
/** The most value columns of a profile whose sibling rows settle() places together (more are placed on their own). */
const MAX_SIBLINGS = 16;

type Series = Omit<SeriesInfo, 'profiles' | 'from' | 'until' | 'total'> & { key: string };

/**
 * The local profile store: one SQLite database (WAL) in a directory. Series
 * are a value type plus labels (service_name among them); each ingested
 * profile is one row per series it feeds, and every level's bucket is kept up
 * to date, so a query merges O(log n) blobs: in the same transaction, or
 * (for pyro server, ingesting with `defer`) in a later one that places many
 * profiles at once, the profiles being read raw meanwhile.
 */
export class Store implements ProfileStore {
  private readonly symbols: Symbols;
  private readonly st;
  /**
   * The tries of profiles this process ingested with `defer`, by trie row, as
   * ingested (in store frames), with how many of their series wait, so that
   * settle() need not read them back.
   * Valid while no other process writes (their deletes may hand a row id out again).
   */
  private readonly fresh = new FreshTries();
  /** Series whose pending profiles cannot be placed (a damaged bucket): they stay pending, read raw. */
  private readonly unplaceable = new Set<number>();
  private dataVersion = -1;
  /**
   * Counts the writes that may change what a placement plan read: this
   * store's, deferred ingests aside (they add pending rows, their tries,
   * series and symbols, and may set a series' aggregation: nothing placing
   * reads), and other processes' (seen by data_version).
   */
  private epoch = 0;
  /** Placement's writes to this store. */
  private readonly direct: PlacementWrites;
  /**
   * The most bytes of trie blobs one transaction of placing takes, beyond its
   * first row: the tries it decodes are held until it ends.
   */
  settleBytes = SETTLE_BYTES;
  /** Whether the last settle() left rows it could have taken, for their size (settleBytes): more can be placed at once. */
  settleStoppedShort = false;
  /** What settle() and other writes could not place, and why (for pyro server's log); taken by whoever reads it. */
  readonly placeWarnings: string[] = [];

  /** Set when the store file is damaged and was opened from a salvage copy (reads only). */
  damage: string | undefined;

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
    private readonly salvageDir?: string,
  ) {
    this.symbols = new Symbols(db);
    // Prepared on first use: a command uses a few of them, and start-up counts.
    this.st = lazily({
      seriesAll: () => db.prepare<[], SeriesRow>('SELECT id, app, type, unit, labels, aggregation FROM series'),
      profileRow: () =>
        db.prepare<[number], RawRow & { series: number }>(
          `SELECT id, series, level, t, until, total, trie, col FROM profiles WHERE id = ? AND level > ${PLACING}`,
        ),
      seriesById: () =>
        db.prepare<[number], SeriesRow>('SELECT id, app, type, unit, labels, aggregation FROM series WHERE id = ?'),
      setAggregation: () =>
        db.prepare<[Aggregation, number, Aggregation]>(
          'UPDATE series SET aggregation = ? WHERE id = ? AND aggregation != ?',
        ),
      seriesByKey: () =>
        db.prepare<[string, string, string], { id: number }>(
          'SELECT id FROM series WHERE type = ? AND unit = ? AND labels = ?',
        ),
      insertSeries: () =>
        db.prepare<[string, string, string, string, Aggregation]>(
          'INSERT INTO series (app, type, unit, labels, aggregation) VALUES (?, ?, ?, ?, ?)',
        ),
      seriesStats: () =>
        db.prepare<[number], { count: number | null; total: number | null }>(
          `SELECT sum(count) AS count, sum(total) AS total FROM buckets WHERE series = ? AND level = ${LEVELS}`,
        ),
      aloneStats: () =>
        db.prepare<[number], { count: number; total: number | null }>(
          `SELECT count(*) AS count, sum(total) AS total FROM profiles WHERE series = ? AND level >= ${ALONE}`,
        ),
      rawSpan: () =>
        db.prepare<[number], { t: number | null; until: number | null }>(
          'SELECT min(t) AS t, max(until) AS until FROM profiles WHERE series = ?',
        ),
      compactedSpan: () =>
        db.prepare<[number, number], { lo: number | null; hi: number | null }>(
          `SELECT min(bucket) AS lo, max(bucket) + 1 AS hi FROM buckets WHERE series = ? AND level = ${KEPT_LEVEL} AND bucket < ?`,
        ),
      deleteEmptySeries: () =>
        db.prepare(
          // A series lives while it has a profile, or a bucket that gc --keep-levels kept.
          'DELETE FROM series WHERE id NOT IN (SELECT series FROM profiles) AND id NOT IN (SELECT series FROM buckets)',
        ),
      insertTrie: () => db.prepare<[number, Buffer]>('INSERT INTO tries (refs, blob) VALUES (?, ?)'),
      unrefTrie: () => db.prepare<[number]>('UPDATE tries SET refs = refs - 1 WHERE id = ?'),
      dropTrie: () => db.prepare<[number]>('DELETE FROM tries WHERE id = ? AND refs <= 0'),
      insertProfile: () =>
        db.prepare<[number, number, number, number, number, number, number]>(
          'INSERT INTO profiles (series, t, until, total, level, trie, col) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ),
      // rawAbove[k]: the profiles of a series in [lo, hi) of level > k (those in level-k
      // buckets without a row, and pending ones); rawAbove[0]: all of them. IN lists, so that the index is used for t.
      rawAbove: () =>
        Array.from({ length: ALONE }, (_, k) =>
          db.prepare<[number, number, number], RawRow>(
            `SELECT id, level, t, until, total, trie, col FROM profiles
           WHERE series = ? AND level IN (${levelsAbove(k)}) AND t >= ? AND t < ?`,
          ),
        ),
      siblings: () =>
        db.prepare<[number, number, number], RawRow & { series: number }>(
          `SELECT id, series, level, t, until, total, trie, col FROM profiles WHERE id BETWEEN ? AND ? AND trie = ? AND level = ${PENDING}`,
        ),
      pending: () =>
        db.prepare<[number], PendingRow>(
          `SELECT id, series, level, t, until, total, trie, col, ${BLOB_BYTES} FROM profiles WHERE level = ${PENDING} ORDER BY series, t, id LIMIT ?`,
        ),
      trieBlob: () => db.prepare<[number], { blob: Buffer }>('SELECT blob FROM tries WHERE id = ?'),
      setLevel: () => db.prepare<[number, number]>('UPDATE profiles SET level = ? WHERE id = ?'),
      moveRaw: () => db.prepare<[number, number]>(`UPDATE profiles SET series = ?, level = ${PLACING} WHERE id = ?`),
      deleteRaw: () => db.prepare<[number]>('DELETE FROM profiles WHERE id = ?'),
      bucket: () =>
        db.prepare<[number, number, number], BucketRow>(
          'SELECT id, bucket, count, total, blob FROM buckets WHERE series = ? AND level = ? AND bucket = ?',
        ),
      bucketsInRange: () =>
        db.prepare<[number, number, number, number], BucketRow>(
          'SELECT id, bucket, count, total, blob FROM buckets WHERE series = ? AND level = ? AND bucket >= ? AND bucket < ?',
        ),
      insertBucket: () =>
        db.prepare<[number, number, number, number, number, Buffer]>(
          'INSERT INTO buckets (series, level, bucket, count, total, blob) VALUES (?, ?, ?, ?, ?, ?)',
        ),
      updateBucket: () =>
        db.prepare<[number, number, Buffer, number]>('UPDATE buckets SET count = ?, total = ?, blob = ? WHERE id = ?'),
      deleteBucket: () => db.prepare<[number]>('DELETE FROM buckets WHERE id = ?'),
      getMeta: () => db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: () => db.prepare<[string, number]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    });
    const st = this.st;
    this.direct = {
      setLevel: (id, level) => st.setLevel.run(level, id),
      bucket: (id, series, level, b, count, total, blob) => {
        if (id === null) st.insertBucket.run(series, level, b, count, total, blob);
        else st.updateBucket.run(count, total, blob, id);
      },
    };
  }

  /**
   * Opens (creating on first use) the store in a directory. A damaged file
   * (e.g. truncated) that SQLite refuses is opened read-only from a salvage
   * copy, so that what is left can still be read; `damage` says what is wrong.
   */
  static open(dir: string): Store {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, DB_FILE);
    try {
      return new Store(path, openDatabase(path));
    } catch (e) {
      if (!(e instanceof sqlite().SqliteError && e.code.startsWith('SQLITE_CORRUPT'))) {
        throw storeError(path, e, 'opening the store');
      }
      return Store.salvage(path, e);
    }
  }

  /**
   * Opens an existing store to read only (planPlacement() on another thread
   * than the writing one's): reads see the last commit, whoever wrote it.
   */
  static openReadOnly(dir: string): Store {
    const path = join(dir, DB_FILE);
    try {
      const db = new (sqlite())(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
      return new Store(path, db);
    } catch (e) {
      throw storeError(path, e, 'opening the store');
    }
  }

  private static salvage(path: string, cause: Error): Store {
    const tmp = mkdtempSync(join(tmpdir(), 'pyro-salvage-'));
    try {
      const copy = join(tmp, DB_FILE);
      copyFileSync(path, copy);
      if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
      // A zero in-header page count makes SQLite size the database by its file,
      // so that the pages still there can be read.
      const fd = openSync(copy, 'r+');
      writeSync(fd, Buffer.alloc(4), 0, 4, 28);
      closeSync(fd);
      const store = new Store(path, openDatabase(copy), tmp);
      store.damage = `store ${path} is damaged (${cause.message}): reading what is left of it`;
      return store;
    } catch {
      rmSync(tmp, { recursive: true, force: true });
      throw storeError(path, cause, 'opening the store');
    }
  }

  close(): void {
    this.db.close();
    if (this.salvageDir) rmSync(this.salvageDir, { recursive: true, force: true });
  }

  /** Cutoff (unix ms) before which `gc --keep-levels` left only levels >= KEPT_LEVEL; 0 when never. */
  private get horizon(): number {
    return this.st.getMeta.get('compacted_before')?.value ?? 0;
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction (a writer waits for the others
   * rather than failing). `keepsPlacement`: it changes nothing a placement plan
   * reads (it only adds pending profiles).
   */
  private write<T>(what: string, fn: () => T, keepsPlacement = false): T {
    if (this.damage) throw new PyroError(`${this.damage}; it cannot be written (move it aside and start a new store)`);
    try {
      return this.db
        .transaction(() => {
          // Another process wrote since this one did: what this one keeps of its own writes may be stale.
          const version = this.db.pragma('data_version', { simple: true }) as number;
          if (version !== this.dataVersion) {
            this.fresh.clear();
            this.unplaceable.clear();
            this.epoch++;
          }
          this.dataVersion = version;
          const result = fn();
          if (!keepsPlacement) this.epoch++;
          return result;
        })
        .immediate();
    } catch (e) {
      // Ids handed out inside the rolled-back transaction are void.
      this.symbols.reset();
      this.fresh.clear();
      throw storeError(this.path, e, what);
    }
  }

  /** Runs `fn` in one read transaction: a consistent snapshot while other processes write. */
  private read<T>(what: string, fn: () => T): T {
    try {
      return this.db.transaction(fn).deferred();
    } catch (e) {
      throw storeError(this.path, e, what);
    }
  }

  ingest(profile: Profile, options: IngestOptions): IngestResult {
    return this.ingestMany([{ profile, options }])[0] as IngestResult;
  }

  /**
   * Several profiles in one transaction (pyro server's group commit). With
   * `defer`, they are stored but not placed into their levels' buckets: a
   * later settle() (or any other write) places many at once, and they are
   * read raw meanwhile. Without, they are placed in the same transaction.
   * `keepTries`: deferred profiles' tries are kept in memory for settle() (not
   * when another thread places them, planPlacement()).
   */
  ingestMany(
    items: readonly { profile: Profile; options: IngestOptions }[],
    defer = false,
    keepTries = defer,
  ): IngestResult[] {
    for (const { options } of items) if (!options.app) throw new PyroError('ingest needs an app name (--app)', 2);
    const what =
      items.length === 1 ? `ingesting a profile of ${items[0]?.options.app}` : `ingesting ${items.length} profiles`;
    return this.write(
      what,
      () => {
        this.symbols.sync();
        const results = items.map(({ profile, options }) => {
          const t = Math.round(profile.startTime ?? options.at ?? Date.now());
          const duration =
            profile.duration !== undefined && profile.duration > 0 ? profile.duration : DEFAULT_DURATION_MS;
          const until = t + Math.max(1, Math.round(duration));
          const frameMap = this.symbols.frameMap(profile);
          const result: IngestResult = { series: [] };
          profile.tries.forEach((trie, labelSet) => {
            if (!trie) return;
            const labels: Record<string, string> = {};
            for (const [k, v] of profile.labelSets[labelSet] ?? []) labels[k] = v;
            Object.assign(labels, options.labels);
            labels[APP_LABEL] = options.app;
            const blob = encodeTrie(trie, undefined, frameMap);
            const trieId = Number(this.st.insertTrie.run(profile.nTypes, blob).lastInsertRowid);
            // The series settle() will place this trie's rows in (one use of the cached trie each).
            const placed = new Set<number>();
            profile.valueTypes.forEach((vt, column) => {
              const aggregation = options.averaged && (options.averaged.includes(vt.type) ? 'average' : 'sum');
              const series = this.seriesId(vt, labels, aggregation);
              const total = columnSum(trie, column);
              this.st.insertProfile.run(series.id, t, until, total, PENDING, trieId, column);
              if (!this.unplaceable.has(series.id)) placed.add(series.id);
              result.series.push({ id: series.id, name: series.name, labels: { ...labels }, from: t, until, total });
            });
            if (defer && keepTries && placed.size > 0)
              this.fresh.add(trieId, placed.size, trie.size, trie.nTypes, () => inStoreFrames(trie, frameMap));
          });
          return result;
        });
        if (!defer) this.placeAllPending();
        return results;
      },
      defer,
    );
  }

  /**
   * Places up to `max` (at most SETTLE_BATCH) of the profiles that ingestMany()
   * deferred into their buckets, series by series, in one transaction, with the
   * rows of the same profiles in other series; returns how many it took up, those
   * included (0: none was left). Those of a series with a damaged bucket
   * stay pending (read as they are), and placeWarnings says so. `minRows`: only
   * the series with at least that many pending rows (a coarse bucket costs about
   * as much to rewrite for one profile as for a hundred). Fewer when their
   * tries' blobs take more than settleBytes (the first is placed whatever its
   * size), and settleStoppedShort says so.
   */
  settle(max = SETTLE_BATCH, minRows = 1): number {
    return this.write('placing profiles into their levels', () => {
      this.symbols.sync();
      return this.placePending(max, minRows);
    });
  }

  /**
   * What settle() would write, planned on a snapshot of the store (by a
   * store opened with openReadOnly(), on another thread) for the writing
   * store's applyPlacement(): its main thread then holds the store only while
   * it writes them. `unplaceable`: the writing store's unplaceableSeries.
   */
  planPlacement(max: number, minRows: number, unplaceable: readonly number[]): PlacementPlan {
    return this.read('planning the placement of profiles into their levels', () => {
      this.symbols.sync();
      this.unplaceable.clear();
      for (const s of unplaceable) this.unplaceable.add(s);
      const plan: PlacementPlan = {
        taken: 0,
        stoppedShort: false,
        levels: [],
        buckets: [],
        unplaceable: [],
        warnings: [],
      };
      plan.taken = this.placePending(max, minRows, plan);
      plan.stoppedShort = this.settleStoppedShort;
      return plan;
    });
  }

  /** For planPlacement(): what applyPlacement() checks a plan against (see epoch). */
  get placementEpoch(): number {
    return this.epoch;
  }

  /** Series whose pending profiles stay unplaced (a damaged bucket), for planPlacement(). */
  get unplaceableSeries(): number[] {
    return [...this.unplaceable];
  }

  /**
   * Writes a plan of planPlacement(), made after placementEpoch was `epoch`;
   * returns how many rows it took up (as settle()), or undefined when the store
   * has changed since in a way the plan did not see (plan again).
   */
  applyPlacement(plan: PlacementPlan, epoch: number): number | undefined {
    return this.write('placing profiles into their levels', () => {
      if (this.epoch !== epoch) return undefined;
      for (const b of plan.buckets) {
        const blob = Buffer.from(b.blob.buffer, b.blob.byteOffset, b.blob.byteLength);
        this.direct.bucket(b.id, b.series, b.level, b.bucket, b.count, b.total, blob);
      }
      for (let i = 0; i < plan.levels.length; i += 2)
        this.direct.setLevel(plan.levels[i] as number, plan.levels[i + 1] as number);
      // No kept tries to let go of (fresh.taken): profiles placed elsewhere are ingested without keeping them.
      for (const s of plan.unplaceable) this.unplaceable.add(s);
      if (plan.unplaceable.length > 0) this.fresh.clear();
      this.placeWarnings.push(...plan.warnings);
      this.settleStoppedShort = plan.stoppedShort;
      return plan.taken;
    });
  }

  /**
   * Places every pending profile (those of a series with a damaged bucket
   * aside): before taking profiles out of buckets (a pending one is in none),
   * and after an ingest that does not defer.
   */
  private placeAllPending(): void {
    while (this.placePending() > 0);
  }

  /**
   * Places up to `max` pending profiles of the series with at least `minRows` of
   * them, as many as settleBytes of blobs, and their siblings; returns how many it
   * took up (placed, or left for a damaged series).
   */
  private placePending(max = SETTLE_BATCH, minRows = 1, plan?: PlacementPlan): number {
    const limit = Math.min(max, SETTLE_BATCH);
    const rows =
      this.unplaceable.size === 0 && minRows <= 1
        ? this.st.pending.all(limit)
        : this.db
            .prepare<[number, number], PendingRow>(
              `SELECT id, series, level, t, until, total, trie, col, ${BLOB_BYTES} FROM profiles WHERE level = ${PENDING}
               AND series NOT IN (${[...this.unplaceable].join(',')})
               AND series IN (SELECT series FROM profiles WHERE level = ${PENDING} GROUP BY series HAVING count(*) >= ?)
               ORDER BY series, t, id LIMIT ?`,
            )
            .all(minRows, limit);
    // Rows past settleBytes of blobs wait for the next transaction (a trie counted once, whatever its rows).
    const counted = new Set<number>();
    let bytes = 0;
    this.settleStoppedShort = false;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as PendingRow;
      if (counted.has(r.trie)) continue;
      counted.add(r.trie);
      bytes += r.bytes ?? 0;
      if (bytes > this.settleBytes && i > 0) {
        rows.length = i;
        this.settleStoppedShort = true;
        break;
      }
    }
    // With the rows of the same tries in the sibling series (a profile's other value columns): each
    // sum of those tries is then made once for all of them (TrieSums). A profile's rows were
    // inserted together, one per column: row ids first - col onwards.
    const taken = new Set(rows.map((r) => r.id));
    const seen = new Set<number>();
    for (const r of rows.slice()) {
      if (seen.has(r.trie)) continue;
      seen.add(r.trie);
      for (const s of this.st.siblings.all(r.id - r.col, r.id - r.col + MAX_SIBLINGS - 1, r.trie)) {
        if (taken.has(s.id) || this.unplaceable.has(s.series)) continue;
        taken.add(s.id);
        rows.push(s);
      }
    }
    const bySeries = new Map<number, RawRow[]>();
    for (const r of rows) {
      const list = bySeries.get(r.series);
      if (list) list.push(r);
      else bySeries.set(r.series, [r]);
    }
    // Each series in a savepoint of its own: one with a damaged bucket leaves its profiles pending, not the others.
    const sums = new TrieSums();
    const read = new Map<number, () => { trie: TrieColumns }>();
    const placeSeries = this.db.transaction((series: number, list: RawRow[], writes: PlacementWrites) =>
      this.placeSeries(series, list, read, sums, writes),
    );
    for (const [series, list] of bySeries) {
      const writes = plan ? new PlannedWrites() : this.direct;
      try {
        placeSeries(series, list, writes);
        if (plan) (writes as PlannedWrites).addTo(plan);
      } catch (e) {
        if (!(e instanceof PyroError)) throw e;
        const warning = `${e.message}: its new profiles stay unplaced (read as they are)`;
        if (plan) {
          plan.unplaceable.push(series);
          plan.warnings.push(warning);
          continue;
        }
        this.unplaceable.add(series);
        // Its profiles' kept tries wait for it, which will never take them (rare: all are dropped, read back if needed).
        this.fresh.clear();
        this.placeWarnings.push(warning);
      }
    }
    return rows.length;
  }

  /**
   * Places pending profiles of one series into its levels' buckets. `tries`: the
   * tries read so far (a trie read by several rows, columns, is decoded once).
   */
  private placeSeries(
    series: number,
    rows: RawRow[],
    tries: Map<number, () => { trie: TrieColumns }>,
    sums: TrieSums,
    writes: PlacementWrites,
  ): void {
    // Per level-1 bucket: what the rows add.
    const buckets = new Map<number, Delta[]>();
    const taken = new Set<number>();
    for (const r of rows) {
      writes.setLevel(r.id, PLACING);
      let trie = tries.get(r.trie);
      if (!trie) {
        const kept = this.fresh.get(r.trie);
        trie = kept ? () => ({ trie: kept }) : once(() => ({ trie: this.decodeTrieRow(r, series) }));
        tries.set(r.trie, trie);
      }
      if (!taken.has(r.trie)) {
        // Kept until every series that places its rows has taken it.
        taken.add(r.trie);
        this.fresh.taken(r.trie);
      }
      const whole = trie;
      const b = bucketOf(r.t, 1);
      const delta = { n: 1, total: r.total, trie: once(() => ({ ...whole(), col: r.col })), ids: [r.id] };
      const list = buckets.get(b);
      if (list) list.push(delta);
      else buckets.set(b, [delta]);
    }
    const deltas = new Map([...buckets].map(([b, ds]) => [b, mergeDeltas(ds, sums)]));
    this.propagate(series, 1, deltas, 1, sums, writes);
  }

  /**
   * The id of a series, created when new; its aggregation is the last one it
   * was written with (as Pyroscope's), kept when a write says none (sum for a new one).
   */
  private seriesId(
    vt: ValueType,
    labels: Record<string, string>,
    aggregation: Aggregation | undefined,
  ): { id: number; name: string } {
    const key = canonicalLabels(labels);
    const app = labels[APP_LABEL] as string;
    let id = this.st.seriesByKey.get(vt.type, vt.unit, key)?.id;
    if (id === undefined)
      id = Number(this.st.insertSeries.run(app, vt.type, vt.unit, key, aggregation ?? 'sum').lastInsertRowid);
    else if (aggregation) this.st.setAggregation.run(aggregation, id, aggregation);
    return { id, name: seriesName(app, vt.type, labels) };
  }

  /**
   * Applies deltas (per bucket of `level`) to that level and every coarser
   * one: sign +1 adds profiles (their rows are PLACING), -1 takes them away
   * (their rows are gone or moved). A bucket that holds one profile has no
   * row; the profiles' levels follow. Adding goes through `writes`.
   */
  private propagate(
    series: number,
    level: number,
    deltas: Map<number, Delta>,
    sign: 1 | -1,
    sums?: TrieSums,
    writes = this.direct,
  ): void {
    // Profile row -> its new level.
    const levels = new Map<number, number>();
    if (sign > 0) for (const d of deltas.values()) for (const id of d.ids) levels.set(id, ALONE);
    let current = deltas;
    // What a bucket written at the level before holds now, by the bucket of this level it is in.
    let written = new Map<number, Written>();
    for (let k = level; k <= LEVELS; k++) {
      const wrote = new Map<number, Written>();
      for (const [b, d] of current) {
        if (sign < 0) {
          this.takeFromBucket(series, k, b, d, levels);
          continue;
        }
        const w = this.addToBucket(series, k, b, d, levels, writes, written.get(b));
        if (w) wrote.set(Math.floor(b / 10), w);
      }
      if (k === LEVELS) break;
      const next = new Map<number, Delta[]>();
      for (const [b, d] of current) {
        const p = Math.floor(b / 10);
        const list = next.get(p);
        if (list) list.push(d);
        else next.set(p, [d]);
      }
      written = wrote;
      current = new Map([...next].map(([b, ds]) => [b, mergeDeltas(ds, sums)]));
    }
    for (const [id, l] of levels) writes.setLevel(id, l);
  }

  /**
   * Adds a delta to a bucket; returns what the bucket then holds, when it has a
   * row. `finer`: what a finer bucket within it holds now; when as many
   * profiles as this one, they are the same profiles (the finer bucket's are
   * among them), and its blob is this one's, merged and encoded once: a series
   * younger than a coarse bucket (a new pod, a new service) has its coarse
   * levels equal to a finer one.
   */
  private addToBucket(
    series: number,
    level: number,
    b: number,
    d: Delta,
    levels: Map<number, number>,
    writes: PlacementWrites,
    finer?: Written,
  ): Written | undefined {
    const row = this.st.bucket.get(series, level, b);
    const parts = [d.trie];
    let n = d.n;
    let total = d.total;
    let ids = d.ids;
    if (row) {
      parts.push(() => ({ trie: this.bucketTrie(row, series, level), col: 0 }));
      n += row.count;
      total += row.total;
    } else {
      // No row: the bucket holds fewer than MIN_BUCKET profiles, all stored ones
      // (pending ones aside, which no bucket holds until they are placed).
      const size = bucketMs(level);
      const few = this.rawInRange(level, series, b * size, (b + 1) * size).filter((r) => r.level !== PENDING);
      if (few.length + d.n < MIN_BUCKET && d.ids.length === d.n) return undefined;
      for (const r of few) {
        parts.push(() => this.decodeColumn(r, series));
        n++;
        total += r.total;
      }
      ids = [...ids, ...few.map((r) => r.id)];
    }
    for (const id of ids) levels.set(id, Math.min(levels.get(id) ?? ALONE, level));
    let blob = finer?.count === n ? finer.blob : undefined;
    if (!blob) {
      // One part (a new bucket's delta) is encoded at its column as it is, not copied into a trie first.
      const sum =
        parts.length === 1 ? (parts[0] as () => TrieColumn)() : { trie: toStackTrie(parts.map((p) => p())), col: 0 };
      blob = encodeTrie(sum.trie, [sum.col]);
    }
    writes.bucket(row ? row.id : null, series, level, b, n, total, blob);
    return { count: n, blob };
  }

  private takeFromBucket(series: number, level: number, b: number, d: Delta, levels: Map<number, number>): void {
    const row = this.st.bucket.get(series, level, b);
    if (!row) return; // it held only the stored profiles taken away
    const count = row.count - d.n;
    if (count < 0) throw new Error(`store: bucket ${level}/${b} of series ${series} would hold ${count} profiles`);
    if (count === 0) {
      this.st.deleteBucket.run(row.id);
      return;
    }
    if (count < MIN_BUCKET) {
      // Too few left for a row, unless some are compacted data (not stored profiles).
      const size = bucketMs(level);
      const left = this.rawInRange(0, series, b * size, (b + 1) * size);
      if (left.length === count) {
        this.st.deleteBucket.run(row.id);
        for (const r of left) levels.set(r.id, level + 1);
        return;
      }
    }
    const merged = toStackTrie([{ trie: this.bucketTrie(row, series, level), col: 0 }, negated(d.trie())]);
    this.st.updateBucket.run(count, row.total - d.total, encodeTrie(merged), row.id);
  }

  /** The profiles of a series in [from, until) whose level is above `level` (all of them for 0). */
  private rawInRange(level: number, series: number, from: number, until: number): RawRow[] {
    return (this.st.rawAbove[level] as Database.Statement<[number, number, number], RawRow>).all(series, from, until);
  }

  private bucketTrie(row: BucketRow, series: number, level: number): TrieColumns {
    return this.decode(row.blob, series, row.bucket * bucketMs(level), `level-${level} aggregate`);
  }

  /** The column of a profile row's trie that its series reads. */
  private decodeColumn(r: RawRow, series: number): TrieColumn {
    return { trie: this.decodeTrieRow(r, series), col: r.col };
  }

  /** A profile row's trie, every column. */
  private decodeTrieRow(r: RawRow, series: number): TrieColumns {
    const blob = this.st.trieBlob.get(r.trie)?.blob;
    if (!blob) throw this.damaged(series, r.t, 'profile is damaged (its trie is missing)');
    return this.decode(blob, series, r.t, 'profile');
  }

  private decode(blob: Buffer, series: number, t: number, what: string): TrieColumns {
    try {
      const trie = decodeTrie(blob);
      for (let n = 1; n < trie.size; n++) {
        if (!this.symbols.has(trie.frame[n] as number)) throw new CodecError(`unknown frame ${trie.frame[n]}`);
      }
      return trie;
    } catch (e) {
      if (e instanceof CodecError) throw this.damaged(series, t, `${what} is damaged (${e.message})`);
      throw e;
    }
  }

  private damaged(series: number, t: number, what: string): PyroError {
    const s = this.st.seriesAll.all().find((r) => r.id === series);
    const name = s ? rowName(s) : `series #${series}`;
    return new PyroError(`store ${this.path}: ${name} at ${iso(t)}: ${what}`);
  }

  /** Every series (labels and type, no statistics: those read many rows). */
  private allSeries(): Series[] {
    return this.st.seriesAll.all().map((r) => ({
      id: r.id,
      key: r.labels,
      name: rowName(r),
      app: r.app,
      type: { type: r.type, unit: r.unit },
      labels: JSON.parse(r.labels) as Record<string, string>,
      aggregation: r.aggregation,
    }));
  }

  /** A series with its profile count, total and time span (compacted data included). */
  private withStats(s: Series, horizon: number): SeriesInfo {
    try {
      const stats = this.st.seriesStats.get(s.id);
      const alone = this.st.aloneStats.get(s.id);
      const raw = this.st.rawSpan.get(s.id);
      const old = horizon > 0 ? this.st.compactedSpan.get(s.id, bucketOf(horizon, KEPT_LEVEL)) : undefined;
      const size = bucketMs(KEPT_LEVEL);
      const { key: _, ...info } = s;
      return {
        ...info,
        profiles: (stats?.count ?? 0) + (alone?.count ?? 0),
        from: Math.min(raw?.t ?? Number.POSITIVE_INFINITY, old?.lo != null ? old.lo * size : Number.POSITIVE_INFINITY),
        until: Math.max(
          raw?.until ?? Number.NEGATIVE_INFINITY,
          old?.hi != null ? old.hi * size : Number.NEGATIVE_INFINITY,
        ),
        total: (stats?.total ?? 0) + (alone?.total ?? 0),
      };
    } catch (e) {
      throw storeError(this.path, e, `reading the statistics of ${s.name}`);
    }
  }

  series(selector?: Selector): SeriesInfo[] {
    return this.read('listing series', () => {
      const all = this.allSeries();
      const picked = selector ? matchSeries(all, selector) : all;
      const horizon = this.horizon;
      return picked
        .map((x) => this.withStats(x, horizon))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  labelNames(selector?: Selector): string[] {
    const names = new Set<string>();
    for (const s of this.series(selector)) for (const k of Object.keys(s.labels)) names.add(k);
    return [...names].sort();
  }

  labelValues(name: string, selector?: Selector): string[] {
    const values = new Set<string>();
    for (const s of this.series(selector)) {
      const v = s.labels[name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  /**
   * The merge of the profiles of the matching series that start in the range;
   * with `buckets`, also its samples over time (Profile.times), in that many
   * equal parts of the range (or of the stored data's span in it).
   */
  query(selector: Selector, range: TimeRange, options: { buckets?: number } = {}): Profile | undefined {
    return this.read('querying', () => {
      this.symbols.sync();
      const picked = matchSeries(this.allSeries(), selector, true);
      const types: ValueType[] = [];
      const warnings: string[] = [];
      let profiles = 0;
      const span = { from: Number.POSITIVE_INFINITY, until: Number.NEGATIVE_INFINITY };
      const parts: { s: Series; column: number; trie: StackTrie; times?: SeriesTimes }[] = [];
      const cuts = options.buckets ? this.cuts(picked, range, options.buckets) : undefined;
      for (const s of picked) {
        const trie = new StackTrie(1, 1024);
        let n = 0;
        let times: SeriesTimes | undefined;
        try {
          if (!cuts) n = this.mergeRange(s, range.from, range.until, LEVELS, trie, warnings, span);
          else {
            // Each part merged on its own, then into the series' trie: the map says where its stacks went.
            times = { bucket: [], node: [], value: [], start: cuts.start, step: cuts.step };
            for (let b = 0; b < cuts.count; b++) {
              const part = new StackTrie(1, 256);
              const from = cuts.start + b * cuts.step;
              const until = b === cuts.count - 1 ? range.until : from + cuts.step;
              const m = this.mergeRange(s, Math.max(from, range.from), until, LEVELS, part, warnings, span);
              if (m === 0) continue;
              n += m;
              const map = trie.mergeFrom(part);
              // An average series: each part's mean, as its timeline gives.
              const per = s.aggregation === 'average' ? m : 1;
              for (let node = 0; node < part.size; node++) {
                const v = part.selfOf(node, 0);
                if (v === 0) continue;
                times.bucket.push(b);
                times.node.push(map[node] as number);
                times.value.push(v / per);
              }
            }
          }
        } catch (e) {
          throw storeError(this.path, e, `reading ${s.name} from ${iso(range.from)} to ${iso(range.until)}`);
        }
        if (n === 0) continue;
        if (s.aggregation === 'average' && n > 1) trie.divide(n);
        profiles += n;
        let column = types.findIndex((v) => v.type === s.type.type && v.unit === s.type.unit);
        if (column < 0) column = types.push(s.type) - 1;
        parts.push({ s, column, trie, times });
      }
      if (profiles === 0) return undefined;
      const out = new Profile(types);
      out.format = 'store';
      out.startTime = Math.max(range.from, span.from);
      out.duration = Math.min(range.until, span.until) - out.startTime;
      if (this.damage) out.warnings.push(this.damage);
      out.warnings.push(...warnings);
      const apps = new Set(parts.map((p) => p.s.app));
      if (apps.size === 1) out.labels[APP_LABEL] = [...apps][0] as string;
      // Store frame id -> this profile's frame id, filled on first use.
      const frameMap = new Int32Array(this.symbols.frameCount).fill(-1);
      if (cuts) out.times = new SampleTimes(types.length);
      const values = new Array<number>(types.length).fill(0);
      for (const { s, column, trie, times } of parts) {
        for (let n = 1; n < trie.size; n++) {
          const f = trie.frame[n] as number;
          if ((frameMap[f] as number) < 0) frameMap[f] = this.symbols.copyFrame(f, out);
        }
        const pairs = Object.entries(s.labels).filter(([k]) => k !== APP_LABEL);
        const labelSet = out.labelSetId(pairs);
        const map = out.trieFor(labelSet).mergeFrom(trie, frameMap, [column]);
        if (!times || !out.times) continue;
        for (let i = 0; i < times.bucket.length; i++) {
          values[column] = times.value[i] as number;
          out.times.push(
            labelSet,
            map[times.node[i] as number] as number,
            times.start + (times.bucket[i] as number) * times.step,
            values,
          );
        }
        values[column] = 0;
      }
      out.times?.sortByTime();
      out.invalidate();
      return out;
    });
  }

  timeline(selector: Selector, range: TimeRange, step: number): number[] {
    return this.read('reading a timeline', () => {
      const picked = matchSeries(this.allSeries(), selector, true);
      const count = Math.max(1, Math.ceil((range.until - range.from) / step));
      const out = new Array<number>(count).fill(0);
      if (picked.length === 0) return out;
      // Per series: its total and number of profiles per step (an average series adds its mean).
      const sums = new Map(picked.map((s) => [s.id, { s, total: new Float64Array(count), n: new Int32Array(count) }]));
      const add = (series: number, t: number, total: number, n: number) => {
        const i = Math.floor((t - range.from) / step);
        const into = sums.get(series);
        if (!into || i < 0 || i >= count) return;
        into.total[i] = (into.total[i] as number) + total;
        into.n[i] = (into.n[i] as number) + n;
      };
      // Data that gc --keep-levels compacted counts at the start of its bucket, with the
      // profiles stored there since (placed into that bucket: not counted again below).
      const horizon = this.horizon;
      const size = bucketMs(KEPT_LEVEL);
      const compacted = new Set<string>();
      if (horizon > range.from) {
        const hi = Math.min(bucketOf(horizon, KEPT_LEVEL), Math.ceil(range.until / size));
        for (const id of sums.keys())
          for (const b of this.st.bucketsInRange.all(id, KEPT_LEVEL, Math.ceil(range.from / size), hi)) {
            add(id, b.bucket * size, b.total, b.count);
            compacted.add(`${id}/${b.bucket}`);
          }
      }
      const rows = this.db
        .prepare<[number, number], { series: number; level: number; t: number; total: number }>(
          `SELECT series, level, t, total FROM profiles WHERE series IN (${[...sums.keys()].join(',')}) AND level > ${PLACING} AND t >= ? AND t < ?`,
        )
        .all(range.from, range.until);
      for (const r of rows) {
        const inCompacted = r.level !== PENDING && compacted.has(`${r.series}/${bucketOf(r.t, KEPT_LEVEL)}`);
        if (!inCompacted) add(r.series, r.t, r.total, 1);
      }
      for (const { s, total, n } of sums.values()) {
        for (let i = 0; i < count; i++) {
          const v = total[i] as number;
          out[i] =
            (out[i] as number) + (s.aggregation === 'average' && (n[i] as number) > 1 ? v / (n[i] as number) : v);
        }
      }
      return out;
    });
  }

  profiles(
    selector: Selector,
    range: TimeRange,
    options: { notAckedBy?: string; limit?: number } = {},
  ): StoredProfile[] {
    return this.read('listing profiles', () => {
      const picked = new Map(matchSeries(this.allSeries(), selector).map((s) => [s.id, s]));
      if (picked.size === 0) return [];
      const notAcked =
        options.notAckedBy === undefined ? '' : 'AND id NOT IN (SELECT profile FROM remote_acks WHERE remote = ?)';
      const rows = this.db
        .prepare<unknown[], { id: number; series: number; t: number; until: number; total: number }>(
          `SELECT id, series, t, until, total FROM profiles
           WHERE series IN (${[...picked.keys()].join(',')}) AND level > ${PLACING} AND t >= ? AND t < ? ${notAcked}
           ORDER BY t, id LIMIT ?`,
        )
        .all(
          ...[Math.max(-(2 ** 52), range.from), Math.min(2 ** 52, range.until)],
          ...(options.notAckedBy === undefined ? [] : [options.notAckedBy]),
          options.limit ?? -1,
        );
      return rows.map((r) => {
        const s = picked.get(r.series) as Series;
        return {
          id: r.id,
          name: s.name,
          app: s.app,
          type: s.type,
          labels: { ...s.labels },
          from: r.t,
          until: r.until,
          total: r.total,
        };
      });
    });
  }

  profile(id: number): Profile | undefined {
    return this.read('reading a profile', () => {
      this.symbols.sync();
      const r = this.st.profileRow.get(id);
      if (!r) return undefined;
      const s = this.st.seriesById.get(r.series) as SeriesRow;
      const trie = new StackTrie(1, 16);
      trie.mergeColumn(this.decodeTrieRow(r, s.id), r.col);
      const out = new Profile([{ type: s.type, unit: s.unit }]);
      out.format = 'store';
      out.startTime = r.t;
      out.duration = r.until - r.t;
      Object.assign(out.labels, JSON.parse(s.labels) as Record<string, string>);
      const frameMap = new Int32Array(this.symbols.frameCount).fill(-1);
      for (let n = 1; n < trie.size; n++) {
        const f = trie.frame[n] as number;
        if ((frameMap[f] as number) < 0) frameMap[f] = this.symbols.copyFrame(f, out);
      }
      out.trieFor(0).mergeFrom(trie, frameMap, [0]);
      out.invalidate();
      return out;
    });
  }

  ack(remote: string, ids: readonly number[]): void {
    this.write(`recording what ${remote} acknowledged`, () => {
      const insert = this.db.prepare<[string, number]>(
        // A row removed meanwhile has nothing to acknowledge.
        'INSERT OR IGNORE INTO remote_acks (remote, profile) SELECT ?, id FROM profiles WHERE id = ?',
      );
      for (const id of ids) insert.run(remote, id);
    });
  }

  /** `count` equal parts of the range, or of the stored span of these series within it. */
  private cuts(picked: Series[], range: TimeRange, count: number): { start: number; step: number; count: number } {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const s of picked) {
      const r = this.st.rawSpan.get(s.id);
      if (r?.t !== null && r?.t !== undefined && r.t < lo) lo = r.t;
      if (r?.until !== null && r?.until !== undefined && r.until > hi) hi = r.until;
    }
    const start = Math.max(range.from, Number.isFinite(lo) ? lo : range.from);
    const end = Math.min(range.until, Number.isFinite(hi) ? hi : range.until);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start)
      return { start: Number.isFinite(start) ? start : 0, step: 1, count: 1 };
    return { start, step: (end - start) / count, count };
  }

  /**
   * Merges into `into` every profile of series `s` that starts in [from, until),
   * using whole buckets of levels <= `top` and raw profiles at the edges.
   * A damaged aggregate is replaced by the finer data under it (with a warning).
   * Returns the number of profiles merged. `pending`: whether to merge the
   * pending profiles (read raw, in no bucket) too.
   */
  private mergeRange(
    s: Series,
    from: number,
    until: number,
    top: number,
    into: StackTrie,
    warnings: string[],
    span: { from: number; until: number },
    pending = true,
  ): number {
    let n = 0;
    const raw = (r: RawRow) => {
      if (!pending && r.level === PENDING) return;
      into.mergeColumn(this.decodeTrieRow(r, s.id), r.col);
      span.from = Math.min(span.from, r.t);
      span.until = Math.max(span.until, r.until);
      n++;
    };
    for (const piece of planRange(from, until, top)) {
      if (piece.level === 0) {
        for (const r of this.rawInRange(0, s.id, piece.lo, piece.hi)) raw(r);
        continue;
      }
      const size = bucketMs(piece.level);
      // The buckets of few profiles have no row: those profiles.
      for (const r of this.rawInRange(piece.level, s.id, piece.lo * size, piece.hi * size)) raw(r);
      for (const r of this.st.bucketsInRange.all(s.id, piece.level, piece.lo, piece.hi)) {
        let trie: TrieColumns;
        try {
          trie = this.bucketTrie(r, s.id, piece.level);
        } catch (e) {
          if (!(e instanceof PyroError)) throw e;
          warnings.push(`${e.message}; merged the finer levels instead`);
          // What the bucket held, without the pending profiles of its range: merged above already.
          const [lo, hi] = [r.bucket * size, (r.bucket + 1) * size];
          n += this.mergeRange(s, lo, hi, piece.level - 1, into, warnings, span, false);
          continue;
        }
        into.mergeFrom(trie);
        span.from = Math.min(span.from, r.bucket * size);
        span.until = Math.max(span.until, (r.bucket + 1) * size);
        n += r.count;
      }
    }
    return n;
  }

  relabel(selector: Selector, range: TimeRange, set: Record<string, string>, unset: string[]): { profiles: number } {
    if (unset.includes(APP_LABEL) || set[APP_LABEL] === '') {
      throw new PyroError(`${APP_LABEL} (the app name) cannot be removed, only changed`, 2);
    }
    return this.write('relabelling', () => {
      this.symbols.sync();
      this.placeAllPending();
      let moved = 0;
      for (const s of matchSeries(this.allSeries(), selector)) {
        const labels = { ...s.labels, ...set };
        for (const k of unset) delete labels[k];
        for (const [k, v] of Object.entries(labels)) if (v === '') delete labels[k];
        if (canonicalLabels(labels) === s.key) continue;
        const target = this.seriesId(s.type, labels, s.aggregation).id;
        moved += this.takeOut(s, range, (deltas, level) => this.propagate(target, level, deltas, 1), target);
      }
      this.st.deleteEmptySeries.run();
      return { profiles: moved };
    });
  }

  remove(selector: Selector, range: TimeRange): { profiles: number } {
    return this.write('removing profiles', () => {
      this.symbols.sync();
      this.placeAllPending();
      let removed = 0;
      for (const s of matchSeries(this.allSeries(), selector)) removed += this.takeOut(s, range);
      this.st.deleteEmptySeries.run();
      return { profiles: removed };
    });
  }

  /**
   * Takes the profiles of series `s` in the range out of it (raw ones, and
   * the buckets that `gc --keep-levels` left in place of raw data, whole),
   * fixing its buckets; with `target`, moves them there (and `add` puts them
   * into the target's buckets), else deletes them. Returns how many.
   */
  private takeOut(
    s: Series,
    range: TimeRange,
    add?: (deltas: Map<number, Delta>, level: number) => void,
    target?: number,
  ): number {
    const from = Math.max(-(2 ** 52), Math.ceil(range.from));
    const until = Math.min(2 ** 52, Math.ceil(range.until));
    const byBucket = new Map<number, Delta[]>();
    const unref: number[] = [];
    let n = 0;
    for (const r of this.rawInRange(0, s.id, from, until)) {
      const b = bucketOf(r.t, 1);
      const d: Delta = { n: 1, total: r.total, trie: once(() => this.decodeColumn(r, s.id)), ids: [r.id] };
      const list = byBucket.get(b);
      if (list) list.push(d);
      else byBucket.set(b, [d]);
      if (target === undefined) {
        this.st.deleteRaw.run(r.id);
        unref.push(r.trie);
      } else this.st.moveRaw.run(target, r.id);
      n++;
    }
    const raws = new Map([...byBucket].map(([b, ds]) => [b, mergeDeltas(ds)]));
    this.propagate(s.id, 1, raws, -1);
    add?.(raws, 1);
    // Only now: updating the buckets may have needed the tries.
    for (const trie of unref) {
      this.st.unrefTrie.run(trie);
      this.st.dropTrie.run(trie);
      this.fresh.delete(trie);
    }

    // Compacted data: whole KEPT_LEVEL buckets before the horizon, inside the range.
    const horizon = this.horizon;
    if (horizon > 0) {
      const size = bucketMs(KEPT_LEVEL);
      const lo = Math.ceil(from / size);
      const hi = Math.min(Math.floor(until / size), bucketOf(horizon, KEPT_LEVEL));
      const kept = new Map<number, Delta>();
      for (const r of this.st.bucketsInRange.all(s.id, KEPT_LEVEL, lo, hi)) {
        const trie = this.bucketTrie(r, s.id, KEPT_LEVEL);
        kept.set(r.bucket, { n: r.count, total: r.total, trie: () => ({ trie, col: 0 }), ids: [] });
        n += r.count;
      }
      if (kept.size > 0) {
        this.propagate(s.id, KEPT_LEVEL, kept, -1);
        add?.(kept, KEPT_LEVEL);
      }
    }
    return n;
  }

  gc(options: { olderThan: number; keepLevels: boolean }): { profiles: number; bytesFreed: number } {
    const before = this.bytesOnDisk();
    const profiles = this.write('collecting garbage', () => {
      this.symbols.sync();
      this.placeAllPending();
      if (!options.keepLevels) {
        let n = 0;
        for (const s of this.allSeries()) n += this.takeOut(s, { from: -(2 ** 52), until: options.olderThan });
        this.st.deleteEmptySeries.run();
        return n;
      }
      // Keep levels >= KEPT_LEVEL whole: cut on a KEPT_LEVEL bucket boundary, so that
      // the finer buckets dropped lie wholly before it.
      const cutoff = bucketOf(options.olderThan, KEPT_LEVEL) * bucketMs(KEPT_LEVEL);
      // The buckets of kept levels without a row that hold a profile about to go get a row
      // with all their profiles (those that stay then have a row at that level).
      const few = this.db
        .prepare<[number, number], { series: number; level: number; t: number }>(
          'SELECT series, level, t FROM profiles WHERE t < ? AND level > ?',
        )
        .all(cutoff, KEPT_LEVEL);
      const buckets = new Map<string, { series: number; level: number; b: number }>();
      for (const r of few) {
        for (let k = KEPT_LEVEL; k < r.level && k <= LEVELS; k++) {
          const b = bucketOf(r.t, k);
          buckets.set(`${r.series}/${k}/${b}`, { series: r.series, level: k, b });
        }
      }
      const levels = new Map<number, number>();
      for (const { series, level, b } of buckets.values()) {
        const size = bucketMs(level);
        const rows = this.rawInRange(level, series, b * size, (b + 1) * size);
        const trie = toStackTrie(rows.map((r) => this.decodeColumn(r, series)));
        const total = rows.reduce((a, r) => a + r.total, 0);
        this.st.insertBucket.run(series, level, b, rows.length, total, encodeTrie(trie));
        for (const r of rows) levels.set(r.id, Math.min(levels.get(r.id) ?? ALONE, level));
      }
      for (const [id, l] of levels) this.st.setLevel.run(l, id);
      this.db.prepare<[number]>('DELETE FROM tries WHERE id IN (SELECT trie FROM profiles WHERE t < ?)').run(cutoff);
      // Their ids may be handed out again.
      this.fresh.clear();
      const n = this.db.prepare<[number]>('DELETE FROM profiles WHERE t < ?').run(cutoff).changes;
      for (let k = 1; k < KEPT_LEVEL; k++) {
        this.db
          .prepare<[number, number]>('DELETE FROM buckets WHERE level = ? AND bucket < ?')
          .run(k, bucketOf(cutoff, k));
      }
      if (cutoff > this.horizon) this.st.setMeta.run('compacted_before', cutoff);
      return n;
    });
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.exec('VACUUM');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (e) {
      throw storeError(this.path, e, 'reclaiming space');
    }
    return { profiles, bytesFreed: Math.max(0, before - this.bytesOnDisk()) };
  }

  private bytesOnDisk(): number {
    let n = 0;
    for (const f of [this.path, `${this.path}-wal`]) if (existsSync(f)) n += statSync(f).size;
    return n;
  }
}

/** better-sqlite3, loaded on first use: a native module that commands reading only files never need. */
let sqliteModule: typeof Database | undefined;
function sqlite(): typeof Database {
  sqliteModule ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return sqliteModule;
}

function openDatabase(path: string): Database.Database {
  const Sqlite = sqlite();
  const db = new Sqlite(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    // In WAL mode, NORMAL loses no committed transaction when a process dies (only on power loss).
    db.pragma('synchronous = NORMAL');
    migrate(db, path);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: Database.Database, path: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() > STORE_VERSION) throw newerStore(path, version());
  if (version() === STORE_VERSION) return;
  db.transaction(() => {
    // Another process may have migrated while this one waited for the lock.
    const from = version();
    if (from > STORE_VERSION) throw newerStore(path, from);
    for (let v = from; v < STORE_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    db.pragma(`user_version = ${STORE_VERSION}`);
  }).immediate();
}

function newerStore(path: string, version: number): PyroError {
  return new PyroError(
    `store ${path} was written by a newer pyro (store format v${version}; this pyro reads up to v${STORE_VERSION}): upgrade pyro`,
  );
}

/** SQLite failures as one line naming the store and what was being done; others pass through. */
function storeError(path: string, e: unknown, what: string): unknown {
  if (e instanceof PyroError || !(e instanceof sqlite().SqliteError)) return e;
  const damaged = /^SQLITE_(CORRUPT|NOTADB|IOERR)/.test(e.code);
  return new PyroError(`store ${path}: ${damaged ? 'damaged: ' : ''}${e.message} (while ${what})`);
}

function canonicalLabels(labels: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) sorted[k] = labels[k] as string;
  return JSON.stringify(sorted);
}

/** `app.type{k="v",...}` (service_name is the app). */
export function seriesName(app: string, type: string, labels: Record<string, string>): string {
  const rest = Object.keys(labels)
    .filter((k) => k !== APP_LABEL)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${app}.${type}{${rest.join(',')}}`;
}

function rowName(r: SeriesRow): string {
  return seriesName(r.app, r.type, JSON.parse(r.labels));
}

function iso(t: number): string {
  return Number.isFinite(t) && Math.abs(t) < 8.64e15 ? new Date(t).toISOString() : String(t);
}

/** A profile's trie with store frame ids (as a blob of it decodes), for settle() to merge as it is. */
function inStoreFrames(trie: TrieColumns, frameMap: ArrayLike<number>): TrieColumns {
  const frame = new Int32Array(trie.size);
  frame[0] = -1;
  for (let n = 1; n < trie.size; n++) frame[n] = frameMap[trie.frame[n] as number] as number;
  return { size: trie.size, nTypes: trie.nTypes, parent: trie.parent, frame, self: trie.self };
}

/** The parts merged: their columns into a one-column trie, or (`whole`) every column of tries of as many. */
function toStackTrie(parts: TrieColumn[], whole = false): StackTrie {
  // Room for the largest part twice over: parts mostly share their stacks.
  const room = 2 * parts.reduce((a, p) => Math.max(a, p.trie.size), 0);
  const t = new StackTrie(whole ? (parts[0] as TrieColumn).trie.nTypes : 1, room);
  for (const p of parts) {
    if (whole) t.mergeFrom(p.trie);
    else t.mergeColumn(p.trie, p.col);
  }
  return t;
}

function mergeDeltas(ds: Delta[], sums?: TrieSums): Delta {
  if (ds.length === 1) return ds[0] as Delta;
  return {
    n: ds.reduce((a, d) => a + d.n, 0),
    total: ds.reduce((a, d) => a + d.total, 0),
    ids: ds.flatMap((d) => d.ids),
    trie: once(() => {
      const parts = ds.map((d) => d.trie());
      return sums?.sum(parts) ?? { trie: toStackTrie(parts), col: 0 };
    }),
  };
}

/**
 * Sums of whole tries (every column), each made once for all the series that
 * read one column of it: a profile's value columns are sibling series placed
 * together, whose buckets take the same tries' sums at every level.
 */
class TrieSums {
  private readonly ids = new WeakMap<TrieColumns, number>();
  private readonly sums = new Map<string, StackTrie>();
  private next = 0;

  /** The sum of `parts`; undefined unless they are tries of several columns read at one column. */
  sum(parts: TrieColumn[]): TrieColumn | undefined {
    const { col, trie: first } = parts[0] as TrieColumn;
    const k = first.nTypes;
    if (k === 1) return undefined;
    const keys: number[] = [];
    for (const p of parts) {
      if (p.col !== col || p.trie.nTypes !== k) return undefined;
      keys.push(this.idOf(p.trie));
    }
    const key = keys.sort((a, b) => a - b).join(',');
    let sum = this.sums.get(key);
    if (!sum) {
      sum = toStackTrie(parts, true);
      this.sums.set(key, sum);
    }
    return { trie: sum, col };
  }

  private idOf(trie: TrieColumns): number {
    let id = this.ids.get(trie);
    if (id === undefined) {
      id = this.next++;
      this.ids.set(trie, id);
    }
    return id;
  }
}

function once<T>(f: () => T): () => T {
  let value: T | undefined;
  return () => {
    if (value === undefined) value = f();
    return value;
  };
}

function negated({ trie: t, col }: TrieColumn): TrieColumn {
  const self = new Float64Array(t.size);
  for (let n = 0; n < t.size; n++) self[n] = -(t.self[n * t.nTypes + col] as number);
  return { trie: { size: t.size, nTypes: 1, parent: t.parent, frame: t.frame, self }, col: 0 };
}

/** `k+1, ..., PENDING`: the profile levels above k, for an IN list. */
function levelsAbove(k: number): string {
  return Array.from({ length: PENDING - k }, (_, i) => k + 1 + i).join(', ');
}

/** An object whose properties are made by their makers on first read, then kept. */
function lazily<T extends Record<string, () => unknown>>(makers: T): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const out = {};
  for (const [key, make] of Object.entries(makers)) {
    Object.defineProperty(out, key, {
      get() {
        const value = make();
        Object.defineProperty(out, key, { value });
        return value;
      },
      configurable: true,
    });
  }
  return out as { readonly [K in keyof T]: ReturnType<T[K]> };
}

/** The total of one value column (the root's total, without computing every node's). */
function columnSum(t: TrieColumns, column: number): number {
  let sum = 0;
  for (let i = column; i < t.size * t.nTypes; i += t.nTypes) sum += t.self[i] as number;
  return sum;
}
