// Tables shared by the profiles a thread reads (pyro server's reader threads),
// sent to the main thread as what each profile added, and the store's use of them.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readPprofBytes } from '../src/core/formats/pprof/read.js';
import { writePprof } from '../src/core/formats/pprof/write.js';
import { ProfileBuilder } from '../src/core/model/builder.js';
import { subtractProfile } from '../src/core/model/merge.js';
import type { Profile } from '../src/core/model/profile.js';
import { SharedSymbols, SymbolsMirror } from '../src/core/model/shared-symbols.js';
import { profileData, profileFromData } from '../src/core/model/transfer.js';
import { parseSelector } from '../src/core/query/selector.js';
import { Store } from '../src/core/store/store.js';
import { tempDir } from './helpers.js';
import { CPU_TYPES, flatten, rng, sorted } from './store-helpers.js';

const T0 = Date.UTC(2025, 0, 1);

/** The bytes of a pprof with names common to every seed and names of its seed's own, some labelled samples. */
function pprofOf(seed: number): Buffer {
  const r = rng(seed);
  const b = new ProfileBuilder(CPU_TYPES, 'test');
  const names = ['main', 'serve', 'parse', 'μs→render', `only${seed}`, `only${seed}/x`];
  const frames = names.map((n, i) => b.frameAt(n, `src/${i % 2 ? n : 'lib'}.ts`, 1 + (i % 3), i % 2 ? 'app' : ''));
  const stack = new Int32Array(8);
  for (let s = 0; s < 40; s++) {
    const depth = 1 + Math.floor(r() * 6);
    for (let d = 0; d < depth; d++) stack[d] = frames[Math.floor(r() * frames.length)] as number;
    const labels = r() < 0.3 ? b.profile.labelSetId([['span', `s${seed % 2}`]]) : 0;
    b.addStack(stack, depth, [1 + Math.floor(r() * 3), 1e7 + Math.floor(r() * 1e6)], labels);
  }
  return gunzipSync(writePprof(b.finish()));
}

/** Everything a profile says: per type its stacks (with files, lines, modules), and its label sets. */
function contents(p: Profile) {
  return {
    types: p.valueTypes,
    stacks: p.valueTypes.map((vt) => sorted(flatten(p, vt.type))),
    labelSets: p.labelSets,
  };
}

/** What a reader thread sends and the main thread rebuilds, through a structured clone as postMessage makes. */
function sent(p: Profile, symbols: SharedSymbols, mirror: SymbolsMirror): Profile {
  const { data, transfer } = profileData(p, symbols);
  return profileFromData(structuredClone(data, { transfer }), mirror);
}

describe('shared symbols', () => {
  it('profiles read into shared tables are those read alone, and arrive whole with only what each added', () => {
    const symbols = new SharedSymbols('reader');
    const mirror = new SymbolsMirror();
    const seen = new Set<number>();
    for (const seed of [1, 2, 1, 3, 2]) {
      const bytes = pprofOf(seed);
      const alone = readPprofBytes('alone', bytes);
      const shared = readPprofBytes('shared', bytes, symbols);
      expect(shared.frames).toBe(symbols.frames);
      expect(contents(shared)).toEqual(contents(alone));
      const { data, transfer } = profileData(shared, symbols);
      // A profile read before adds nothing; a new one only its own names (not the common ones).
      const added = data.symbols?.strings ?? [];
      if (seen.has(seed)) expect([added, data.symbols?.name.length]).toEqual([[], 0]);
      else {
        expect(added).toContain(`only${seed}`);
        if (seen.size > 0) expect(added).not.toContain('main');
      }
      seen.add(seed);
      expect(data.strings).toEqual([]);
      const back = profileFromData(structuredClone(data, { transfer }), mirror);
      expect(contents(back)).toEqual(contents(alone));
    }
  });

  it('a delta that does not follow the last one is refused; a new generation starts a new copy', () => {
    const symbols = new SharedSymbols('reader');
    const mirror = new SymbolsMirror();
    sent(readPprofBytes('a', pprofOf(1), symbols), symbols, mirror);
    // Taken and lost: the next one does not follow what the copy has.
    profileData(readPprofBytes('b', pprofOf(2), symbols), symbols);
    expect(() => sent(readPprofBytes('c', pprofOf(3), symbols), symbols, mirror)).toThrow(
      /symbols of reader: a delta from \d+ strings and \d+ frames, the copy has/,
    );
    const next = new SharedSymbols('reader', 1);
    const back = sent(readPprofBytes('d', pprofOf(3), next), next, mirror);
    expect(contents(back)).toEqual(contents(readPprofBytes('alone', pprofOf(3))));
  });

  it('a new generation is due past its bounds of frames or name bytes', () => {
    const symbols = new SharedSymbols('reader');
    readPprofBytes('a', pprofOf(1), symbols);
    expect(symbols.full()).toBe(false);
    expect(symbols.full(symbols.frames.size - 1)).toBe(true);
    expect(symbols.full(undefined, 10)).toBe(true);
  });

  it('profiles made from shared ones (prev_profile subtracted) use the tables as they are, and are right', () => {
    const symbols = new SharedSymbols('reader');
    const a = readPprofBytes('a', pprofOf(4), symbols);
    const b = readPprofBytes('b', pprofOf(5), symbols);
    const frames = symbols.frames.size;
    const diff = subtractProfile(a, b, [false, true]);
    expect(diff.frames).toBe(symbols.frames);
    expect(symbols.frames.size).toBe(frames);
    const alone = subtractProfile(readPprofBytes('a', pprofOf(4)), readPprofBytes('b', pprofOf(5)), [false, true]);
    expect(contents(diff)).toEqual(contents(alone));
  });

  it('the store maps shared frames once, and not with ids of a write that was rolled back', () => {
    const dir = tempDir('pyro-store-');
    const store = Store.open(dir);
    const symbols = new SharedSymbols('reader');
    const mirror = new SymbolsMirror();
    const expected = new Map<string, number>();
    const ingest = (seed: number, i: number, fail = false) => {
      const p = sent(readPprofBytes('p', pprofOf(seed), symbols), symbols, mirror);
      p.startTime = T0 + i * 10_000;
      const failing = {
        get pod(): string {
          throw new Error('the write fails midway');
        },
      };
      const items = [
        { profile: p, options: { app: 'api' } },
        ...(fail ? [{ profile: p, options: { app: 'api', labels: failing as Record<string, string> } }] : []),
      ];
      store.ingestMany(items, true);
      flatten(readPprofBytes('alone', pprofOf(seed)), 'cpu', expected);
    };
    ingest(1, 0);
    // Its new frames got store ids in a transaction that was rolled back: those ids are void.
    expect(() => ingest(6, 1, true)).toThrow(/the write fails midway/);
    ingest(6, 2);
    ingest(7, 3);
    const read = () =>
      sorted(flatten(store.query(parseSelector('api.cpu'), { from: 0, until: 2 ** 52 }) as Profile, 'cpu'));
    expect(read()).toEqual(sorted(expected));
    while (store.settle() > 0);
    expect(read()).toEqual(sorted(expected));
    store.close();
    const reopened = Store.open(dir);
    expect(
      sorted(flatten(reopened.query(parseSelector('api.cpu'), { from: 0, until: 2 ** 52 }) as Profile, 'cpu')),
    ).toEqual(sorted(expected));
    reopened.close();
  });
});
