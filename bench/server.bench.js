// pyro server (a real process on 127.0.0.1): pprof pushes per second from 50
// concurrent clients, each push a ~20 KB gzipped Node.js CPU profile (a real
// 10-second profile, varied), with p50/p99 latency, the server's CPU per push
// and its peak RSS, over 10 series and over 1,000 (each series pushing every
// 10 s, as pods do), measured after 2 s of warm-up (whose p99 is shown apart);
// then /render over a day of 10-second profiles of one series.
// Targets: >= 1,000 pushes/s, p99 < 100 ms, < 500 MB; /render < 200 ms.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { readProfile } from '../dist/core/formats/index.js';
import { writePprof } from '../dist/core/formats/pprof/write.js';
import { sourceFromBuffer } from '../dist/core/io/source.js';
import { Store } from '../dist/core/store/store.js';
import { fmt, OUT, PYRO, ROOT, seededRandom, table } from './lib.js';

const CLIENTS = 50;
// More flags for the server, e.g. BENCH_SERVER_ARGS=--no-place-thread.
const SERVER_ARGS = (process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
const SECONDS = Number(process.env.BENCH_SERVER_SECONDS ?? 10);
// A fresh server's first pushes run cold code (the JIT has not optimized it yet) into an empty store:
// measured on their own, before the SECONDS of the steady state.
const WARMUP = Number(process.env.BENCH_SERVER_WARMUP ?? 2);
// A real Node.js CPU profile of about 20 KB as gzipped pprof: TypeScript's compiler checking one file.
const BASE = join(OUT, 'node-tsc.cpuprofile');
const fresh = () => mkdtempSync(join(tmpdir(), 'pyro-bench-server-'));

if (!existsSync(BASE)) {
  const dir = fresh();
  const tsc = join(ROOT, 'node_modules', 'typescript', 'lib', 'tsc.js');
  // Away from pyro's tsconfig.json (tsc refuses one beside files named on its command line);
  // it reports type errors, its default settings being old: the work is what is profiled.
  spawnSync(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', dir, tsc, '--noEmit', '--skipLibCheck', join(ROOT, 'src', 'core', 'units.ts')],
    {
      cwd: dir,
    },
  );
  const written = readdirSync(dir);
  if (written.length !== 1) throw new Error('node --cpu-prof wrote no profile');
  renameSync(join(dir, written[0]), BASE);
}
const base = JSON.parse(readFileSync(BASE, 'utf8'));
const random = seededRandom(99);
/** The base profile with 10% of its samples moved, as a gzipped pprof. */
async function variantPprof(i) {
  const samples = base.samples.map((s) =>
    random() < 0.1 ? base.samples[Math.floor(random() * base.samples.length)] : s,
  );
  const p = await readProfile(await sourceFromBuffer(`v${i}.cpuprofile`, JSON.stringify({ ...base, samples })));
  return writePprof(p);
}
const bodies = [];
for (let i = 0; i < 100; i++) bodies.push(await variantPprof(i));
const avgKB = bodies.reduce((n, b) => n + b.length, 0) / bodies.length / 1024;

function startServer(dir) {
  const child = spawn(process.execPath, [PYRO, 'server', '--port', '0', '--store', dir, ...SERVER_ARGS], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ url: m[1], child });
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}
/** CPU time a process has used so far (all its threads), in ms. */
const cpuMs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
};
/** Peak RSS of a process so far, in MB (VmHWM). */
const peakMB = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/**
 * A keep-alive HTTP/1.1 connection posting one request at a time, as lean as a
 * load generator such as wrk: the clients share the server's 2 cores, and their
 * CPU is not the server's. Resolves each post with the response's status.
 */
function connection(url) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.setNoDelay(true);
  let waiting;
  let got = Buffer.alloc(0);
  socket.on('data', (d) => {
    got = got.length === 0 ? d : Buffer.concat([got, d]);
    const headEnd = got.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const head = got.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) return fail(new Error(`a response without content-length: ${head}`));
    const end = headEnd + 4 + Number(length[1]);
    if (got.length < end) return;
    got = got.subarray(end);
    const w = waiting;
    waiting = undefined;
    w?.resolve(Number(head.slice(9, 12)));
  });
  // A connection the server closes fails the push in flight (counted), and the client reconnects.
  const fail = (e) => {
    const w = waiting;
    waiting = undefined;
    w?.reject(e);
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('connection closed')));
  return {
    post(path, body) {
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        socket.cork();
        socket.write(
          `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/octet-stream\r\ncontent-length: ${body.length}\r\n\r\n`,
        );
        socket.write(body);
        socket.uncork();
      });
    },
    close: () => {
      socket.removeAllListeners('close');
      socket.end();
    },
  };
}

