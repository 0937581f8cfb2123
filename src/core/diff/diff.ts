// Two profiles compared, with frame names that may be normalised so that a
// rebuild still matches (--strip-hex, --ignore-lines): the table of functions
// by change of share (from each side's own trie), and, from the two sides
// merged into one trie with a value column each, difffolded's output.
import { PyroError } from '../errors.js';
import { resolveValue } from '../model/filter.js';
import { Profile, type ValueType } from '../model/profile.js';
import { nameRanks } from '../model/walk.js';
import { functionValues } from '../report/top.js';
import type { FunctionSums } from './folded-sums.js';
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

/** Two profiles to compare, on one value type. */
export interface Diff {
  base: Profile;
  next: Profile;
  /** The compared value's column in each side. */
  baseValue: number;
  newValue: number;
  valueType: ValueType;
  names: NameOptions;
  baseTotal: number;
  newTotal: number;
  /** The two sides in one trie over one frame table (names normalised): column 0 the base, 1 the new side. Built on first use. */
  readonly profile: Profile;
  /** When the sides were read into one profile (diffOfColumns): it, column 0 free, 1 the base, 2 the new side. */
  readonly sides?: Profile;
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
  return withProfile({
    base,
    next,
    baseValue: bv,
    newValue: nv,
    valueType: vt,
    names: { stripHex: o.stripHex, ignoreLines: o.ignoreLines },
    baseTotal: base.trie().columnTotal(bv),
    newTotal: next.trie().columnTotal(nv),
  });
}

/** The diff with its `profile`, made on first use. */
function withProfile(fields: Omit<Diff, 'profile'>): Diff {
  let combined: Profile | undefined;
  const unit = fields.valueType.unit;
  const d: Diff = {
    ...fields,
    get profile() {
      combined ??= combineSides(d, [
        { type: 'base', unit },
        { type: 'new', unit },
      ]);
      return combined;
    },
  };
  return d;
}

/**
 * The diff of two sides read into one profile of three columns (by
 * parseFoldedColumns): 0 free (for the differential graph's widths), 1 the
 * base, 2 the new side, both of `valueType`.
 */
export function diffOfColumns(sides: Profile, valueType: ValueType): Diff {
  // The profile is the diff's now (and what its graph embeds).
  sides.format = 'diff';
  return withProfile({
    base: sides,
    next: sides,
    baseValue: 1,
    newValue: 2,
    valueType,
    names: {},
    baseTotal: sides.trie().columnTotal(1),
    newTotal: sides.trie().columnTotal(2),
    sides,
  });
}

/**
 * Both sides merged into one trie whose frames are the normalised frames of
 * both; the base's values go to column `baseColumn`, the new side's to `newColumn`.
 */
export function combineSides(d: Diff, valueTypes: ValueType[], baseColumn = 0, newColumn = 1): Profile {
  // The frames of both sides, normalised, then numbered in name order: merged in one walk, the
  // trie then lists each node's children sorted by name (what folded-diff prints).
  const all = new Profile(valueTypes);
  const maps = [d.base, d.next].map((side) => {
    const frames = side.frames;
    const map = new Int32Array(frames.size);
    for (let f = 0; f < frames.size; f++) {
      map[f] = all.frames.intern(
        all.strings.intern(normalizeName(frames.nameOf(f), d.names)),
        all.strings.intern(frames.fileOf(f)),
        d.names.ignoreLines ? 0 : (frames.line[f] as number),
        all.strings.intern(frames.moduleOf(f)),
      );
    }
    return map;
  }) as [Int32Array, Int32Array];
  const rank = nameRanks(all.frames);
  const byRank = new Int32Array(rank.length);
  rank.forEach((r, f) => {
    byRank[r] = f;
  });
  const out = new Profile(valueTypes, all.strings);
  out.format = 'diff';
  // The samples of both sides (as when both are read into one profile, diffOfColumns).
  out.sampleCount = d.base === d.next ? d.base.sampleCount : d.base.sampleCount + d.next.sampleCount;
  for (const f of byRank) {
    out.frames.intern(
      all.frames.name[f] as number,
      all.frames.file[f] as number,
      all.frames.line[f] as number,
      all.frames.module[f] as number,
    );
  }
  for (const map of maps) for (let f = 0; f < map.length; f++) map[f] = rank[map[f] as number] as number;
  const columnOf = (side: Profile, value: number, column: number) =>
    Array.from({ length: side.nTypes }, (_, t) => (t === value ? column : -1));
  out
    .trieFor(0)
    .mergePair(
      d.base.trie(),
      maps[0],
      columnOf(d.base, d.baseValue, baseColumn),
      d.next.trie(),
      maps[1],
      columnOf(d.next, d.newValue, newColumn),
    );
  out.invalidate();
  return out;
}

