// The viewer's data: the page's preview (src/core/render/html.ts, drawn
// first), and the profile embedded in the page (src/core/render/embed.ts:
// base64 of gzip of a u32 header length, the JSON header, the tries' blobs in
// the store codec of src/core/store/codec.ts, then the optional timeline
// entries), decoded into one trie in preorder, and the per-view columns derived
// from it (one value type, optionally a time range).

import { StackTrie } from '../core/model/trie.js';
import type { EmbedHeader } from '../core/render/embed.js';
import type { Preview } from '../core/render/html.js';
import { type DecodedTrie, decodeTrieBlob } from '../core/store/trie-blob.js';

/** The header's timeline (written by the lead's embed.ts): per-bucket entries follow the tries' blobs. */
export interface TimelineHeader {
  start: number;
  step: number;
  buckets: number;
  kind: 1 | 2;
  bytes: number;
}

export type Header = EmbedHeader & { timeline?: TimelineHeader };

/** Timeline entries: bucket, node of the merged trie, then nTypes values each. */
export interface Timeline extends TimelineHeader {
  count: number;
  bucket: Int32Array;
  node: Int32Array;
  values: Float64Array;
}

/** Every label set's trie merged, in preorder (a node's subtree is the range node .. node + subtree - 1). */
export interface Tree {
  size: number;
  nTypes: number;
  parent: Int32Array;
  frame: Int32Array;
  /** One column per value type. */
  self: Float64Array[];
  subtree: Int32Array;
}

export interface Data {
  header: Header;
  tree: Tree;
  /** Per frame, the index of its name in header.strings (functions are names). */
  nameOf: Int32Array;
  timeline?: Timeline;
}

/**
 * A tree of one value column in preorder, what a flame view draws (root: node
 * 0). The children of n are c = n + 1, then c += subtree[c] while c < n + subtree[n].
 */
export interface Graph {
  size: number;
  parent: Int32Array;
  frame: Int32Array;
  self: Float64Array;
  total: Float64Array;
  subtree: Int32Array;
  /** The label of node 0. */
  rootName: string;
  /**
   * Where each node starts from the root's left edge, in value units (the
   * preview's, with gaps); when absent, children are packed from their parent's left edge.
   */
  start?: Float64Array;
}

function base64Bytes(text: string): Uint8Array {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (native) return native(text);
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let varintEnd = 0;

/** The varint at buf[pos] (of the timeline); sets varintEnd. */
function varintAt(buf: Uint8Array, pos: number, end: number): number {
  let b = buf[pos++] as number;
  let v = b & 0x7f;
  let mul = 0x80;
  while (b >= 0x80) {
    if (pos >= end) throw new Error('damaged profile: bad varint');
    b = buf[pos++] as number;
    v += (b & 0x7f) * mul;
    mul *= 0x80;
  }
  varintEnd = pos;
  return v;
}

interface Columns {
  size: number;
  parent: Int32Array;
  frame: Int32Array;
  self: Float64Array[];
}

/**
 * One blob of the store codec, decoded by the store's own decoder (its
 * trailing CRC-32 is not checked: the gzip layer has its own), one column per
 * value type.
 */
function decodeBlob(buf: Uint8Array, start: number, blobEnd: number): Columns {
  let t: DecodedTrie;
  try {
    t = decodeTrieBlob(buf, start, blobEnd - 4);
  } catch (e) {
    throw new Error(`damaged profile: ${(e as Error).message}`);
  }
  const k = t.nTypes;
  const self = Array.from({ length: k }, () => new Float64Array(t.size));
  for (let n = 0; n < t.size; n++)
    for (let c = 0; c < k; c++) (self[c] as Float64Array)[n] = t.self[n * k + c] as number;
  return { size: t.size, parent: t.parent, frame: t.frame, self };
}

/** Subtree sizes (a node counts itself), from parents that come before their children. */
function subtreeSizes(size: number, parent: Int32Array): Int32Array {
  const subtree = new Int32Array(size).fill(1);
  for (let n = size - 1; n > 0; n--) subtree[parent[n] as number] += subtree[n] as number;
  return subtree;
}

/** A StackTrie's columns in preorder; order[n] is node n's new index. */
function preorder(st: StackTrie): { cols: Columns; order: Int32Array } {
  const k = st.nTypes;
  const { firstChild, nextSibling, size } = st;
  const order = new Int32Array(size);
  const stack = [0];
  let i = 0;
  while (stack.length > 0) {
    const n = stack.pop() as number;
    order[n] = i++;
    for (let c = firstChild[n] as number; c >= 0; c = nextSibling[c] as number) stack.push(c);
  }
  const parent = new Int32Array(size);
  const frame = new Int32Array(size);
  const self = Array.from({ length: k }, () => new Float64Array(size));
  for (let n = 0; n < size; n++) {
    const o = order[n] as number;
    parent[o] = n === 0 ? -1 : (order[st.parent[n] as number] as number);
    frame[o] = st.frame[n] as number;
    for (let v = 0; v < k; v++) (self[v] as Float64Array)[o] = st.self[n * k + v] as number;
  }
  return { cols: { size, parent, frame, self }, order };
}

/** Merges several tries (by frame, under the same parent); maps[i][node] is a node's merged index. */
function merge(tries: Columns[], k: number): { merged: Columns; maps: Int32Array[] } {
  const st = new StackTrie(k, 1024);
  const maps = tries.map((t) => {
    const map = new Int32Array(t.size);
    for (let n = 0; n < t.size; n++) {
      const m = n === 0 ? 0 : st.child(map[t.parent[n] as number] as number, t.frame[n] as number);
      map[n] = m;
      for (let v = 0; v < k; v++) st.self[m * k + v] += (t.self[v] as Float64Array)[n] as number;
    }
    return map;
  });
  const { cols, order } = preorder(st);
  for (const map of maps) for (let n = 0; n < map.length; n++) map[n] = order[map[n] as number] as number;
  return { merged: cols, maps };
}

function decodeTimeline(buf: Uint8Array, start: number, h: TimelineHeader, k: number, maps: (Int32Array | null)[]) {
  const end = start + h.bytes;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const room = Math.ceil(h.bytes / (3 + k));
  const bucket = new Int32Array(room);
  const node = new Int32Array(room);
  const values = new Float64Array(room * k);
  let pos = start;
  const varint = () => {
    const v = varintAt(buf, pos, end);
    pos = varintEnd;
    return v;
  };
  let count = 0;
  while (pos < end) {
    bucket[count] = varint();
    const t = varint();
    const n = varint();
    const map = maps[t];
    if (map === undefined) throw new Error(`damaged profile: timeline entry for trie ${t}`);
    node[count] = map ? (map[n] as number) : n;
    for (let v = 0; v < k; v++) {
      if (h.kind === 2) {
        values[count * k + v] = view.getFloat64(pos, true);
        pos += 8;
      } else values[count * k + v] = varint();
    }
    count++;
  }
  return { ...h, count, bucket, node, values };
}

/** Inflates gzip into one buffer sized from the gzip trailer (the length modulo 2^32), grown if that was short. */
async function gunzip(gz: Uint8Array): Promise<Uint8Array> {
  const n = gz.length;
  const size =
    n >= 4
      ? ((gz[n - 4] as number) | ((gz[n - 3] as number) << 8) | ((gz[n - 2] as number) << 16)) +
        (gz[n - 1] as number) * 0x1000000
      : 0;
  const ds = new DecompressionStream('gzip');
  const writer = ds.writable.getWriter();
  writer.write(gz as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = ds.readable.getReader();
  let out = new Uint8Array(size);
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > out.length) {
      const bigger = new Uint8Array(Math.max(out.length * 2, at + value.length));
      bigger.set(out.subarray(0, at));
      out = bigger;
    }
    out.set(value, at);
    at += value.length;
  }
  return out.subarray(0, at);
}

