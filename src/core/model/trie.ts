import { growFloat64, growInt32 } from './growable.js';

/** The columns of a trie that merging reads: a StackTrie, or a trie decoded from the store. */
export interface TrieColumns {
  readonly size: number;
  readonly nTypes: number;
  readonly parent: Int32Array;
  readonly frame: Int32Array;
  readonly self: Float64Array;
}

/** The totals and child lists of a trie, computed from its columns. */
export interface TrieDerived {
  total?: Float64Array;
  firstChild?: Int32Array;
  nextSibling?: Int32Array;
  byFrame?: boolean;
}

/** Stacks in one insertStacks() into an empty trie from which sorting them first pays (no hashing). */
export const SORTED_BUILD_MIN = 16_384;

/**
 * A prefix tree of call stacks, stored column-wise in typed arrays.
 *
 * Stacks are ROOT FIRST: [main, parse, readLine] inserts main under the root,
 * parse under main, readLine under parse, and adds the sample's values to the
 * `self` of the readLine node. Node 0 is the root (frame -1); a child's index is
 * always greater than its parent's, so one backward pass over the nodes
 * computes the totals.
 *
 * Children are found through one open-addressing hash of (parent, frame), so
 * inserting a stack of depth d is O(d) however wide a node is. The
 * firstChild/nextSibling lists for traversal are built on first use, so that
 * building a trie writes only the columns it reads.
 *
 * Values: `nTypes` per node, at `node * nTypes + t`.
 */
export class StackTrie {
  size = 1;
  parent: Int32Array;
  frame: Int32Array;
  self: Float64Array;
  private totalValues: Float64Array;
  private totalsValid = false;
  private childLists: { first: Int32Array; next: Int32Array; byFrame?: boolean } | undefined;
  /** Whether the hash holds every node (insertStacks() leaves it to be rebuilt). */
  private indexed = true;
  /** node + 1 per slot (0: empty). */
  private table: Int32Array;
  private mask: number;

