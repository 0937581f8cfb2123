import { PyroError } from '../errors.js';
import type { Profile, ValueType } from '../model/profile.js';
import { walkTrie } from '../model/walk.js';

export interface PeekEdge {
  name: string;
  value: number;
  /** Share of the function's total. */
  percent: number;
}

export interface PeekEntry {
  name: string;
  self: number;
  selfPercent: number;
  total: number;
  totalPercent: number;
  /** Heaviest first; the root of the stack has none. */
  callers: PeekEdge[];
  callees: PeekEdge[];
}

export interface PeekReport {
  valueType: ValueType;
  total: number;
  entries: PeekEntry[];
}

/**
 * `go tool pprof -peek REGEX`: for each function whose name matches, who calls
 * it and whom it calls, with the value that flows along each edge. A sample
 * counts once per edge and once per function, however deep the recursion.
 */
export function peek(profile: Profile, pattern: string, valueIndex: number): PeekReport {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw new PyroError(`peek: invalid regular expression ${pattern} (${(e as Error).message})`);
  }
  const trie = profile.trie();
  const k = trie.nTypes;
  const t = valueIndex;
  const totals = trie.total;
  const strings = profile.strings;
  const nameOf = profile.frames.name;
  const matched = new Map<
    number,
    { self: number; total: number; callers: Map<number, number>; callees: Map<number, number> }
  >();
  const isMatch = new Int8Array(strings.size).fill(-1);
  const matches = (name: number): boolean => {
    if (isMatch[name] === -1) isMatch[name] = re.test(strings.get(name)) ? 1 : 0;
    return isMatch[name] === 1;
  };
  const onPath = new Map<number, number>();
  const edgeOnPath = new Map<string, number>();
  const nameAt = (node: number) => nameOf[trie.frame[node] as number] as number;
  const entry = (name: number) => {
    let e = matched.get(name);
    if (!e) matched.set(name, (e = { self: 0, total: 0, callers: new Map(), callees: new Map() }));
    return e;
  };
  const add = (m: Map<number, number>, key: number, v: number) => m.set(key, (m.get(key) ?? 0) + v);
  // d = +1 on entering a node, -1 on leaving it.
  const visit = (node: number, d: number) => {
    const name = nameAt(node);
    const parent = trie.parent[node] as number;
    const caller = parent > 0 ? nameAt(parent) : -1;
    const value = totals[node * k + t] as number;
    const own = matches(name);
    if (own) {
      const depth = (onPath.get(name) ?? 0) + d;
      onPath.set(name, depth);
      if (d > 0) {
        const e = entry(name);
        e.self += trie.self[node * k + t] as number;
        if (depth === 1) e.total += value;
      }
    }
    if (caller < 0 || !(own || matches(caller))) return;
    const key = `${caller}>${name}`;
    const depth = (edgeOnPath.get(key) ?? 0) + d;
    edgeOnPath.set(key, depth);
    if (d < 0 || depth !== 1) return;
    if (own) add(entry(name).callers, caller, value);
    if (matches(caller)) add(entry(caller).callees, name, value);
  };
  walkTrie(
    trie,
    (n) => visit(n, 1),
    (n) => visit(n, -1),
  );
  const whole = totals[t] as number;
  const pct = (v: number, of: number) => (of === 0 ? 0 : (v / of) * 100);
  const edges = (m: Map<number, number>, of: number): PeekEdge[] =>
    [...m.entries()]
      .map(([name, value]) => ({ name: strings.get(name), value, percent: pct(value, of) }))
      .sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1));
  const entries = [...matched.entries()]
    .map(([name, e]) => ({
      name: strings.get(name),
      self: e.self,
      selfPercent: pct(e.self, whole),
      total: e.total,
      totalPercent: pct(e.total, whole),
      callers: edges(e.callers, e.total),
      callees: edges(e.callees, e.total),
    }))
    .sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : 1));
  return { valueType: profile.valueTypes[t] as ValueType, total: whole, entries };
}
