import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PyroError } from '../src/core/errors.js';
import { foldedLines, parseFolded, writeFolded } from '../src/core/formats/folded.js';
import { sourceFromBuffer } from '../src/core/io/source.js';
import { ProfileBuilder } from '../src/core/model/builder.js';
import { ByteFrameInterner } from '../src/core/model/byte-interner.js';
import { ByteKeyTable, hashBytes, hashShort, viewOf } from '../src/core/model/byte-keys.js';
import { FrameTable } from '../src/core/model/frames.js';
import { mergeProfiles } from '../src/core/model/merge.js';
import type { Profile, ValueType } from '../src/core/model/profile.js';
import { StringTable } from '../src/core/model/strings.js';
import { StackTrie } from '../src/core/model/trie.js';
import { sortedChildLists } from '../src/core/model/walk.js';

// Property tests of the model: whatever goes into a trie comes back out
// exactly, compared with a brute-force Map over the same samples.

interface Sample {
  stack: string[];
  value: number;
  labels: [string, string][];
}

/** A small alphabet, so that random stacks share prefixes. */
const frameArb = fc.constantFrom('main', 'a', 'b', 'c', 'd');
const valueArb = fc.oneof(
  fc.integer({ min: 0, max: 1000 }),
  fc.integer({ min: 1, max: 400 }).map((q) => q / 4),
  fc.double({ min: 0.001, max: 100, noNaN: true }),
);
const labelsArb = fc
  .record({ thread: fc.constantFrom(undefined, 't1', 't2'), kind: fc.constantFrom(undefined, 'x', 'y') })
  .map((r) => Object.entries(r).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, v]])));
const sampleArb: fc.Arbitrary<Sample> = fc.record({
  stack: fc.array(frameArb, { maxLength: 40 }),
  value: valueArb,
  labels: labelsArb,
});
const samplesArb = fc.array(sampleArb, { maxLength: 60 });

const SAMPLES: ValueType = { type: 'samples', unit: 'count' };
const CPU: ValueType = { type: 'cpu', unit: 'nanoseconds' };
const ALLOC: ValueType = { type: 'alloc', unit: 'bytes' };

/** Builds a profile; `warmup` strings are interned first so that tables differ between profiles. */
function build(samples: Sample[], types: ValueType[] = [SAMPLES], column = 0, warmup: string[] = []): Profile {
  const b = new ProfileBuilder(types, 'test');
  for (const w of warmup) b.frame(w);
  const values = new Array<number>(types.length).fill(0);
  const ids: number[] = [];
  for (const s of samples) {
    ids.length = 0;
    for (const f of s.stack) ids.push(b.frame(f));
    values.fill(0);
    values[column] = s.value;
    b.addStack(ids, ids.length, values, b.profile.labelSetId(s.labels));
  }
  return b.finish();
}