  constructor(
    readonly nTypes: number,
    capacity = 64,
  ) {
    const cap = Math.max(16, capacity);
    this.parent = new Int32Array(cap);
    this.frame = new Int32Array(cap);
    this.self = new Float64Array(cap * nTypes);
    this.totalValues = new Float64Array(0);
    this.parent[0] = -1;
    this.frame[0] = -1;
    let slots = 32;
    while (slots < cap * 2) slots *= 2;
    this.table = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** A trie over given columns (node 0 the root, each child after its parent), indexed on first use. */
  static fromColumns(
    nTypes: number,
    size: number,
    parent: Int32Array,
    frame: Int32Array,
    self: Float64Array,
    derived: TrieDerived = {},
  ): StackTrie {
    const t = new StackTrie(nTypes, 16);
    t.parent = parent;
    t.frame = frame;
    t.self = self;
    t.size = size;
    t.indexed = false;
    if (derived.total) {
      t.totalValues = derived.total;
      t.totalsValid = true;
    }
    if (derived.firstChild && derived.nextSibling)
      t.childLists = { first: derived.firstChild, next: derived.nextSibling, byFrame: derived.byFrame };
    return t;
  }

  /** What is computed from the columns, when it is (to hand the trie to another thread with it). */
  get derived(): TrieDerived {
    return {
      total: this.totalsValid ? this.totalValues : undefined,
      firstChild: this.childLists?.first,
      nextSibling: this.childLists?.next,
      byFrame: this.childLists?.byFrame,
    };
  }

  private static slot(parent: number, frame: number): number {
    return (Math.imul(parent, 0x9e3779b1) ^ Math.imul(frame + 1, 0x85ebca77)) >>> 0;
  }

  /** The child of `parent` for `frame`, or -1. */
  find(parent: number, frame: number): number {
    if (!this.indexed) this.rehash(this.table.length);
    const { table, mask } = this;
    let i = StackTrie.slot(parent, frame) & mask;
    for (;;) {
      const n = (table[i] as number) - 1;
      if (n < 0) return -1;
      if (this.frame[n] === frame && this.parent[n] === parent) return n;
      i = (i + 1) & mask;
    }
  }

  /** The child of `parent` for `frame`, created if missing. */
  child(parent: number, frame: number): number {
    if (!this.indexed) this.rehash(this.table.length);
    const table = this.table;
    const mask = this.mask;
    let i = StackTrie.slot(parent, frame) & mask;
    for (;;) {
      const n = (table[i] as number) - 1;
      if (n < 0) break;
      if (this.frame[n] === frame && this.parent[n] === parent) return n;
      i = (i + 1) & mask;
    }
    const node = this.size++;
    if (node >= this.parent.length) this.grow(node + 1);
    this.parent[node] = parent;
    this.frame[node] = frame;
    this.totalsValid = false;
    this.childLists = undefined;
    if (this.size * 2 > table.length) this.rehash();
    else table[i] = node + 1;
    return node;
  }

  /**
   * Appends a new child of `parent` without looking for an existing one: for a
   * caller that knows there is none (a reader of sorted stacks). The hash is
   * built when child() or find() is next called.
   */
  appendChild(parent: number, frame: number): number {
    // The child lists are kept, not rebuilt: findListed() reads them, and traversal after.
    const lists = (this.childLists ??= this.buildChildLists());
    const node = this.size++;
    if (node >= this.parent.length) this.grow(node + 1);
    this.parent[node] = parent;
    this.frame[node] = frame;
    this.indexed = false;
    this.totalsValid = false;
    if (node >= lists.first.length) {
      // As long as the columns: room reserve()d is not copied again.
      lists.first = growInt32(lists.first, this.parent.length);
      lists.next = growInt32(lists.next, this.parent.length);
    }
    lists.first[node] = -1;
    lists.next[node] = lists.first[parent] as number;
    lists.first[parent] = node;
    lists.byFrame = false;
    return node;
  }

  /** The child of `parent` for `frame` found through its child list, or -1: for appenders that seldom look. */
  findListed(parent: number, frame: number): number {
    const { firstChild, nextSibling } = this;
    for (let c = firstChild[parent] as number; c >= 0; c = nextSibling[c] as number)
      if (this.frame[c] === frame) return c;
    return -1;
  }

  /**
   * Makes room for `nodes` nodes at once: memory not yet written costs nothing, while growing copies.
   * `hashed`: and sizes the hash for them (for child() callers that know their count roughly).
   */
  reserve(nodes: number, hashed = false): void {
    if (nodes > this.parent.length) this.grow(nodes);
    if (hashed && this.indexed && nodes * 2 > this.table.length) this.rehash(nodes * 2);
  }

  /**
   * Inserts many stacks at once: stack i is frames[start[i] .. start[i] + depth[i]),
   * leaf first (or root first with `rootFirst`), and adds values[i * nTypes + t]
   * to its leaf's self. Each stack starts from the common prefix with the
   * previous one. A large batch into an empty trie is sorted root first, so
   * that every node after that prefix is new and nothing is hashed (the hash
   * is built when child() or find() is next called); otherwise the stacks go
   * in as they come, probing the hash only from where one parts from the
   * previous one (once per stack when writers group them by prefix, as most do).
   */
  insertStacks(
    frames: Int32Array,
    start: Int32Array,
    depth: Int32Array,
    values: Float64Array,
    rootFirst = false,
  ): void {
    const n = start.length;
    const k = this.nTypes;
    // Frame j (root first) of stack i is frames[base(i) + step * j].
    const step = rootFirst ? 1 : -1;
    const base = (i: number) => (start[i] as number) + (rootFirst ? 0 : (depth[i] as number) - 1);
    let maxDepth = 0;
    let room = this.size;
    for (let i = 0; i < n; i++) {
      const d = depth[i] as number;
      room += d;
      if (d > maxDepth) maxDepth = d;
    }
    let order: Int32Array | undefined;
    if (this.size === 1 && n >= SORTED_BUILD_MIN) {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => {
        const da = depth[a] as number;
        const db = depth[b] as number;
        const ba = base(a);
        const bb = base(b);
        const m = Math.min(da, db);
        for (let j = 0; j < m; j++) {
          const fa = frames[ba + step * j] as number;
          const fb = frames[bb + step * j] as number;
          if (fa !== fb) return fa - fb;
        }
        return da - db;
      });
      // Room for every frame of every stack: pages never written are never touched.
      if (room > this.parent.length) this.grow(room);
      this.indexed = false;
    } else {
      // Room for what stacks of a profile mostly make (they share prefixes), so that it rarely grows.
      const likely = Math.min(room, this.size + 8 * n + 1024);
      if (likely > this.parent.length) this.grow(likely);
      if (!this.indexed || likely * 2 > this.table.length) this.rehash(likely * 2);
    }
    const path = new Int32Array(maxDepth + 1);
    let prevBase = 0;
    let prevDepth = 0;
    for (let o = 0; o < n; o++) {
      const i = order ? (order[o] as number) : o;
      const d = depth[i] as number;
      const at = base(i);
      const m = Math.min(d, prevDepth);
      let j = 0;
      while (j < m && frames[at + step * j] === frames[prevBase + step * j]) j++;
      let node = path[j] as number;
      if (!order) {
        for (; j < d; j++) {
          const c = this.find(node, frames[at + step * j] as number);
          if (c < 0) break;
          path[j + 1] = node = c;
        }
      }
      for (; j < d; j++) path[j + 1] = node = this.appendNew(node, frames[at + step * j] as number, !order);
      for (let t = 0; t < k; t++) this.self[node * k + t] += values[i * k + t] as number;
      prevBase = at;
      prevDepth = d;
    }
    this.totalsValid = false;
  }

