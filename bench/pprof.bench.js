// pprof reading: `pyro top` vs `go tool pprof -top` on a generated CPU profile of
// 1,000,000 samples over 200,000 distinct stacks (targets: pyro >= 3x faster, < 1 GB RSS).
// The profile is written by bench/go/genprof (Go, against Debian's golang-github-google-pprof-dev).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readPprof } from '../dist/core/formats/pprof/read.js';
import { openSource } from '../dist/core/io/source.js';
import { fmt, mb, OUT, PYRO, ROOT, RUNS, table, timeCommand } from './lib.js';

const SAMPLES = Number(process.env.BENCH_PPROF_SAMPLES ?? 1_000_000);
const STACKS = Number(process.env.BENCH_PPROF_STACKS ?? 200_000);
const file = join(OUT, `cpu-${SAMPLES}-${STACKS}.pb.gz`);
const GO_ENV = { GO111MODULE: 'off', GOPATH: '/usr/share/gocode' };

function sh(cmd, args) {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...GO_ENV },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
}

if (spawnSync('go', ['version']).status !== 0) {
  console.log('go is not installed: pprof benchmark skipped.');
  process.exit(0);
}
if (!existsSync(file)) {
  const gen = join(OUT, 'genprof');
  sh('go', ['build', '-o', gen, './bench/go/genprof']);
  sh(gen, [file, String(SAMPLES), String(STACKS)]);
}
const size = statSync(file).size;

// In-process read (inflate included), for the reader's own share of the CLI time.
const reads = [];
let nodes = 0;
for (let i = 0; i < RUNS; i++) {
  const t0 = process.hrtime.bigint();
  const p = await readPprof(await openSource(file));
  reads.push(Number(process.hrtime.bigint() - t0) / 1e9);
  nodes = p.trie().size;
}

// The CLI and the peer, run in turn so that both see the same machine load.
const pyroCmd = [process.execPath, [PYRO, 'top', file]];
const goCmd = ['go', ['tool', 'pprof', '-top', file]];
const ours = [];
const theirs = [];
for (let i = 0; i < RUNS; i++) {
  ours.push(await timeCommand(...pyroCmd));
  theirs.push(await timeCommand(...goCmd, { env: GO_ENV }));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pyroS = median(ours.map((r) => r.seconds));
const goS = median(theirs.map((r) => r.seconds));
const rss = (rs) => `${fmt(Math.max(...rs.map((r) => r.rssMB)), 0)} MB`;
const input = `${fmt(mb(size), 1)} MB gz, ${SAMPLES} samples, ${STACKS} stacks`;
console.log(
  table(
    ['case', 'input size', 'pyro median', 'peer median', 'ratio', 'pyro peak RSS', 'peer peak RSS'],
    [
      [
        '`pyro top` vs `go tool pprof -top`',
        input,
        `${fmt(pyroS)} s`,
        `${fmt(goS)} s`,
        `${fmt(goS / pyroS, 1)}x`,
        rss(ours),
        rss(theirs),
      ],
      [`read into a trie in-process (${nodes} nodes)`, input, `${fmt(median(reads))} s`, '', '', '', ''],
    ],
  ),
);
console.log(
  `\nCommands: \`node bin/run.js top ${file.slice(ROOT.length + 1)}\` vs \`go tool pprof -top ${file.slice(ROOT.length + 1)}\` ` +
    `(${RUNS} runs each, alternated, medians; targets: ratio >= 3x, pyro RSS < 1 GB). Run: \`node bench/pprof.bench.js\`.\n`,
);
