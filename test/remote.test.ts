// pyro server with real clients: Grafana Pyroscope's Connect calls, pyro push
// and sync (to a second server and to a flaky one), top --url, the real
// @pyroscope/nodejs client, and a Go program's pprof sent as pyroscope-go does.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writePprof } from '../src/core/formats/pprof/write.js';
import {
  decodeConnectResponse,
  encodeConnectRequest,
  LABEL_NAMES_PROCEDURE,
  LABEL_VALUES_PROCEDURE,
  PROFILE_TYPES_PROCEDURE,
  PUSH_PROCEDURE,
  SELECT_MERGE_STACKTRACES_PROCEDURE,
} from '../src/core/remote/connect-proto.js';
import type { RunningServer } from '../src/core/remote/server.js';
import { Store } from '../src/core/store/store.js';
import { pyro, ROOT, readBytes, readFile, requirePeer, tempDir } from './helpers.js';
import { decodeLevels, killServers, pyroAsync, spawnServer, startTestServer } from './remote-helpers.js';

afterEach(killServers);

const ALL = { from: 0, until: 2 ** 52 };

async function connect<P extends Parameters<typeof encodeConnectRequest>[0]>(
  url: string,
  procedure: P,
  message: Parameters<typeof encodeConnectRequest<P>>[2],
) {
  const res = await fetch(`${url}${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/proto' },
    body: new Uint8Array(encodeConnectRequest(procedure, 'application/proto', message)),
  });
  return decodeConnectResponse(
    procedure,
    res.status,
    res.headers.get('content-type'),
    new Uint8Array(await res.arrayBuffer()),
  );
}

function storeTotal(dir: string, selector: Parameters<Store['query']>[0]): number {
  const store = Store.open(dir);
  try {
    return store.query(selector, ALL)?.trie().columnTotal(0) ?? 0;
  } finally {
    store.close();
  }
}

describe("Grafana Pyroscope's Connect API", () => {
  let server: RunningServer;
  let dir = '';
  beforeAll(async () => {
    dir = tempDir('pyro-connect-');
    server = await startTestServer({ storeDir: dir });
  });
  afterAll(async () => server.close());

  it('Push (binary and JSON) stores each series; the querier calls read it back', async () => {
    const a = await readBytes('a.folded', 'main;handler;parse 6\nmain;handler 2\n');
    a.valueTypes[0] = { type: 'cpu', unit: 'nanoseconds' };
    a.startTime = Date.now() - 5000;
    a.duration = 10_000;
    await connect(server.url, PUSH_PROCEDURE, {
      series: [
        {
          labels: [
            { name: '__name__', value: 'process_cpu' },
            { name: 'service_name', value: 'checkout' },
            { name: 'env', value: 'prod' },
          ],
          samples: [{ rawProfile: writePprof(a), ID: 'one' }],
        },
      ],
    });
    // Connect JSON, written by hand as protojson writes it (bytes in base64).
    const json = {
      series: [
        {
          labels: [
            { name: 'service_name', value: 'checkout' },
            { name: 'env', value: 'dev' },
          ],
          samples: [{ rawProfile: writePprof(a).toString('base64'), ID: 'two' }],
        },
      ],
    };
    const res = await fetch(`${server.url}${PUSH_PROCEDURE}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
    expect(res.status, await res.text()).toBe(200);

    const types = await connect(server.url, PROFILE_TYPES_PROCEDURE, {
      start: Date.now() - 3_600_000,
      end: Date.now(),
    });
    expect(types.profileTypes.map((t) => t.ID)).toEqual(['process_cpu:cpu:nanoseconds:cpu:nanoseconds']);
    const names = await connect(server.url, LABEL_NAMES_PROCEDURE, { matchers: ['{service_name="checkout"}'] });
    expect(names.names).toEqual(['__name__', 'env', 'service_name']);
    const values = await connect(server.url, LABEL_VALUES_PROCEDURE, { name: 'env', matchers: [] });
    expect(values.names).toEqual(['dev', 'prod']);

    const merged = await connect(server.url, SELECT_MERGE_STACKTRACES_PROCEDURE, {
      profileTypeID: 'process_cpu:cpu:nanoseconds:cpu:nanoseconds',
      labelSelector: '{service_name="checkout", env="prod"}',
      start: Date.now() - 3_600_000,
      end: Date.now() + 60_000,
      maxNodes: 100,
    });
    const fg = merged.flamegraph;
    expect(fg?.total).toBe(8);
    const stacks = decodeLevels(
      fg?.names ?? [],
      (fg?.levels ?? []).map((l) => l.values),
    );
    expect(Object.fromEntries(stacks)).toEqual({ 'main;handler;parse': [6], 'main;handler': [2] });
  });

  it('refuses a Push without service_name or with a broken profile, as a Connect error', async () => {
    for (const [labels, raw, pattern] of [
      [[{ name: 'env', value: 'x' }], writePprof(await readBytes('x.folded', 'a 1\n')), /service_name is missing/],
      [[{ name: 'service_name', value: 'x' }], Buffer.from('not pprof'), /samples\[0\]/],
    ] as const) {
      const res = await fetch(`${server.url}${PUSH_PROCEDURE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/proto' },
        body: new Uint8Array(
          encodeConnectRequest(PUSH_PROCEDURE, 'application/proto', {
            series: [{ labels: [...labels], samples: [{ rawProfile: raw, ID: '' }] }],
          }),
        ),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('invalid_argument');
      expect(body.message).toMatch(pattern);
    }
  });
});

describe('pyro push, sync and --url between real servers', () => {
  it('push to a server and on to a second one: the totals are identical; top --url reads them', async () => {
    const a = tempDir('pyro-push-a-');
    const b = tempDir('pyro-push-b-');
    const srvA = await spawnServer(a);
    const srvB = await spawnServer(b);
    const file = join(a, 'remote-app.folded');
    writeFileSync(file, 'main;serve;render 40\nmain;serve;db 25\nmain;gc 5\n');
    const own = (await readFile(file)).trie().columnTotal(0);
    let r = pyro(['push', file, '--url', srvA.url, '--app', 'shop', '--label', 'env=prod']);
    expect(r.status, r.stderr).toBe(0);
    expect(storeTotal(a, { app: 'shop', type: 'samples', matchers: [] })).toBe(own);
    // From A's store to B, over Grafana's Push.
    r = pyro(['push', 'shop.samples{}', '--store', a, '--url', srvB.url, '--protocol', 'connect']);
    expect(r.status, r.stderr).toBe(0);
    expect(storeTotal(b, { app: 'shop', type: 'samples', matchers: [] })).toBe(own);
    // The remote's /render, decoded here, has the same stacks.
    const fb = (await (await fetch(`${srvB.url}/render?query=shop.samples&from=now-1h&maxNodes=-1`)).json()) as {
      flamebearer: { names: string[]; levels: number[][] };
    };
    expect(Object.fromEntries(decodeLevels(fb.flamebearer.names, fb.flamebearer.levels))).toEqual({
      'main;serve;render': [40],
      'main;serve;db': [25],
      'main;gc': [5],
    });
    // top --url: the same table as top on the file.
    const remote = pyro(['top', 'shop.samples{env="prod"}', '--url', srvB.url, '--json']);
    expect(remote.status, remote.stderr).toBe(0);
    const local = pyro(['top', file, '--json']);
    expect(JSON.parse(remote.stdout).rows).toEqual(JSON.parse(local.stdout).rows);
    const none = pyro(['top', 'nothing.cpu{}', '--url', srvB.url]);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no profiles on http/);
  });
});

/** A remote that records each pushed profile by its one leaf frame, failing the first `failures` requests with 503. */
async function fakeRemote(failures: number, delayMs = 0) {
  const received: string[] = [];
  let left = failures;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (left-- > 0) {
        res.writeHead(503).end('busy');
        return;
      }
      const form = await new Response(new Uint8Array(Buffer.concat(chunks)), {
        headers: { 'content-type': req.headers['content-type'] ?? '' },
      }).formData();
      const profile = await readBytes('pushed.pb.gz', Buffer.from(await (form.get('profile') as Blob).arrayBuffer()));
      const t = profile.trie();
      for (let n = 1; n < t.size; n++)
        if (t.selfOf(n, 0) > 0) received.push(profile.frames.nameOf(t.frame[n] as number));
      setTimeout(() => res.writeHead(200).end(), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => server.close() };
}

/** A store with `n` profiles of one series, profile i having the one stack main;p<i>. */
async function storeWith(n: number): Promise<string> {
  const dir = tempDir('pyro-sync-');
  const store = Store.open(dir);
  for (let i = 0; i < n; i++) {
    const p = await readBytes('p.folded', `main;p${i} ${i + 1}\n`);
    p.startTime = Date.UTC(2026, 0, 1) + i * 10_000;
    store.ingest(p, { app: 'sync' });
  }
  store.close();
  return dir;
}

describe('pyro sync', () => {
  it('retries 5xx with backoff, sends each profile once, and a second sync sends nothing', async () => {
    const dir = await storeWith(6);
    const remote = await fakeRemote(2);
    try {
      const r = await pyroAsync(['sync', '--store', dir, '--url', remote.url, '--json', '--concurrency', '1']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ sent: 6, refused: [] });
      expect([...remote.received].sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
      const again = await pyroAsync(['sync', '--store', dir, '--url', remote.url, '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ sent: 0 });
      expect(remote.received).toHaveLength(6);
      // Another remote (or tenant) has its own acknowledgments.
      const other = await pyroAsync(['sync', '--store', dir, '--url', remote.url, '--tenant-id', 't2', '--json']);
      expect(JSON.parse(other.stdout)).toMatchObject({ sent: 6 });
    } finally {
      remote.close();
    }
  });

  it('resumes after being killed, never sending an acknowledged profile again', async () => {
    const dir = await storeWith(40);
    const remote = await fakeRemote(0, 60);
    try {
      const child = spawn(
        process.execPath,
        [join(ROOT, 'bin', 'run.js'), 'sync', '--store', dir, '--url', remote.url, '--concurrency', '2'],
        {
          stdio: 'ignore',
        },
      );
      while (remote.received.length < 10) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      const db = new Database(join(dir, 'pyro.db'), { readonly: true });
      const acked = db.prepare('SELECT count(*) AS n FROM remote_acks').get() as { n: number };
      db.close();
      expect(acked.n).toBeGreaterThan(0);
      expect(acked.n).toBeLessThan(40);
      const firstRun = new Set(remote.received);
      remote.received.length = 0;
      const r = await pyroAsync(['sync', '--store', dir, '--url', remote.url, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const secondRun = remote.received;
      // Everything arrived; only the profiles in flight at the kill (sent, not yet acknowledged) came twice.
      expect(new Set([...firstRun, ...secondRun]).size).toBe(40);
      const twice = secondRun.filter((x) => firstRun.has(x));
      expect(twice.length).toBeLessThanOrEqual(firstRun.size - acked.n);
      expect(JSON.parse(r.stdout).sent).toBe(40 - acked.n);
    } finally {
      remote.close();
    }
  });

  it('stops with exit 1 and says so when the remote stays down; a bad URL is a usage error', async () => {
    const dir = await storeWith(2);
    const r = await pyroAsync(['sync', '--store', dir, '--url', 'http://127.0.0.1:9', '--retries', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/retry 1 after: cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(r.stderr).toMatch(/stopped: .*run it again to send the rest/);
    const bad = await pyroAsync(['sync', '--store', dir, '--url', 'not a url']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--url not a url: not a URL/);
  });
});

describe('real clients', () => {
  it('@pyroscope/nodejs pushes wall profiles of a child program: its hot function is on top, its tags queryable', async () => {
    const dir = tempDir('pyro-nodejs-');
    const { url } = await spawnServer(dir);
    const program = join(dir, 'app.cjs');
    writeFileSync(
      program,
      `const Pyroscope = require(${JSON.stringify(createRequire(import.meta.url).resolve('@pyroscope/nodejs'))});
Pyroscope.init({ serverAddress: ${JSON.stringify(url)}, appName: 'nodeapp', tags: { region: 'eu' }, flushIntervalMs: 1000 });
Pyroscope.start();
function hotFunction() { let x = 0; for (let i = 0; i < 2e6; i++) x += Math.sqrt(i); return x; }
const end = Date.now() + 3000;
let s = 0;
while (Date.now() < end) s += hotFunction();
Pyroscope.stop().then(() => console.log('done', s > 0));
`,
    );
    const r = spawnSync(process.execPath, [program], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const series = JSON.parse(pyro(['series', '--store', dir, '--json']).stdout) as {
      name: string;
      labels: Record<string, string>;
    }[];
    const wall = series.find((s) => s.name.startsWith('nodeapp.wall'));
    expect(wall, JSON.stringify(series)).toBeDefined();
    expect(wall?.labels.region).toBe('eu');
    expect(wall?.labels['process.runtime.name']).toBe('nodejs');
    const top = pyro(['top', 'nodeapp.wall{region="eu"}', '--store', dir, '--json', '--limit', '3']);
    expect(top.status, top.stderr).toBe(0);
    const rows = (JSON.parse(top.stdout) as { rows: { name: string }[] }).rows;
    expect(rows[0]?.name).toMatch(/hotFunction/);
  }, 60_000);

  it("a Go program's pprof, sent as pyroscope-go sends it (multipart with sample_type_config), is stored as cpu time", async () => {
    if (!requirePeer('go')) return;
    const dir = tempDir('pyro-go-');
    const src = join(ROOT, 'test', 'fixtures-go', 'cpuhog');
    const env = { ...process.env, GO111MODULE: 'off' };
    const build = spawnSync('go', ['build', '-o', join(dir, 'cpuhog'), '.'], { cwd: src, env });
    expect(build.status, String(build.stderr)).toBe(0);
    const cpu = join(dir, 'cpu.pb.gz');
    expect(spawnSync(join(dir, 'cpuhog'), [cpu, '1']).status).toBe(0);
    const { url } = await spawnServer(dir);
    const form = new FormData();
    form.append('profile', new Blob([new Uint8Array(readFileSync(cpu))]), 'profile.pprof');
    form.append(
      'sample_type_config',
      new Blob([JSON.stringify({ samples: { units: 'samples', 'display-name': 'cpu', sampled: true } })]),
      'sample_type_config.json',
    );
    const t = Math.floor(Date.now() / 1000);
    const res = await fetch(`${url}/ingest?name=gohog%7Bhost%3Da%7D&from=${t - 1}&until=${t}&spyName=gospy`, {
      method: 'POST',
      body: form,
    });
    expect(res.status, await res.text()).toBe(200);
    // The samples column times the period is the cpu column of the file.
    const file = await readFile(cpu);
    const cpuNs = file.trie().columnTotal(file.valueIndex('cpu'));
    expect(storeTotal(dir, { app: 'gohog', type: 'cpu', matchers: [] })).toBe(cpuNs);
    const mine = pyro(['top', 'gohog.cpu{host="a"}', '--store', dir, '--json', '--limit', '0']);
    const theirs = pyro(['top', cpu, '--value', 'cpu', '--json', '--limit', '0']);
    const shares = (out: string) =>
      Object.fromEntries(
        (JSON.parse(out) as { rows: { name: string; selfPercent: number }[] }).rows.map((x) => [x.name, x.selfPercent]),
      );
    expect(shares(mine.stdout)).toEqual(shares(theirs.stdout));
  }, 60_000);
});