/** Decodes the page's embedded profile (the text after the data: URL's comma). */
export async function decode(base64: string): Promise<Data> {
  const gz = base64Bytes(base64);
  performance.mark('pyro-base64');
  const raw = await gunzip(gz);
  performance.mark('pyro-inflated');
  const h = new DataView(raw.buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(raw.subarray(4, 4 + h))) as Header;
  const k = header.valueTypes.length;
  let pos = 4 + h;
  const tries = header.tries.map((t) => {
    const c = decodeBlob(raw, pos, pos + t.bytes);
    pos += t.bytes;
    return c;
  });
  let cols: Columns;
  let maps: (Int32Array | null)[];
  if (tries.length === 1) {
    cols = tries[0] as Columns;
    maps = [null];
  } else {
    const m = merge(tries, k);
    cols = m.merged;
    maps = m.maps;
  }
  const subtree = subtreeSizes(cols.size, cols.parent);
  const nFrames = header.frames.length / 4;
  const nameOf = new Int32Array(nFrames);
  for (let f = 0; f < nFrames; f++) nameOf[f] = header.frames[f * 4] as number;
  const timeline = header.timeline ? decodeTimeline(raw, pos, header.timeline, k, maps) : undefined;
  return { header, tree: { ...cols, nTypes: k, subtree }, nameOf, timeline };
}

/** The totals of a one-column preorder tree. */
function graphOf(cols: Columns, self: Float64Array, subtree: Int32Array, rootName: string): Graph {
  const { size, parent, frame } = cols;
  const total = self.slice(0, size);
  for (let n = size - 1; n > 0; n--) total[parent[n] as number] += total[n] as number;
  return { size, parent, frame, self, total, subtree, rootName };
}

/**
 * The preview's graph: its frames are the preview's own (nameOf from
 * preview.frames). Totals and starts are the profile's: frames left out of the
 * preview show as gaps, where the full profile will draw them.
 */
export function previewGraph(p: Preview): Graph {
  const size = p.parent.length;
  const parent = Int32Array.from(p.parent);
  return {
    size,
    parent,
    frame: Int32Array.from(p.frame),
    self: Float64Array.from(p.self),
    total: Float64Array.from(p.total),
    subtree: subtreeSizes(size, parent),
    rootName: 'all',
    start: Float64Array.from(p.start),
  };
}

