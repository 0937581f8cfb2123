// Two profiles compared: one trie with two value columns (base, new) over one
// frame table whose names may be normalised so that a rebuild still matches
// (--strip-hex, --ignore-lines), and from it the table of functions by change
// of share, and difffolded's two-column output.
import { PyroError } from '../errors.js';
import { formatCount } from '../formats/folded.js';
import { resolveValue } from '../model/filter.js';
import { Profile, type ValueType } from '../model/profile.js';
import { walkTrie } from '../model/walk.js';
import { topTable } from '../report/top.js';
import { type Change, welch } from './stats.js';

export interface NameOptions {
  /** Drop addresses and hex numbers: every 0x... becomes "0x..." (difffolded.pl -s). */
  stripHex?: boolean;
  /** Drop line and column numbers: "fn (file.js:12:7)" reads "fn (file.js)", and frames lose their line. */
  ignoreLines?: boolean;
}

export interface DiffOptions extends NameOptions {
  /** The value type compared (a type name; default: the base profile's default). */
  value?: string;
}

/** The two sides in one trie: column 0 is the base, column 1 the new profile. */
export interface Diff {
  profile: Profile;
  valueType: ValueType;
  baseTotal: number;
  newTotal: number;
}

const HEX = /0x[0-9a-fA-F]+/g;
const LINE_COLUMN = /:\d+(?::\d+)?(?=\)|$)/g;

export function normalizeName(name: string, o: NameOptions): string {
  let n = name;
  if (o.stripHex) n = n.replace(HEX, '0x...');
  if (o.ignoreLines) n = n.replace(LINE_COLUMN, '');
  return n;
}

export function diffProfiles(base: Profile, next: Profile, o: DiffOptions = {}): Diff {
  const bv = resolveValue(base, o.value);
  const vt = base.valueTypes[bv] as ValueType;
  const nv = next.valueTypes.findIndex((t) => t.type === vt.type && t.unit === vt.unit);
  if (nv < 0) {
    throw new PyroError(
      `the new side has no ${vt.type} (${vt.unit}) values (it has ${next.valueTypes.map((t) => `${t.type}/${t.unit}`).join(', ')}); pick a common one with --value`,
    );
  }
  const out = new Profile([
    { type: 'base', unit: vt.unit },
    { type: 'new', unit: vt.unit },
  ]);
  out.format = 'diff';
  const trie = out.trieFor(0);
  for (const [side, column] of [
    [base, bv],
    [next, nv],
  ] as const) {
    const frames = side.frames;
    const map = new Int32Array(frames.size);
    for (let f = 0; f < frames.size; f++) {
      const name = normalizeName(frames.nameOf(f), o);
      map[f] = out.frames.intern(
        out.strings.intern(name),
        out.strings.intern(frames.fileOf(f)),
        o.ignoreLines ? 0 : (frames.line[f] as number),
        out.strings.intern(frames.moduleOf(f)),
      );
    }
    const valueMap = Array.from({ length: side.nTypes }, (_, t) => (t === column ? (side === base ? 0 : 1) : -1));
    trie.mergeFrom(side.trie(), map, valueMap);
  }
  out.invalidate();
  const totals = out.totals();
  return { profile: out, valueType: vt, baseTotal: totals[0] as number, newTotal: totals[1] as number };
}

export interface DiffRow {
  name: string;
  /** Self and total of each side, in the value's unit. */
  base: { self: number; total: number };
  new: { self: number; total: number };
  /** Shares of each side's whole, in percent (or the raw values with `absolute`). */
  selfBase: number;
  selfNew: number;
  totalBase: number;
  totalNew: number;
  /** new - base, in percentage points (raw units with `absolute`). */
  selfDelta: number;
  totalDelta: number;
  /** (new - base) / base of the sort key; Infinity for a new function, -1 for a vanished one. */
  relative: number;
  status: 'new' | 'vanished' | 'changed';
  /** With several profiles a side: the interval of each change (Welch), in percentage points. */
  selfChange?: Change;
  totalChange?: Change;
}

