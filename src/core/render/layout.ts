// The layout every flamegraph output draws (SVG, HTML, text, terminal): the
// trie of one value type as rectangles with a depth, a start and a width in
// value units. A parent rectangle always comes before its children, siblings
// side by side sorted by name as flamegraph.pl sorts them, packed from
// their parent's left edge (the parent's self time is the gap on the right).
import { growFloat64, growInt32 } from '../model/growable.js';
import type { Profile } from '../model/profile.js';
import type { StackTrie } from '../model/trie.js';
import { nameRanks } from '../model/walk.js';

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
  const rank = nameRanks(profile.frames);
  const { firstChild, nextSibling, frame } = trie;

  // Every frame with a value is drawn or inside a narrow frame left out: what is left out is the rest.
  let valued = 0;
  for (let n = 1; n < trie.size; n++) if ((totals[n * k + v] as number) !== 0) valued++;

  // Sized for what is drawn, which is often far fewer frames than the trie has.
  const rects = new Rects();
  rects.width[0] = total;

  // Depth first with an explicit stack of rectangles; each one's children are sorted, then pushed in reverse.
  const stack: number[] = [0];
  const kids: number[] = [];
  while (stack.length > 0) {
    const r = stack.pop() as number;
    const n = rects.node[r] as number;
    kids.length = 0;
    for (let c = firstChild[n] as number; c >= 0; c = nextSibling[c] as number) {
      if ((totals[c * k + v] as number) !== 0) kids.push(c);
    }
    if (kids.length > 1)
      kids.sort((a, b) => (rank[frame[a] as number] as number) - (rank[frame[b] as number] as number));
    // A narrow child is left out but keeps its place: its siblings stay where they are, as in flamegraph.pl.
    let x = rects.start[r] as number;
    const d = (rects.depth[r] as number) + 1;
    const first = rects.count;
    for (const c of kids) {
      const w = totals[c * k + v] as number;
      if (w >= min) rects.add(c, r, d, x, w);
      x += w;
    }
    for (let i = rects.count - 1; i >= first; i--) stack.push(i);
  }
  return rects.finish(profile, trie, v, valued - (rects.count - 1));
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

/**
 * A flame chart: the samples in time order instead of merged and sorted. A
 * frame is one rectangle for as long as consecutive samples keep it on their
 * stacks; the x axis is the samples' values in time order. Needs the sample
 * times (Profile.times) of a profile with one label set.
 */
export function layoutFlameChart(profile: Profile, options: FlameLayoutOptions): FlameLayout {
  const times = profile.times;
  if (!times) throw new Error('no sample times');
  const labelSet = times.count > 0 ? (times.labelSet[0] as number) : 0;
  const trie = profile.trieFor(labelSet);
  const k = times.nTypes;
  const v = options.valueIndex;
  const rects = new Rects();
  // The rectangles open along the current stack, by depth (0: the root).
  let open = new Int32Array(64);
  let openNodes = new Int32Array(64);
  let openDepth = 0;
  let x = 0;
  const path: number[] = [];
  const close = (to: number) => {
    for (; openDepth > to; openDepth--) {
      const r = open[openDepth] as number;
      rects.width[r] = x - (rects.start[r] as number);
    }
  };
  for (let s = 0; s < times.count; s++) {
    const value = times.values[s * k + v] as number;
    if (value === 0) continue;
    if (times.labelSet[s] !== labelSet) throw new Error('a flame chart of several label sets');
    path.length = 0;
    for (let n = times.node[s] as number; n > 0; n = trie.parent[n] as number) path.push(n);
    const d = path.length;
    // The common part with the stack of the rectangles open now.
    let same = 0;
    while (same < d && same < openDepth && openNodes[same + 1] === path[d - 1 - same]) same++;
    close(same);
    if (d + 1 >= open.length) {
      open = growInt32(open, d + 2);
      openNodes = growInt32(openNodes, d + 2);
    }
    for (let j = same; j < d; j++) {
      const r = rects.add(path[d - 1 - j] as number, open[j] as number, j + 1, x, 0);
      open[j + 1] = r;
      openNodes[j + 1] = rects.node[r] as number;
    }
    openDepth = d;
    x += value;
  }
  close(0);
  rects.width[0] = x;
  // Frames narrower than minShare go, with everything above them (parents come first).
  const min = (options.minShare ?? 0) * x;
  const kept = new Rects();
  kept.width[0] = x;
  const keep = new Int32Array(rects.count).fill(-1);
  keep[0] = 0;
  let omitted = 0;
  for (let r = 1; r < rects.count; r++) {
    const p = keep[rects.parent[r] as number] as number;
    const w = rects.width[r] as number;
    if (p < 0 || w < min) omitted++;
    else keep[r] = kept.add(rects.node[r] as number, p, rects.depth[r] as number, rects.start[r] as number, w);
  }
  return kept.finish(profile, trie, v, omitted);
}

/** The columns of a layout being built, grown as rectangles are added; rect 0 is the root. */
class Rects {
  count = 1;
  node = new Int32Array(1024);
  parent = new Int32Array(1024).fill(-1, 0, 1);
  depth = new Int32Array(1024);
  start = new Float64Array(1024);
  width = new Float64Array(1024);

  /** A new rectangle; its width may be set later. */
  add(node: number, parent: number, depth: number, start: number, width: number): number {
    const r = this.count++;
    if (r === this.node.length) {
      const cap = r * 2;
      this.node = growInt32(this.node, cap);
      this.parent = growInt32(this.parent, cap);
      this.depth = growInt32(this.depth, cap);
      this.start = growFloat64(this.start, cap);
      this.width = growFloat64(this.width, cap);
    }
    this.node[r] = node;
    this.parent[r] = parent;
    this.depth[r] = depth;
    this.start[r] = start;
    this.width[r] = width;
    return r;
  }

  finish(profile: Profile, trie: StackTrie, valueIndex: number, omitted: number): FlameLayout {
    const n = this.count;
    let maxDepth = 0;
    for (let r = 0; r < n; r++) if ((this.depth[r] as number) > maxDepth) maxDepth = this.depth[r] as number;
    return {
      profile,
      trie,
      valueIndex,
      total: this.width[0] as number,
      count: n,
      node: this.node.subarray(0, n),
      parent: this.parent.subarray(0, n),
      depth: this.depth.subarray(0, n),
      start: this.start.subarray(0, n),
      width: this.width.subarray(0, n),
      maxDepth,
      omitted,
    };
  }
}