/**
 * The node of `g` at the same path of frame ids as node `n` of `from` (where
 * frame f is `ids[f]` in g), or its deepest ancestor found there.
 */
export function samePath(from: Graph, ids: ArrayLike<number>, n: number, g: Graph): number {
  const path: number[] = [];
  for (let p = n; p > 0; p = from.parent[p] as number) path.push(ids[from.frame[p] as number] as number);
  let at = 0;
  for (let i = path.length - 1; i >= 0; i--) {
    const end = at + (g.subtree[at] as number);
    let c = at + 1;
    while (c < end && g.frame[c] !== path[i]) c += g.subtree[c] as number;
    if (c >= end) break;
    at = c;
  }
  return at;
}

/** The graph of value type `v`, over the buckets from..to (inclusive) of the timeline, or every sample. */
export function mainGraph(data: Data, v: number, range?: [number, number]): Graph {
  const { tree, timeline } = data;
  const k = tree.nTypes;
  let self = tree.self[v] as Float64Array;
  if (range && timeline) {
    self = new Float64Array(tree.size);
    const [a, b] = range;
    for (let e = 0; e < timeline.count; e++) {
      const bk = timeline.bucket[e] as number;
      if (bk >= a && bk <= b) self[timeline.node[e] as number] += timeline.values[e * k + v] as number;
    }
  }
  return graphOf(tree, self, tree.subtree, 'all');
}

/** Per bucket, the total of value type `v`. */
export function bucketTotals(t: Timeline, k: number, v: number): Float64Array {
  const out = new Float64Array(t.buckets);
  for (let e = 0; e < t.count; e++) out[t.bucket[e] as number] += t.values[e * k + v] as number;
  return out;
}

/**
 * Walks a preorder tree keeping, per name, how many times it is on the current
 * path: `visit(node, name, onPathBefore)`; functions are counted once per stack
 * where that count is 0.
 */
function walkPaths(g: Graph, nameOf: Int32Array, nNames: number, visit: (n: number, name: number, on: number) => void) {
  const on = new Int32Array(nNames);
  const path = new Int32Array(g.size);
  let sp = 0;
  for (let n = 1; n < g.size; n++) {
    const p = g.parent[n] as number;
    while (sp > 0 && path[sp - 1] !== p) on[nameOf[g.frame[path[--sp] as number] as number] as number]--;
    const name = nameOf[g.frame[n] as number] as number;
    visit(n, name, on[name] as number);
    on[name]++;
    path[sp++] = n;
  }
}

/** Self and total (counted once per stack) per name. */
export function functionTotals(g: Graph, nameOf: Int32Array, nNames: number) {
  const self = new Float64Array(nNames);
  const total = new Float64Array(nNames);
  const seen = new Uint8Array(nNames);
  walkPaths(g, nameOf, nNames, (n, name, on) => {
    self[name] += g.self[n] as number;
    if (on === 0) total[name] += g.total[n] as number;
    seen[name] = 1;
  });
  return { self, total, seen };
}

/** The total of the outermost nodes whose name matches (nested matches are not counted twice). */
export function matchedTotal(g: Graph, nameOf: Int32Array, match: Uint8Array): number {
  const below = new Uint8Array(g.size);
  let sum = 0;
  for (let n = 1; n < g.size; n++) {
    const p = g.parent[n] as number;
    if (below[p]) below[n] = 1;
    else if (match[nameOf[g.frame[n] as number] as number]) {
      below[n] = 1;
      sum += g.total[n] as number;
    }
  }
  return sum;
}

/**
 * The sandwich of function `name`: its callers (stacks above its outermost
 * calls, reversed: root = the function, children = its callers) and its
 * callees (the subtrees of its outermost calls merged under one root).
 */
export function sandwich(g: Graph, nameOf: Int32Array, nNames: number, name: number, label: string) {
  const callers = new StackTrie(1, 256);
  const callees = new StackTrie(1, 256);
  const map = new Int32Array(g.size);
  const sub = g.subtree;
  const outer: number[] = [];
  walkPaths(g, nameOf, nNames, (n, nm, on) => {
    if (nm === name && on === 0) outer.push(n);
  });
  for (const n of outer) {
    const v = g.total[n] as number;
    if (v === 0) continue;
    let c = 0;
    let last = 0;
    for (let p = g.parent[n] as number; p > 0; p = g.parent[p] as number)
      last = c = callers.child(c, g.frame[p] as number);
    callers.addSelf(last, 0, v);
    map[n] = 0;
    callees.addSelf(0, 0, g.self[n] as number);
    const end = n + (sub[n] as number);
    for (let d = n + 1; d < end; d++) {
      const m = callees.child(map[g.parent[d] as number] as number, g.frame[d] as number);
      map[d] = m;
      callees.addSelf(m, 0, g.self[d] as number);
    }
  }
  const toGraph = (t: StackTrie) => {
    const { cols } = preorder(t);
    return graphOf(cols, cols.self[0] as Float64Array, subtreeSizes(cols.size, cols.parent), label);
  };
  return { callers: toGraph(callers), callees: toGraph(callees) };
}
