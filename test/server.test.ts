// pyro server over real HTTP on 127.0.0.1 and a real store; the answers are
// checked by decoding them here, independently of pyro's own readers.
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePprof } from '../src/core/formats/pprof/write.js';
import { ProfileBuilder } from '../src/core/model/builder.js';
import { parseSelector as sel } from '../src/core/query/selector.js';
import { parseIngestTime, parseSeriesKey } from '../src/core/remote/ingest.js';
import type { RunningServer } from '../src/core/remote/server.js';
import { findEmbedded } from '../src/core/render/embed.js';
import { Store } from '../src/core/store/store.js';
import { WorkerPool } from '../src/core/worker.js';
import { corpus, ROOT, readBytes, tempDir } from './helpers.js';
import { decodeLevels, startTestServer } from './remote-helpers.js';

async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', body: new Uint8Array(Buffer.from(body)), headers });
  return { status: res.status, text: await res.text() };
}

const now = () => Math.floor(Date.now() / 1000);

describe.each([
  ['bodies read and profiles placed on threads', 1],
  ['everything on the main thread', 0],
])('pyro server: /ingest and /render (%s)', (_, threads) => {
  let server: RunningServer;
  let dir = '';
  beforeAll(async () => {
    dir = tempDir('pyro-server-');
    server = await startTestServer({
      storeDir: dir,
      readers: { script: join(ROOT, 'dist', 'ingest-worker.cjs'), threads },
      placer: threads ? join(ROOT, 'dist', 'place-worker.cjs') : undefined,
    });
  });
  afterAll(async () => server.close());

  it('stores a folded body as cpu time (samples at sampleRate) and renders it as a flamebearer', async () => {
    const t = now();
    const r = await post(
      `${server.url}/ingest?name=shop.cpu%7Benv%3Dprod,region=eu%7D&from=${t - 10}&until=${t}&sampleRate=100&spyName=gospy`,
      'main;work;parse 30\nmain;work 10\nmain;idle 5\n',
    );
    expect(r).toEqual({ status: 200, text: '' });
    const res = await fetch(
      `${server.url}/render?query=${encodeURIComponent('shop.cpu{env="prod"}')}&from=now-1h&until=now`,
    );
    expect(res.status).toBe(200);
    const fb = (await res.json()) as {
      flamebearer: { names: string[]; levels: number[][]; numTicks: number; maxSelf: number };
      metadata: { format: string; units: string; sampleRate: number };
      timeline: { startTime: number; samples: number[]; durationDelta: number };
    };
    expect(fb.metadata.format).toBe('single');
    // 45 samples at 100 Hz: 450 ms, in ticks of 1/sampleRate s.
    const seconds = fb.flamebearer.numTicks / fb.metadata.sampleRate;
    expect(seconds).toBeCloseTo(0.45, 9);
    const stacks = decodeLevels(fb.flamebearer.names, fb.flamebearer.levels);
    const perSample = fb.metadata.sampleRate / 100;
    expect(Object.fromEntries([...stacks].map(([k, v]) => [k, (v[0] as number) / perSample]))).toEqual({
      'main;work;parse': 30,
      'main;work': 10,
      'main;idle': 5,
    });
    expect(fb.flamebearer.maxSelf).toBe(30 * perSample);
    // The timeline holds the profile at its time: one step of 10 s per point.
    expect(fb.timeline.durationDelta).toBeGreaterThanOrEqual(10);
    expect(fb.timeline.samples.reduce((a, b) => a + b, 0)).toBe(fb.flamebearer.numTicks);
    const at = Math.floor((t - 10 - fb.timeline.startTime) / fb.timeline.durationDelta);
    expect(fb.timeline.samples[at]).toBe(fb.flamebearer.numTicks);
    // Labels are queryable.
    expect(await (await fetch(`${server.url}/label-values?label=region`)).json()).toEqual(['eu']);
    expect(await (await fetch(`${server.url}/labels`)).json()).toEqual(['__name__', 'env', 'region', 'service_name']);
    expect(await (await fetch(`${server.url}/label-values?label=__name__`)).json()).toContain('shop.cpu');
  });

  it("reads the bodies of Pyroscope's own ingest tests (v0.37.2 pkg/server/ingest_test.go) to their tree", async () => {
    // Each body is foo;bar 2, foo;baz 3, in one format; the app name's last dotted part is the type.
    const cases: [string, string | Buffer, Record<string, string>][] = [
      ['', 'foo;bar 2\nfoo;baz 3\n', {}],
      ['lines', 'foo;bar\nfoo;bar\nfoo;baz\nfoo;baz\nfoo;baz\n', {}],
      ['trie', Buffer.from('\x00\x00\x01\x06foo;ba\x00\x02\x01r\x02\x00\x01z\x03\x00', 'latin1'), {}],
      ['tree', Buffer.from('\x00\x00\x01\x03foo\x00\x02\x03bar\x02\x00\x03baz\x03\x00', 'latin1'), {}],
      [
        '',
        Buffer.from('\x00\x00\x01\x06foo;ba\x00\x02\x01r\x02\x00\x01z\x03\x00', 'latin1'),
        { 'content-type': 'binary/octet-stream+trie' },
      ],
      [
        '',
        Buffer.from('\x00\x00\x01\x03foo\x00\x02\x03bar\x02\x00\x03baz\x03\x00', 'latin1'),
        { 'content-type': 'binary/octet-stream+tree' },
      ],
    ];
    for (const [i, [format, body, headers]] of cases.entries()) {
      const q = `name=vec${i}.app%7Bfoo%3Dbar,baz%3Dqux%7D&from=${now()}${format ? `&format=${format}` : ''}`;
      const r = await post(`${server.url}/ingest?${q}`, body, headers);
      expect(r.status, `${format} ${JSON.stringify(headers)}: ${r.text}`).toBe(200);
      const tree = await (
        await fetch(
          `${server.url}/render?query=${encodeURIComponent(`vec${i}.app{foo="bar",baz="qux"}`)}&format=collapsed`,
        )
      ).text();
      expect(tree, `case ${i} (${format || headers['content-type'] || 'folded'})`).toBe('foo;bar 2\nfoo;baz 3\n');
    }
  });

  it('maxNodes keeps the largest nodes and folds the rest of each parent into "other"', async () => {
    const t = now();
    const lines = ['app;big 1000', ...Array.from({ length: 50 }, (_, i) => `app;small${i} 1`)];
    expect((await post(`${server.url}/ingest?name=many.cpu&from=${t}`, lines.join('\n'))).status).toBe(200);
    const fb = (await (await fetch(`${server.url}/render?query=many.cpu&maxNodes=3`)).json()) as {
      flamebearer: { names: string[]; levels: number[][]; numTicks: number };
    };
    const stacks = decodeLevels(fb.flamebearer.names, fb.flamebearer.levels);
    expect([...stacks.keys()].sort()).toEqual(['app;big', 'app;other']);
    expect((stacks.get('app;other') as number[])[0]).toBe((fb.flamebearer.numTicks * 50) / 1050);
    // Without a limit (-1), every node.
    const all = (await (await fetch(`${server.url}/render?query=many.cpu&maxNodes=-1`)).json()) as typeof fb;
    expect(decodeLevels(all.flamebearer.names, all.flamebearer.levels).size).toBe(51);
  });

  it('answers /render as pprof, collapsed and html too', async () => {
    const t = now();
    await post(`${server.url}/ingest?name=fmt.cpu&from=${t}&sampleRate=100`, 'a;b 2\na;c 1\n');
    const q = `${server.url}/render?query=fmt.cpu&from=now-1h`;
    const pprof = Buffer.from(await (await fetch(`${q}&format=pprof`)).arrayBuffer());
    const p = await readBytes('render.pb.gz', pprof);
    expect(p.valueTypes).toEqual([{ type: 'cpu', unit: 'nanoseconds' }]);
    expect(p.trie().columnTotal(0)).toBe(3e7);
    expect(await (await fetch(`${q}&format=collapsed`)).text()).toBe('a;b 20000000\na;c 10000000\n');
    const html = await (await fetch(`${q}&format=html`)).text();
    expect(html).toMatch(/^<!doctype html>/);
    expect((await readBytes('render.html', html)).trie().columnTotal(0)).toBe(3e7);
  });

  it('/render-diff answers the "double" format: left and right values per block', async () => {
    const t = now();
    await post(`${server.url}/ingest?name=cmp.cpu%7Bv%3D1%7D&from=${t}`, 'a;b 4\na;c 4\n');
    await post(`${server.url}/ingest?name=cmp.cpu%7Bv%3D2%7D&from=${t}`, 'a;b 6\na;d 2\n');
    const fb = (await (
      await fetch(
        `${server.url}/render-diff?leftQuery=${encodeURIComponent('cmp.cpu{v="1"}')}&rightQuery=${encodeURIComponent('cmp.cpu{v="2"}')}&leftFrom=now-1h&rightFrom=now-1h`,
      )
    ).json()) as {
      flamebearer: { names: string[]; levels: number[][]; numTicks: number };
      metadata: { format: string };
      leftTicks: number;
      rightTicks: number;
    };
    expect(fb.metadata.format).toBe('double');
    const k = 1e7;
    expect(fb.leftTicks).toBe(8 * k);
    expect(fb.rightTicks).toBe(8 * k);
    expect(fb.flamebearer.numTicks).toBe(16 * k);
    const stacks = decodeLevels(fb.flamebearer.names, fb.flamebearer.levels, 2);
    expect(Object.fromEntries(stacks)).toEqual({ 'a;b': [4 * k, 6 * k], 'a;c': [4 * k, 0], 'a;d': [0, 2 * k] });
  });

  it('takes pprof bodies raw, gzipped and as a multipart form with sample_type_config', async () => {
    const src = await readBytes('x.folded', 'main;hot 7\nmain;cold 3\n');
    const pprof = writePprof(src);
    const t = now();
    expect((await post(`${server.url}/ingest?name=raw%7Bk%3Dgz%7D&from=${t}&format=pprof`, pprof)).status).toBe(200);
    const form = new FormData();
    form.append('profile', new Blob([new Uint8Array(pprof)]), 'profile.pprof');
    form.append(
      'sample_type_config',
      new Blob([JSON.stringify({ samples: { units: 'samples', 'display-name': 'cpu_samples' } })]),
    );
    const res = await fetch(`${server.url}/ingest?name=form%7Bk%3Dmp%7D&from=${t}`, { method: 'POST', body: form });
    expect(res.status, await res.text()).toBe(200);
    const store = Store.open(dir);
    try {
      expect(
        store
          .query({ app: 'raw', type: 'samples', matchers: [] }, { from: 0, until: 2 ** 52 })
          ?.trie()
          .columnTotal(0),
      ).toBe(10);
      const viaForm = store.query({ app: 'form', type: 'cpu_samples', matchers: [] }, { from: 0, until: 2 ** 52 });
      expect(viaForm?.trie().columnTotal(0)).toBe(10);
      expect(store.series().find((s) => s.app === 'form')?.labels).toEqual({ k: 'mp', service_name: 'form' });
    } finally {
      store.close();
    }
  });

  it('averages the series an ingest marks so (aggregationType, sample_type_config, Go gauges) over time', async () => {
    const t = now() - 100;
    // Two folded pushes with aggregationType=average, one without: a mean, and a sum.
    for (const [i, n] of [3, 5].entries()) {
      const q = `name=avg.wall%7Bk%3Dv%7D&from=${t + i * 10}&until=${t + i * 10 + 10}&aggregationType=average&units=objects`;
      expect((await post(`${server.url}/ingest?${q}`, `main;work ${n}\n`)).status).toBe(200);
      const q2 = `name=sum.wall&from=${t + i * 10}&until=${t + i * 10 + 10}&units=objects`;
      expect((await post(`${server.url}/ingest?${q2}`, `main;work ${n}\n`)).status).toBe(200);
    }
    // A Go heap profile without a config: in-use memory averages, allocations sum (Pyroscope's defaults);
    // with a config that says so, a type averages under its display name.
    const heap = (inuse: number) => {
      const b = new ProfileBuilder(
        [
          { type: 'alloc_space', unit: 'bytes' },
          { type: 'inuse_space', unit: 'bytes' },
        ],
        'test',
      );
      b.addStack(Int32Array.from([b.frame('malloc'), b.frame('main')]), 2, [1000, inuse]);
      return writePprof(b.finish());
    };
    for (const [i, inuse] of [100, 300].entries()) {
      const at = t + i * 10;
      expect((await post(`${server.url}/ingest?name=heap&from=${at}&format=pprof`, heap(inuse))).status).toBe(200);
      const form = new FormData();
      form.append('profile', new Blob([new Uint8Array(heap(inuse))]), 'profile.pprof');
      form.append(
        'sample_type_config',
        new Blob([JSON.stringify({ alloc_space: { aggregation: 'average', 'display-name': 'allocs' } })]),
      );
      const res = await fetch(`${server.url}/ingest?name=cfg&from=${at}`, { method: 'POST', body: form });
      expect(res.status, await res.text()).toBe(200);
    }
    const ticks = async (query: string) => {
      const r = await fetch(`${server.url}/render?query=${encodeURIComponent(query)}&from=${t}&until=${t + 30}`);
      return ((await r.json()) as { flamebearer: { numTicks: number } }).flamebearer.numTicks;
    };
    expect(await ticks('avg.wall{k="v"}')).toBe(4);
    expect(await ticks('sum.wall{}')).toBe(8);
    expect(await ticks('heap.inuse_space{}')).toBe(200);
    expect(await ticks('heap.alloc_space{}')).toBe(2000);
    expect(await ticks('cfg.allocs{}')).toBe(1000);
    const store = Store.open(dir);
    try {
      const kind = (app: string) =>
        Object.fromEntries(store.series({ app, matchers: [] }).map((s) => [s.type.type, s.aggregation]));
      expect(kind('heap')).toEqual({ alloc_space: 'sum', inuse_space: 'average' });
      expect(kind('avg')).toEqual({ wall: 'average' });
      // The timeline gives each step the mean of its profiles too.
      expect(store.timeline(sel('avg'), { from: t * 1000, until: (t + 30) * 1000 }, 30_000)).toEqual([4]);
      expect(store.timeline(sel('heap.inuse_space{}'), { from: t * 1000, until: (t + 30) * 1000 }, 10_000)).toEqual([
        100, 300, 0,
      ]);
    } finally {
      store.close();
    }
    expect((await post(`${server.url}/ingest?name=x&aggregationType=median`, 'a 1')).status).toBe(400);
  });

  it('refuses bad requests with one line and a 4xx, and keeps running', async () => {
    const bad: [string, string | Buffer, number, RegExp][] = [
      ['/ingest?name=', 'a 1', 400, /name: missing/],
      ['/ingest?name=x%7B1bad%3Dv%7D', 'a 1', 400, /label name "1bad"/],
      ['/ingest?name=x&sampleRate=-3', 'a 1', 400, /sampleRate/],
      ['/ingest?name=x&format=pprof', 'not a profile', 422, /body/],
      ['/ingest?name=x&format=pprof', gzipSync(Buffer.from('garbage')), 422, /body/],
      ['/ingest?name=x&format=pprof', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), 422, /gzip/],
      ['/ingest?name=x&format=wat', 'a 1', 400, /format/],
      ['/ingest?name=x', Buffer.alloc((1 << 20) + 1, 97), 413, /more than/],
      ['/nowhere', '', 404, /no such endpoint/],
    ];
    for (const [path, body, status, message] of bad) {
      const r = await post(`${server.url}${path}`, body);
      expect(r.status, path).toBe(status);
      expect(r.text, path).toMatch(message);
      expect(r.text.trim().split('\n')).toHaveLength(1);
    }
    // A body that inflates past the limit (a "zip bomb") is refused, not inflated.
    const bomb = gzipSync(Buffer.alloc(64 << 20));
    expect((await post(`${server.url}/ingest?name=x&format=pprof`, bomb)).status).toBe(413);
    expect((await fetch(`${server.url}/render?query=%7Bbad`)).status).toBe(400);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  });

  it('GET / is the viewer: a query form above the flamegraph of the store, with its timeline', async () => {
    const t = now();
    await post(`${server.url}/ingest?name=view.cpu&from=${t - 30}`, 'main;early 5\n');
    await post(`${server.url}/ingest?name=view.cpu&from=${t - 5}`, 'main;late 3\n');
    const html = await (await fetch(`${server.url}/?query=view.cpu&from=now-1h&until=now`)).text();
    expect(html).toMatch(/<form method="get" action="\/"/);
    expect(html).toContain('value="view.cpu"');
    const shown = await readBytes('page.html', html);
    expect(shown.trie().columnTotal(0)).toBe(8e7);
    // The embedded profile (render/embed.ts's layout) has a timeline: the page draws it.
    const raw = gunzipSync(Buffer.from(findEmbedded(Buffer.from(html)) as string, 'base64'));
    const header = JSON.parse(raw.toString('utf8', 4, 4 + raw.readUInt32LE(0))) as { timeline?: { step: number } };
    expect(header.timeline?.step).toBeGreaterThan(0);
    // A JFR recording (format=jfr, raw or as the "jfr" part of a form) is read as JFR.
    const jfr = readFileSync(corpus('speedscope-samples', 'java-flight-recorder', 'heavy.jfr'));
    expect((await post(`${server.url}/ingest?name=java&format=jfr&from=${t}`, jfr)).status).toBe(200);
    const form = new FormData();
    form.append('jfr', new Blob([new Uint8Array(jfr)]), 'jfr');
    const viaForm = await fetch(`${server.url}/ingest?name=java2&format=jfr&from=${t}`, { method: 'POST', body: form });
    expect(viaForm.status).toBe(200);
    const types = (await (await fetch(`${server.url}/label-values?label=__name__`)).json()) as string[];
    expect(types).toEqual(expect.arrayContaining(['java.cpu', 'java2.cpu']));
    // A speedscope body is read as speedscope.
    const speedscope = readFileSync(corpus('speedscope-samples', 'speedscope', '0.6.0', 'two-sampled.speedscope.json'));
    expect((await post(`${server.url}/ingest?name=ss&format=speedscope&from=${t}`, speedscope)).status).toBe(200);
  });

  it('reads every folded corpus input it is sent as it reads the file', async () => {
    const file = corpus('folded', 'base', 'flames.txt');
    const body = readFileSync(file);
    const r = await post(`${server.url}/ingest?name=corpus.cpu&sampleRate=1000000000&from=${now()}`, body);
    expect(r.status, r.text).toBe(200);
    const own = await readBytes('flames.txt', body);
    const res = await fetch(`${server.url}/render?query=corpus.cpu&maxNodes=-1&format=collapsed`);
    const back = await readBytes('back.folded', Buffer.from(await res.arrayBuffer()));
    expect(back.trie().columnTotal(0)).toBe(own.trie().columnTotal(0));
    expect(back.trie().size).toBe(own.trie().size);
  });
});

