// The store's trie blob: a compact binary form of our own (no external spec).
//
//   u8      kind: 1 = values are unsigned varints, 2 = values are float64 LE
//   varint  nTypes (value columns)
//   varint  node count, the root excluded
//   values  the root's self values (nTypes of them)
//   nodes   in preorder, each: varint (up << 1 | has values), varint frame,
//           then nTypes values if it has any non-zero one (most inner nodes have none)
//           (up = depth of the previous node + 1 - depth of this one, so a
//            first child is 0 and the parent is found on the current path)
//   u32 LE  CRC-32 of every byte before it
//
// Frames are ids into the store-wide frame table. Varints are LEB128 over
// integers up to 2^53, so integer sample values (counts, nanoseconds, bytes)
// are stored exactly; a trie with any other value is stored as float64.
// Subtrees whose values are all zero are left out.
import { crc32 } from 'node:zlib';
import type { TrieColumns } from '../model/trie.js';
import { CodecError, type DecodedTrie, decodeTrieBlob, FLOATS, INTEGERS, MAX_VARINT } from './trie-blob.js';

export { CodecError, type DecodedTrie } from './trie-blob.js';

let scratch = Buffer.allocUnsafe(1 << 16);

const WORK_MAX = 1 << 20;
/** encodeTrie's per-node arrays, for tries of up to keep.length nodes (WORK_MAX at most). */
let work = workArrays(1024);

/** Room for `nodes` nodes, at least twice `had`. */
function workArrays(nodes: number, had = 0) {
  const n = Math.min(Math.max(nodes, 2 * had), Math.max(nodes, WORK_MAX));
  return {
    keep: new Uint8Array(n),
    size: new Int32Array(n),
    next: new Int32Array(n),
    order: new Int32Array(n + 1),
    depth: new Int32Array(n),
  };
}

function ensure(pos: number, more: number): void {
  if (pos + more <= scratch.length) return;
  let n = scratch.length * 2;
  while (n < pos + more) n *= 2;
  const next = Buffer.allocUnsafe(n);
  scratch.copy(next, 0, 0, pos);
  scratch = next;
}