/**
 * Pushes from 50 clients to a fresh server for WARMUP seconds, then SECONDS
 * measured, over `series` series (pod labels): push i is series i % series,
 * at 10 s after that series' last. The server's CPU counts from the end of the
 * warm-up until it has placed every row and exited (SIGTERM), so it includes
 * placing the warm-up's rows too.
 */
async function pushes(series) {
  const { url, child } = await startServer(fresh());
  const latencies = [];
  const cold = [];
  let failures = 0;
  const warm = performance.now() + WARMUP * 1000;
  let t0 = warm;
  let cpu0 = 0;
  let ownCpu0;
  const measuring = setTimeout(() => {
    t0 = performance.now();
    cpu0 = cpuMs(child.pid);
    ownCpu0 = process.cpuUsage();
  }, WARMUP * 1000);
  const end = Date.now() + (WARMUP + SECONDS) * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      let client = connection(url);
      for (let i = c; Date.now() < end; i += CLIENTS) {
        const from = 1_767_225_600 + Math.floor(i / series) * 10;
        const started = performance.now();
        const status = await client
          .post(
            `/ingest?name=bench.cpu%7Bpod%3Dp${i % series}%7D&format=pprof&from=${from}&until=${from + 10}&spyName=nodespy`,
            bodies[i % bodies.length],
          )
          .catch(() => 0);
        (started < warm ? cold : latencies).push(performance.now() - started);
        if (status !== 200) failures++;
        if (status === 0 || status === 408 || status === 413) {
          client.close();
          client = connection(url);
        }
      }
      client.close();
    }),
  );
  clearTimeout(measuring);
  const elapsed = (performance.now() - t0) / 1000;
  const ownCpu = process.cpuUsage(ownCpu0);
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  let cpu = cpuMs(child.pid);
  let rss = peakMB(child.pid);
  let gone = false;
  exited.then(() => {
    gone = true;
  });
  while (!gone) {
    try {
      cpu = cpuMs(child.pid);
      rss = peakMB(child.pid);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await exited;
  const pct = (list, p) => {
    list.sort((a, b) => a - b);
    return list[Math.min(list.length - 1, Math.floor((p / 100) * list.length))];
  };
  return {
    rate: latencies.length / elapsed,
    elapsed,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    coldP99: pct(cold, 99),
    failures,
    serverCpu: (cpu - cpu0) / latencies.length,
    clientCpu: (ownCpu.user + ownCpu.system) / 1000 / latencies.length,
    rss,
  };
}

// 1. Pushes from 50 clients: 10 series (each pushed by 5 clients), then 1,000 (pods pushing every 10 s).
const few = await pushes(10);
const many = await pushes(1000);

// 2. /render over a day of 10-second profiles of one series (8,640 profiles, ingested in-process).
const dayDir = fresh();
const store = Store.open(dayDir);
const day0 = Date.UTC(2026, 0, 1);
for (let i = 0; i < 8640; i++) {
  const p = await readProfile(await sourceFromBuffer('v.pb.gz', bodies[i % bodies.length]));
  p.startTime = day0 + i * 10_000;
  p.duration = 10_000;
  store.ingest(p, { app: 'day' });
}
store.close();
const day = await startServer(dayDir);
const renderMs = [];
for (let i = 0; i < 7; i++) {
  const started = performance.now();
  const res = await request(
    `${day.url}/render?query=day.cpu&from=${day0 / 1000}&until=${day0 / 1000 + 86_400}&format=json`,
  );
  const json = await res.body.json();
  renderMs.push(performance.now() - started);
  if (json.flamebearer.numTicks <= 0) throw new Error('empty render');
}
day.child.kill('SIGTERM');
renderMs.sort((a, b) => a - b);

const pushRows = (r, series) => [
  [
    `pprof pushes/s (${CLIENTS} clients, ${series} series, ${fmt(avgKB, 1)} KB each, ${fmt(r.elapsed, 1)} s)`,
    fmt(r.rate, 0),
    '>= 1000',
  ],
  [`push latency p50 / p99 (ms), ${series} series`, `${fmt(r.p50, 1)} / ${fmt(r.p99, 1)}`, 'p99 < 100'],
  [`push latency p99 (ms) in the first ${WARMUP} s (cold), ${series} series`, fmt(r.coldP99, 1), ''],
  [`failed pushes, ${series} series`, String(r.failures), '0'],
  [
    `CPU per push (ms), ${series} series: server (every row placed, until it exits) / clients`,
    `${fmt(r.serverCpu, 2)} / ${fmt(r.clientCpu, 2)}`,
    '',
  ],
  [`server peak RSS (MB), ${series} series`, fmt(r.rss, 0), '< 500'],
];
console.log(
  table(
    ['measure', 'pyro server', 'target'],
    [
      ...pushRows(few, 10),
      ...pushRows(many, 1000),
      ['/render of a day of 10 s profiles (8,640), median of 7 (ms)', fmt(renderMs[3], 0), '< 200'],
    ],
  ),
);
