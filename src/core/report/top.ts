import type { Profile, ValueType } from '../model/profile.js';
import { walkTrie } from '../model/walk.js';

export interface TopRow {
  name: string;
  self: number;
  selfPercent: number;
  /** Running sum of selfPercent down the table, as pprof's sum%. */
  sumPercent: number;
  total: number;
  totalPercent: number;
}

export interface TopTable {
  valueType: ValueType;
  /** The whole profile's total of this value type. */
  total: number;
  /** How many functions there are in all (rows may be limited). */
  functions: number;
  rows: TopRow[];
}

export interface TopOptions {
  valueIndex: number;
  sort?: 'self' | 'total';
  /** 0 = all rows. */
  limit?: number;
}

/** Per function: its self, its total (each sample once however often the function recurses), whether it occurs. */
export interface FunctionValues {
  self: Float64Array;
  total: Float64Array;
  seen: Uint8Array;
}

/**
 * Self and total of value type `t` per function, where `keyOf[frame]` (0 <=
 * key < nKeys) says which function a frame belongs to: by default its name's
 * string id, so that frames differing only in line or file are one function.
 */
export function functionValues(
  profile: Profile,
  t: number,
  keyOf: Int32Array = profile.frames.name,
  nKeys: number = profile.strings.size,
): FunctionValues {
  const trie = profile.trie();
  const k = trie.nTypes;
  const self = new Float64Array(nKeys);
  const total = new Float64Array(nKeys);
  const seen = new Uint8Array(nKeys);
  const onPath = new Int32Array(nKeys);
  const totals = trie.total;
  walkTrie(
    trie,
    (node) => {
      const key = keyOf[trie.frame[node] as number] as number;
      seen[key] = 1;
      self[key] += trie.self[node * k + t] as number;
      if (onPath[key]++ === 0) total[key] += totals[node * k + t] as number;
    },
    (node) => {
      onPath[keyOf[trie.frame[node] as number] as number]--;
    },
  );
  return { self, total, seen };
}

/**
 * The flat table of `go tool pprof -top`: per function (frame name), its self
 * value and its total (the samples with the function anywhere on the stack,
 * each sample counted once however often the function recurses).
 */
export function topTable(profile: Profile, o: TopOptions): TopTable {
  const t = o.valueIndex;
  const nNames = profile.strings.size;
  const { self, total, seen } = functionValues(profile, t);
  const totals = profile.trie().total;
  const whole = totals[t] as number;
  const ids: number[] = [];
  for (let i = 0; i < nNames; i++) if (seen[i]) ids.push(i);
  const key = o.sort === 'total' ? total : self;
  const other = o.sort === 'total' ? self : total;
  const strings = profile.strings;
  ids.sort(
    (a, b) =>
      Math.abs(key[b] as number) - Math.abs(key[a] as number) ||
      Math.abs(other[b] as number) - Math.abs(other[a] as number) ||
      (strings.get(a) < strings.get(b) ? -1 : 1),
  );
  const limit = o.limit && o.limit > 0 ? o.limit : ids.length;
  const pct = (v: number) => (whole === 0 ? 0 : (v / whole) * 100);
  let sum = 0;
  const rows: TopRow[] = ids.slice(0, limit).map((id) => {
    sum += pct(self[id] as number);
    return {
      name: strings.get(id),
      self: self[id] as number,
      selfPercent: pct(self[id] as number),
      sumPercent: sum,
      total: total[id] as number,
      totalPercent: pct(total[id] as number),
    };
  });
  return { valueType: profile.valueTypes[t] as ValueType, total: whole, functions: ids.length, rows };
}

export interface StackRow {
  /** Leaf first, as `go tool pprof -traces` prints a stack. */
  frames: string[];
  value: number;
  percent: number;
}

export interface StackTable {
  valueType: ValueType;
  total: number;
  stacks: number;
  rows: StackRow[];
}

/** The heaviest whole stacks (by self value at their leaf), heaviest first. */
export function topStacks(profile: Profile, o: TopOptions): StackTable {
  const trie = profile.trie();
  const k = trie.nTypes;
  const t = o.valueIndex;
  const nodes: number[] = [];
  for (let n = 1; n < trie.size; n++) if (trie.self[n * k + t] !== 0) nodes.push(n);
  nodes.sort((a, b) => Math.abs(trie.self[b * k + t] as number) - Math.abs(trie.self[a * k + t] as number) || a - b);
  const whole = trie.totalOf(0, t);
  const limit = o.limit && o.limit > 0 ? o.limit : nodes.length;
  const rows = nodes.slice(0, limit).map((n) => {
    const value = trie.self[n * k + t] as number;
    return {
      frames: trie
        .stackOf(n)
        .reverse()
        .map((f) => profile.frames.nameOf(f)),
      value,
      percent: whole === 0 ? 0 : (value / whole) * 100,
    };
  });
  return { valueType: profile.valueTypes[t] as ValueType, total: whole, stacks: nodes.length, rows };
}
