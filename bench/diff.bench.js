// pyro diff against FlameGraph's difffolded.pl (and flamegraph.pl for the
// differential SVG) on the same pair: a 100,000-sample profile against a
// 1,000,000-sample one (200,000 distinct stacks), as folded files.
// Targets: the differential SVG >= 10x faster than `difffolded.pl | flamegraph.pl`;
// `--to folded-diff` no slower than difffolded.pl alone; the table under 2 s.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findFlameGraphScript, fmt, measure, OUT, PYRO, ROOT, RUNS, table } from './lib.js';

function folded(samples, stacks) {
  const file = join(OUT, `folded-${samples}-${stacks}.folded`);
  if (existsSync(file)) return file;
  const pb = join(OUT, `cpu-${samples}-${stacks}.pb.gz`);
  if (!existsSync(pb)) {
    const gen = join(OUT, 'genprof');
    if (!existsSync(gen)) spawnSync('go', ['build', '-o', gen, './bench/go/genprof'], { cwd: ROOT, stdio: 'inherit' });
    const r = spawnSync(gen, [pb, String(samples), String(stacks)], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('genprof failed (is go installed?)');
  }
  const r = spawnSync(process.execPath, [PYRO, 'convert', pb, '--value', 'samples', '--to', 'folded', '-o', file]);
  if (r.status !== 0) throw new Error(`making ${file}: ${r.stderr}`);
  return file;
}

const base = folded(100000, 200000);
const next = folded(1000000, 200000);
const difffolded = findFlameGraphScript('difffolded.pl');
const flamegraph = findFlameGraphScript('flamegraph.pl');
if (!difffolded || !flamegraph)
  console.log('difffolded.pl / flamegraph.pl not found (set FLAMEGRAPH_DIR): pyro alone.');
const pair = `${fmt(statSync(base).size / 1e6, 1)} MB + ${fmt(statSync(next).size / 1e6, 1)} MB folded`;
const rows = [];

const svg = await measure(process.execPath, [PYRO, 'diff', base, next, '-o', join(OUT, 'pyro-diff.svg')]);
const peerSvg =
  difffolded && flamegraph
    ? await measure('bash', [
        '-c',
        `perl '${difffolded}' '${base}' '${next}' | perl '${flamegraph}' > '${join(OUT, 'perl-diff.svg')}'`,
      ])
    : undefined;
rows.push([
  'differential SVG',
  pair,
  `${fmt(svg.seconds)} s, ${fmt(svg.rssMB, 0)} MB RSS`,
  peerSvg ? `${fmt(peerSvg.seconds)} s (difffolded.pl | flamegraph.pl)` : 'n/a',
  peerSvg ? `${fmt(peerSvg.seconds / svg.seconds, 1)}x` : 'n/a',
  '>= 10x',
]);
const fd = await measure(process.execPath, [PYRO, 'diff', base, next, '--to', 'folded-diff'], {
  stdout: join(OUT, 'pyro.folded-diff'),
});
const peerFd = difffolded
  ? await measure('perl', [difffolded, base, next], { stdout: join(OUT, 'perl.folded-diff') })
  : undefined;
rows.push([
  '`--to folded-diff`',
  pair,
  `${fmt(fd.seconds)} s`,
  peerFd ? `${fmt(peerFd.seconds)} s (difffolded.pl)` : 'n/a',
  peerFd ? `${fmt(peerFd.seconds / fd.seconds, 1)}x` : 'n/a',
  'no slower',
]);
const tableRun = await measure(process.execPath, [PYRO, 'diff', base, next]);
rows.push(['the table (`pyro diff BASE NEW`)', pair, `${fmt(tableRun.seconds)} s`, '', '', '< 2 s']);

console.log(table(['case', 'input', 'pyro median', 'peer median', 'ratio', 'target'], rows));
console.log(`\nCommand: \`FLAMEGRAPH_DIR=... node bench/diff.bench.js\` (medians of ${RUNS} runs).\n`);