export function writeVarint(buf: Buffer, pos: number, v: number): number {
  // Above 2^31 (nanosecond totals often are) by division, then by bit operations.
  while (v >= 0x80000000) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/**
 * Encodes the columns `columns` of a trie (every column when omitted), with its
 * frames mapped through `frameMap` (identity when omitted). `blobIndex`, when
 * given, receives each node's index in the blob (the order decodeTrie gives
 * back; -1 for a node left out).
 */
export function encodeTrie(
  trie: TrieColumns,
  columns?: readonly number[],
  frameMap?: ArrayLike<number>,
  blobIndex?: Int32Array,
): Buffer {
  const k = trie.nTypes;
  // Every column, in order, unless told: then a node's values are self[n * k, n * k + k).
  const cols = columns ?? null;
  const nc = cols ? cols.length : k;
  const { self, parent, frame } = trie;
  const size = trie.size;
  // Per-node work arrays are kept between calls (a server encodes a trie per push, and fresh ones
  // cost GC), up to a million nodes: a larger trie gets its own.
  const arrays =
    size <= work.keep.length ? work : size <= WORK_MAX ? (work = workArrays(size, work.keep.length)) : workArrays(size);
  // One backward pass (children come after their parents, so a node is final when reached):
  // keep[n] is HAS (own non-zero values) | SUBTREE (some in its subtree), and sub[n] counts the
  // kept nodes of n's subtree, n included.
  const { keep, size: sub } = arrays;
  keep.fill(0, 0, size);
  sub.fill(0, 0, size);
  let integers = true;
  for (let n = size - 1; n >= 0; n--) {
    let has = 0;
    for (let c = 0; c < nc; c++) {
      const v = self[n * k + (cols ? (cols[c] as number) : c)] as number;
      if (v !== 0) {
        has = HAS;
        if (integers && !(Number.isInteger(v) && v > 0 && v < MAX_VARINT)) integers = false;
      }
    }
    const mark = (keep[n] as number) | has;
    if (mark === 0 || n === 0) continue;
    keep[n] = mark | SUBTREE;
    const p = parent[n] as number;
    keep[p] = (keep[p] as number) | SUBTREE;
    sub[n] = (sub[n] as number) + 1;
    sub[p] = (sub[p] as number) + (sub[n] as number);
  }
  const kept = sub[0] as number;

  const valueBytes = integers ? 10 : 8;
  // Room for every node at once: growing by doubling would copy the blob several times
  // (the estimate is generous; pages never written are never touched).
  ensure(0, 32 + nc * valueBytes + kept * (20 + nc * valueBytes));
  const out = scratch;
  let pos = 0;
  out[pos++] = integers ? INTEGERS : FLOATS;
  pos = writeVarint(out, pos, nc);
  pos = writeVarint(out, pos, kept);
  for (let c = 0; c < nc; c++) {
    const v = self[cols ? (cols[c] as number) : c] as number;
    pos = integers ? writeVarint(out, pos, v) : out.writeDoubleLE(v, pos);
  }
  // Preorder without child lists: each kept node's place is after its parent and its earlier
  // siblings' subtrees. next[n]: the next free place in n's subtree; order[place]: the node there.
  const { next, order, depth } = arrays;
  next[0] = 1;
  depth[0] = 0;
  for (let n = 1; n < size; n++) {
    if (keep[n] === 0) continue;
    const p = parent[n] as number;
    const place = next[p] as number;
    next[p] = place + (sub[n] as number);
    next[n] = place + 1;
    order[place] = n;
    depth[n] = (depth[p] as number) + 1;
  }
  if (blobIndex) {
    blobIndex.fill(-1);
    blobIndex[0] = 0;
  }
  let prevDepth = 0;
  for (let place = 1; place <= kept; place++) {
    const n = order[place] as number;
    if (blobIndex) blobIndex[n] = place;
    const has = (keep[n] as number) & HAS;
    const d = depth[n] as number;
    // Most heads and frames fit in one or two bytes: written inline.
    const head = (prevDepth + 1 - d) * 2 + has;
    if (head < 0x80) out[pos++] = head;
    else pos = writeVarint(out, pos, head);
    const f = frameMap ? (frameMap[frame[n] as number] as number) : (frame[n] as number);
    if (f < 0x80) out[pos++] = f;
    else if (f < 0x4000) {
      out[pos++] = (f & 0x7f) | 0x80;
      out[pos++] = f >>> 7;
    } else pos = writeVarint(out, pos, f);
    if (has) {
      for (let c = 0; c < nc; c++) {
        const v = self[n * k + (cols ? (cols[c] as number) : c)] as number;
        if (!integers) pos = out.writeDoubleLE(v, pos);
        else if (v < 0x80) out[pos++] = v;
        else pos = writeVarint(out, pos, v);
      }
    }
    prevDepth = d;
  }
  ensure(pos, 4);
  scratch.writeUInt32LE(crc32(scratch.subarray(0, pos)), pos);
  pos += 4;
  return Buffer.from(scratch.subarray(0, pos));
}

/** keep[] bits of encodeTrie. */
const HAS = 1;
const SUBTREE = 2;

/** Decodes a blob into typed arrays; a CodecError when it is damaged. */
export function decodeTrie(blob: Uint8Array): DecodedTrie {
  if (blob.length < 8) throw new CodecError(`blob of ${blob.length} bytes is too short`);
  const end = blob.length - 4;
  const stored = (blob[end] as number) | ((blob[end + 1] as number) << 8) | ((blob[end + 2] as number) << 16);
  const sum = (stored + (blob[end + 3] as number) * 0x1000000) >>> 0;
  if (crc32(blob.subarray(0, end)) !== sum) throw new CodecError('checksum mismatch');
  return decodeTrieBlob(blob, 0, end);
}
