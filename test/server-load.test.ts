// pyro server under load, as a real process: every ingest answered 200 is in
// the store, with 50 clients at once and when the server is killed mid-load.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../src/core/store/store.js';
import { tempDir } from './helpers.js';
import { killServers, spawnServer } from './remote-helpers.js';

afterEach(killServers);

/** A client pushing folded bodies until `stop()`; each push has its own leaf frame, and what was answered 200 is kept. */
async function client(
  url: string,
  id: number,
  until: () => boolean,
): Promise<{ acked: Map<string, number>; failed: number }> {
  const acked = new Map<string, number>();
  let failed = 0;
  const t = Math.floor(Date.now() / 1000);
  for (let seq = 0; !until(); seq++) {
    const leaf = `c${id}_p${seq}`;
    const value = 1 + ((id * 7 + seq) % 5);
    try {
      const res = await fetch(
        `${url}/ingest?name=load.cpu%7Bclient%3Dc${id % 5}%7D&from=${t - (seq % 600)}&sampleRate=100`,
        {
          method: 'POST',
          body: `main;worker${id};${leaf} ${value}\nmain;shared ${value}\n`,
        },
      );
      await res.text();
      if (res.status === 200) acked.set(leaf, value);
      else failed++;
    } catch {
      failed++;
    }
  }
  return { acked, failed };
}

/** Leaf frame -> value over every stored cpu profile (read from the store file itself). */
function storedLeaves(dir: string): Map<string, number> {
  const store = Store.open(dir);
  try {
    const p = store.query({ app: 'load', type: 'cpu', matchers: [] }, { from: 0, until: 2 ** 52 });
    const out = new Map<string, number>();
    if (!p) return out;
    const trie = p.trie();
    for (let n = 1; n < trie.size; n++) {
      const v = trie.selfOf(n, 0);
      if (v !== 0) out.set(p.frames.nameOf(trie.frame[n] as number), v);
    }
    return out;
  } finally {
    store.close();
  }
}

describe('pyro server under load', () => {
  it('50 concurrent clients for 4 seconds: every accepted sample is queryable, none added', async () => {
    const dir = tempDir('pyro-load-');
    const { url, child } = await spawnServer(dir);
    const end = Date.now() + 4000;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client(url, i, () => Date.now() > end)));
    const accepted = results.reduce((n, r) => n + r.acked.size, 0);
    expect(accepted).toBeGreaterThan(50);
    expect(results.reduce((n, r) => n + r.failed, 0)).toBe(0);
    // Through the API: the shared frame holds every accepted value, at 10 ms a sample.
    const collapsed = await (
      await fetch(`${url}/render?query=load.cpu&from=now-1h&maxNodes=-1&format=collapsed`)
    ).text();
    const shared = collapsed.split('\n').find((l) => l.startsWith('main;shared '));
    const total = results.reduce((n, r) => n + [...r.acked.values()].reduce((a, b) => a + b, 0), 0);
    expect(Number(shared?.split(' ')[1])).toBe(total * 1e7);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    // In the store: each accepted push's own leaf, with its value; nothing else.
    const leaves = storedLeaves(dir);
    leaves.delete('shared');
    const expected = new Map<string, number>();
    for (const r of results) for (const [leaf, v] of r.acked) expected.set(leaf, v * 1e7);
    expect(leaves).toEqual(expected);
    // Stopped by a signal, the server placed every profile into its levels first.
    const store = Store.open(dir);
    expect(store.settle()).toBe(0);
    store.close();
  }, 60_000);

  it('killed with SIGKILL mid-load: the store is intact and holds every acknowledged profile', async () => {
    const dir = tempDir('pyro-kill-');
    const { url, child } = await spawnServer(dir);
    let killed = false;
    const running = Array.from({ length: 20 }, (_, i) => client(url, i, () => killed));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    killed = true;
    const results = await Promise.all(running);
    const acked = results.reduce((n, r) => n + r.acked.size, 0);
    expect(acked).toBeGreaterThan(20);
    const db = new Database(join(dir, 'pyro.db'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const leaves = storedLeaves(dir);
    for (const r of results) {
      for (const [leaf, v] of r.acked) expect(leaves.get(leaf), leaf).toBe(v * 1e7);
    }
    // Those not placed into their levels yet are read as they are, and placed later with nothing changed.
    const store = Store.open(dir);
    let placed = 0;
    for (let n = store.settle(); n > 0; n = store.settle()) placed += n;
    store.close();
    expect(placed).toBeGreaterThan(0);
    expect(storedLeaves(dir)).toEqual(leaves);
    // A push in flight at the kill may be stored without its answer; nothing else is.
    leaves.delete('shared');
    expect(leaves.size - acked).toBeLessThanOrEqual(20);
    // The server starts again on the same store.
    const again = await spawnServer(dir);
    expect((await fetch(`${again.url}/ready`)).status).toBe(200);
  }, 60_000);
});
