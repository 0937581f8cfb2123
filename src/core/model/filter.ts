import { PyroError } from '../errors.js';
import type { LabelSet, Profile } from './profile.js';
import type { StackTrie } from './trie.js';

/** How frames are grouped: as read, or by function, by source line, by file, by module. */
export type Granularity = 'frame' | 'function' | 'line' | 'file' | 'module';

/**
 * The filters every command takes, with pprof's meanings. Frame patterns are
 * regular expressions matched anywhere in the frame's name; repeating a flag
 * means "any of them".
 *
 * For the sample [main, a, b, a, c] (root first):
 *   focus=b      keeps it (a frame matches)     ignore=b  drops it
 *   hide=a       gives [main, b, c]             show=a|c  gives [a, a, c]
 *   pruneFrom=a  gives [main, a, b, a] (cut below the deepest match, which is kept)
 *   collapseRecursion: [main, a, a, b] becomes [main, a, b]
 * As in pprof, a sample left with no frame by hide/show is dropped, and
 * prune-from looks only at the frames hide/show leave.
 */
export interface FilterOptions {
  focus?: string[];
  ignore?: string[];
  hide?: string[];
  show?: string[];
  pruneFrom?: string[];
  /** `key=value`, `key!=value`, `key=~regex`, `key!~regex`: every one must hold for a sample's labels (and the profile's). */
  tags?: string[];
  collapseRecursion?: boolean;
  granularity?: Granularity;
}

export function hasFilters(o: FilterOptions): boolean {
  return Boolean(
    o.focus?.length ||
      o.ignore?.length ||
      o.hide?.length ||
      o.show?.length ||
      o.pruneFrom?.length ||
      o.tags?.length ||
      o.collapseRecursion ||
      (o.granularity && o.granularity !== 'frame'),
  );
}

/** A new profile with the filters applied; the input is not changed. Linear in the size of the tries. */
export function applyFilters(profile: Profile, o: FilterOptions): Profile {
  if (!hasFilters(o)) return profile;
  const out = profile.emptyLike();
  const nFrames = profile.frames.size;
  const focus = matcher(profile, o.focus, '--focus');
  const ignore = matcher(profile, o.ignore, '--ignore');
  const hide = matcher(profile, o.hide, '--hide');
  const show = matcher(profile, o.show, '--show');
  const prune = matcher(profile, o.pruneFrom, '--prune-from');
  const frameMap = regroup(out, o.granularity ?? 'frame', nFrames);
  const tagTests = (o.tags ?? []).map(parseTag);
  const collapse = Boolean(o.collapseRecursion);

  profile.tries.forEach((src, labelSetId) => {
    if (!src) return;
    const labels = profile.labelSets[labelSetId] as LabelSet;
    if (!tagTests.every((test) => test(labels, profile.labels))) return;
    const dst = out.trieFor(labelSetId);
    filterTrie(src, dst, { focus, ignore, hide, show, prune, frameMap, collapse });
  });
  out.invalidate();
  return out;
}

interface TrieFilter {
  focus: Uint8Array | undefined;
  ignore: Uint8Array | undefined;
  hide: Uint8Array | undefined;
  show: Uint8Array | undefined;
  prune: Uint8Array | undefined;
  frameMap: Int32Array;
  collapse: boolean;
}

function filterTrie(src: StackTrie, dst: StackTrie, f: TrieFilter): void {
  const n = src.size;
  const k = src.nTypes;
  const keep = new Uint8Array(n);
  const focused = new Uint8Array(n);
  const prunePoint = new Int32Array(n).fill(-1);
  const map = new Int32Array(n).fill(-1);
  map[0] = 0;
  keep[0] = f.focus ? 0 : 1;
  focused[0] = 0;
  const dropped = new Uint8Array(n);
  for (let i = 1; i < n; i++) {
    const p = src.parent[i] as number;
    const fr = src.frame[i] as number;
    focused[i] = focused[p] || (f.focus ? (f.focus[fr] as number) : 0);
    dropped[i] = dropped[p] || (f.ignore ? (f.ignore[fr] as number) : 0);
    keep[i] = dropped[i] ? 0 : f.focus ? (focused[i] as number) : 1;
    // As in pprof, prune-from looks at the frames hide/show leave.
    prunePoint[i] = f.prune?.[fr] && !isHidden(f, fr) ? i : (prunePoint[p] as number);
  }
  const chain: number[] = [];
  const ensure = (target: number): number => {
    let x = target;
    while ((map[x] as number) < 0) {
      chain.push(x);
      x = src.parent[x] as number;
    }
    while (chain.length > 0) {
      const c = chain.pop() as number;
      const pm = map[src.parent[c] as number] as number;
      const fr = src.frame[c] as number;
      const mapped = f.frameMap[fr] as number;
      map[c] = isHidden(f, fr) || (f.collapse && dst.frame[pm] === mapped) ? pm : dst.child(pm, mapped);
    }
    return map[target] as number;
  };
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    let any = false;
    for (let t = 0; t < k; t++) if (src.self[i * k + t] !== 0) any = true;
    if (!any) continue;
    const pp = prunePoint[i] as number;
    const d = ensure(pp >= 0 ? pp : i);
    // As in pprof, a sample whose frames are all hidden is dropped.
    if (d === 0 && i !== 0) continue;
    for (let t = 0; t < k; t++) {
      const v = src.self[i * k + t] as number;
      if (v !== 0) dst.addSelf(d, t, v);
    }
  }
}