/** Brute force: sum per stack string. */
function aggregate(samples: Sample[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) {
    if (s.stack.length === 0 || s.value === 0) continue;
    const k = s.stack.join(';');
    m.set(k, (m.get(k) ?? 0) + s.value);
  }
  return m;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Folded lines equal the aggregation: same stacks, values equal up to rounding. */
function expectLines(lines: string[], want: Map<string, number>): void {
  const got = new Map<string, number>();
  for (const line of lines) {
    const sp = line.lastIndexOf(' ');
    got.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  expect([...got.keys()].sort()).toEqual([...want.keys()].filter((k) => (want.get(k) as number) !== 0).sort());
  for (const [k, v] of got) expect(close(v, want.get(k) as number), `${k}: ${v} vs ${want.get(k)}`).toBe(true);
  // Lines come sorted by stack.
  expect(lines.map((l) => l.slice(0, l.lastIndexOf(' ')))).toEqual([...got.keys()].sort());
}

/** The same stacks with values equal up to rounding (sums may be added in another order). */
function expectSameLines(got: string[], want: string[]): void {
  const parse = (lines: string[]) =>
    new Map(lines.map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
  expectLines(got, parse(want));
}

const sum = (samples: Sample[]) => samples.reduce((s, x) => s + x.value, 0);

describe('StackTrie', () => {
  it('writes back exactly the aggregated folded lines', () => {
    fc.assert(
      fc.property(samplesArb, (samples) => {
        const p = build(samples);
        expectLines(foldedLines(p, 0), aggregate(samples));
        expect(p.sampleCount).toBe(samples.length);
      }),
      { numRuns: 300 },
    );
  });

  it('totals are sums: of the whole profile, and of every node over the samples under it', () => {
    fc.assert(
      fc.property(samplesArb, (samples) => {
        const p = build(samples);
        expect(close(p.totals()[0] as number, sum(samples))).toBe(true);
        const t = p.trie();
        for (let n = 1; n < t.size; n++) {
          const path = t.stackOf(n).map((f) => p.frames.nameOf(f));
          const under = samples.filter((s) => path.every((f, i) => s.stack[i] === f));
          expect(close(t.totalOf(n, 0), sum(under))).toBe(true);
          const here = samples.filter((s) => s.stack.length === path.length && path.every((f, i) => s.stack[i] === f));
          expect(close(t.selfOf(n, 0), sum(here))).toBe(true);
          expect(t.depth(n)).toBe(path.length);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('insertReversed of a leaf-first stack is insert of the root-first one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 20 }), { maxLength: 30 }),
        (stacks) => {
          const a = new StackTrie(1);
          const b = new StackTrie(1);
          for (const s of stacks) {
            expect(a.stackOf(a.insert(s, 0, s.length))).toEqual(s);
            const leafFirst = [...s].reverse();
            expect(b.stackOf(b.insertReversed(leafFirst, 0, leafFirst.length))).toEqual(s);
          }
          expect(b.size).toBe(a.size);
        },
      ),
    );
  });

  /** insertStacks (leaf first, or root first) against inserting each stack, with stacks inserted before and after. */
  function checkInsertStacks(
    stacks: { stack: number[]; value: number }[],
    before: number[][],
    after: number[][],
    rootFirst: boolean,
  ): void {
    // One by one: the reference.
    const want = new StackTrie(2);
    for (const s of before) want.insert(s, 0, s.length);
    for (const { stack, value } of stacks) {
      const n = want.insert(stack, 0, stack.length);
      want.addSelf(n, 0, value);
      want.addSelf(n, 1, 2 * value);
    }
    for (const s of after) want.insert(s, 0, s.length);
    const got = new StackTrie(2);
    for (const s of before) got.insert(s, 0, s.length);
    const frames = new Int32Array(stacks.reduce((a, x) => a + x.stack.length, 0));
    const start = new Int32Array(stacks.length);
    const depth = new Int32Array(stacks.length);
    const values = new Float64Array(stacks.length * 2);
    let at = 0;
    stacks.forEach(({ stack, value }, i) => {
      start[i] = at;
      depth[i] = stack.length;
      if (rootFirst) for (const f of stack) frames[at++] = f;
      else for (let j = stack.length - 1; j >= 0; j--) frames[at++] = stack[j] as number;
      values[2 * i] = value;
      values[2 * i + 1] = 2 * value;
    });
    got.insertStacks(frames, start, depth, values, rootFirst);
    for (const s of after) got.insert(s, 0, s.length);
    const contents = (t: StackTrie) => {
      const m = new Map<string, number[]>();
      for (let n = 0; n < t.size; n++) m.set(t.stackOf(n).join(','), [t.selfOf(n, 0), t.selfOf(n, 1), t.totalOf(n, 0)]);
      return m;
    };
    expect(got.size).toBe(want.size);
    expect(contents(got)).toEqual(contents(want));
    // The child lists give every node once, under its parent.
    for (let n = 0; n < got.size; n++) {
      for (const c of got.children(n)) expect(got.parent[c]).toBe(n);
    }
    expect(Array.from({ length: got.size }, (_, n) => got.children(n).length).reduce((a, b) => a + b, 0)).toBe(
      got.size - 1,
    );
  }

  it('insertStacks gives the trie of inserting each stack, into an empty trie or not, and child() works after it', () => {
    const stackArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ stack: stackArb, value: fc.integer({ min: 0, max: 9 }) }), { maxLength: 40 }),
        fc.array(stackArb, { maxLength: 5 }),
        fc.array(stackArb, { maxLength: 5 }),
        fc.boolean(),
        checkInsertStacks,
      ),
      { numRuns: 300 },
    );
  });

  it('insertStacks of a batch large enough to be sorted first gives the same trie, in any order', () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 48271) >>> 0) % 2147483647) / 2147483647;
    for (const rootFirst of [false, true]) {
      const stacks = Array.from({ length: 20_000 }, () => ({
        stack: Array.from({ length: Math.floor(next() * 14) }, () => Math.floor(next() * 6)),
        value: Math.floor(next() * 5),
      }));
      checkInsertStacks(stacks, [], [[1, 2, 3]], rootFirst);
      checkInsertStacks(stacks, [[0, 1]], [], rootFirst);
    }
  });

  it('mergeFrom gives the trie of inserting each stack, frames mapped (one to one or not), into an empty trie or not', () => {
    const stackArb = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 10 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ stack: stackArb, value: fc.integer({ min: 1, max: 9 }) }), { maxLength: 30 }),
        fc.array(stackArb, { maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        (stacks, before, frameMap, mapped) => {
          const map = mapped ? frameMap : undefined;
          const src = new StackTrie(2);
          for (const { stack, value } of stacks) src.addSelf(src.insert(stack, 0, stack.length), 1, value);
          const want = new StackTrie(1);
          const got = new StackTrie(1);
          for (const s of before) {
            want.insert(s, 0, s.length);
            got.insert(s, 0, s.length);
          }
          for (const { stack, value } of stacks) {
            const to = map ? stack.map((f) => map[f] as number) : stack;
            want.addSelf(want.insert(to, 0, to.length), 0, value);
          }
          const nodeMap = got.mergeFrom(src, map, [-1, 0]);
          const contents = (t: StackTrie) => {
            const m = new Map<string, number[]>();
            for (let n = 0; n < t.size; n++) m.set(t.stackOf(n).join(','), [t.selfOf(n, 0), t.totalOf(n, 0)]);
            return m;
          };
          expect(contents(got)).toEqual(contents(want));
          for (let n = 1; n < src.size; n++) {
            const to = src.stackOf(n).map((f) => (map ? (map[f] as number) : f));
            expect(got.stackOf(nodeMap[n] as number)).toEqual(to);
          }
          // The hash works after the merge.
          for (let n = 1; n < got.size; n++) expect(got.find(got.parent[n] as number, got.frame[n] as number)).toBe(n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mergeColumn adds one column without the stacks where it is zero, into an empty trie or not', () => {
    const stackArb = fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 10 });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ stack: stackArb, column: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 1, max: 9 }) }),
          { maxLength: 30 },
        ),
        fc.array(stackArb, { maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 }),
        (stacks, before, frameMap, mapped, col) => {
          const map = mapped ? frameMap : undefined;
          const src = new StackTrie(3);
          for (const { stack, column, value } of stacks) src.addSelf(src.insert(stack, 0, stack.length), column, value);
          // The stacks of other columns only, and the root's value: none of those nodes may appear.
          src.addSelf(0, col, 4);
          const want = new StackTrie(1);
          const got = new StackTrie(1);
          for (const s of before) {
            want.insert(s, 0, s.length);
            got.insert(s, 0, s.length);
          }
          want.addSelf(0, 0, 4);
          for (const { stack, column, value } of stacks) {
            if (column !== col) continue;
            const to = map ? stack.map((f) => map[f] as number) : stack;
            want.addSelf(want.insert(to, 0, to.length), 0, value);
          }
          got.mergeColumn(src, col, map);
          const contents = (t: StackTrie) => {
            const m = new Map<string, number[]>();
            for (let n = 0; n < t.size; n++) m.set(t.stackOf(n).join(','), [t.selfOf(n, 0), t.totalOf(n, 0)]);
            return m;
          };
          expect(contents(got)).toEqual(contents(want));
          expect(got.size).toBe(want.size);
          // The hash works after the merge.
          for (let n = 1; n < got.size; n++) expect(got.find(got.parent[n] as number, got.frame[n] as number)).toBe(n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('mergePair gives the trie of two mergeFrom calls (frames mapped one to one or not)', () => {
    const side = fc.array(
      fc.record({
        stack: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 8 }),
        value: fc.integer({ min: 1, max: 9 }),
      }),
      { maxLength: 25 },
    );
    const mapArb = fc.oneof(
      fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7], { minLength: 6, maxLength: 6 }),
      fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 6, maxLength: 6 }),
      // Frame ids far beyond 2^21 (a merge of millions of names), up to the largest Int32.
      fc
        .tuple(
          fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7], { minLength: 6, maxLength: 6 }),
          fc.constantFrom(3e6, 2 ** 31 - 8),
        )
        .map(([m, base]) => m.map((f) => f + base)),
    );
    fc.assert(
      fc.property(side, side, mapArb, mapArb, (sa, sb, ma, mb) => {
        const build = (samples: { stack: number[]; value: number }[]) => {
          const t = new StackTrie(1);
          for (const { stack, value } of samples) t.addSelf(t.insert(stack, 0, stack.length), 0, value);
          return t;
        };
        const a = build(sa);
        const b = build(sb);
        const want = new StackTrie(2);
        want.mergeFrom(a, ma, [0]);
        want.mergeFrom(b, mb, [1]);
        const got = new StackTrie(2);
        got.mergePair(a, ma, [0], b, mb, [1]);
        const contents = (t: StackTrie) => {
          const m = new Map<string, number[]>();
          for (let n = 0; n < t.size; n++)
            m.set(t.stackOf(n).join(','), [t.selfOf(n, 0), t.selfOf(n, 1), t.totalOf(n, 0), t.totalOf(n, 1)]);
          return m;
        };
        expect(got.size).toBe(want.size);
        expect(contents(got)).toEqual(contents(want));
        expect(got.columnTotal(1)).toBe(want.totalOf(0, 1));
        // Merged in one walk (maps one to one), the child lists come sorted by frame.
        if (got.listsChildrenByFrame) {
          let listed = 0;
          for (let n = 0; n < got.size; n++) {
            const kids = got.children(n);
            listed += kids.length;
            for (const c of kids) expect(got.parent[c]).toBe(n);
            const frames = kids.map((c) => got.frame[c] as number);
            expect(frames).toEqual([...frames].sort((x, y) => x - y));
          }
          expect(listed).toBe(got.size - 1);
        }
        for (let n = 1; n < got.size; n++) expect(got.find(got.parent[n] as number, got.frame[n] as number)).toBe(n);
      }),
      { numRuns: 300 },
    );
  });

  it('sortedChildLists lists every node once under its parent, siblings by the rank of their frame', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 8 }), { maxLength: 30 }),
        fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6], { minLength: 7 }),
        (stacks, order) => {
          const t = new StackTrie(1);
          for (const s of stacks) t.insert(s, 0, s.length);
          const rank = Int32Array.from(order);
          const { firstChild, nextSibling } = sortedChildLists(t, rank);
          let listed = 0;
          for (let n = 0; n < t.size; n++) {
            const kids: number[] = [];
            for (let c = firstChild[n] as number; c >= 0; c = nextSibling[c] as number) kids.push(c);
            listed += kids.length;
            expect(kids.map((c) => t.parent[c])).toEqual(kids.map(() => n));
            const ranks = kids.map((c) => rank[t.frame[c] as number] as number);
            expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
          }
          expect(listed).toBe(t.size - 1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes folded text that reads back to the same lines', async () => {
    await fc.assert(
      fc.asyncProperty(samplesArb, async (samples) => {
        const p = build(samples);
        const text = writeFolded(p, { valueIndex: 0 });
        const again = await parseFolded(await sourceFromBuffer('t', text));
        expect(foldedLines(again, 0)).toEqual(foldedLines(p, 0));
      }),
      { numRuns: 100 },
    );
  });

  it('an empty profile has zero totals', () => {
    const p = build([]);
    expect(p.totals()).toEqual([0]);
    expect(foldedLines(p, 0)).toEqual([]);
    expect(new StackTrie(2).totalOf(0, 1)).toBe(0);
  });
});