export interface DiffTable {
  valueType: ValueType;
  absolute: boolean;
  sortKey: 'self' | 'total';
  baseTotal: number;
  newTotal: number;
  functions: number;
  rows: DiffRow[];
}

export interface DiffTableOptions {
  /** Compare raw values instead of shares of each side's total. */
  absolute?: boolean;
  sort?: 'self' | 'total';
  /** 0 = every row. */
  limit?: number;
}

/** Functions by change (largest absolute change of the sort key first). */
export function diffTable(d: Diff, o: DiffTableOptions = {}): DiffTable {
  const sort = o.sort ?? 'self';
  const b = topTable(d.profile, { valueIndex: 0, limit: 0 });
  const n = topTable(d.profile, { valueIndex: 1, limit: 0 });
  const byName = new Map<string, { base: { self: number; total: number }; new: { self: number; total: number } }>();
  for (const r of b.rows) byName.set(r.name, { base: { self: r.self, total: r.total }, new: { self: 0, total: 0 } });
  for (const r of n.rows) {
    const e = byName.get(r.name);
    if (e) e.new = { self: r.self, total: r.total };
    else byName.set(r.name, { base: { self: 0, total: 0 }, new: { self: r.self, total: r.total } });
  }
  const scale = (v: number, whole: number) => (o.absolute ? v : whole > 0 ? (100 * v) / whole : 0);
  const rows: DiffRow[] = [];
  for (const [name, e] of byName) {
    if (e.base.total === 0 && e.new.total === 0) continue;
    const selfBase = scale(e.base.self, d.baseTotal);
    const selfNew = scale(e.new.self, d.newTotal);
    const totalBase = scale(e.base.total, d.baseTotal);
    const totalNew = scale(e.new.total, d.newTotal);
    const [from, to] = sort === 'self' ? [selfBase, selfNew] : [totalBase, totalNew];
    rows.push({
      name,
      base: e.base,
      new: e.new,
      selfBase,
      selfNew,
      totalBase,
      totalNew,
      selfDelta: selfNew - selfBase,
      totalDelta: totalNew - totalBase,
      relative: from === 0 ? (to === 0 ? 0 : Number.POSITIVE_INFINITY) : (to - from) / from,
      status: e.base.total === 0 ? 'new' : e.new.total === 0 ? 'vanished' : 'changed',
    });
  }
  const key = (r: DiffRow) => Math.abs(sort === 'self' ? r.selfDelta : r.totalDelta);
  rows.sort((x, y) => key(y) - key(x) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const limit = o.limit ?? 20;
  return {
    valueType: d.valueType,
    absolute: Boolean(o.absolute),
    sortKey: sort,
    baseTotal: d.baseTotal,
    newTotal: d.newTotal,
    functions: rows.length,
    rows: limit > 0 ? rows.slice(0, limit) : rows,
  };
}

export interface FoldedDiffOptions {
  /** Scale the base's counts to the new side's total (difffolded.pl -n). */
  normalize?: boolean;
}

/**
 * difffolded.pl's output, "stack base new" per stack of either side, with the
 * semantics of inferno's diff-folded (the corpus's reference): counts are
 * whole numbers (fractions dropped), -n scales the base down to the new
 * total. Lines come sorted by stack (the tools print them in hash order).
 */
export function foldedDiffLines(d: Diff, o: FoldedDiffOptions = {}): string[] {
  const p = d.profile;
  const trie = p.trie();
  const { frame } = trie;
  const names = p.frames;
  // Each node with a count on either side is one stack (names were normalised when the trie was built).
  const stacks: string[] = [];
  const base: number[] = [];
  const next: number[] = [];
  const path: string[] = [];
  walkTrie(
    trie,
    (node) => {
      path.push(names.nameOf(frame[node] as number));
      const b = trie.selfOf(node, 0);
      const n = trie.selfOf(node, 1);
      if (b === 0 && n === 0) return;
      stacks.push(path.join(';'));
      base.push(Math.trunc(b));
      next.push(Math.trunc(n));
    },
    () => {
      path.pop();
    },
  );
  let total1 = 0;
  let total2 = 0;
  for (const v of base) total1 += v;
  for (const v of next) total2 += v;
  const order = Array.from(stacks.keys()).sort((x, y) => {
    const a = stacks[x] as string;
    const b = stacks[y] as string;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const normalize = o.normalize && total1 !== total2 && total1 > 0;
  return order.map((i) => {
    // As difffolded.pl: int(count * total2 / total1), in that order.
    const b = normalize ? Math.trunc(((base[i] as number) * total2) / total1) : (base[i] as number);
    return `${stacks[i]} ${formatCount(b)} ${formatCount(next[i] as number)}`;
  });
}

/** One --fail-on rule: `[fn:NAME ]self|total>N[%]`. */
export interface GateRule {
  text: string;
  fn?: string;
  key: 'self' | 'total';
  threshold: number;
}

export function parseGateRule(text: string): GateRule {
  const m = /^\s*(?:fn:(.+?)\s+)?(self|total)\s*>\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) {
    throw new PyroError(`--fail-on ${text}: expected [fn:NAME ]self>N% or total>N% (percentage points of share)`, 2);
  }
  return { text, fn: m[1], key: m[2] as 'self' | 'total', threshold: Number(m[3]) };
}

export interface GateOffence {
  rule: string;
  row: DiffRow;
}

/**
 * The functions whose self or total grew by more than a rule's threshold
 * (percentage points of share; raw units with --absolute), and where the rows
 * carry intervals (several profiles a side), by a growth whose interval lies
 * above zero. A rule with fn: applies to that function only (its name, or its
 * name before a space, as in "fn (file.js:12)"). Functions whose value is
 * under `minValue` on both sides do not count.
 */
export function gateOffences(rows: readonly DiffRow[], rules: readonly GateRule[], minValue = 0): GateOffence[] {
  const out: GateOffence[] = [];
  for (const row of rows) {
    if (Math.max(row.new.total, row.base.total) < minValue) continue;
    for (const rule of rules) {
      if (rule.fn !== undefined && row.name !== rule.fn && !row.name.startsWith(`${rule.fn} `)) continue;
      const delta = rule.key === 'self' ? row.selfDelta : row.totalDelta;
      // With repeated runs, only a growth the test tells from noise counts.
      const change = rule.key === 'self' ? row.selfChange : row.totalChange;
      if (change && !(change.low > 0)) continue;
      if (delta > rule.threshold) {
        out.push({ rule: rule.text, row });
        break;
      }
    }
  }
  return out;
}

/** Per function (names normalised), its self and total as percentages of the profile's total. */
export function functionShares(
  profile: Profile,
  valueType: ValueType,
  o: NameOptions,
): Map<string, { self: number; total: number }> {
  const v = profile.valueTypes.findIndex((t) => t.type === valueType.type && t.unit === valueType.unit);
  const out = new Map<string, { self: number; total: number }>();
  if (v < 0) return out;
  const t = topTable(profile, { valueIndex: v, limit: 0 });
  for (const r of t.rows) {
    const name = normalizeName(r.name, o);
    const e = out.get(name) ?? { self: 0, total: 0 };
    // Names that normalise alike are one function: self adds up; total is at least the largest.
    e.self += r.selfPercent;
    e.total = Math.max(e.total, r.totalPercent);
    out.set(name, e);
  }
  return out;
}

/**
 * Adds to each row the interval of its change (Welch's test on the shares of
 * each side's profiles, two or more a side) at `confidence`.
 */
export function addIntervals(
  rows: DiffRow[],
  baseShares: readonly Map<string, { self: number; total: number }>[],
  newShares: readonly Map<string, { self: number; total: number }>[],
  confidence: number,
): void {
  for (const row of rows) {
    const pick = (side: readonly Map<string, { self: number; total: number }>[], key: 'self' | 'total') =>
      side.map((m) => m.get(row.name)?.[key] ?? 0);
    row.selfChange = welch(pick(baseShares, 'self'), pick(newShares, 'self'), confidence);
    row.totalChange = welch(pick(baseShares, 'total'), pick(newShares, 'total'), confidence);
  }
}