  /** A new child of `parent`, known to have none for `frame`; added to the hash when `index`. */
  private appendNew(parent: number, frame: number, index: boolean): number {
    const node = this.size++;
    if (node >= this.parent.length) this.grow(node + 1);
    this.parent[node] = parent;
    this.frame[node] = frame;
    this.childLists = undefined;
    if (!index) return node;
    if (this.size * 2 > this.table.length) this.rehash();
    else {
      const { table, mask } = this;
      let i = StackTrie.slot(parent, frame) & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = node + 1;
    }
    return node;
  }

  private grow(min: number): void {
    this.parent = growInt32(this.parent, min);
    this.frame = growInt32(this.frame, min);
    this.self = growFloat64(this.self, this.parent.length * this.nTypes);
  }

  /** A table of at least `min` slots (default: twice as many) and twice as many as nodes, holding every node. */
  private rehash(min = this.table.length * 2): void {
    let size = this.table.length;
    while (size < min || size < this.size * 2) size *= 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    const { parent, frame } = this;
    for (let n = 1; n < this.size; n++) {
      let i = StackTrie.slot(parent[n] as number, frame[n] as number) & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = n + 1;
    }
    this.table = table;
    this.mask = mask;
    this.indexed = true;
  }

  /** Whether firstChild/nextSibling list each node's children by ascending frame id (after mergePair()). */
  get listsChildrenByFrame(): boolean {
    return this.childLists?.byFrame === true;
  }

  /** First child of each node (-1: none), for traversal; children are listed newest first (by frame after mergePair()). */
  get firstChild(): Int32Array {
    return (this.childLists ??= this.buildChildLists()).first;
  }

  /** Next sibling of each node (-1: none). */
  get nextSibling(): Int32Array {
    return (this.childLists ??= this.buildChildLists()).next;
  }

  private buildChildLists(): { first: Int32Array; next: Int32Array; byFrame?: boolean } {
    const first = new Int32Array(this.size).fill(-1);
    const next = new Int32Array(this.size).fill(-1);
    const parent = this.parent;
    for (let n = 1; n < this.size; n++) {
      const p = parent[n] as number;
      next[n] = first[p] as number;
      first[p] = n;
    }
    return { first, next };
  }

  /** Inserts frames[start..end) (root first) and returns the leaf node. */
  insert(frames: ArrayLike<number>, start: number, end: number): number {
    let node = 0;
    for (let i = start; i < end; i++) node = this.child(node, frames[i] as number);
    return node;
  }

  /** Inserts frames[start..end) read backwards (leaf first in the array) and returns the leaf node. */
  insertReversed(frames: ArrayLike<number>, start: number, end: number): number {
    let node = 0;
    for (let i = end - 1; i >= start; i--) node = this.child(node, frames[i] as number);
    return node;
  }

  /** Divides every value by `divisor` (an average of that many profiles). */
  divide(divisor: number): void {
    const self = this.self;
    for (let i = 0; i < this.size * this.nTypes; i++) self[i] = (self[i] as number) / divisor;
    this.totalsValid = false;
  }

