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
function unitsOf(vt: ValueType, p: Profile): { units: string; sampleRate: number } {
  if (vt.unit === 'bytes') return { units: 'bytes', sampleRate: 100 };
  if (/objects/.test(vt.type)) return { units: 'objects', sampleRate: 100 };
  const ns = nanosPer(vt.unit);
  if (ns !== undefined) return { units: 'samples', sampleRate: 1e9 / ns };
  const periodNs = p.periodType ? nanosPer(p.periodType.unit) : undefined;
  return { units: 'samples', sampleRate: periodNs && p.period > 0 ? 1e9 / (p.period * periodNs) : 100 };
}

/** The flamebearer of one value type: siblings by name, as Pyroscope orders them. */
export function toFlamebearer(profile: Profile, valueIndex: number = profile.defaultValue): Flamebearer {
  const trie = profile.trie();
  const k = trie.nTypes;
  const totals = trie.total;
  const names = ['total'];
  const nameIndex = new Map<string, number>();
  const levels: number[][] = [];
  const lastEnd: number[] = [];
  let maxSelf = 0;
  const { firstChild, nextSibling } = sortedChildLists(trie, nameRanks(profile.frames));
  // Depth first, left to right: each level's blocks come in order of x. [node, depth, x]
  const stack: number[] = [0, 0, 0];
  while (stack.length > 0) {
    const x = stack.pop() as number;
    const depth = stack.pop() as number;
    const node = stack.pop() as number;
    const total = totals[node * k + valueIndex] as number;
    if (total === 0 && node !== 0) continue;
    const self = trie.self[node * k + valueIndex] as number;
    maxSelf = Math.max(maxSelf, self);
    let name = 0;
    if (node !== 0) {
      const text = profile.frames.nameOf(trie.frame[node] as number);
      name = nameIndex.get(text) ?? -1;
      if (name < 0) {
        name = names.length;
        names.push(text);
        nameIndex.set(text, name);
      }
    }
    const level = (levels[depth] ??= []);
    level.push(x - (lastEnd[depth] ?? 0), total, self, name);
    lastEnd[depth] = x + total;
    // Children start after the node's self; pushed in reverse, so popped left to right.
    const kids: number[] = [];
    for (let c = firstChild[node] as number; c >= 0; c = nextSibling[c] as number) kids.push(c);
    let cx = x + self;
    const at: number[] = kids.map((c) => {
      const here = cx;
      cx += totals[c * k + valueIndex] as number;
      return here;
    });
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as number, depth + 1, at[i] as number);
  }
  const vt = profile.valueTypes[valueIndex] as ValueType;
  return {
    version: 1,
    flamebearer: { names, levels, numTicks: totals[valueIndex] as number, maxSelf },
    metadata: { format: 'single', spyName: 'unknown', ...unitsOf(vt, profile) },
  };
}

export function writeFlamebearer(profile: Profile, options: WriteOptions): Buffer {
  return Buffer.from(JSON.stringify(toFlamebearer(profile, options.valueIndex ?? profile.defaultValue)));
}

/** Reads a flamebearer: each block's parent is the block of the level above whose span holds it. */
export async function parseFlamebearer(source: Source): Promise<Profile> {
  const f = new JsonFields(source.name);
  const root = f.object(await readJson(source), 'the document');
  const fb = f.object(root.flamebearer, 'flamebearer');
  const meta = root.metadata === undefined ? {} : f.object(root.metadata, 'metadata');
  const names = f.array(fb.names, 'flamebearer.names').map((n, i) => f.string(n, `flamebearer.names[${i}]`));
  const levels = f.array(fb.levels, 'flamebearer.levels');
  const units = typeof meta.units === 'string' ? meta.units : 'samples';
  const vt: ValueType =
    units === 'bytes'
      ? { type: 'space', unit: 'bytes' }
      : units === 'objects'
        ? { type: 'objects', unit: 'count' }
        : { type: 'samples', unit: 'count' };
  const b = new ProfileBuilder([vt], 'flamebearer');
  // Per level, the blocks as [x, total, frame]; stacks are rebuilt from the level above.
  let above: { x: number; total: number; path: number[] }[] = [{ x: 0, total: Number.POSITIVE_INFINITY, path: [] }];
  for (let depth = 0; depth < levels.length; depth++) {
    const value = levels[depth];
    const where = `flamebearer.levels[${depth}]`;
    const level = f.array(value, where);
    if (level.length % 4 !== 0) f.fail(where, `has ${level.length} numbers, not blocks of 4 (x, total, self, name)`);
    const here: typeof above = [];
    let end = 0;
    let parent = 0;
    for (let i = 0; i < level.length; i += 4) {
      const x = end + f.number(level[i], `${where}[${i}]`);
      const total = f.number(level[i + 1], `${where}[${i + 1}]`);
      const self = f.number(level[i + 2], `${where}[${i + 2}]`);
      const nameIndex = f.number(level[i + 3], `${where}[${i + 3}]`);
      const name = names[nameIndex];
      if (name === undefined) f.fail(`${where}[${i + 3}]`, `names ${nameIndex}, past the ${names.length} names`);
      end = x + total;
      let up = above[parent];
      while (up && up.x + up.total <= x) up = above[++parent];
      if (!up || up.x > x) f.fail(`${where}[${i}]`, `block at ${x} lies under no block of the level above`);
      // The first level is the root ("total"): not a frame.
      const path = depth === 0 ? [] : [...up.path, b.frame(name as string)];
      if (self !== 0 && path.length > 0) b.addStack(path, path.length, [self]);
      here.push({ x, total, path });
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