/** Per frame of `p`, the id of its normalised name in `ids` (new names are added, to `names` too). */
function functionKeys(p: Profile, o: NameOptions, ids: Map<string, number>, names: string[]): Int32Array {
  const keys = new Int32Array(p.frames.size);
  for (let f = 0; f < p.frames.size; f++) {
    const name = normalizeName(p.frames.nameOf(f), o);
    let id = ids.get(name);
    if (id === undefined) {
      id = names.length;
      names.push(name);
      ids.set(name, id);
    }
    keys[f] = id;
  }
  return keys;
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

/**
 * Functions by change (largest absolute change of the sort key first),
 * computed on each side's own trie: the sides are not merged.
 */
export function diffTable(d: Diff, o: DiffTableOptions = {}): DiffTable {
  const ids = new Map<string, number>();
  const names: string[] = [];
  const baseKeys = functionKeys(d.base, d.names, ids, names);
  const newKeys = functionKeys(d.next, d.names, ids, names);
  // The functions of each side's profile.
  const sums = (p: Profile, value: number, keys: Int32Array, whole: number): FunctionSums => {
    const { self, total, seen } = functionValues(p, value, keys, names.length);
    const ids = names.map((_, id) => id).filter((id) => seen[id]);
    return {
      names: ids.map((id) => names[id] as string),
      self: Float64Array.from(ids, (id) => self[id] as number),
      total: Float64Array.from(ids, (id) => total[id] as number),
      whole,
    };
  };
  return diffTableOfSums(
    sums(d.base, d.baseValue, baseKeys, d.baseTotal),
    sums(d.next, d.newValue, newKeys, d.newTotal),
    d.valueType,
    o,
  );
}

/** The table of functions by change from each side's sums per function. */
export function diffTableOfSums(
  base: FunctionSums,
  next: FunctionSums,
  valueType: ValueType,
  o: DiffTableOptions = {},
): DiffTable {
  const sort = o.sort ?? 'self';
  const scale = (v: number, whole: number) => (o.absolute ? v : whole > 0 ? (100 * v) / whole : 0);
  const rows: DiffRow[] = [];
  const newIds = new Map<string, number>();
  next.names.forEach((name, id) => {
    newIds.set(name, id);
  });
  const row = (name: string, b: number, n: number) => {
    const e = {
      base: { self: b < 0 ? 0 : (base.self[b] as number), total: b < 0 ? 0 : (base.total[b] as number) },
      new: { self: n < 0 ? 0 : (next.self[n] as number), total: n < 0 ? 0 : (next.total[n] as number) },
    };
    if (e.base.total === 0 && e.new.total === 0) return;
    const selfBase = scale(e.base.self, base.whole);
    const selfNew = scale(e.new.self, next.whole);
    const totalBase = scale(e.base.total, base.whole);
    const totalNew = scale(e.new.total, next.whole);
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
  };
  base.names.forEach((name, b) => {
    const n = newIds.get(name) ?? -1;
    newIds.delete(name);
    row(name, b, n);
  });
  for (const [name, n] of newIds) row(name, -1, n);
  const key = (r: DiffRow) => Math.abs(sort === 'self' ? r.selfDelta : r.totalDelta);
  rows.sort((x, y) => key(y) - key(x) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  const limit = o.limit ?? 20;
  return {
    valueType,
    absolute: Boolean(o.absolute),
    sortKey: sort,
    baseTotal: base.whole,
    newTotal: next.whole,
    functions: rows.length,
    rows: limit > 0 ? rows.slice(0, limit) : rows,
  };
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
  const names: string[] = [];
  const keys = functionKeys(profile, o, new Map(), names);
  const { self, total, seen } = functionValues(profile, v, keys, names.length);
  const whole = profile.trie().totalOf(0, v);
  const pct = (x: number) => (whole === 0 ? 0 : (100 * x) / whole);
  names.forEach((name, id) => {
    if (seen[id]) out.set(name, { self: pct(self[id] as number), total: pct(total[id] as number) });
  });
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