  /** Adds `value` to value type `t` of `node`'s self. */
  addSelf(node: number, t: number, value: number): void {
    this.self[node * this.nTypes + t] += value;
    this.totalsValid = false;
  }

  /** After writing value type t's self directly: its totals again, if they were computed (the other types' stay). */
  columnChanged(t: number): void {
    if (!this.totalsValid) return;
    const k = this.nTypes;
    const { self, parent } = this;
    const total = this.totalValues;
    for (let n = 0; n < this.size; n++) total[n * k + t] = self[n * k + t] as number;
    for (let n = this.size - 1; n > 0; n--) total[(parent[n] as number) * k + t] += total[n * k + t] as number;
  }

  selfOf(node: number, t: number): number {
    return this.self[node * this.nTypes + t] as number;
  }

  /** Totals (self plus all descendants), computed on first use after a change. */
  get total(): Float64Array {
    if (!this.totalsValid) this.computeTotals();
    return this.totalValues;
  }

  totalOf(node: number, t: number): number {
    return this.total[node * this.nTypes + t] as number;
  }

  private computeTotals(): void {
    const k = this.nTypes;
    const total = new Float64Array(this.size * k);
    total.set(this.self.subarray(0, this.size * k));
    for (let n = this.size - 1; n > 0; n--) {
      const p = (this.parent[n] as number) * k;
      const c = n * k;
      for (let t = 0; t < k; t++) total[p + t] += total[c + t] as number;
    }
    this.totalValues = total;
    this.totalsValid = true;
  }

  /** Depth of a node (the root is 0). */
  depth(node: number): number {
    let d = 0;
    for (let n = node; n > 0; n = this.parent[n] as number) d++;
    return d;
  }

  /** The frames from the root to `node`, root first. */
  stackOf(node: number): number[] {
    const out: number[] = [];
    for (let n = node; n > 0; n = this.parent[n] as number) out.push(this.frame[n] as number);
    return out.reverse();
  }

  /** Children of a node as an array (allocates; for writers and reports, not hot loops). */
  children(node: number): number[] {
    const out: number[] = [];
    const { firstChild, nextSibling } = this;
    for (let c = firstChild[node] as number; c >= 0; c = nextSibling[c] as number) out.push(c);
    return out;
  }

  /**
   * Adds every node's self values of `src` into this trie, mapping src frames
   * through `frameMap` (identity when omitted). Linear in the size of `src`.
   * `valueMap[t]` is the column of this trie that src column t goes to (-1 drops it).
   * Returns, per src node, the node of this trie it went to.
   */
  mergeFrom(src: TrieColumns, frameMap?: ArrayLike<number>, valueMap?: ArrayLike<number>): Int32Array {
    if (this.size === 1 && injective(frameMap)) return this.copyFrom(src, frameMap, valueMap);
    const map = new Int32Array(src.size);
    const sk = src.nTypes;
    const dk = this.nTypes;
    for (let n = 0; n < src.size; n++) {
      let dst = 0;
      if (n > 0) {
        const f = src.frame[n] as number;
        dst = this.child(map[src.parent[n] as number] as number, frameMap ? (frameMap[f] as number) : f);
      }
      map[n] = dst;
      for (let t = 0; t < sk; t++) {
        const v = src.self[n * sk + t] as number;
        if (v === 0) continue;
        const dt = valueMap ? (valueMap[t] as number) : t;
        if (dt >= 0) this.self[dst * dk + dt] += v;
      }
    }
    this.totalsValid = false;
    return map;
  }

