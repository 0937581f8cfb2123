// Trace-event JSON with duration events: a ~50 MB synthetic trace shaped like
// Chrome's (a bare array; B/E pairs and X events on 4 threads, each thread's
// events in time order, the threads' buffers interleaved in chunks), read by
// `pyro info` and converted to folded; next to the floor any JSON reader in
// Node pays (read + JSON.parse). MB/s is the input size over the median time.
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, mb, measure, OUT, PYRO, RUNS, seededRandom, table } from './lib.js';

const TARGET_MB = Number(process.env.BENCH_TRACE_MB ?? 50);
const file = join(OUT, `trace-events-${TARGET_MB}mb.json`);
const THREADS = 4;
const CHUNK = 5000;

/** One thread's events: a random walk of calls (depth up to 24, 400 names, a few hot), as JSON lines. */
function* threadEvents(tid) {
  const rand = seededRandom(tid);
  const stack = [];
  let ts = 1_000_000;
  for (;;) {
    ts += 1 + Math.floor(rand() * 40);
    const r = rand();
    const name = `fn${Math.floor(rand() ** 3 * 400)}`;
    if (stack.length > 0 && (r < 0.4 || stack.length >= 24)) {
      yield `{"pid":1,"tid":${tid},"ph":"E","ts":${ts},"name":"${stack.pop()}","cat":"v8","args":{}}`;
    } else if (r < 0.6) {
      const dur = 1 + Math.floor(rand() * 20);
      yield `{"pid":1,"tid":${tid},"ph":"X","ts":${ts},"dur":${dur},"name":"${name}","cat":"v8","args":{}}`;
      ts += dur;
    } else {
      stack.push(name);
      yield `{"pid":1,"tid":${tid},"ph":"B","ts":${ts},"name":"${name}","cat":"v8","args":{}}`;
    }
  }
}

async function makeInput() {
  if (existsSync(file)) return;
  const out = createWriteStream(file);
  const write = async (s) => {
    if (!out.write(s)) await new Promise((r) => out.once('drain', r));
  };
  const target = TARGET_MB * 1e6;
  await write('[');
  for (let t = 1; t <= THREADS; t++) {
    await write(
      `${t > 1 ? ',' : ''}\n{"pid":1,"tid":${t},"ph":"M","name":"thread_name","args":{"name":"worker ${t}"}}`,
    );
  }
  const threads = Array.from({ length: THREADS }, (_, t) => threadEvents(t + 1));
  let size = 0;
  for (let k = 0; size < target; k++) {
    const lines = [];
    for (let i = 0; i < CHUNK; i++) lines.push(threads[k % THREADS].next().value);
    const part = `,\n${lines.join(',\n')}`;
    size += part.length;
    await write(part);
  }
  await write('\n]\n');
  await new Promise((r) => out.end(r));
}

await makeInput();
const bytes = statSync(file).size;
const size = `${fmt(mb(bytes), 0)} MB`;
const floor = await measure(process.execPath, [
  '-e',
  `JSON.parse(require('fs').readFileSync(${JSON.stringify(file)}, 'utf8'))`,
]);
const rate = (seconds) => `${fmt(mb(bytes) / seconds, 0)} MB/s`;
const cases = [
  ['`pyro info FILE`', ['info', file]],
  ['`pyro convert FILE` (folded)', ['convert', file]],
];
const rows = [];
for (const [name, args] of cases) {
  const r = await measure(process.execPath, [PYRO, ...args]);
  rows.push([
    name,
    size,
    `${fmt(r.seconds)} s (${rate(r.seconds)}), ${fmt(r.rssMB, 0)} MB RSS`,
    `${fmt(floor.seconds)} s (${rate(floor.seconds)}), ${fmt(floor.rssMB, 0)} MB RSS`,
    fmt(r.seconds / floor.seconds),
  ]);
}
console.log(table(['case', 'input size', 'pyro median', 'floor: read + JSON.parse (node -e)', 'ratio'], rows));
console.log(
  `\nCommands: \`node bin/run.js info|convert ${file}\` vs \`node -e "JSON.parse(require('fs').readFileSync(FILE, 'utf8'))"\` (BENCH_TRACE_MB=${TARGET_MB}, ${RUNS} runs, medians). The trace holds B/E pairs and X events only, so the duration-event reader is what is timed. No peer reads trace events from the command line (speedscope imports them in the browser), so the floor is what parsing the JSON alone costs.\n`,
);