function isHidden(f: TrieFilter, frame: number): boolean {
  return Boolean(f.hide?.[frame] || (f.show && !f.show[frame]));
}

/** One flag per frame: does its name match any of the patterns? */
function matcher(profile: Profile, patterns: string[] | undefined, flag: string): Uint8Array | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  let re: RegExp;
  try {
    re = new RegExp(patterns.map((p) => `(?:${p})`).join('|'));
  } catch (e) {
    throw new PyroError(`${flag}: invalid regular expression (${(e as Error).message})`);
  }
  const frames = profile.frames;
  const out = new Uint8Array(frames.size);
  const byName = new Map<number, number>();
  for (let i = 0; i < frames.size; i++) {
    const nameId = frames.name[i] as number;
    let m = byName.get(nameId);
    if (m === undefined) {
      m = re.test(frames.nameOf(i)) ? 1 : 0;
      byName.set(nameId, m);
    }
    out[i] = m;
  }
  return out;
}

/** Maps each frame of `out` (a copy of the source's frames) to the frame that stands for its group. */
function regroup(out: Profile, g: Granularity, nFrames: number): Int32Array {
  const map = new Int32Array(nFrames);
  const frames = out.frames;
  for (let i = 0; i < nFrames; i++) {
    if (g === 'frame') {
      map[i] = i;
      continue;
    }
    const name = frames.nameOf(i);
    const file = frames.fileOf(i);
    const line = frames.line[i] as number;
    let key: string;
    if (g === 'function') key = name;
    else if (g === 'line') key = file ? `${name} ${file}${line > 0 ? `:${line}` : ''}` : name;
    else if (g === 'file') key = file || name;
    else key = frames.moduleOf(i) || '[unknown]';
    map[i] = frames.internName(key);
  }
  return map;
}

type TagTest = (labels: LabelSet, profileLabels: Record<string, string>) => boolean;

/** Parses `key=value`, `key!=value`, `key=~regex`, `key!~regex`. */
export function parseTag(spec: string): TagTest {
  const m = /^([^=!~]+)(=~|!~|!=|=)(.*)$/.exec(spec);
  if (!m) throw new PyroError(`--tag ${spec}: expected key=value, key!=value, key=~regex or key!~regex`);
  const [, key, op, value] = m as unknown as [string, string, string, string];
  let test: (v: string | undefined) => boolean;
  if (op === '=') test = (v) => v === value;
  else if (op === '!=') test = (v) => v !== value;
  else {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${value})$`);
    } catch (e) {
      throw new PyroError(`--tag ${spec}: invalid regular expression (${(e as Error).message})`);
    }
    test = op === '=~' ? (v) => v !== undefined && re.test(v) : (v) => v === undefined || !re.test(v);
  }
  return (labels, profileLabels) => {
    const own = labels.find((l) => l[0] === key);
    return test(own ? own[1] : profileLabels[key]);
  };
}

/** The index of the value type called `type` (or the profile's default); a clear error lists the choices. */
export function resolveValue(profile: Profile, type: string | undefined): number {
  if (type === undefined) return profile.defaultValue;
  const i = profile.valueIndex(type);
  if (i < 0) {
    const have = profile.valueTypes.map((v) => v.type).join(', ');
    throw new PyroError(`--value ${type}: this profile has no such value type (it has: ${have})`);
  }
  return i;
}
