// The local store (in-process, through dist/core/store/store.js): ingest of a
// 1,000,000-sample pprof; ingest of 10,000 ten-second Node.js CPU profiles
// spread over 30 days (two label values); a 30-day query over them, and its
// growth with 10x more profiles in the range; the store's size against the same
// profiles as gzipped pprof files.
// Targets: < 3 s; < 60 s; < 300 ms; growth < 2x; size < 1/3.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readProfile } from '../dist/core/formats/index.js';
import { pprof } from '../dist/core/formats/pprof.js';
import { openSource, sourceFromBuffer } from '../dist/core/io/source.js';
import { DB_FILE, Store } from '../dist/core/store/store.js';
import { fmt, mb, measure, OUT, ROOT, RUNS, table } from './lib.js';

const N = Number(process.env.BENCH_STORE_PROFILES ?? 10_000);
const BIG = join(OUT, 'cpu-1000000-200000.pb.gz');
const BASE = join(OUT, 'node-10s.cpuprofile');
const DAY = 86_400_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const now = process.hrtime.bigint;
const fresh = () => mkdtempSync(join(tmpdir(), 'pyro-bench-store-'));
const storeBytes = (dir) =>
  readdirSync(dir)
    .filter((f) => f.startsWith(DB_FILE))
    .reduce((s, f) => s + statSync(join(dir, f)).size, 0);
const rows = [];

// 1. One large pprof (made by bench/pprof.bench.js).
if (existsSync(BIG)) {
  const totals = [];
  const stores = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = fresh();
    const t0 = now();
    const p = await readProfile(await openSource(BIG));
    const t1 = now();
    const store = Store.open(dir);
    store.ingest(p, { app: 'big', at: Date.now() });
    store.close();
    totals.push(seconds(t0));
    stores.push(Number(now() - t1) / 1e9);
    rmSync(dir, { recursive: true, force: true });
  }
  rows.push([
    'ingest a 1,000,000-sample pprof (read + store, one transaction)',
    `${fmt(mb(statSync(BIG).size), 1)} MB gz`,
    `${fmt(median(totals))} s (store part ${fmt(median(stores))} s)`,
    '< 3 s',
  ]);
} else console.log(`${BIG} missing (run bench/pprof.bench.js first): large ingest skipped.`);

// 2. A real 10-second Node.js CPU profile, recorded once, then varied per profile.
if (!existsSync(BASE)) {
  const dir = fresh();
  const r = spawnSync(process.execPath, [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    join(ROOT, 'examples', 'app.js'),
    '10000',
  ]);
  if (r.status !== 0) throw new Error(`node --cpu-prof failed: ${r.stderr}`);
  renameSync(join(dir, readdirSync(dir)[0]), BASE);
}
const base = JSON.parse(readFileSync(BASE, 'utf8'));
let seed = 12345;
const random = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
};
/** Profile i: the base profile with 10% of its samples moved to other nodes and jittered time deltas. */
function variant() {
  const samples = base.samples.slice();
  const deltas = base.timeDeltas.slice();
  for (let k = 0; k < samples.length; k++) {
    if (random() < 0.1) samples[k] = base.samples[Math.floor(random() * samples.length)];
    deltas[k] = Math.max(1, Math.round(deltas[k] * (0.8 + random() * 0.4)));
  }
  return JSON.stringify({ ...base, samples, timeDeltas: deltas });
}

const end = Date.UTC(2026, 0, 1);
const start = end - 30 * DAY;
const dir = fresh();
let store = Store.open(dir);
let readS = 0;
let ingestS = 0;
let pprofBytes = 0;
for (let i = 0; i < N; i++) {
  const json = variant();
  let t0 = now();
  const p = await readProfile(await sourceFromBuffer(`p${i}.cpuprofile`, json));
  readS += seconds(t0);
  pprofBytes += pprof.write(p, {}).length;
  t0 = now();
  store.ingest(p, {
    app: 'bench',
    labels: { env: i % 2 ? 'prod' : 'staging' },
    at: start + Math.floor((i / N) * 30 * DAY),
  });
  ingestS += seconds(t0);
}
store.close();
const bytes = storeBytes(dir);
rows.push([
  `ingest ${N} ten-second Node.js CPU profiles over 30 days (one transaction each)`,
  `${base.samples.length} samples, ${base.nodes.length} nodes each`,
  `${fmt(ingestS + readS, 1)} s (store ${fmt(ingestS, 1)} s, reading the .cpuprofile JSON ${fmt(readS, 1)} s)`,
  '< 60 s',
]);
rows.push([
  `store size for those ${N} profiles vs the same as gzipped pprof (pprof writer)`,
  `${fmt(mb(pprofBytes), 1)} MB of .pb.gz`,
  `${fmt(mb(bytes), 1)} MB = ${fmt(bytes / pprofBytes, 3)} of the pprof size`,
  '< 1/3',
]);

// 3. Queries, in-process on an open store (the first one pays for reading the symbol table).
// The two ranges are timed alternately, many times, so that both see the same machine.
store = Store.open(dir);
const QUERY_RUNS = 41;
const queryOnce = (days) => {
  const t0 = now();
  const p = store.query({ app: 'bench', matchers: [] }, { from: end - days * DAY, until: end });
  return { s: seconds(t0), total: p.totals()[0] };
};
queryOnce(30);
const t3 = [];
const t30 = [];
for (let i = 0; i < QUERY_RUNS; i++) {
  t3.push(queryOnce(3).s);
  t30.push(queryOnce(30).s);
}
const q3 = { s: median(t3) };
const q30 = { s: median(t30) };
store.close();
rows.push([
  `query \`bench{}\` over 30 days (${N} profiles, both label values), in-process`,
  `${fmt(mb(bytes), 1)} MB store`,
  `${fmt(q30.s * 1000, 1)} ms`,
  '< 300 ms',
]);
rows.push([
  `growth: 30-day range (${N} profiles) vs 3-day range (${N / 10} profiles), same store, in-process, median of ${QUERY_RUNS}`,
  '10x more profiles in range',
  `${fmt(q3.s * 1000, 2)} ms -> ${fmt(q30.s * 1000, 2)} ms = ${fmt(q30.s / q3.s, 2)}x`,
  '< 2x',
]);
// The same query through the whole CLI, start-up included (what a user waits for).
const cli = await measure(
  process.execPath,
  [
    join(ROOT, 'bin', 'run.js'),
    'top',
    'bench{}',
    '--from',
    String(end - 30 * DAY),
    '--until',
    String(end),
    '--store',
    dir,
  ],
  {},
  11,
);
rows.push([
  `\`pyro top 'bench{}' --from 30 days ago\` through the CLI (start-up included)`,
  `${N} profiles`,
  `${fmt(cli.seconds * 1000, 0)} ms (median of ${cli.runs}), ${fmt(cli.rssMB, 0)} MB RSS`,
  '< 300 ms',
]);
const bare = await measure(process.execPath, ['-e', ''], {}, 11);
rows.push([
  '`node -e ""`: Node.js start-up alone, for scale (same machine, same run)',
  '',
  `${fmt(bare.seconds * 1000, 0)} ms (median of ${bare.runs})`,
  '',
]);
rmSync(dir, { recursive: true, force: true });

console.log(table(['case', 'input', 'pyro median', 'target'], rows));
console.log(
  `\nCommand: \`node bench/store.bench.js\` (BENCH_STORE_PROFILES=${N}, ${RUNS} runs for the large pprof, ` +
    `query medians of ${QUERY_RUNS} runs, in-process through dist/core/store/store.js; store size = pyro.db + WAL after close).\n`,
);