describe('byte keys', () => {
  it('hashes names word by word with every byte counting, the same through a view as from the bytes', () => {
    // Names that differ only in bytes at offsets 3, 7, 11 ... of a word: each must still spread.
    const hashes = new Set<number>();
    for (let i = 0; i < 10000; i++) {
      const t = String(i).padStart(4, '0');
      hashes.add(hashBytes(Buffer.from(`aaa${t[0]}bbb${t[1]}ccc${t[2]}ddd${t[3]}`), 0, 16));
    }
    expect(hashes.size).toBeGreaterThan(9990);
    const bytes = Buffer.from('main;parse;readLine;x;0123456789abcdef0123456789abcdef');
    const view = viewOf(bytes);
    for (let start = 0; start < 8; start++)
      for (let end = start; end <= bytes.length; end++)
        expect(hashShort(bytes, view, start, end)).toBe(hashBytes(bytes, start, end));
    // A table finds what it holds whether the caller gives a hash and a view or not.
    const table = new ByteKeyTable();
    for (let start = 0; start < 8; start++) {
      const k = table.find(bytes, start, start + 20, hashShort(bytes, view, start, start + 20), view);
      expect(k < 0 ? table.add(bytes, start, start + 20) : k).toBe(table.find(bytes, start, start + 20));
    }
    expect(table.size).toBe(8);
  });
});

