// Pyroscope's flamebearer JSON, what its UI and Grafana's flamegraph panel
// draw: `names`, and `levels`, one array per depth of [x, total, self, name]
// blocks, left to right, where x is given as the gap since the end of the
// previous block of the level; a node's children start after its self.
// The root is "total". {version: 1, flamebearer: {names, levels, numTicks,
// maxSelf}, metadata: {format: "single", units, sampleRate, spyName}}.
import { InputError } from '../errors.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import type { Profile, ValueType } from '../model/profile.js';
import { nameRanks, sortedChildLists } from '../model/walk.js';
import { nanosPer } from '../units.js';
import { JsonFields, jsonHead, readJson } from './json.js';
import type { Detection, ProfileFormat, WriteOptions } from './types.js';

export interface Flamebearer {
  version: 1;
  flamebearer: { names: string[]; levels: number[][]; numTicks: number; maxSelf: number };
  metadata: { format: 'single'; units: string; sampleRate: number; spyName: string; name?: string };
}

/**
 * Pyroscope's units ('samples', 'bytes', 'objects') and the ticks per second
 * of 'samples': values in a time unit are written as ticks of that unit.
 */
export function flamebearerUnits(vt: ValueType, p: Profile): { units: string; sampleRate: number } {
  if (vt.unit === 'bytes') return { units: 'bytes', sampleRate: 100 };
  if (/objects/.test(vt.type)) return { units: 'objects', sampleRate: 100 };
  const ns = nanosPer(vt.unit);
  if (ns !== undefined) return { units: 'samples', sampleRate: 1e9 / ns };
  const periodNs = p.periodType ? nanosPer(p.periodType.unit) : undefined;
  return { units: 'samples', sampleRate: periodNs && p.period > 0 ? 1e9 / (p.period * periodNs) : 100 };
}

export interface FlamebearerLevels {
  names: string[];
  levels: number[][];
  /** The total of each column. */
  ticks: number[];
  maxSelf: number;
}

/**
 * The levels of a flamebearer over value columns of one trie: per block, for
 * each column its x (delta-encoded), total and self, then the name index; one
 * column is Pyroscope's "single" format, two its "double" (diff) format.
 * Siblings come by name, as Pyroscope orders them. With `maxNodes` > 0, only
 * nodes whose total in some column is among the `maxNodes` largest are kept;
 * the others of a parent become one "other" block after its kept children.
 */
export function flamebearerLevels(profile: Profile, columns: readonly number[], maxNodes = 0): FlamebearerLevels {
  const trie = profile.trie();
  const k = trie.nTypes;
  const totals = trie.total;
  const sides = columns.length;
  const big = (node: number): number => {
    let m = 0;
    for (const c of columns) m = Math.max(m, totals[node * k + c] as number);
    return m;
  };
  const minVal = minValue(trie.size, big, maxNodes);
  const names = ['total'];
  const nameIndex = new Map<string, number>();
  const levels: number[][] = [];
  const lastEnd: number[][] = [];
  let maxSelf = 0;
  const { firstChild, nextSibling } = sortedChildLists(trie, nameRanks(profile.frames));
  const nameOf = (text: string): number => {
    let i = nameIndex.get(text) ?? -1;
    if (i < 0) {
      i = names.length;
      names.push(text);
      nameIndex.set(text, i);
    }
    return i;
  };
  // Depth first, left to right: each level's blocks come in order of x.
  // An entry: node (-1: "other"), depth, x per column, and for "other" its value per column.
  const stack: number[][] = [[0, 0, ...columns.map(() => 0)]];
  const kids: number[] = [];
  while (stack.length > 0) {
    const e = stack.pop() as number[];
    const node = e[0] as number;
    const depth = e[1] as number;
    const level = (levels[depth] ??= []);
    const ends = (lastEnd[depth] ??= columns.map(() => 0));
    const selfs: number[] = [];
    for (let i = 0; i < sides; i++) {
      const c = columns[i] as number;
      const x = e[2 + i] as number;
      const total = node < 0 ? (e[2 + sides + i] as number) : (totals[node * k + c] as number);
      const self = node < 0 ? total : (trie.self[node * k + c] as number);
      maxSelf = Math.max(maxSelf, self);
      level.push(x - (ends[i] as number), total, self);
      ends[i] = x + total;
      selfs.push(self);
    }
    level.push(node === 0 ? 0 : node < 0 ? nameOf('other') : nameOf(profile.frames.nameOf(trie.frame[node] as number)));
    if (node < 0) continue;
    // Children start after the node's self; pushed in reverse, so popped left to right.
    const xs = columns.map((_, i) => (e[2 + i] as number) + (selfs[i] as number));
    const other = columns.map(() => 0);
    let small = false;
    kids.length = 0;
    for (let ch = firstChild[node] as number; ch >= 0; ch = nextSibling[ch] as number) {
      const m = big(ch);
      if (m === 0) continue;
      if (m >= minVal) kids.push(ch);
      else {
        small = true;
        columns.forEach((c, i) => {
          other[i] = (other[i] as number) + (totals[ch * k + c] as number);
        });
      }
    }
    const entries: number[][] = [];
    for (const ch of kids) {
      entries.push([ch, depth + 1, ...xs]);
      columns.forEach((c, i) => {
        xs[i] = (xs[i] as number) + (totals[ch * k + c] as number);
      });
    }
    if (small) entries.push([-1, depth + 1, ...xs, ...other]);
    for (let i = entries.length - 1; i >= 0; i--) stack.push(entries[i] as number[]);
  }
  return { names, levels, ticks: columns.map((c) => totals[c] as number), maxSelf };
}

