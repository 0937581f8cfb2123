// The call graph a callgrind file describes, and how pyro turns it into call
// stacks (a StackTrie).
//
// Callgrind records, per function, its self cost and, per caller -> callee
// pair, the inclusive cost of the calls: a weighted call graph, not a set of
// stacks, and many sets of stacks give the same graph. Like speedscope's
// importer, pyro assumes that every call of a function costs the same mix:
// walking from the roots, each function's inclusive weight at a node is shared
// among its callees in the proportions of the graph's edges. What differs:
//
// - Self costs are conserved exactly. The walk only gives each node a weight
//   W; each function's self cost is then spread over the nodes of that
//   function in proportion to their W. So each value type's total is the sum
//   of the cost lines (callgrind's `totals:`/`summary:`) whatever the graph
//   holds: recursion, inconsistent edges, pruned paths. (Shares are not
//   rounded to integers: that would put each function's inclusive cost off by
//   the number of nodes below it; they are exact integers where the graph
//   says so, and fractions where the proportional split makes them.)
// - Roots are the functions whose inclusive cost exceeds what their callers
//   pass them (inclusive - incoming calls > 0), with that excess as weight, so
//   a function both called and run at the top level (or only partly recorded
//   as a callee) appears in both places.
// - Recursion: a call of a function to itself (f -> f) is dropped, since its
//   inclusive cost is already inside the cost of the outermost call; a callee
//   that is already on the stack (mutual recursion, f -> g -> f) is not entered
//   again. A function therefore never appears twice on one stack, its self
//   cost is counted once, and recursive programs look as if their recursion
//   had been collapsed.
// - Size: a graph with many paths expands into far more stacks than it has
//   edges. The walk expands the heaviest node first (a node never weighs more
//   than its parent), so when it reaches MAX_TREE_NODES (or MAX_TREE_CELLS,
//   nodes x value types) the paths left unexpanded are the lightest ones; their
//   functions' self cost is spread over the nodes kept, and a function left
//   without any node gets one under a caller that has one.
//
// For a program without recursion whose graph is consistent (valgrind's
// output), every function's total in the resulting profile (its inclusive
// cost, as `pyro top` shows it) equals callgrind_annotate --inclusive=yes.
import { growFloat64, growInt32 } from '../../model/growable.js';
import { StackTrie } from '../../model/trie.js';

/** Nodes the walk may create before it leaves the lightest paths unexpanded... */
export const MAX_TREE_NODES = 200_000;
/** ...and nodes x value types. */
export const MAX_TREE_CELLS = 2_000_000;
/** Relative distance to an integer under which a share is float noise around that integer. */
const SNAP = 1e-9;

/**
 * Triples of non-negative int32s -> dense ids (0, 1, 2, ...) in order of
 * arrival, through one open-addressing hash: lookups allocate nothing.
 */
export class IntTriples {
  private keys = new Int32Array(3 * 256);
  private table = new Int32Array(512);
  private mask = 511;
  size = 0;