describe('label sets', () => {
  it('keeps per-sample label sets apart and merges them in trie()', () => {
    fc.assert(
      fc.property(samplesArb, (samples) => {
        const p = build(samples);
        const byKey = new Map<string, Sample[]>();
        for (const s of samples) {
          const key = JSON.stringify([...s.labels].sort());
          byKey.set(key, [...(byKey.get(key) ?? []), s]);
        }
        let tries = 0;
        p.tries.forEach((trie, id) => {
          if (!trie) return;
          tries++;
          const key = JSON.stringify([...(p.labelSets[id] ?? [])].map((l) => [...l]).sort());
          const own = byKey.get(key) ?? [];
          expect(own.length, key).toBeGreaterThan(0);
          expectLines(foldedLines(p, 0, trie), aggregate(own));
        });
        expect(tries).toBe(byKey.size);
        expectLines(foldedLines(p, 0), aggregate(samples));
      }),
      { numRuns: 200 },
    );
  });

  it('labelSetId ignores the order of pairs and drops empty values', () => {
    const p = build([]);
    const id = p.labelSetId([
      ['b', '2'],
      ['a', '1'],
    ]);
    expect(
      p.labelSetId([
        ['a', '1'],
        ['b', '2'],
      ]),
    ).toBe(id);
    expect(
      p.labelSetId([
        ['a', '1'],
        ['c', ''],
        ['b', '2'],
      ]),
    ).toBe(id);
    expect(p.labelSetId([])).toBe(0);
    expect(p.labelSets[id]).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });
});

