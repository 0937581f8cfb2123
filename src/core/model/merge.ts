import { PyroError } from '../errors.js';
import { type LabelSet, Profile, type ValueType } from './profile.js';

/**
 * Merges profiles into one: the value types they share (by type and unit, in
 * the first profile's order), every sample of each, per-sample label sets kept.
 * Linear in the total size of the inputs' tries.
 *
 *   merge([a;b 1, a;c 2], [a;b 3]) = [a;b 4, a;c 2]
 */
export function mergeProfiles(profiles: readonly Profile[]): Profile {
  if (profiles.length === 0) throw new PyroError('nothing to merge');
  if (profiles.length === 1) return profiles[0] as Profile;
  const first = profiles[0] as Profile;
  const shared = first.valueTypes.filter((vt) => profiles.every((p) => indexOfType(p.valueTypes, vt) >= 0));
  if (shared.length === 0) {
    const describe = (p: Profile) => p.valueTypes.map((v) => `${v.type}/${v.unit}`).join(', ');
    const other = profiles.find((p) => p.valueTypes.every((v) => indexOfType(first.valueTypes, v) < 0)) as Profile;
    throw new PyroError(
      `cannot merge profiles with no value type in common (${describe(first)} and ${describe(other)}); pick inputs of one kind`,
    );
  }
  const out = new Profile(shared);
  const defaultType = first.valueTypes[first.defaultValue] as ValueType;
  out.defaultValue = Math.max(0, indexOfType(shared, defaultType));
  if (indexOfType(shared, defaultType) < 0) out.defaultValue = shared.length - 1;
  out.period = first.period;
  out.periodType = first.periodType;
  const formats = new Set(profiles.map((p) => p.format));
  out.format = formats.size === 1 ? first.format : [...formats].join('+');
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const p of profiles) {
    mergeInto(out, p);
    out.sampleCount += p.sampleCount;
    out.warnings.push(...p.warnings);
    if (p.startTime !== undefined) {
      start = Math.min(start, p.startTime);
      end = Math.max(end, p.startTime + (p.duration ?? 0));
    }
  }
  if (Number.isFinite(start)) {
    out.startTime = start;
    out.duration = end - start;
  }
  // Profile-level labels survive where every input agrees.
  for (const [k, v] of Object.entries(first.labels)) {
    if (profiles.every((p) => p.labels[k] === v)) out.labels[k] = v;
  }
  out.invalidate();
  return out;
}

/**
 * Adds every sample of `src` to `dst` (whose value types must be a subset of
 * src's, by type and unit), frame names through `rename` when given (frames
 * renamed alike become one).
 */
export function mergeInto(dst: Profile, src: Profile, rename?: (name: string) => string): void {
  // One frame table (shared ones are large): the same ids.
  const same = dst.frames === src.frames && !rename;
  const frameMap = same ? undefined : new Int32Array(src.frames.size);
  const s = src.strings;
  const f = src.frames;
  const ds = dst.strings;
  for (let i = 0; frameMap && i < f.size; i++) {
    const name = s.get(f.name[i] as number);
    frameMap[i] = dst.frames.intern(
      ds.intern(rename ? rename(name) : name),
      ds.intern(s.get(f.file[i] as number)),
      f.line[i] as number,
      ds.intern(s.get(f.module[i] as number)),
    );
  }
  const valueMap = src.valueTypes.map((vt) => indexOfType(dst.valueTypes, vt));
  src.tries.forEach((trie, labelSet) => {
    if (!trie) return;
    const target = dst.trieFor(dst.labelSetId(src.labelSets[labelSet] as LabelSet));
    target.mergeFrom(trie, frameMap, valueMap);
  });
  dst.invalidate();
}

function indexOfType(types: readonly ValueType[], vt: ValueType): number {
  return types.findIndex((t) => t.type === vt.type && t.unit === vt.unit);
}

/** The profile with `pairs` added to the labels of every sample (its label sets' own pairs come first). */
export function withLabels(src: Profile, pairs: LabelSet): Profile {
  const out = src.emptyLike();
  src.tries.forEach((trie, labelSet) => {
    if (!trie) return;
    out.trieFor(out.labelSetId([...(src.labelSets[labelSet] as LabelSet), ...pairs])).mergeFrom(trie);
  });
  out.invalidate();
  return out;
}

/** The profile with its frame names rewritten by `rename` (frames renamed alike merged). */
export function renameFrames(src: Profile, rename: (name: string) => string): Profile {
  const out = new Profile(src.valueTypes);
  out.setMetadata(src.metadata());
  out.warnings.push(...src.warnings);
  mergeInto(out, src, rename);
  return out;
}

/**
 * The profile with other value columns: column c of the result is column
 * `from[c]` of `src` (each picked once) times `scale[c]` (default 1), for the
 * same stacks, label sets and metadata. Renames, picks and converts value types.
 */
export function selectValues(
  src: Profile,
  valueTypes: ValueType[],
  from: readonly number[],
  scale?: readonly number[],
): Profile {
  const out = src.emptyLike(valueTypes);
  out.warnings.push(...src.warnings);
  const valueMap = src.valueTypes.map((_, c) => from.indexOf(c));
  const k = valueTypes.length;
  src.tries.forEach((trie, labelSet) => {
    if (!trie) return;
    // emptyLike numbers the label sets as src does; each target trie is new, so scaling it scales src's values.
    const target = out.trieFor(labelSet);
    target.mergeFrom(trie, undefined, valueMap);
    if (!scale) return;
    for (let c = 0; c < k; c++) {
      const f = scale[c] ?? 1;
      if (f !== 1) for (let n = 0; n < target.size; n++) target.addSelf(n, c, target.selfOf(n, c) * (f - 1));
    }
  });
  out.invalidate();
  return out;
}

/**
 * `a` minus `b`, stack by stack and label set by label set, in the columns
 * marked in `columns` (the others are a's): what a cumulative profile (Go's
 * alloc_space) gained since the previous one. Differences below 0 (a counter
 * reset) count 0.
 */
export function subtractProfile(a: Profile, b: Profile, columns: readonly boolean[]): Profile {
  const out = a.emptyLike();
  out.warnings.push(...a.warnings);
  mergeInto(out, a);
  const k = a.nTypes;
  const negated = selectValues(
    b,
    a.valueTypes,
    a.valueTypes.map((vt) => indexOfType(b.valueTypes, vt)),
    a.valueTypes.map((_, c) => (columns[c] ? -1 : 0)),
  );
  mergeInto(out, negated);
  for (const trie of out.tries) {
    if (!trie) continue;
    for (let n = 0; n < trie.size; n++) {
      for (let c = 0; c < k; c++) if (trie.selfOf(n, c) < 0) trie.addSelf(n, c, -trie.selfOf(n, c));
    }
  }
  out.invalidate();
  return out;
}
