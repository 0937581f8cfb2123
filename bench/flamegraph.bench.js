// SVG flamegraphs from folded stacks: `pyro flamegraph` against FlameGraph's
// flamegraph.pl on the same input with the same --min-width (0.1 px, both
// defaults), in one run. Targets: at least 10x faster, output no larger.
// Inputs: the corpus's folded/base/flames.txt, and a folded file of 1,000,000
// samples over 200,000 distinct stacks (made from bench/go/genprof's pprof).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, findFlameGraphScript, fmt, measure, OUT, PYRO, RUNS, table } from './lib.js';

const BIG_PPROF = join(OUT, 'cpu-1000000-200000.pb.gz');
const BIG = join(OUT, 'folded-1000000-200000.folded');

if (!existsSync(BIG)) {
  if (!existsSync(BIG_PPROF)) throw new Error(`${BIG_PPROF} missing: run bench/pprof.bench.js first`);
  const r = spawnSync(process.execPath, [
    PYRO,
    'convert',
    BIG_PPROF,
    '--value',
    'samples',
    '--to',
    'folded',
    '-o',
    BIG,
  ]);
  if (r.status !== 0) throw new Error(`making ${BIG}: ${r.stderr}`);
}

const perl = findFlameGraphScript('flamegraph.pl');
if (!perl) console.log('flamegraph.pl not found (set FLAMEGRAPH_DIR): pyro alone.');
const rows = [];
for (const [label, input] of [
  ['corpus folded/base/flames.txt', join(CORPUS, 'folded', 'base', 'flames.txt')],
  ['1,000,000 samples, 200,000 distinct stacks', BIG],
]) {
  const oursOut = join(OUT, 'pyro-flamegraph.svg');
  const peerOut = join(OUT, 'flamegraph-pl.svg');
  const ours = await measure(process.execPath, [PYRO, 'flamegraph', input, '-o', oursOut]);
  const bareOut = join(OUT, 'pyro-flamegraph-no-embed.svg');
  await measure(process.execPath, [PYRO, 'flamegraph', input, '-o', bareOut, '--no-embed'], {}, 1);
  const peer = perl ? await measure('perl', [perl, input], { stdout: peerOut }) : undefined;
  const size = (f) => statSync(f).size / 1e6;
  rows.push([
    label,
    `${fmt(statSync(input).size / 1e6, 1)} MB folded`,
    `${fmt(ours.seconds)} s, ${fmt(size(oursOut), 2)} MB svg (${fmt(size(bareOut), 2)} MB with --no-embed), ${fmt(ours.rssMB, 0)} MB RSS`,
    peer ? `${fmt(peer.seconds)} s, ${fmt(size(peerOut), 2)} MB svg, ${fmt(peer.rssMB, 0)} MB RSS` : 'n/a',
    peer ? `${fmt(peer.seconds / ours.seconds, 1)}x` : 'n/a',
    '>= 10x, svg no larger',
  ]);
}

console.log(table(['case', 'input', 'pyro median', 'flamegraph.pl median', 'ratio', 'target'], rows));
console.log(
  `\nCommands: \`pyro flamegraph IN -o out.svg\` vs \`flamegraph.pl IN > out.svg\` (defaults: 1200 px wide, --minwidth 0.1 px; medians of ${RUNS} runs; pyro's SVG also carries the whole profile inside unless --no-embed).\n`,
);
