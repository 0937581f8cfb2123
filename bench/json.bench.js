// JSON formats: a ~100 MB .cpuprofile (the nodes of a real Chrome profile,
// millions of samples), read by `pyro info` and converted to folded and to
// speedscope; next to the floor any JSON reader in Node pays (read + JSON.parse).
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, fmt, mb, measure, OUT, PYRO, RUNS, table } from './lib.js';

const TARGET_MB = Number(process.env.BENCH_JSON_MB ?? 100);
const file = join(OUT, `cpuprofile-${TARGET_MB}mb.cpuprofile`);

async function makeInput() {
  if (existsSync(file)) return;
  const real = JSON.parse(readFileSync(join(CORPUS, 'speedscope-samples/Chrome/65/sucrase.cpuprofile'), 'utf8'));
  // Each sample of the real profile, in order, over and over: ~9 bytes per sample (id + delta).
  const n = Math.round((TARGET_MB * 1e6) / 9);
  const out = createWriteStream(file);
  const write = async (s) => {
    if (!out.write(s)) await new Promise((r) => out.once('drain', r));
  };
  await write(
    `{"nodes":${JSON.stringify(real.nodes)},"startTime":${real.startTime},"endTime":${real.startTime + n * 1000},"samples":[`,
  );
  const m = real.samples.length;
  for (let i = 0; i < n; i += 100_000) {
    const part = [];
    for (let k = i; k < Math.min(n, i + 100_000); k++) part.push(real.samples[k % m]);
    await write(`${i > 0 ? ',' : ''}${part.join(',')}`);
  }
  await write('],"timeDeltas":[');
  for (let i = 0; i < n; i += 100_000) {
    const part = [];
    for (let k = i; k < Math.min(n, i + 100_000); k++) part.push(real.timeDeltas[k % m]);
    await write(`${i > 0 ? ',' : ''}${part.join(',')}`);
  }
  await write(']}\n');
  await new Promise((r) => out.end(r));
}

await makeInput();
const size = `${fmt(mb(statSync(file).size), 0)} MB`;
const floor = await measure(process.execPath, [
  '-e',
  `JSON.parse(require('fs').readFileSync(${JSON.stringify(file)}, 'utf8'))`,
]);
const cases = [
  ['`pyro info FILE`', ['info', file]],
  ['`pyro convert FILE` (folded)', ['convert', file]],
  ['`pyro convert --to speedscope FILE`', ['convert', '--to', 'speedscope', file]],
];
const rows = [];
for (const [name, args] of cases) {
  const r = await measure(process.execPath, [PYRO, ...args]);
  rows.push([
    name,
    size,
    `${fmt(r.seconds)} s, ${fmt(r.rssMB, 0)} MB RSS`,
    `${fmt(floor.seconds)} s, ${fmt(floor.rssMB, 0)} MB RSS`,
    fmt(r.seconds / floor.seconds),
  ]);
}
console.log(table(['case', 'input size', 'pyro median', 'floor: read + JSON.parse (node -e)', 'ratio'], rows));
console.log(
  `\nCommands: \`node bin/run.js info|convert [--to speedscope] ${file}\` vs \`node -e "JSON.parse(require('fs').readFileSync(FILE, 'utf8'))"\` (BENCH_JSON_MB=${TARGET_MB}, ${RUNS} runs, medians). No peer tool reads .cpuprofile from the command line, so the floor is what parsing the JSON alone costs.\n`,
);