describe('mergeProfiles', () => {
  it('merging two profiles equals the profile of the concatenated samples (different string tables)', () => {
    fc.assert(
      fc.property(samplesArb, samplesArb, fc.array(fc.string(), { maxLength: 5 }), (x, y, warmup) => {
        const merged = mergeProfiles([build(x), build(y, [SAMPLES], 0, warmup)]);
        const whole = build([...x, ...y]);
        expectSameLines(foldedLines(merged, 0), foldedLines(whole, 0));
        expect(merged.sampleCount).toBe(x.length + y.length);
        expect(close(merged.totals()[0] as number, sum(x) + sum(y))).toBe(true);
        // Per-label-set tries survive the merge.
        const byLabels = (p: Profile) => {
          const out = new Map<string, string[]>();
          p.tries.forEach((t, id) => {
            if (t) out.set(JSON.stringify(p.labelSets[id]), foldedLines(p, 0, t));
          });
          return out;
        };
        const m = byLabels(merged);
        const w = byLabels(whole);
        expect([...m.keys()].sort()).toEqual([...w.keys()].sort());
        for (const [k, lines] of m) expectSameLines(lines, w.get(k) as string[]);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the value types shared by both (by type and unit), in the first profile’s order', () => {
    fc.assert(
      fc.property(samplesArb, samplesArb, (x, y) => {
        // x carries its values in cpu (column 1 of [samples, cpu]); y in cpu (column 0 of [cpu, alloc]).
        const a = build(x, [SAMPLES, CPU], 1);
        const b = build(y, [CPU, ALLOC], 0, ['zz', 'a']);
        const merged = mergeProfiles([a, b]);
        expect(merged.valueTypes).toEqual([CPU]);
        expectLines(foldedLines(merged, 0), aggregate([...x, ...y]));
      }),
      { numRuns: 100 },
    );
  });

  it('does not count the same type with another unit as shared', () => {
    const a = build([{ stack: ['a'], value: 1, labels: [] }], [SAMPLES]);
    const b = build([{ stack: ['a'], value: 1, labels: [] }], [{ type: 'samples', unit: 'nanoseconds' }]);
    expect(() => mergeProfiles([a, b])).toThrow(PyroError);
    expect(() => mergeProfiles([a, b])).toThrow(/no value type in common/);
    expect(() => mergeProfiles([])).toThrow(PyroError);
  });

  it('keeps frames that differ only by file, line or module apart', () => {
    const mk = (file: string) => {
      const b = new ProfileBuilder([SAMPLES], 't');
      b.addStack([b.frameAt('f', file, 3, 'm')], 1, [1]);
      return b.finish();
    };
    const merged = mergeProfiles([mk('x.go'), mk('y.go'), mk('x.go')]);
    const t = merged.trie();
    const files = t.children(0).map((n) => [merged.frames.fileOf(t.frame[n] as number), t.selfOf(n, 0)]);
    expect(files.sort()).toEqual([
      ['x.go', 2],
      ['y.go', 1],
    ]);
  });
});

describe('growth beyond initial capacities', () => {
  it('a wide trie of more than 100k nodes', () => {
    const t = new StackTrie(2, 16);
    const n = 150_000;
    for (let f = 0; f < n; f++) t.addSelf(t.child(0, f), f % 2, f);
    expect(t.size).toBe(n + 1);
    for (let f = 0; f < n; f += 997) {
      const node = t.find(0, f);
      expect(t.frame[node]).toBe(f);
      expect(t.selfOf(node, f % 2)).toBe(f);
    }
    expect(t.find(0, n)).toBe(-1);
    // Column 0 holds the even f: 0 + 2 + … + (n - 2).
    expect(t.totalOf(0, 0)).toBe((n / 2 - 1) * (n / 2));
    expect(t.totalOf(0, 0) + t.totalOf(0, 1)).toBe(((n - 1) * n) / 2);
    expect(t.children(0)).toHaveLength(n);
  });

  it('a deep trie (one stack of depth 120k) and a profile built through the builder', () => {
    const depth = 120_000;
    const b = new ProfileBuilder([SAMPLES], 't');
    const names = ['a', 'b', 'c'];
    for (let i = depth - 1; i >= 0; i--) b.push(b.frame(names[i % 3] as string));
    const leaf = b.commitLeafFirst(5);
    const p = b.finish();
    const t = p.trie();
    expect(t.size).toBe(depth + 1);
    expect(t.depth(leaf)).toBe(depth);
    expect(
      t
        .stackOf(leaf)
        .slice(0, 4)
        .map((f) => p.frames.nameOf(f)),
    ).toEqual(['a', 'b', 'c', 'a']);
    expect(t.totalOf(t.find(0, p.frames.internName('a')), 0)).toBe(5);
    // A second, diverging stack shares the prefix.
    const copy = new StackTrie(1);
    copy.mergeFrom(t);
    expect(copy.size).toBe(t.size);
    expect(copy.totalOf(0, 0)).toBe(5);
  });

  it('many label sets, frames and interned byte names', () => {
    const b = new ProfileBuilder([SAMPLES], 't');
    const interner = new ByteFrameInterner(b.profile.frames);
    const n = 120_000;
    const ids = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const buf = Buffer.from(`frame-${i}-${'x'.repeat(i % 13)}`);
      ids[i] = interner.intern(buf, 0, buf.length);
    }
    for (let i = 0; i < n; i += 1009) {
      const buf = Buffer.from(`..frame-${i}-${'x'.repeat(i % 13)}..`);
      expect(interner.intern(buf, 2, buf.length - 2)).toBe(ids[i]);
      expect(b.profile.frames.nameOf(ids[i] as number)).toBe(`frame-${i}-${'x'.repeat(i % 13)}`);
    }
    expect(b.profile.frames.size).toBe(n);
    for (let i = 0; i < 3000; i++) {
      b.addStack([ids[i] as number], 1, [1], b.profile.labelSetId([['req', String(i)]]));
    }
    const p = b.finish();
    expect(p.labelSets).toHaveLength(3001);
    expect(p.totals()).toEqual([3000]);
    expect(p.trie().size).toBe(3001);
  });

  it('FrameTable and StringTable grow and keep ids dense', () => {
    const strings = new StringTable();
    const frames = new FrameTable(strings);
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      expect(frames.intern(strings.intern(`f${i}`), strings.intern(`file${i % 7}`), i, strings.intern('m'))).toBe(i);
    }
    for (let i = 0; i < n; i += 499) {
      expect(frames.intern(strings.intern(`f${i}`), strings.intern(`file${i % 7}`), i, strings.intern('m'))).toBe(i);
      expect([frames.nameOf(i), frames.fileOf(i), frames.line[i], frames.moduleOf(i)]).toEqual([
        `f${i}`,
        `file${i % 7}`,
        i,
        'm',
      ]);
    }
    expect(frames.size).toBe(n);
    expect(strings.get(0)).toBe('');
    // Frames that differ in one column only are distinct.
    const tuples: [number, number, number, number][] = [];
    for (const f of [0, 1, 2])
      for (const l of [0, 1, 2]) for (const m of [0, 1]) tuples.push([1, f, l, m], [f, 1, m, l]);
    const ids = tuples.map((t) => frames.intern(...t));
    expect(tuples.map((t) => frames.intern(...t))).toEqual(ids);
    expect(new Set(ids).size).toBe(new Set(tuples.map((t) => t.join())).size);
  });

  it('tables made from the lists of another thread keep their ids and find entries added later', () => {
    const list = ['', ...Array.from({ length: 200_000 }, (_, i) => `s${i}`)];
    const strings = StringTable.from(list);
    expect(strings.size).toBe(list.length);
    expect(strings.intern('s123')).toBe(124);
    expect(strings.intern('new')).toBe(list.length);
    const cols = {
      name: Int32Array.from([1, 2, 1]),
      file: new Int32Array(3),
      line: Int32Array.from([0, 0, 7]),
      module: new Int32Array(3),
    };
    const frames = FrameTable.from(strings, 3, cols);
    expect(frames.intern(1, 0, 7, 0)).toBe(2);
    expect(frames.intern(2)).toBe(1);
    expect(frames.intern(5, 0, 0, 0)).toBe(3);
    for (let i = 0; i < 1000; i++) expect(frames.intern(1000 + i)).toBe(4 + i);
    expect(frames.intern(1, 0, 7, 0)).toBe(2);
  });
});
