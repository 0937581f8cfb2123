// The layout every flamegraph output draws (SVG, HTML, text, terminal): the
// trie of one value type as rectangles with a depth, a start and a width in
// value units. A parent rectangle always comes before its children, siblings
// side by side sorted by name as flamegraph.pl sorts them, packed from
// their parent's left edge (the parent's self time is the gap on the right).
import type { Profile } from '../model/profile.js';
import type { StackTrie } from '../model/trie.js';

export interface FlameLayoutOptions {
  valueIndex: number;
  /** Frames whose total is below this share of the whole (0..1) are left out, with everything above them. */
  minShare?: number;
}

export interface FlameLayout {
  readonly profile: Profile;
  readonly trie: StackTrie;
  readonly valueIndex: number;
  /** The root's total: the width of the whole graph, in value units. */
  readonly total: number;
  /** Rectangles, rect 0 being the root ("all"). */
  readonly count: number;
  /** Trie node of each rectangle. */
  readonly node: Int32Array;
  /** Rectangle index of each rectangle's parent (-1 for the root). */
  readonly parent: Int32Array;
  /** 0 for the root, 1 for the outermost frames. */
  readonly depth: Int32Array;
  /** Offset from the left edge, in value units. */
  readonly start: Float64Array;
  /** The node's total, in value units. */
  readonly width: Float64Array;
  readonly maxDepth: number;
  /** Frames left out because they were narrower than minShare (their subtrees included). */
  readonly omitted: number;
}

export function layoutFlame(profile: Profile, options: FlameLayoutOptions): FlameLayout {
  const trie = profile.trie();
  const k = trie.nTypes;
  const v = options.valueIndex;
  const totals = trie.total;
  const total = totals[v] as number;
  const min = Math.max(0, (options.minShare ?? 0) * total);
  const rank = nameRanks(profile);
  const { firstChild, nextSibling, frame } = trie;

  // Frames with a value in each subtree, to count what a narrow frame takes with it (children come after parents).
  const subtree = new Int32Array(trie.size);
  for (let n = trie.size - 1; n > 0; n--) {
    if ((totals[n * k + v] as number) !== 0) subtree[n] += 1;
    subtree[trie.parent[n] as number] += subtree[n] as number;
  }

  const node = new Int32Array(trie.size);
  const parent = new Int32Array(trie.size);
  const depth = new Int32Array(trie.size);
  const start = new Float64Array(trie.size);
  const width = new Float64Array(trie.size);
  let count = 1;
  node[0] = 0;
  parent[0] = -1;
  width[0] = total;
  let maxDepth = 0;
  let omitted = 0;

  // Depth first with an explicit stack of rectangles; each one's children are sorted, then pushed in reverse.
  const stack: number[] = [0];
  const kids: number[] = [];
  while (stack.length > 0) {
    const r = stack.pop() as number;
    const n = node[r] as number;
    kids.length = 0;
    for (let c = firstChild[n] as number; c >= 0; c = nextSibling[c] as number) {
      const w = totals[c * k + v] as number;
      if (w === 0) continue;
      if (w < min) {
        omitted += subtree[c] as number;
        continue;
      }
      kids.push(c);
    }
    if (kids.length > 1)
      kids.sort((a, b) => (rank[frame[a] as number] as number) - (rank[frame[b] as number] as number));
    let x = start[r] as number;
    const first = count;
    for (const c of kids) {
      node[count] = c;
      parent[count] = r;
      depth[count] = (depth[r] as number) + 1;
      start[count] = x;
      const w = totals[c * k + v] as number;
      width[count] = w;
      x += w;
      count++;
    }
    if (kids.length > 0 && (depth[r] as number) + 1 > maxDepth) maxDepth = (depth[r] as number) + 1;
    for (let i = count - 1; i >= first; i--) stack.push(i);
  }
  return {
    profile,
    trie,
    valueIndex: v,
    total,
    count,
    node: node.subarray(0, count),
    parent: parent.subarray(0, count),
    depth: depth.subarray(0, count),
    start: start.subarray(0, count),
    width: width.subarray(0, count),
    maxDepth,
    omitted,
  };
}

/** The name of a rectangle's frame ("all" for the root). */
export function rectName(layout: FlameLayout, rect: number): string {
  if (rect === 0) return 'all';
  return layout.profile.frames.nameOf(layout.trie.frame[layout.node[rect] as number] as number);
}

/** The self value of a rectangle's node. */
export function rectSelf(layout: FlameLayout, rect: number): number {
  return layout.trie.selfOf(layout.node[rect] as number, layout.valueIndex);
}

/** Per frame id, its rank among every frame sorted by name (byte order of the names, as Perl's sort). */
function nameRanks(profile: Profile): Int32Array {
  const frames = profile.frames;
  const ids = Array.from({ length: frames.size }, (_, i) => i);
  const names = ids.map((i) => frames.nameOf(i));
  ids.sort((a, b) => {
    const x = names[a] as string;
    const y = names[b] as string;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const rank = new Int32Array(frames.size);
  ids.forEach((id, i) => {
    rank[id] = i;
  });
  return rank;
}
