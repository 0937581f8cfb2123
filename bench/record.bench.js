// pyro record's overhead at the default rate (99 Hz): a program doing a fixed
// amount of work, bare and recorded, alternating runs, the program's own wall
// time (start-up excluded, as it prints it) and the whole command's; 0x beside
// it on the Node.js program when installed (ZEROX=path/to/0x, or 0x on PATH).
// Then pyro's own peak memory over a continuous recording (RECORD_MINUTES,
// default 1; the target is for 10).
// Targets: the program's wall time grows by at most 5% (node profiler on Node.js,
// perf on C); pyro under 200 MB over a 10-minute continuous run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, OUT, PYRO, ROOT, table } from './lib.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WORK_JS = join(ROOT, 'bench', 'record', 'work.js');
const WORK_C = join(OUT, 'record-work');
const r = spawnSync('gcc', ['-O1', '-fno-omit-frame-pointer', '-o', WORK_C, join(ROOT, 'bench', 'record', 'work.c')]);
if (r.status !== 0) throw new Error(`gcc: ${r.stderr}`);
const zerox = process.env.ZEROX ?? (spawnSync('sh', ['-c', 'command -v 0x']).stdout.toString().trim() || undefined);

/** Runs a command; returns the whole wall time and the program's own (the last number it printed), in ms. */
function run(cmd, args, cwd) {
  const t0 = process.hrtime.bigint();
  const p = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 });
  const whole = Number(process.hrtime.bigint() - t0) / 1e6;
  if (p.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${p.status}: ${p.stderr.slice(-400)}`);
  const own = Number(/(\d+\.\d+)\s*$/m.exec(p.stdout.trim())?.[1]);
  return { whole, own };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function overhead(label, bare, recorded) {
  const runs = Object.fromEntries(
    Object.keys(recorded)
      .concat('bare')
      .map((k) => [k, []]),
  );
  for (let i = 0; i < RUNS; i++) {
    runs.bare.push(bare());
    for (const [k, fn] of Object.entries(recorded)) runs[k].push(fn());
  }
  const b = median(runs.bare.map((x) => x.own));
  const bw = median(runs.bare.map((x) => x.whole));
  return Object.keys(recorded).map((k) => {
    const own = median(runs[k].map((x) => x.own));
    const whole = median(runs[k].map((x) => x.whole));
    return [
      `${label}: ${k}`,
      `${fmt(b / 1000)} s (whole ${fmt(bw / 1000)} s)`,
      `${fmt(own / 1000)} s (whole ${fmt(whole / 1000)} s)`,
      `${own >= b ? '+' : ''}${fmt((100 * (own - b)) / b, 1)}% (whole ${fmt((100 * (whole - bw)) / bw, 1)}%)`,
      '<= 5%',
    ];
  });
}

const work = mkdtempSync(join(tmpdir(), 'pyro-record-bench-'));
const rows = [];
rows.push(
  ...(await overhead('Node.js program', () => run(process.execPath, [WORK_JS, '120']), {
    'pyro record (node profiler, 99 Hz)': () =>
      run(process.execPath, [PYRO, 'record', '--no-store', '-o', join(work, 'n.pb.gz'), '--', 'node', WORK_JS, '120']),
    ...(zerox
      ? { '0x (for comparison)': () => run(zerox, ['--output-dir', join(work, '0x-{pid}'), WORK_JS, '120'], work) }
      : {}),
  })),
);
rows.push(
  ...(await overhead('C program', () => run(WORK_C, ['300']), {
    'pyro record (perf, 99 Hz)': () =>
      run(process.execPath, [PYRO, 'record', '--no-store', '-o', join(work, 'c.pb.gz'), '--', WORK_C, '300']),
  })),
);
if (!zerox) console.log('0x not found (set ZEROX or put 0x on PATH): left out.');

// pyro's own memory over a continuous recording of a program that runs that long.
const minutes = Number(process.env.RECORD_MINUTES ?? 1);
const store = join(work, 'store');
const child = spawn(
  process.execPath,
  [
    PYRO,
    'record',
    '--continuous',
    '--interval',
    '10s',
    '--store',
    store,
    '--app',
    'bench',
    '--',
    'node',
    join(ROOT, 'examples', 'app.js'),
    String(minutes * 60_000),
  ],
  { stdio: 'ignore' },
);
let peak = 0;
const poll = setInterval(() => {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    peak = Math.max(peak, kb);
  } catch {}
}, 200);
await new Promise((res) => child.on('exit', res));
clearInterval(poll);
rows.push([
  `continuous recording, ${minutes} min (10 s intervals)`,
  '',
  `pyro's peak RSS ${fmt(peak / 1024, 0)} MB`,
  '',
  existsSync(store) ? '< 200 MB (10 min)' : 'store missing!',
]);
rmSync(work, { recursive: true, force: true });

console.log(table(['case', 'bare', 'recorded', 'overhead', 'target'], rows));
console.log(
  `\nCommand: \`node bench/record.bench.js\` (medians of ${RUNS} alternating runs; the program's own time, start-up excluded, and the whole command's).\n`,
);
