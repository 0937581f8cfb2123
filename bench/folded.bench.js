// Folded stacks -> StackTrie throughput (target: >= 100 MB/s), in-process and through the CLI.
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseFolded } from '../dist/core/formats/folded.js';
import { openSource } from '../dist/core/io/source.js';
import { CORPUS, fmt, mb, measure, OUT, PYRO, RUNS, table } from './lib.js';

const TARGET_MB = Number(process.env.BENCH_FOLDED_MB ?? 100);
const file = join(OUT, `folded-${TARGET_MB}mb.folded`);

async function makeInput() {
  if (existsSync(file)) return;
  // Real stacks from the corpus, each made distinct with a synthetic leaf, so the trie keeps growing.
  const lines = [
    ...readFileSync(join(CORPUS, 'folded/base/flames.txt'), 'utf8').split('\n'),
    ...readFileSync(join(CORPUS, 'perf-script/inferno/results/example-perf-stacks-collapsed.txt'), 'utf8').split('\n'),
  ]
    .filter((l) => l.trim())
    .map((l) => {
      const sp = l.lastIndexOf(' ');
      return [l.slice(0, sp), l.slice(sp + 1)];
    });
  const out = createWriteStream(file);
  let written = 0;
  let i = 0;
  while (written < TARGET_MB * 1e6) {
    const [stack, count] = lines[i % lines.length];
    const line = `${stack};leaf_${i % 40000} ${count}\n`;
    written += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise((r) => out.once('drain', r));
    i++;
  }
  await new Promise((r) => out.end(r));
}

await makeInput();
const bytes = statSync(file).size;
const times = [];
let nodes = 0;
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const p = await parseFolded(await openSource(file));
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  nodes = p.trie().size;
}
times.sort((a, b) => a - b);
const inProcess = times[Math.floor(times.length / 2)];
const cli = await measure(process.execPath, [PYRO, 'info', file]);
console.log(
  table(
    ['case', 'input', 'pyro median', 'throughput', 'peak RSS', 'target'],
    [
      [
        'folded -> trie (in-process parseFolded)',
        `${fmt(mb(bytes), 0)} MB, ${nodes} nodes`,
        `${fmt(inProcess)} s`,
        `${fmt(mb(bytes) / inProcess, 0)} MB/s`,
        '',
        '>= 100 MB/s',
      ],
      [
        '`pyro info FILE` (whole CLI)',
        `${fmt(mb(bytes), 0)} MB`,
        `${fmt(cli.seconds)} s`,
        `${fmt(mb(bytes) / cli.seconds, 0)} MB/s`,
        `${fmt(cli.rssMB, 0)} MB`,
        '',
      ],
    ],
  ),
);
console.log(`\nCommand: \`node bench/folded.bench.js\` (BENCH_FOLDED_MB=${TARGET_MB}, ${RUNS} runs, medians)\n`);