/** The smallest total among the `maxNodes` largest (0: keep all), as Pyroscope's minValue. */
function minValue(size: number, value: (node: number) => number, maxNodes: number): number {
  if (maxNodes <= 0 || size <= maxNodes) return 0;
  const all = new Float64Array(size);
  for (let n = 0; n < size; n++) all[n] = value(n);
  all.sort();
  return all[size - maxNodes] as number;
}

/** The flamebearer of one value type (all nodes, or the `maxNodes` largest). */
export function toFlamebearer(profile: Profile, valueIndex: number = profile.defaultValue, maxNodes = 0): Flamebearer {
  const { names, levels, ticks, maxSelf } = flamebearerLevels(profile, [valueIndex], maxNodes);
  const vt = profile.valueTypes[valueIndex] as ValueType;
  return {
    version: 1,
    flamebearer: { names, levels, numTicks: ticks[0] as number, maxSelf },
    metadata: { format: 'single', spyName: 'unknown', ...flamebearerUnits(vt, profile) },
  };
}

export function writeFlamebearer(profile: Profile, options: WriteOptions): Buffer {
  return Buffer.from(JSON.stringify(toFlamebearer(profile, options.valueIndex ?? profile.defaultValue)));
}

const TICK_UNITS: Record<string, string> = {
  '1000000000': 'nanoseconds',
  '1000000': 'microseconds',
  '1000': 'milliseconds',
};

/** Reads a flamebearer: each block's parent is the block of the level above whose span holds it. */
export async function parseFlamebearer(source: Source): Promise<Profile> {
  const f = new JsonFields(source.name);
  const root = f.object(await readJson(source), 'the document');
  const fb = f.object(root.flamebearer, 'flamebearer');
  const meta = root.metadata === undefined ? {} : f.object(root.metadata, 'metadata');
  const names = f.array(fb.names, 'flamebearer.names').map((n, i) => f.string(n, `flamebearer.names[${i}]`));
  const levels = f.array(fb.levels, 'flamebearer.levels');
  const units = typeof meta.units === 'string' ? meta.units : 'samples';
  // Samples at a rate of a time unit's ticks (how pyro writes time) are that unit again.
  const timeUnit = units === 'samples' ? TICK_UNITS[String(meta.sampleRate)] : undefined;
  const vt: ValueType =
    units === 'bytes'
      ? { type: 'space', unit: 'bytes' }
      : units === 'objects'
        ? { type: 'objects', unit: 'count' }
        : timeUnit
          ? { type: 'cpu', unit: timeUnit }
          : { type: 'samples', unit: 'count' };
  const b = new ProfileBuilder([vt], 'flamebearer');
  const trie = b.profile.trieFor(0);
  // Per level, the blocks' spans and trie nodes; each block's parent is found in the level above.
  let above: { x: number; total: number; node: number }[] = [{ x: 0, total: Number.POSITIVE_INFINITY, node: 0 }];
  for (let depth = 0; depth < levels.length; depth++) {
    const where = `flamebearer.levels[${depth}]`;
    const level = f.array(levels[depth], where);
    if (level.length % 4 !== 0) f.fail(where, `has ${level.length} numbers, not blocks of 4 (x, total, self, name)`);
    // A field's place is spelled out only when it is wrong.
    const num = (i: number): number => {
      const v = level[i];
      return typeof v === 'number' && Number.isFinite(v) ? v : f.number(v, `${where}[${i}]`);
    };
    const here: typeof above = [];
    let end = 0;
    let parent = 0;
    for (let i = 0; i < level.length; i += 4) {
      const x = end + num(i);
      const total = num(i + 1);
      const self = num(i + 2);
      const nameIndex = num(i + 3);
      const name = names[nameIndex];
      if (name === undefined) f.fail(`${where}[${i + 3}]`, `names ${nameIndex}, past the ${names.length} names`);
      end = x + total;
      let up = above[parent];
      while (up && up.x + up.total <= x) up = above[++parent];
      if (!up || up.x > x) f.fail(`${where}[${i}]`, `block at ${x} lies under no block of the level above`);
      // The first level is the root ("total"): not a frame.
      const node = depth === 0 ? 0 : trie.child((up as { node: number }).node, b.frame(name as string));
      if (self !== 0 && node !== 0) {
        trie.addSelf(node, 0, self);
        b.profile.sampleCount++;
      }
      here.push({ x, total, node });
    }
    above = here;
  }
  if (levels.length === 0) throw new InputError(source.name, 'flamebearer.levels is empty');
  return b.finish();
}

function detectFlamebearer(head: Buffer): Detection {
  const text = jsonHead(head);
  return text.startsWith('{') && text.includes('"flamebearer"') && text.includes('"levels"') ? 'yes' : 'no';
}

export const flamebearer: ProfileFormat = {
  id: 'flamebearer',
  name: "Pyroscope's flamebearer JSON",
  extensions: ['.flamebearer.json'],
  detect: detectFlamebearer,
  read: (source) => parseFlamebearer(source),
  write: writeFlamebearer,
};