  /**
   * Adds column `col` of `src` into column 0 of this trie, as mergeFrom() of
   * that column alone would, leaving out the subtrees where it is zero (another
   * column's stacks), without making that one-column trie first.
   */
  mergeColumn(src: TrieColumns, col: number, frameMap?: ArrayLike<number>): void {
    const sk = src.nTypes;
    if (sk === 1) {
      this.mergeFrom(src, frameMap);
      return;
    }
    const n = src.size;
    const { parent: sp, frame: sf, self: ss } = src;
    // keep[i]: the column is non-zero in i's subtree (children come after parents: one backward pass).
    const keep = new Uint8Array(n);
    let kept = 1;
    for (let i = n - 1; i > 0; i--) {
      if (keep[i] === 0 && ss[i * sk + col] === 0) continue;
      keep[i] = 1;
      keep[sp[i] as number] = 1;
      kept++;
    }
    // Into an empty trie with frames that stay distinct, every kept node is new: no probing.
    const fresh = this.size === 1 && injective(frameMap);
    if (fresh && kept > this.parent.length) this.grow(kept);
    const dk = this.nTypes;
    const map = new Int32Array(n);
    this.self[0] = (this.self[0] as number) + (ss[col] as number);
    for (let i = 1; i < n; i++) {
      if (keep[i] === 0) continue;
      const f = sf[i] as number;
      const to = frameMap ? (frameMap[f] as number) : f;
      const p = map[sp[i] as number] as number;
      const d = fresh ? this.appendNew(p, to, false) : this.child(p, to);
      map[i] = d;
      const v = ss[i * sk + col] as number;
      if (v !== 0) this.self[d * dk] = (this.self[d * dk] as number) + v;
    }
    if (fresh) this.indexed = false;
    this.totalsValid = false;
  }

  /**
   * Fills this empty trie with two tries merged, as mergeFrom() of each would,
   * when each side's frames map one to one (else it does just that): both are
   * walked at once, each node's children sorted by mapped frame as it is
   * reached, so that matching nodes meet without a hash probe, and the result
   * lists each node's children by frame.
   */
  mergePair(
    a: StackTrie,
    aFrames: ArrayLike<number>,
    aValues: ArrayLike<number>,
    b: StackTrie,
    bFrames: ArrayLike<number>,
    bValues: ArrayLike<number>,
  ): void {
    if (
      this.size !== 1 ||
      !injective(aFrames) ||
      !injective(bFrames) ||
      !SortedChildren.fits(a, aFrames) ||
      !SortedChildren.fits(b, bFrames)
    ) {
      this.mergeFrom(a, aFrames, aValues);
      this.mergeFrom(b, bFrames, bValues);
      return;
    }
    const room = a.size + b.size;
    if (room > this.parent.length) this.grow(room);
    const { parent, frame, self } = this;
    const dk = this.nTypes;
    const add = (dst: number, src: TrieColumns, n: number, values: ArrayLike<number>) => {
      const sk = src.nTypes;
      for (let t = 0; t < sk; t++) {
        const dt = values[t] as number;
        if (dt >= 0) self[dst * dk + dt] += src.self[n * sk + t] as number;
      }
    };
    add(0, a, 0, aValues);
    add(0, b, 0, bValues);
    // Pending (node of this trie, node of a or -1, node of b or -1), children still to merge.
    let stack = new Int32Array(3 * 1024);
    let top = 0;
    stack[top++] = 0;
    stack[top++] = 0;
    stack[top++] = 0;
    let size = 1;
    // Each node's children are appended together, by frame: the child lists come for free, in that order.
    // Each node's entries are written when it is made (memory past the last node is never touched).
    const first = new Int32Array(room);
    const next = new Int32Array(room);
    first[0] = -1;
    const kidsA = new SortedChildren(a, aFrames);
    const kidsB = new SortedChildren(b, bFrames);
    while (top > 0) {
      const nb = stack[--top] as number;
      const na = stack[--top] as number;
      const node = stack[--top] as number;
      const countA = na >= 0 ? kidsA.of(na) : 0;
      const countB = nb >= 0 ? kidsB.of(nb) : 0;
      if (countA > 0 || countB > 0) first[node] = size;
      let i = 0;
      let j = 0;
      while (i < countA || j < countB) {
        const fa = i < countA ? kidsA.frame(i) : Number.POSITIVE_INFINITY;
        const fb = j < countB ? kidsB.frame(j) : Number.POSITIVE_INFINITY;
        const child = size++;
        parent[child] = node;
        frame[child] = Math.min(fa, fb);
        first[child] = -1;
        next[child] = -1;
        const ta = fa <= fb ? kidsA.node(i++) : -1;
        const tb = fb <= fa ? kidsB.node(j++) : -1;
        if (ta >= 0) add(child, a, ta, aValues);
        if (tb >= 0) add(child, b, tb, bValues);
        if (top + 3 > stack.length) stack = growInt32(stack, top + 3);
        stack[top++] = child;
        stack[top++] = ta;
        stack[top++] = tb;
        if (i < countA || j < countB) next[child] = child + 1;
      }
    }
    this.size = size;
    this.indexed = false;
    this.childLists = { first: first.subarray(0, size), next: next.subarray(0, size), byFrame: true };
    this.totalsValid = false;
  }

