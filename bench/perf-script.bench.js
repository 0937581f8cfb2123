// perf script -> folded: pyro against FlameGraph's stackcollapse-perf.pl (target: >= 10x its throughput),
// peak RSS on a ~1 GB input (target: under 300 MB, flat with input size), and reading through stdin.
// The repeated input repeats every stack, which pyro's cache of whole stack blocks turns to its
// advantage; the same input with addresses made unique per copy shows the speed without it.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CORPUS, findFlameGraphScript, fmt, mb, measure, OUT, PYRO, RUNS, table } from './lib.js';

const MB = Number(process.env.BENCH_PERF_MB ?? 150);
const BIG_MB = Number(process.env.BENCH_PERF_BIG_MB ?? 1000);

/** The example capture inferno's comparison uses, repeated to about `size` MB. */
async function repeated(size) {
  const file = join(OUT, `perf-script-${size}mb.txt`);
  if (existsSync(file)) return file;
  const one = gunzipSync(readFileSync(join(CORPUS, 'perf-script/flamegraph/example-perf-stacks.txt.gz')));
  const out = createWriteStream(file);
  for (let written = 0; written < size * 1e6; written += one.length) {
    if (!out.write(one)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  return file;
}

/** The same, each copy's frame addresses suffixed with the copy's number: no stack line or block repeats across copies. */
async function unique(size) {
  const file = join(OUT, `perf-script-unique-${size}mb.txt`);
  if (existsSync(file)) return file;
  const one = gunzipSync(readFileSync(join(CORPUS, 'perf-script/flamegraph/example-perf-stacks.txt.gz'))).toString(
    'latin1',
  );
  const out = createWriteStream(file);
  for (let i = 0, written = 0; written < size * 1e6; i++) {
    const copy = Buffer.from(one.replace(/^(\s+)([0-9a-f]+) /gm, `$1$2${i.toString(16)} `), 'latin1');
    written += copy.length;
    if (!out.write(copy)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  return file;
}

const file = await repeated(MB);
const bytes = statSync(file).size;
const pyroArgs = [PYRO, 'convert', file, '--all', '--to', 'folded'];
const ours = await measure(process.execPath, pyroArgs);
const stdin = await measure(process.execPath, [PYRO, 'convert', '-', '--all', '--to', 'folded'], { stdin: file });
const perl = findFlameGraphScript('stackcollapse-perf.pl');
const peer = perl ? await measure('perl', [perl, '--all', file]) : undefined;
/** Same answer, or the timing means nothing. */
function sameAsPerl(input) {
  const a = spawnSync(process.execPath, [PYRO, 'convert', input, '--all', '--to', 'folded'], {
    maxBuffer: 1 << 30,
  }).stdout;
  const b = spawnSync('perl', [perl, '--all', input], { maxBuffer: 1 << 30 }).stdout;
  if (!a.equals(b)) throw new Error(`pyro and stackcollapse-perf.pl disagree on ${input}`);
}
if (peer) sameAsPerl(file);
const uniq = await unique(MB);
const uniqBytes = statSync(uniq).size;
const oursUniq = await measure(process.execPath, [PYRO, 'convert', uniq, '--all', '--to', 'folded']);
const peerUniq = perl ? await measure('perl', [perl, '--all', uniq]) : undefined;
if (peerUniq) sameAsPerl(uniq);
const big = await repeated(BIG_MB);
const bigBytes = statSync(big).size;
const bigRun = await measure(process.execPath, [PYRO, 'convert', big, '--all', '--to', 'folded']);

const rate = (b, s) => `${fmt(mb(b) / s, 0)} MB/s`;
const rows = [
  [
    '`pyro convert FILE --all --to folded` vs `stackcollapse-perf.pl --all FILE`',
    `${fmt(mb(bytes), 0)} MB`,
    `${fmt(ours.seconds)} s (${rate(bytes, ours.seconds)}, ${fmt(ours.rssMB, 0)} MB RSS)`,
    peer ? `${fmt(peer.seconds)} s (${rate(bytes, peer.seconds)})` : 'peer not found (set FLAMEGRAPH_DIR)',
    peer ? `${fmt(peer.seconds / ours.seconds, 1)}x` : 'n/a',
  ],
  [
    'same, stacks never repeat (addresses unique per copy)',
    `${fmt(mb(uniqBytes), 0)} MB`,
    `${fmt(oursUniq.seconds)} s (${rate(uniqBytes, oursUniq.seconds)}, ${fmt(oursUniq.rssMB, 0)} MB RSS)`,
    peerUniq ? `${fmt(peerUniq.seconds)} s (${rate(uniqBytes, peerUniq.seconds)})` : 'peer not found',
    peerUniq ? `${fmt(peerUniq.seconds / oursUniq.seconds, 1)}x` : 'n/a',
  ],
  [
    'pyro through stdin (`convert - < FILE`)',
    `${fmt(mb(bytes), 0)} MB`,
    `${fmt(stdin.seconds)} s (${rate(bytes, stdin.seconds)}, ${fmt(stdin.rssMB, 0)} MB RSS)`,
    '',
    '',
  ],
  [
    'pyro on a large input: peak RSS',
    `${fmt(mb(bigBytes), 0)} MB`,
    `${fmt(bigRun.seconds)} s (${rate(bigBytes, bigRun.seconds)}, ${fmt(bigRun.rssMB, 0)} MB RSS)`,
    '',
    'target: < 300 MB RSS',
  ],
];
console.log(table(['case', 'input size', 'pyro median', 'peer median', 'ratio'], rows));
console.log(
  `\nCommands (${RUNS} runs each, medians; target >= 10x): \`node bin/run.js convert ${file} --all --to folded\`, ` +
    `\`perl ${perl ?? '$FLAMEGRAPH_DIR/stackcollapse-perf.pl'} --all ${file}\`, stdin: \`node bin/run.js convert - --all --to folded < ${file}\`. ` +
    `Input: example-perf-stacks.txt.gz repeated (BENCH_PERF_MB=${MB}, BENCH_PERF_BIG_MB=${BIG_MB}); unique stacks: ${uniq}.\n`,
);