describe('pyro server: reader threads', () => {
  it('a thread that dies fails its jobs with a clear error and is replaced; the pool goes on', async () => {
    // A thread speaking the pool's protocol: doubles a number, dies on "die".
    const script = join(tempDir('pyro-pool-'), 'doubler.cjs');
    writeFileSync(
      script,
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', ({ id, job }) => {
         if (job === 'die') process.exit(3);
         parentPort.postMessage({ id, reply: { result: job * 2 } });
       });`,
    );
    const pool = new WorkerPool(script, 'test', 2);
    try {
      expect(await Promise.all([1, 2, 3, 4].map((n) => pool.run<number>(n)))).toEqual([2, 4, 6, 8]);
      await expect(pool.run('die')).rejects.toThrow(/a worker thread stopped \(exit code 3\)/);
      expect(await Promise.all([5, 6, 7].map((n) => pool.run<number>(n)))).toEqual([10, 12, 14]);
    } finally {
      await pool.close();
    }
    await expect(pool.run(1)).rejects.toThrow(/closed/);
  });

  it('a script that cannot run fails every job at once, with one line, and is not started again and again', async () => {
    const script = join(tempDir('pyro-pool-'), 'broken.cjs');
    writeFileSync(script, "require('./no-such-module');");
    const pool = new WorkerPool(script, 'test', 1);
    try {
      const first = pool.run(1);
      await expect(first).rejects.toThrow(/Cannot find module/);
      await first.catch((e: Error) => expect(e.message).not.toMatch(/\n/));
      await expect(pool.run(2)).rejects.toThrow(/Cannot find module/);
    } finally {
      await pool.close();
    }
    // The server says so at start instead.
    await expect(
      startTestServer({ readers: { script: join(tempDir('pyro-pool-'), 'missing.cjs'), threads: 1 } }),
    ).rejects.toThrow(/missing: build pyro again/);
    await expect(startTestServer({ placer: join(tempDir('pyro-pool-'), 'missing.cjs') })).rejects.toThrow(
      /placing thread's script .* is missing: build pyro again/,
    );
  });
});

describe('pyro server: placing stored profiles into their levels while it serves', () => {
  /** Rows of app busy's profiles still waiting to be placed, and the store's bucket rows (read beside the server). */
  function waiting(dir: string): { pending: number; buckets: number } {
    const db = new Database(join(dir, 'pyro.db'), { readonly: true });
    try {
      const pending = (
        db
          .prepare(
            `SELECT count(*) AS n FROM profiles WHERE level = 8 AND series IN (SELECT id FROM series WHERE app = 'busy')`,
          )
          .get() as { n: number }
      ).n;
      const buckets = (db.prepare('SELECT count(*) AS n FROM buckets').get() as { n: number }).n;
      return { pending, buckets };
    } finally {
      db.close();
    }
  }

  const thread = join(ROOT, 'dist', 'place-worker.cjs');
  /** A placing thread that fails every job (speaking the pool's protocol). */
  function failingThread(): string {
    const script = join(tempDir('pyro-pool-'), 'failing.cjs');
    writeFileSync(
      script,
      `require('node:worker_threads').parentPort.on('message', ({ id }) =>
         require('node:worker_threads').parentPort.postMessage({ id, reply: { error: { message: 'out of order', exitCode: 1, ours: false } } }));`,
    );
    return script;
  }
  it.each([
    ['on its thread', () => thread, false],
    ['on the main thread', () => undefined, false],
    // Each write of another process voids the plans made before it: they are made again, or placed on the main thread.
    ['on its thread, another process writing the store all along,', () => thread, true],
    ['on the main thread when its thread fails,', failingThread, false],
  ])(
    'places a busy series %s once 2,000 rows wait, with every push read exactly',
    async (_, placer, other) => {
      const logged: string[] = [];
      const server = await startTestServer({ placer: placer(), log: (line) => logged.push(line) });
      const t = now() - 3600;
      const writer = other ? Store.open(server.dir) : undefined;
      let written = 0;
      const writing =
        writer &&
        setInterval(() => {
          const p = new ProfileBuilder([{ type: 'cpu', unit: 'nanoseconds' }], 'test');
          p.addStack(Int32Array.from([p.frame('other')]), 1, [1]);
          writer.ingestMany([{ profile: p.finish(), options: { app: 'other', at: (t + written++) * 1000 } }], true);
        }, 2);
      try {
        // 2,100 pushes of one series, a second apart, 20 at a time: each its own leaf.
        const N = 2100;
        const first = Date.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: 20 }, async () => {
            for (let i = next++; i < N; i = next++) {
              const r = await post(
                `${server.url}/ingest?name=busy.cpu&from=${t + i}&until=${t + i + 1}&sampleRate=100`,
                `main;f${i} ${1 + (i % 3)}\n`,
              );
              expect(r.status).toBe(200);
            }
          }),
        );
        // Placed while it serves, chunk after chunk until fewer than a chunk wait: before the drain that
        // places everything 10 s after the first push would.
        while (waiting(server.dir).pending >= 256 && Date.now() - first < 9000)
          await new Promise((r) => setTimeout(r, 50));
        const { pending, buckets } = waiting(server.dir);
        expect(pending).toBeLessThan(256);
        expect(buckets).toBeGreaterThan(0);
        const collapsed = await (
          await fetch(
            `${server.url}/render?query=busy.cpu&from=${t - 10}&until=${t + N + 10}&maxNodes=-1&format=collapsed`,
          )
        ).text();
        const got = new Map(
          collapsed
            .trim()
            .split('\n')
            .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
        );
        const want = new Map(Array.from({ length: N }, (_, i) => [`main;f${i}`, (1 + (i % 3)) * 1e7]));
        expect(got).toEqual(want);
        if (writer) expect(written).toBeGreaterThan(100);
        const failures = logged.filter((l) => /the placing thread failed \(out of order\)/.test(l));
        expect(failures.length).toBe(placer === failingThread ? 1 : 0);
      } finally {
        clearInterval(writing);
        await server.close();
        writer?.close();
      }
      expect(waiting(server.dir).pending).toBe(0);
    },
    60_000,
  );
});

describe('pyro server: parameters as Pyroscope reads them', () => {
  it('reads times by their digit count, and now-relative times', () => {
    const t = 1_700_000_000;
    expect(parseIngestTime(String(t), 0, 'from')).toBe(t * 1000);
    expect(parseIngestTime(String(t * 1000), 0, 'from')).toBe(t * 1000);
    expect(parseIngestTime(String(t * 1_000_000), 0, 'from')).toBe(t * 1000);
    expect(parseIngestTime(`${t}000000000`, 0, 'from')).toBe(t * 1000);
    expect(parseIngestTime('now-1h', 7_200_000, 'from')).toBe(3_600_000);
    expect(parseIngestTime('20240501', 0, 'from')).toBe(Date.UTC(2024, 4, 1));
  });

  it('parses names as labelset.Parse does: dotted label names, unquoted values with dots and slashes', () => {
    expect(
      parseSeriesKey(
        'web{otel.scope.name=com.grafana.pyroscope/nodejs,process.runtime.version=v20.20.0, env = "prod"}',
      ),
    ).toEqual({
      name: 'web',
      labels: {
        'otel.scope.name': 'com.grafana.pyroscope/nodejs',
        'process.runtime.version': 'v20.20.0',
        env: 'prod',
      },
    });
    expect(parseSeriesKey('my.app.cpu')).toEqual({ name: 'my.app.cpu', labels: {} });
    expect(() => parseSeriesKey('a{__name__=x}')).toThrow(/label name/);
    expect(() => parseSeriesKey('a b{}')).toThrow(/app name/);
    expect(() => parseSeriesKey('a{k=v')).toThrow(/never closed/);
  });
});

describe('pyro server: time limit', () => {
  it('answers a client that stalls mid-body with 408 after --timeout, and goes on serving', async () => {
    const server = await startTestServer({ timeoutMs: 600 });
    try {
      const { port } = new URL(server.url);
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write('POST /ingest?name=slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nfoo;bar 1\n');
        });
        let text = '';
        socket.on('data', (d) => (text += d));
        socket.on('close', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('pyro server: auth and tenants', () => {
  it('needs the Bearer token or the basic credentials on every endpoint when set', async () => {
    const dir = tempDir('pyro-server-auth-');
    const server = await startTestServer({ storeDir: dir, authToken: 's3cret', basicAuth: 'admin:pw' });
    try {
      for (const path of ['/render?query=a.cpu', '/labels', '/api/apps', '/', '/ready']) {
        const r = await fetch(`${server.url}${path}`);
        expect(r.status, path).toBe(401);
        expect((await fetch(`${server.url}${path}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      }
      expect((await post(`${server.url}/ingest?name=a`, 'x 1')).status).toBe(401);
      expect((await post(`${server.url}/ingest?name=a`, 'x 1', { authorization: 'Bearer s3cret' })).status).toBe(200);
      const basic = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
      expect((await fetch(`${server.url}/labels`, { headers: { authorization: basic } })).status).toBe(200);
      const wrong = `Basic ${Buffer.from('admin:nope').toString('base64')}`;
      expect((await fetch(`${server.url}/labels`, { headers: { authorization: wrong } })).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it("keeps X-Scope-OrgID tenants apart: a tenant never sees another one's data", async () => {
    const dir = tempDir('pyro-server-tenants-');
    const server = await startTestServer({ storeDir: dir, multiTenant: true });
    try {
      const t = now();
      expect((await post(`${server.url}/ingest?name=a.cpu&from=${t}`, 'x 1')).status).toBe(401);
      expect(
        (await post(`${server.url}/ingest?name=a.cpu&from=${t}`, 'x 1', { 'x-scope-orgid': '../etc' })).status,
      ).toBe(400);
      expect(
        (await post(`${server.url}/ingest?name=alpha.cpu&from=${t}`, 'x 1', { 'x-scope-orgid': 'team-a' })).status,
      ).toBe(200);
      expect(
        (await post(`${server.url}/ingest?name=beta.cpu&from=${t}`, 'y 2', { 'x-scope-orgid': 'team-b' })).status,
      ).toBe(200);
      const apps = async (tenant: string) =>
        (
          (await (await fetch(`${server.url}/api/apps`, { headers: { 'x-scope-orgid': tenant } })).json()) as {
            name: string;
          }[]
        ).map((a) => a.name);
      expect(await apps('team-a')).toEqual(['alpha.cpu']);
      expect(await apps('team-b')).toEqual(['beta.cpu']);
      expect(await apps('team-c')).toEqual([]);
      const other = await fetch(`${server.url}/render?query=beta.cpu&format=collapsed`, {
        headers: { 'x-scope-orgid': 'team-a' },
      });
      expect(await other.text()).toBe('');
      expect(join(dir, 'tenants', 'team-a')).toBeTruthy();
    } finally {
      await server.close();
    }
  });
});