  /** Sum of column `t` of the selves: the root's total, without computing every node's. */
  columnTotal(t: number): number {
    const k = this.nTypes;
    let sum = 0;
    for (let n = 0; n < this.size; n++) sum += this.self[n * k + t] as number;
    return sum;
  }

  /** mergeFrom() into an empty trie, frames mapped one to one: src's nodes are copied in place, without hashing. */
  private copyFrom(src: TrieColumns, frameMap?: ArrayLike<number>, valueMap?: ArrayLike<number>): Int32Array {
    const n = src.size;
    if (n > this.parent.length) this.grow(n);
    const { parent, frame, self } = this;
    const map = new Int32Array(n);
    for (let i = 1; i < n; i++) {
      map[i] = i;
      parent[i] = src.parent[i] as number;
      const f = src.frame[i] as number;
      frame[i] = frameMap ? (frameMap[f] as number) : f;
    }
    const sk = src.nTypes;
    const dk = this.nTypes;
    for (let t = 0; t < sk; t++) {
      const dt = valueMap ? (valueMap[t] as number) : t;
      if (dt < 0) continue;
      for (let i = 0; i < n; i++) self[i * dk + dt] += src.self[i * sk + t] as number;
    }
    this.size = n;
    this.indexed = false;
    this.childLists = undefined;
    this.totalsValid = false;
    return map;
  }
}

/** Whether no two frames map to one (absent: the identity). */
function injective(frameMap: ArrayLike<number> | undefined): boolean {
  if (!frameMap) return true;
  let max = -1;
  for (let i = 0; i < frameMap.length; i++) max = Math.max(max, frameMap[i] as number);
  const seen = new Uint8Array(max + 1);
  for (let i = 0; i < frameMap.length; i++) {
    const f = frameMap[i] as number;
    if (f < 0 || seen[f]) return false;
    seen[f] = 1;
  }
  return true;
}

/**
 * One node's children at a time, sorted by mapped frame: read from the trie's
 * child lists when the node is reached, so that a merge walks the nodes once
 * and allocates nothing per node.
 */
class SortedChildren {
  /** frame * trie.size + node, ascending: a native sort of numbers orders them by frame. */
  private keys = new Float64Array(64);
  private readonly stride: number;

  constructor(
    private readonly trie: StackTrie,
    private readonly frameMap: ArrayLike<number>,
  ) {
    this.stride = trie.size;
  }

  /** Whether every key of `trie` under `frameMap` is an exact float64 integer. */
  static fits(trie: StackTrie, frameMap: ArrayLike<number>): boolean {
    let max = 0;
    for (let i = 0; i < frameMap.length; i++) max = Math.max(max, frameMap[i] as number);
    return (max + 1) * trie.size <= Number.MAX_SAFE_INTEGER;
  }

  /** Sorts the children of `node`; returns how many there are. */
  of(node: number): number {
    const { firstChild, nextSibling, frame } = this.trie;
    const map = this.frameMap;
    let n = 0;
    for (let c = firstChild[node] as number; c >= 0; c = nextSibling[c] as number) {
      if (n === this.keys.length) this.keys = growFloat64(this.keys, n + 1);
      this.keys[n++] = (map[frame[c] as number] as number) * this.stride + c;
    }
    const keys = this.keys;
    if (n > 24) keys.subarray(0, n).sort();
    else {
      for (let i = 1; i < n; i++) {
        const k = keys[i] as number;
        let j = i - 1;
        while (j >= 0 && (keys[j] as number) > k) {
          keys[j + 1] = keys[j] as number;
          j--;
        }
        keys[j + 1] = k;
      }
    }
    return n;
  }

  /** The mapped frame of the i-th child. */
  frame(i: number): number {
    // % is exact on integers, and so is dividing the exact multiple left.
    const key = this.keys[i] as number;
    return (key - (key % this.stride)) / this.stride;
  }

  /** The node of the i-th child. */
  node(i: number): number {
    return (this.keys[i] as number) % this.stride;
  }
}