  private static hash(a: number, b: number, c: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77) ^ Math.imul(c + 7, 0xc2b2ae3d)) >>> 0;
  }

  /** The id of (a, b, c), added if new. */
  id(a: number, b: number, c: number): number {
    const { keys, table, mask } = this;
    let i = IntTriples.hash(a, b, c) & mask;
    for (;;) {
      const e = (table[i] as number) - 1;
      if (e < 0) break;
      if (keys[e * 3] === a && keys[e * 3 + 1] === b && keys[e * 3 + 2] === c) return e;
      i = (i + 1) & mask;
    }
    const e = this.size++;
    if (e * 3 + 3 > keys.length) this.keys = growInt32(keys, e * 3 + 3);
    this.keys[e * 3] = a;
    this.keys[e * 3 + 1] = b;
    this.keys[e * 3 + 2] = c;
    if (this.size * 2 > table.length) this.rehash();
    else table[i] = e + 1;
    return e;
  }

  private rehash(): void {
    const n = this.table.length * 2;
    const table = new Int32Array(n);
    const mask = n - 1;
    for (let e = 0; e < this.size; e++) {
      let i = IntTriples.hash(
        this.keys[e * 3] as number,
        this.keys[e * 3 + 1] as number,
        this.keys[e * 3 + 2] as number,
      );
      i &= mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = e + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}

/**
 * Self costs per function and inclusive costs per call edge (summed over the
 * cost lines that name them), `k` values each: self[fn * k + t], cost[edge * k + t].
 */
export class CallGraph {
  self = new Float64Array(0);
  caller = new Int32Array(64);
  callee = new Int32Array(64);
  cost = new Float64Array(0);
  private readonly edgeIds = new IntTriples();

  constructor(public k: number) {}

  get edges(): number {
    return this.edgeIds.size;
  }

  /** Makes room for function `fn`'s self costs. */
  ensureFn(fn: number): void {
    if ((fn + 1) * this.k > this.self.length) this.self = growFloat64(this.self, (fn + 1) * this.k);
  }

  /** The edge caller -> callee, added if new. */
  edge(caller: number, callee: number): number {
    const e = this.edgeIds.id(caller, callee, 0);
    if (e >= this.caller.length) {
      this.caller = growInt32(this.caller, e + 1);
      this.callee = growInt32(this.callee, e + 1);
    }
    if ((e + 1) * this.k > this.cost.length) this.cost = growFloat64(this.cost, (e + 1) * this.k);
    this.caller[e] = caller;
    this.callee[e] = callee;
    return e;
  }

  /** Another value type appeared: `k` values per function and edge from now on. */
  widen(k: number): void {
    this.self = restride(this.self, this.k, k);
    this.cost = restride(this.cost, this.k, k);
    this.k = k;
  }
}

function restride(a: Float64Array, from: number, to: number): Float64Array<ArrayBuffer> {
  const n = Math.floor(a.length / from);
  const b = new Float64Array(n * to);
  for (let i = 0; i < n; i++) b.set(a.subarray(i * from, i * from + from), i * to);
  return b;
}

export interface Stacks {
  trie: StackTrie;
  /** The weight of the heaviest path left unexpanded, as a fraction of the total (0: none was). */
  cut: number;
}

/**
 * The call stacks of a graph over `nFn` functions (see the top of this file),
 * with function f as frame frameOf[f]. Worked example (callgrind's manual):
 * main (self 20) calls func1 (400) and func2 (400); func1 (self 100) calls
 * func2 (300); func2 has self 700. Stacks: main 20, main;func1 100,
 * main;func1;func2 300, main;func2 400: inclusive main 820, func1 400, func2 700.
 */
export function callStacks(
  g: CallGraph,
  nFn: number,
  frameOf: Int32Array,
  maxNodes = Math.min(MAX_TREE_NODES, Math.floor(MAX_TREE_CELLS / g.k)),
): Stacks {
  const k = g.k;
  g.ensureFn(nFn - 1);
  const self = g.self;
  // Inclusive cost per function (self + calls to others) and what its callers pass it.
  const incl = self.slice(0, nFn * k);
  const incoming = new Float64Array(nFn * k);
  const outStart = new Int32Array(nFn + 1);
  const nEdges = g.edges;
  for (let e = 0; e < nEdges; e++) {
    const from = g.caller[e] as number;
    const to = g.callee[e] as number;
    if (from === to) continue;
    outStart[from + 1]++;
    for (let t = 0; t < k; t++) {
      const c = g.cost[e * k + t] as number;
      incl[from * k + t] += c;
      incoming[to * k + t] += c;
    }
  }
  // Each function's calls (not to itself), in the order they were read.
  for (let f = 0; f < nFn; f++) outStart[f + 1] = (outStart[f + 1] as number) + (outStart[f] as number);
  const calls = new Int32Array(nEdges);
  const fill = outStart.slice(0, nFn);
  for (let e = 0; e < nEdges; e++) {
    const from = g.caller[e] as number;
    if (from !== g.callee[e]) calls[fill[from]++] = e;
  }

  // The tree's columns (node 0 the root; every node is new, so no lookup is needed until the end).
  let parent = new Int32Array(1024);
  let frame = new Int32Array(1024);
  let nodeFn = new Int32Array(1024);
  let weight = new Float64Array(1024 * k);
  parent[0] = -1;
  frame[0] = -1;
  let size = 1;
  // Weight per function over all its nodes.
  const fnWeight = new Float64Array(nFn * k);
  const queue = new NodeQueue();
  /** A node for function f under `up`, of weight 0. */
  const newNode = (up: number, f: number): number => {
    const node = size++;
    if (node === parent.length) {
      parent = growInt32(parent, size);
      frame = growInt32(frame, size);
      nodeFn = growInt32(nodeFn, size);
      weight = growFloat64(weight, size * k);
    }
    parent[node] = up;
    frame[node] = frameOf[f] as number;
    nodeFn[node] = f;
    return node;
  };
  /** Adds a node for function f under `up` with the weights w[at..at+k), and queues it by its heaviness. */
  const add = (up: number, f: number, w: Float64Array, at: number): void => {
    const node = newNode(up, f);
    let h = 0;
    for (let t = 0; t < k; t++) {
      const v = w[at + t] as number;
      weight[node * k + t] = v;
      fnWeight[f * k + t] += v;
      const s = scale[t] as number;
      if (s > 0 && v / s > h) h = v / s;
    }
    queue.push(node, h);
  };

  // Roots and their weights; `scale` (the weight at the top) is what heavy and light are measured against.
  const rootWeight = new Float64Array(nFn * k);
  const scale = new Float64Array(k);
  const roots: number[] = [];
  for (let f = 0; f < nFn; f++) {
    let root = false;
    for (let t = 0; t < k; t++) {
      const r = (incl[f * k + t] as number) - (incoming[f * k + t] as number);
      if (r > 0) {
        rootWeight[f * k + t] = r;
        scale[t] += r;
        root = true;
      }
    }
    if (root) roots.push(f);
  }
  for (const r of roots) add(0, r, rootWeight, r * k);

  // A callee can be on the path to a node of f only if it is in f's strongly connected component
  // (it reaches f, and f calls it), and such a component's nodes on a path are consecutive: only
  // recursive calls need a look up the path, and only as far as the component goes.
  const component = components(nFn, outStart, calls, g.callee);
  const child = new Float64Array(k);
  const { callee, cost } = g;
  let cut = 0;
  while (queue.size > 0) {
    // Past the limit, nodes are still taken to find how heavy the heaviest path left out is, until
    // the next node weighs no more than that (its callees weigh no more than it).
    if (size >= maxNodes && queue.topWeight <= cut) break;
    const node = queue.pop();
    const f = nodeFn[node] as number;
    const own = component[f] as number;
    for (let i = outStart[f] as number; i < (outStart[f + 1] as number); i++) {
      const e = calls[i] as number;
      const to = callee[e] as number;
      if (component[to] === own) {
        let a = node;
        while (a > 0 && nodeFn[a] !== to && component[nodeFn[a] as number] === own) a = parent[a] as number;
        if (a > 0 && nodeFn[a] === to) continue;
      }
      let any = false;
      for (let t = 0; t < k; t++) {
        const c = cost[e * k + t] as number;
        const w = c > 0 ? ((weight[node * k + t] as number) * c) / (incl[f * k + t] as number) : 0;
        child[t] = w;
        if (w > 0) any = true;
      }
      if (!any) continue;
      if (size >= maxNodes) {
        for (let t = 0; t < k; t++) {
          const s = scale[t] as number;
          if (s > 0 && (child[t] as number) / s > cut) cut = (child[t] as number) / s;
        }
        continue;
      }
      add(node, to, child, 0);
    }
  }

  const walked = size;
  const home = placeUnreached(nFn, k, self, outStart, calls, callee, nodeFn, weight, scale, walked, newNode);

  // Each function's self cost over its nodes, in proportion to their weight. Shares within
  // rounding noise of an integer are made that integer, so that a consistent graph gives exact counts.
  // As long as the other columns: the trie grows them all together when a root frame is added below.
  const self2 = new Float64Array(parent.length * k);
  for (let n = 1; n < walked; n++) {
    const f = nodeFn[n] as number;
    for (let t = 0; t < k; t++) {
      const j = f * k + t;
      const all = fnWeight[j] as number;
      const s = self[j] as number;
      if (!(all > 0) || s === 0) continue;
      let v = (s * (weight[n * k + t] as number)) / all;
      const r = Math.round(v);
      if (Math.abs(v - r) <= SNAP * Math.max(1, v)) v = r;
      self2[n * k + t] = v;
    }
  }
  const trie = StackTrie.fromColumns(k, size, parent, frame, self2);
  // Self cost the walk did not spread (a value type no path to the function carries, or a function
  // it did not reach) goes on the function's heaviest node, else on a root frame.
  for (let f = 0; f < nFn; f++) {
    for (let t = 0; t < k; t++) {
      const s = self[f * k + t] as number;
      if (s === 0 || (fnWeight[f * k + t] as number) > 0) continue;
      const at = home[f] as number;
      trie.addSelf(at > 0 ? at : trie.child(0, frameOf[f] as number), t, s);
    }
  }
  return { trie, cut };
}

/**
 * Each function's heaviest node (0: none). Functions the walk did not reach (past the node
 * limit, only light paths lead to them) are given one under the heaviest node of a caller that
 * has one, so that they keep some of their context: a walk down from the functions with nodes,
 * through functions without, to the ones that have self cost.
 */
function placeUnreached(
  nFn: number,
  k: number,
  self: Float64Array,
  outStart: Int32Array,
  calls: Int32Array,
  callee: Int32Array,
  nodeFn: Int32Array,
  weight: Float64Array,
  scale: Float64Array,
  nodes: number,
  newNode: (up: number, f: number) => number,
): Int32Array {
  const home = new Int32Array(nFn);
  const heaviest = new Float64Array(nFn).fill(-1);
  for (let n = 1; n < nodes; n++) {
    const f = nodeFn[n] as number;
    let h = 0;
    for (let t = 0; t < k; t++) {
      const s = scale[t] as number;
      if (s > 0) h = Math.max(h, (weight[n * k + t] as number) / s);
    }
    if (h > (heaviest[f] as number)) {
      heaviest[f] = h;
      home[f] = n;
    }
  }
  // Functions without a node that have self cost, or call (through others without one) one that has.
  const needed = new Uint8Array(nFn);
  const inStart = new Int32Array(nFn + 1);
  const nCalls = outStart[nFn] as number;
  for (let i = 0; i < nCalls; i++) inStart[(callee[calls[i] as number] as number) + 1]++;
  for (let f = 0; f < nFn; f++) inStart[f + 1] = (inStart[f + 1] as number) + (inStart[f] as number);
  const callers = new Int32Array(nCalls);
  const fill = inStart.slice(0, nFn);
  for (let f = 0; f < nFn; f++) {
    for (let i = outStart[f] as number; i < (outStart[f + 1] as number); i++) {
      callers[fill[callee[calls[i] as number] as number]++] = f;
    }
  }
  const todo = new Int32Array(nFn);
  let n = 0;
  for (let f = 0; f < nFn; f++) {
    if (home[f] !== 0) continue;
    for (let t = 0; t < k; t++) {
      if (self[f * k + t] !== 0) {
        needed[f] = 1;
        todo[n++] = f;
        break;
      }
    }
  }
  if (n === 0) return home;
  for (let i = 0; i < n; i++) {
    const f = todo[i] as number;
    for (let j = inStart[f] as number; j < (inStart[f + 1] as number); j++) {
      const c = callers[j] as number;
      if (home[c] === 0 && !needed[c]) {
        needed[c] = 1;
        todo[n++] = c;
      }
    }
  }
  // Down from the functions with nodes, in order.
  n = 0;
  for (let f = 0; f < nFn; f++) if (home[f] !== 0) todo[n++] = f;
  for (let i = 0; i < n; i++) {
    const f = todo[i] as number;
    for (let j = outStart[f] as number; j < (outStart[f + 1] as number); j++) {
      const g = callee[calls[j] as number] as number;
      if (needed[g] && home[g] === 0) {
        home[g] = newNode(home[f] as number, g);
        todo[n++] = g;
      }
    }
  }
  return home;
}

/**
 * The strongly connected component of each function (Tarjan's algorithm, without recursion):
 * functions that reach each other through calls share a number.
 */
function components(nFn: number, outStart: Int32Array, calls: Int32Array, callee: Int32Array): Int32Array {
  const component = new Int32Array(nFn).fill(-1);
  const index = new Int32Array(nFn).fill(-1);
  const low = new Int32Array(nFn);
  const stack = new Int32Array(nFn);
  const onStack = new Uint8Array(nFn);
  // The walk: function, and the next of its calls to follow.
  const walkFn = new Int32Array(nFn);
  const walkNext = new Int32Array(nFn);
  let sp = 0;
  let next = 0;
  let count = 0;
  let depth = 0;
  const enter = (f: number): void => {
    index[f] = low[f] = next++;
    stack[sp++] = f;
    onStack[f] = 1;
    walkFn[depth] = f;
    walkNext[depth++] = outStart[f] as number;
  };
  for (let start = 0; start < nFn; start++) {
    if (index[start] >= 0) continue;
    enter(start);
    while (depth > 0) {
      const f = walkFn[depth - 1] as number;
      const i = walkNext[depth - 1] as number;
      if (i < (outStart[f + 1] as number)) {
        walkNext[depth - 1] = i + 1;
        const to = callee[calls[i] as number] as number;
        if (index[to] < 0) enter(to);
        else if (onStack[to]) low[f] = Math.min(low[f] as number, index[to] as number);
        continue;
      }
      depth--;
      if (depth > 0) {
        const up = walkFn[depth - 1] as number;
        low[up] = Math.min(low[up] as number, low[f] as number);
      }
      if (low[f] === index[f]) {
        let m: number;
        do {
          m = stack[--sp] as number;
          onStack[m] = 0;
          component[m] = count;
        } while (m !== f);
        count++;
      }
    }
  }
  return component;
}

/** A max-heap of nodes by weight (ties: the lower node first, for a deterministic walk). */
class NodeQueue {
  private node = new Int32Array(1024);
  private weight = new Float64Array(1024);
  size = 0;

  get topWeight(): number {
    return this.weight[0] as number;
  }

  private before(i: number, j: number): boolean {
    const a = this.weight[i] as number;
    const b = this.weight[j] as number;
    return a > b || (a === b && (this.node[i] as number) < (this.node[j] as number));
  }

  private swap(i: number, j: number): void {
    const n = this.node[i] as number;
    this.node[i] = this.node[j] as number;
    this.node[j] = n;
    const w = this.weight[i] as number;
    this.weight[i] = this.weight[j] as number;
    this.weight[j] = w;
  }

  push(node: number, weight: number): void {
    if (this.size === this.node.length) {
      this.node = growInt32(this.node, this.size + 1);
      this.weight = growFloat64(this.weight, this.size + 1);
    }
    let i = this.size++;
    this.node[i] = node;
    this.weight[i] = weight;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!this.before(i, up)) break;
      this.swap(i, up);
      i = up;
    }
  }

  pop(): number {
    const top = this.node[0] as number;
    const last = --this.size;
    this.swap(0, last);
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.before(r, l) ? r : l;
      if (!this.before(c, i)) break;
      this.swap(i, c);
      i = c;
    }
    return top;
  }
}
