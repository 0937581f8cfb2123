// Decoding of the trie blob of codec.ts (its format is described there), with
// no Node.js import, so that the HTML viewer decodes the profile a page carries
// with this same code. Varints are read inline where they fit in one or two
// bytes: the loop runs once per node, millions of times on large profiles.
import type { TrieColumns } from '../model/trie.js';

export const INTEGERS = 1;
export const FLOATS = 2;
export const MAX_VARINT = 2 ** 53;

/** A blob that fails its checksum or does not parse; the store names the series and time. */
export class CodecError extends Error {}

/** A trie decoded from a blob: columns in preorder (a parent before its children), ready for mergeFrom. */
export interface DecodedTrie extends TrieColumns {
  parent: Int32Array;
  frame: Int32Array;
  self: Float64Array;
}

/** Where the last varintAt() ended (module state rather than a closure: the hot loop stays on the stack). */
let varintEnd = 0;

function varintAt(buf: Uint8Array, pos: number, end: number): number {
  if (pos >= end) throw new CodecError('truncated');
  let b = buf[pos++] as number;
  let v = b & 0x7f;
  let mul = 0x80;
  while (b >= 0x80) {
    if (pos >= end || mul > MAX_VARINT) throw new CodecError('bad varint');
    b = buf[pos++] as number;
    v += (b & 0x7f) * mul;
    mul *= 0x80;
  }
  varintEnd = pos;
  return v;
}

/** Decodes the blob in buf[start, end), its CRC-32 excluded (codec.decodeTrie checks it). */
export function decodeTrieBlob(buf: Uint8Array, start: number, end: number): DecodedTrie {
  if (end - start < 4) throw new CodecError(`blob of ${end - start} bytes is too short`);
  const kind = buf[start];
  if (kind !== INTEGERS && kind !== FLOATS) throw new CodecError(`unknown kind ${kind}`);
  const nTypes = varintAt(buf, start + 1, end);
  const nodes = varintAt(buf, varintEnd, end);
  let pos = varintEnd;
  // Each node takes at least two bytes: a count beyond that is damage.
  if (nTypes < 1 || nodes * 2 > end - start) throw new CodecError('bad header');
  const size = nodes + 1;
  const parent = new Int32Array(size);
  const frame = new Int32Array(size);
  const self = new Float64Array(size * nTypes);
  const view = kind === FLOATS ? new DataView(buf.buffer, buf.byteOffset, buf.byteLength) : undefined;
  parent[0] = -1;
  frame[0] = -1;
  pos = readValues(buf, view, pos, end, self, 0, nTypes);
  // path[d] = the node at depth d on the current root-to-node path.
  let path = new Int32Array(64);
  let depth = 0;
  for (let n = 1; n < size; n++) {
    if (pos >= end) throw new CodecError('truncated');
    let head = buf[pos] as number;
    if (head < 0x80) pos++;
    else {
      head = varintAt(buf, pos, end);
      pos = varintEnd;
    }
    const up = Math.floor(head / 2);
    if (up > depth) throw new CodecError('bad tree shape');
    depth = depth + 1 - up;
    if (depth >= path.length) {
      const p = new Int32Array(path.length * 2);
      p.set(path);
      path = p;
    }
    path[depth] = n;
    parent[n] = path[depth - 1] as number;
    // Frame ids take one to three bytes: the first two cases inline.
    let f = buf[pos] as number;
    if (f < 0x80 && pos < end) pos++;
    else if (pos + 1 < end && (buf[pos + 1] as number) < 0x80) {
      f = (f & 0x7f) | ((buf[pos + 1] as number) << 7);
      pos += 2;
    } else {
      f = varintAt(buf, pos, end);
      pos = varintEnd;
    }
    frame[n] = f;
    if (head & 1) pos = readValues(buf, view, pos, end, self, n, nTypes);
  }
  if (pos !== end) throw new CodecError('trailing bytes');
  return { size, nTypes, parent, frame, self };
}

/** Reads node n's values at pos; returns the position after them. */
function readValues(
  buf: Uint8Array,
  view: DataView | undefined,
  pos: number,
  end: number,
  self: Float64Array,
  n: number,
  k: number,
): number {
  for (let t = 0; t < k; t++) {
    if (view) {
      if (pos + 8 > end) throw new CodecError('truncated');
      self[n * k + t] = view.getFloat64(pos, true);
      pos += 8;
    } else if (pos < end && (buf[pos] as number) < 0x80) self[n * k + t] = buf[pos++] as number;
    else {
      self[n * k + t] = varintAt(buf, pos, end);
      pos = varintEnd;
    }
  }
  return pos;
}
