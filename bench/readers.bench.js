// The readers that have no benchmark of their own (heap profiles, GHC JSON
// profiles, flamebearer JSON, Pyroscope's trie, tree and lines bodies): each
// reads a generated input of about 50 MB in-process (through dist/), and its
// throughput is the input's size over the median time of RUNS reads.

import { writeFlamebearer } from '../dist/core/formats/flamebearer.js';
import { readProfile } from '../dist/core/formats/index.js';
import { writePyroscopeTree, writePyroscopeTrie } from '../dist/core/formats/pyroscope-binary.js';
import { sourceFromBuffer } from '../dist/core/io/source.js';
import { ProfileBuilder } from '../dist/core/model/builder.js';
import { fmt, RUNS, seededRandom, table } from './lib.js';

const TARGET = Number(process.env.BENCH_READERS_MB ?? 50) * 1e6;
const random = seededRandom(99);
const pick = (n) => Math.floor(random() * n);
const NAMES = Array.from({ length: 5000 }, (_, i) => `module${i % 50}.Function${i}`);

/** A call tree as nested nodes: `fanout` children a node, `depth` deep, until about `count` nodes. */
function callTree(count, make) {
  let made = 0;
  const grow = (depth) => {
    const node = make(made++, depth);
    const kids = [];
    if (depth < 40) {
      const fanout = depth < 3 ? 8 : pick(3);
      for (let k = 0; k < fanout && made < count; k++) kids.push(grow(depth + 1));
    }
    node.children = kids;
    return node;
  };
  const roots = [];
  while (made < count) roots.push(grow(0));
  return roots;
}

function heapprofile() {
  const nodes = Math.round(TARGET / 190);
  const head = {
    callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 },
    selfSize: 0,
    id: 0,
    children: callTree(nodes, (id) => ({
      callFrame: {
        functionName: NAMES[pick(NAMES.length)],
        scriptId: '1',
        url: `file:///app/src/m${id % 97}.js`,
        lineNumber: pick(900),
        columnNumber: pick(80),
      },
      selfSize: pick(4) === 0 ? 32768 * (1 + pick(8)) : 0,
      id: id + 1,
    })),
  };
  return Buffer.from(JSON.stringify({ head, samples: [] }));
}

function ghcProf() {
  const centres = NAMES.map((n, i) => ({
    id: i + 1,
    label: n.split('.')[1],
    module: n.split('.')[0],
    src_loc: `src/M${i % 50}.hs:${i}:1-20`,
    is_caf: false,
  }));
  const nodes = Math.round(TARGET / 95);
  const profile = {
    id: 1,
    entries: 1,
    alloc: 0,
    ticks: 0,
    children: callTree(nodes, () => ({
      id: 1 + pick(centres.length),
      entries: 1 + pick(100),
      alloc: pick(1e6),
      ticks: pick(3),
    })),
  };
  return Buffer.from(
    JSON.stringify({
      program: 'bench',
      arguments: [],
      rts_arguments: ['-pj'],
      end_time: '',
      initial_capabilities: 1,
      total_time: 1,
      total_ticks: 1,
      tick_interval: 1000,
      total_alloc: 1,
      cost_centres: centres,
      profile,
    }),
  );
}

/** A profile of random deep stacks, for the writers whose output is read back. */
function stacks(n) {
  const b = new ProfileBuilder([{ type: 'samples', unit: 'count' }], 'bench');
  const frames = NAMES.map((x) => b.frame(x));
  for (let i = 0; i < n; i++) {
    const depth = 10 + pick(30);
    for (let d = 0; d < depth; d++) b.push(frames[d < 8 ? d : pick(frames.length)]);
    b.commitLeafFirst(1 + pick(10));
  }
  return b.finish();
}

function lines() {
  const parts = [];
  let size = 0;
  while (size < TARGET) {
    const depth = 5 + pick(20);
    const line = `${Array.from({ length: depth }, (_, d) => NAMES[d < 4 ? d : pick(NAMES.length)]).join(';')}\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join(''));
}

const big = stacks(Math.round(TARGET / 1000));
const inputs = [
  ['heapprofile', 'V8 .heapprofile (a call tree)', heapprofile()],
  ['ghc-prof', 'GHC JSON profile (+RTS -pj)', ghcProf()],
  ['flamebearer', "Pyroscope's flamebearer JSON", writeFlamebearer(big, {})],
  ['pyroscope-trie', "Pyroscope's trie body", writePyroscopeTrie(big, {})],
  ['pyroscope-tree', "Pyroscope's tree body", writePyroscopeTree(big, {})],
  ['pyroscope-lines', "Pyroscope's lines body", lines()],
];
const rows = [];
for (const [id, what, bytes] of inputs) {
  const times = [];
  let nodes = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const p = await readProfile(await sourceFromBuffer(`bench.${id}`, bytes), {}, id);
    times.push((performance.now() - t0) / 1000);
    nodes = p.trie().size;
  }
  times.sort((a, b) => a - b);
  const s = times[Math.floor(times.length / 2)];
  rows.push([
    what,
    `${fmt(bytes.length / 1e6, 1)} MB, ${nodes} trie nodes`,
    `${fmt(s)} s`,
    `${fmt(bytes.length / 1e6 / s, 0)} MB/s`,
  ]);
}
console.log(table(['reader', 'input', `median of ${RUNS}`, 'throughput'], rows));
