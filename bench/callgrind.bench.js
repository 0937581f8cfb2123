// callgrind reading: in-process MB/s of the reader (parse + call graph -> stacks), `pyro top` through
// the CLI, and callgrind_annotate --inclusive=yes (the peer, a Perl script that only sums) on the same file.
// The input is synthetic, shaped like valgrind's output: one part, name compression, relative
// positions, calls to later functions only (no recursion), inclusive costs consistent with the self costs.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CallgrindReader } from '../dist/core/formats/callgrind.js';
import { forEachLine } from '../dist/core/io/lines.js';
import { openSource } from '../dist/core/io/source.js';
import { fmt, mb, measure, OUT, PYRO, RUNS, seededRandom, table } from './lib.js';

const TARGET_MB = Number(process.env.BENCH_CALLGRIND_MB ?? 100);
const file = join(OUT, `callgrind-${TARGET_MB}mb.out`);

async function makeInput() {
  if (existsSync(file)) return;
  const rnd = seededRandom(42);
  const int = (n) => Math.floor(rnd() * n);
  // About 400 bytes per function.
  const n = Math.max(100, Math.round((TARGET_MB * 1e6) / 400));
  const files = 2000;
  const fileOf = Int32Array.from({ length: n }, () => int(files));
  const objectOf = fileOf.map((f) => f % 8);
  const firstLine = Int32Array.from({ length: n }, () => 1 + int(5000));
  // Each function's own cost lines (line offset, Ir) and its calls (callee, count, share of the callee).
  const lines = [];
  const calls = [];
  const callers = new Int32Array(n);
  for (let f = 0; f < n; f++) {
    const own = [];
    for (let i = 5 + int(30); i > 0; i--) own.push([int(8) - 2, 1 + int(2000)]);
    lines.push(own);
    const out = [];
    if (f < n - 1) {
      for (let i = int(5); i > 0; i--) {
        const to = f + 1 + int(Math.min(2000, n - f - 1));
        out.push([to, 1 + int(50)]);
        callers[to]++;
      }
    }
    calls.push(out);
  }
  // Inclusive costs, callees first: each caller of g passes an equal part of g's inclusive cost.
  const incl = new Float64Array(n);
  for (let f = n - 1; f >= 0; f--) {
    let sum = 0;
    for (const [, c] of lines[f]) sum += c;
    for (const call of calls[f]) {
      call[2] = Math.floor(incl[call[0]] / callers[call[0]]);
      sum += call[2];
    }
    incl[f] = sum;
  }
  const defined = { ob: new Set(), fl: new Set(), fn: new Set() };
  const name = (kind, id, text) => {
    if (defined[kind].has(id)) return `(${id})`;
    defined[kind].add(id);
    return `(${id}) ${text}`;
  };
  const obName = (o) => `/usr/lib/x86_64-linux-gnu/libbench${o}.so.1`;
  const flName = (f) => `/build/src/module${f % 97}/file_${f}.cc`;
  const fnName = (f) => `bench::module${fileOf[f] % 97}::Class${f % 1000}::method_${f}(int, std::string const&)`;
  const out = createWriteStream(file);
  const write = async (s) => {
    if (!out.write(s)) await new Promise((r) => out.once('drain', r));
  };
  let total = 0;
  for (const own of lines) for (const [, c] of own) total += c;
  await write(
    `# callgrind format\nversion: 1\ncreator: pyro bench\npid: 1\ncmd:  ./bench\npart: 1\n\npositions: line\nevents: Ir\nsummary: ${total}\n\n`,
  );
  let chunk = '';
  for (let f = 0; f < n; f++) {
    let s = `ob=${name('ob', objectOf[f], obName(objectOf[f]))}\nfl=${name('fl', fileOf[f], flName(fileOf[f]))}\n`;
    s += `fn=${name('fn', f, fnName(f))}\n`;
    let line = firstLine[f];
    s += `${line} ${lines[f][0][1]}\n`;
    let next = 1;
    for (const [to, count, cost] of calls[f]) {
      for (let k = 0; k < 3 && next < lines[f].length; k++, next++) {
        const [d, c] = lines[f][next];
        s += `${d === 0 ? '*' : d > 0 ? `+${d}` : d} ${c}\n`;
        line += d;
      }
      if (objectOf[to] !== objectOf[f]) s += `cob=${name('ob', objectOf[to], obName(objectOf[to]))}\n`;
      if (fileOf[to] !== fileOf[f]) s += `cfi=${name('fl', fileOf[to], flName(fileOf[to]))}\n`;
      const target = firstLine[to] - line;
      s += `cfn=${name('fn', to, fnName(to))}\ncalls=${count} ${target >= 0 ? `+${target}` : target}\n* ${cost}\n`;
    }
    for (; next < lines[f].length; next++) {
      const [d, c] = lines[f][next];
      s += `${d === 0 ? '*' : d > 0 ? `+${d}` : d} ${c}\n`;
    }
    chunk += `${s}\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(`${chunk}totals: ${total}\n`);
  await new Promise((r) => out.end(r));
}

await makeInput();
const bytes = statSync(file).size;
// In-process: reading the lines (parse into the call graph), then the call graph -> stacks.
const runs = [];
let nodes = 0;
let functions = 0;
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const reader = new CallgrindReader(file);
  await forEachLine(await openSource(file), (buf, start, end, lineNo) => reader.line(buf, start, end, lineNo));
  const t1 = process.hrtime.bigint();
  const p = reader.finish();
  const t2 = process.hrtime.bigint();
  runs.push({ parse: Number(t1 - t0) / 1e9, stacks: Number(t2 - t1) / 1e9, all: Number(t2 - t0) / 1e9 });
  nodes = p.trie().size;
  functions = p.frames.size;
}
const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
const cli = await measure(process.execPath, [PYRO, 'top', file]);
const hasPeer = spawnSync('sh', ['-c', 'command -v callgrind_annotate']).status === 0;
const peer = hasPeer ? await measure('callgrind_annotate', ['--inclusive=yes', file]) : undefined;
const rate = (s) => `${fmt(mb(bytes) / s, 0)} MB/s`;
console.log(
  table(
    ['case', 'input', 'pyro median', 'throughput', 'peak RSS', 'peer', 'ratio'],
    [
      [
        'callgrind lines -> call graph (in-process parse)',
        `${fmt(mb(bytes), 0)} MB, ${functions} functions`,
        `${fmt(median('parse'))} s`,
        rate(median('parse')),
        '',
        '',
        '',
      ],
      ['call graph -> stacks', `${nodes} stack nodes`, `${fmt(median('stacks'))} s`, '', '', '', ''],
      [
        'callgrind -> Profile (in-process, both)',
        `${fmt(mb(bytes), 0)} MB`,
        `${fmt(median('all'))} s`,
        rate(median('all')),
        '',
        '',
        '',
      ],
      [
        '`pyro top FILE` vs `callgrind_annotate --inclusive=yes FILE`',
        `${fmt(mb(bytes), 0)} MB`,
        `${fmt(cli.seconds)} s`,
        rate(cli.seconds),
        `${fmt(cli.rssMB, 0)} MB`,
        peer ? `${fmt(peer.seconds)} s (${rate(peer.seconds)}, ${fmt(peer.rssMB, 0)} MB RSS)` : 'not installed',
        peer ? `${fmt(peer.seconds / cli.seconds, 1)}x` : 'n/a',
      ],
    ],
  ),
);
console.log(`\nCommand: \`node bench/callgrind.bench.js\` (BENCH_CALLGRIND_MB=${TARGET_MB}, ${RUNS} runs, medians)\n`);
