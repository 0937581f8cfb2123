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
import type { StackTrie } from '../model/trie.js';
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
  trie: StackTrie,
  columns?: readonly number[],
  frameMap?: ArrayLike<number>,
  blobIndex?: Int32Array,
): Buffer {
  const k = trie.nTypes;
  const cols = columns ?? Array.from({ length: k }, (_, i) => i);
  const nc = cols.length;
  const { self, parent, frame } = trie;
  // Per-node work arrays are kept between calls (a server encodes a trie per push, and fresh ones
  // cost GC), up to a million nodes: a larger trie gets its own.
  const arrays =
    trie.size <= work.keep.length
      ? work
      : trie.size <= WORK_MAX
        ? (work = workArrays(trie.size, work.keep.length))
        : workArrays(trie.size);
  // keep[n]: some value in n's subtree is non-zero (children come after parents, so one backward pass).
  const keep = arrays.keep;
  keep.fill(0, 0, trie.size);
  let integers = true;
  for (let n = trie.size - 1; n >= 0; n--) {
    for (let c = 0; c < nc; c++) {
      const v = self[n * k + (cols[c] as number)] as number;
      if (v !== 0) {
        keep[n] = 1;
        if (integers && !(Number.isInteger(v) && v > 0 && v < MAX_VARINT)) integers = false;
      }
    }
    if (keep[n] && n > 0) keep[parent[n] as number] = 1;
  }
  let kept = 0;
  for (let n = 1; n < trie.size; n++) kept += keep[n] as number;

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
    const v = self[cols[c] as number] as number;
    pos = integers ? writeVarint(out, pos, v) : out.writeDoubleLE(v, pos);
  }
  // Preorder without child lists: subtree sizes in one backward pass (children come after
  // their parents), then each kept node's place after its parent and its earlier siblings.
  const size = arrays.size;
  size.fill(0, 0, trie.size);
  for (let n = trie.size - 1; n > 0; n--) {
    if (!keep[n]) continue;
    size[n] = (size[n] as number) + 1;
    size[parent[n] as number] = (size[parent[n] as number] as number) + (size[n] as number);
  }
  // next[n]: the next free place in n's subtree; order[place]: the node there; depth by node.
  const { next, order, depth } = arrays;
  next[0] = 1;
  depth[0] = 0;
  for (let n = 1; n < trie.size; n++) {
    if (!keep[n]) continue;
    const p = parent[n] as number;
    const place = next[p] as number;
    next[p] = place + (size[n] as number);
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
    let has = 0;
    for (let c = 0; c < nc && !has; c++) if (self[n * k + (cols[c] as number)] !== 0) has = 1;
    const d = depth[n] as number;
    pos = writeVarint(out, pos, (prevDepth + 1 - d) * 2 + has);
    const f = frame[n] as number;
    pos = writeVarint(out, pos, frameMap ? (frameMap[f] as number) : f);
    if (has) {
      for (let c = 0; c < nc; c++) {
        const v = self[n * k + (cols[c] as number)] as number;
        pos = integers ? writeVarint(out, pos, v) : out.writeDoubleLE(v, pos);
      }
    }
    prevDepth = d;
  }
  ensure(pos, 4);
  scratch.writeUInt32LE(crc32(scratch.subarray(0, pos)), pos);
  pos += 4;
  return Buffer.from(scratch.subarray(0, pos));
}

/** Decodes a blob into typed arrays; a CodecError when it is damaged. */
export function decodeTrie(blob: Uint8Array): DecodedTrie {
  if (blob.length < 8) throw new CodecError(`blob of ${blob.length} bytes is too short`);
  const end = blob.length - 4;
  const stored = (blob[end] as number) | ((blob[end + 1] as number) << 8) | ((blob[end + 2] as number) << 16);
  const sum = (stored + (blob[end + 3] as number) * 0x1000000) >>> 0;
  if (crc32(blob.subarray(0, end)) !== sum) throw new CodecError('checksum mismatch');
  return decodeTrieBlob(blob, 0, end);
}
