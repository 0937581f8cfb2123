// JFR reading: pyro on a ~100 MB recording (targets: >= 50 MB/s, < 300 MB peak RSS), beside the
// JDK's own parser (jdk.jfr.consumer.RecordingFile folding the same events' stacks, bench/jfr/JfrFold.java)
// and `jfr summary` (which reads only event headers). The recordings are made here: bench/jfr/Load.java
// run under the JDK's flight recorder with allocation events on (millions of events over thousands of
// stacks): one of the JDK's ~12 MB chunks, repeated to BENCH_JFR_MB; and one long recording in a
// single chunk (as async-profiler writes them), the case where the buffer pyro holds is largest.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readJfr } from '../dist/core/formats/jfr/read.js';
import { openSource } from '../dist/core/io/source.js';
import { fmt, mb, OUT, PYRO, ROOT, RUNS, table } from './lib.js';

const TARGET_MB = Number(process.env.BENCH_JFR_MB ?? 100);
const SECONDS = Number(process.env.BENCH_JFR_SECONDS ?? 10);
/** How long a recording of one chunk of about TARGET_MB takes (the JDK's chunks are ~12 MB unless asked otherwise). */
const SINGLE_SECONDS = Number(process.env.BENCH_JFR_SINGLE_SECONDS ?? Math.round((SECONDS * TARGET_MB) / 30));
const record = join(OUT, `jfr-load-${SECONDS}s.jfr`);
const file = join(OUT, `jfr-${TARGET_MB}mb.jfr`);
const single = join(OUT, `jfr-one-chunk-${SINGLE_SECONDS}s.jfr`);
const classes = join(OUT, 'jfr-classes');

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
}

/** Records bench/jfr/Load.java for `seconds` with allocation events on (small fixed TLABs: an event every few allocations). */
function recordLoad(out, seconds, options = []) {
  const settings = [
    `filename=${out}`,
    'settings=profile',
    'jdk.ObjectAllocationInNewTLAB#enabled=true',
    'jdk.ObjectAllocationOutsideTLAB#enabled=true',
    'jdk.ExecutionSample#period=1ms',
  ];
  const jvm = ['-XX:TLABSize=2k', '-XX:-ResizeTLAB', ...options, `-XX:StartFlightRecording=${settings.join(',')}`];
  sh('java', [...jvm, '-Xlog:jfr=warning', '-cp', classes, 'Load', String(seconds * 1000), '4']);
}

if (spawnSync('javac', ['-version']).status !== 0) {
  console.log('javac is not installed: JFR benchmark skipped.');
  process.exit(0);
}
if (!existsSync(join(classes, 'JfrFold.class'))) {
  sh('javac', ['-d', classes, join(ROOT, 'bench/jfr/Load.java'), join(ROOT, 'bench/jfr/JfrFold.java')]);
}
if (!existsSync(record)) recordLoad(record, SECONDS);
if (!existsSync(single)) recordLoad(single, SINGLE_SECONDS, ['-XX:FlightRecorderOptions:maxchunksize=1g']);
if (!existsSync(file)) {
  // A JFR file is a sequence of chunks: copies of a recording are a longer recording.
  const one = readFileSync(record);
  const fd = openSync(file, 'w');
  for (let written = 0; written < TARGET_MB * 1e6; written += one.length) writeSync(fd, one);
  closeSync(fd);
}
const size = statSync(file).size;
const singleSize = statSync(single).size;
const chunksOf = (f) =>
  spawnSync('jfr', ['summary', f])
    .stdout.toString()
    .match(/Chunks: (\d+)/)?.[1] ?? '?';

/**
 * Runs a command `n` times: median wall time, median CPU time (user + system: what the
 * command costs however busy the machine is), largest peak RSS (from /usr/bin/time).
 */
function run(cmd, args, n = RUNS) {
  const walls = [];
  const cpus = [];
  let rssMB = 0;
  for (let i = 0; i < n; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    const [wall, user, sys, kb] = r.stderr.toString().trim().split('\n').pop().split(' ').map(Number);
    walls.push(wall);
    cpus.push(user + sys);
    rssMB = Math.max(rssMB, kb / 1024);
  }
  return { seconds: median(walls), cpu: median(cpus), rssMB };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// In-process read (the reader's own speed), then the CLI and the peers, as child processes.
const walls = [];
const cpus = [];
let summary = '';
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const p = await readJfr(await openSource(file));
  walls.push(Number(process.hrtime.bigint() - t0) / 1e9);
  const c = process.cpuUsage(c0);
  cpus.push((c.user + c.system) / 1e6);
  summary = `${p.sampleCount} events, ${p.trie().size} nodes`;
}
const inProcess = { seconds: median(walls), cpu: median(cpus), rssMB: Number.NaN };
const ours = run(process.execPath, [PYRO, 'info', file]);
const oursSingle = run(process.execPath, [PYRO, 'info', single]);
const jdk = run('java', ['-cp', classes, 'JfrFold', file], 1);
const jfrSummary = run('jfr', ['summary', file], 1);

const rate = (bytes, s) => `${fmt(mb(bytes) / s, 0)} MB/s`;
const input = `${fmt(mb(size), 0)} MB, ${chunksOf(file)} chunks`;
const row = (name, bytes, where, r, target = '') => [
  name,
  where,
  `${fmt(r.seconds)} s (${rate(bytes, r.seconds)})`,
  `${fmt(r.cpu)} s (${rate(bytes, r.cpu)})`,
  Number.isFinite(r.rssMB) ? `${fmt(r.rssMB, 0)} MB` : '',
  target,
];
console.log(
  table(
    ['case', 'input', 'wall time', 'CPU time', 'peak RSS', 'target'],
    [
      row(`read into a trie in-process (readJfr: ${summary})`, size, input, inProcess, '>= 50 MB/s'),
      row('`pyro info FILE` (whole CLI)', size, input, ours, '< 300 MB RSS'),
      row(
        '`pyro info FILE`, one big chunk',
        singleSize,
        `${fmt(mb(singleSize), 0)} MB, ${chunksOf(single)} chunk`,
        oursSingle,
        '< 300 MB RSS',
      ),
      row("peer: the JDK's RecordingFile, the same events folded (`java JfrFold FILE`)", size, input, jdk),
      row('peer: `jfr summary FILE` (event headers only)', size, input, jfrSummary),
    ],
  ),
);
console.log(
  `\nCommands: \`node bin/run.js info ${file.slice(ROOT.length + 1)}\` and \`... info ${single.slice(ROOT.length + 1)}\` (${RUNS} runs, medians; CPU time is user + system, which load on the machine changes less than wall time), ` +
    `\`java -cp ${classes.slice(ROOT.length + 1)} JfrFold FILE\` and \`jfr summary FILE\` (1 run each). ` +
    `Input: bench/jfr/Load.java recorded for ${SECONDS} s (BENCH_JFR_SECONDS) and repeated to ${TARGET_MB} MB (BENCH_JFR_MB); ` +
    `the one-chunk file: ${SINGLE_SECONDS} s with maxchunksize=1g. Run: \`node bench/jfr.bench.js\`.\n`,
);
