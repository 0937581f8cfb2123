// Shared by the store tests: deterministic random profiles and their flattened contents.
import { ProfileBuilder } from '../src/core/model/builder.js';
import type { Profile, ValueType } from '../src/core/model/profile.js';

export const CPU_TYPES: ValueType[] = [
  { type: 'samples', unit: 'count' },
  { type: 'cpu', unit: 'nanoseconds' },
];

/** A small seeded PRNG (mulberry32), so that failures replay. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['main', 'serve', 'parse', 'render', 'gc', 'read', 'write', 'hash', 'sort', 'json'];

/**
 * A CPU-like profile with random stacks over a few frames (with files and
 * lines), integer values (some zero), and per-sample labels when asked.
 */
export function randomProfile(seed: number, options: { sampleLabels?: boolean; samples?: number } = {}): Profile {
  const r = rng(seed);
  const b = new ProfileBuilder(CPU_TYPES, 'test');
  const frames = NAMES.map((n, i) => (i % 3 === 0 ? b.frame(n) : b.frameAt(n, `src/${n}.ts`, i * 10, 'app')));
  const n = options.samples ?? 1 + Math.floor(r() * 30);
  const stack = new Int32Array(16);
  for (let s = 0; s < n; s++) {
    const depth = 1 + Math.floor(r() * 8);
    for (let d = 0; d < depth; d++) stack[d] = frames[Math.floor(r() * frames.length)] as number;
    const count = Math.floor(r() * 4);
    const labelSet = options.sampleLabels && r() < 0.5 ? b.profile.labelSetId([['span', r() < 0.5 ? 'x' : 'y']]) : 0;
    b.addStack(stack, depth, [count, count * 10_000_000 + Math.floor(r() * 1000)], labelSet);
  }
  return b.finish();
}

/** stack (name@file:line;...) -> value, for one value type, over every label set; zeros left out. */
export function flatten(p: Profile, type: string, into = new Map<string, number>()): Map<string, number> {
  const t = p.valueIndex(type);
  if (t < 0) throw new Error(`no value type ${type}`);
  const f = p.frames;
  for (const trie of p.tries) {
    if (!trie) continue;
    for (let n = 1; n < trie.size; n++) {
      const v = trie.selfOf(n, t);
      if (v === 0) continue;
      const key = trie
        .stackOf(n)
        .map((id) => `${f.nameOf(id)}@${f.fileOf(id)}:${f.line[id]}:${f.moduleOf(id)}`)
        .join(';');
      into.set(key, (into.get(key) ?? 0) + v);
    }
  }
  for (const [k, v] of into) if (v === 0) into.delete(k);
  return into;
}

export function sorted(m: Map<string, number>): [string, number][] {
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
