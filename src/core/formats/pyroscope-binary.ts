// Pyroscope's binary ingest bodies, `POST /ingest?format=trie` and `?format=tree`
// (or Content-Type binary/octet-stream+trie, +tree), as grafana/pyroscope v0.37.2
// (the OG server, formerly pyroscope-io/pyroscope) defines them:
// pkg/structs/transporttrie/serialize.go (Serialize, IterateRaw),
// pkg/storage/tree/serialize.go (SerializeTruncateNoDict, DeserializeNoDict),
// pkg/convert/parser.go (ParseTreeNoDict) and pkg/convert/profile/profile.go.
// Numbers are unsigned LEB128 varints (Go's binary.Uvarint); there is no header.
//
// trie: a radix trie of the folded stacks as byte strings ("a;b;c"), depth first.
//   Each node: varint label length, the label, varint value, varint child count,
//   then its children. The root's label is empty, siblings' labels start with
//   different bytes (sorted), and a node's key is the concatenation of the labels
//   from the root: each node with a value > 0 is a stack of that value, inner
//   nodes included. Nodes after the root's subtree are read as more children of
//   the root (IterateRaw keeps the root open for them; it panics on some), with a
//   warning.
// tree: the tree of frames, depth first, not dictionary-encoded. Each node:
//   varint name length, the name, varint self value, varint child count, then its
//   children. The first node is the root, named "". ParseTreeNoDict iterates each
//   node's key ";" + root + ";" + frame + ";" + ... and keeps key[2:] when the key
//   is longer than 2 bytes and the self is not 0: the root's self is dropped
//   (with a warning here). One tree: bytes after it are ignored.
// Either way a key becomes a stack as Tree.Insert splits it: a frame ends at every
// ';' (empty frames too) and the bytes after the last ';' are the leaf, if any.
//
// Readers work over the bytes with one reusable key buffer (StackKey): no object
// per node. Writers write what Pyroscope's own Serialize would for the same stacks
// (children sorted bytewise); values must be unsigned integers, so fractional
// values are rounded and stacks whose value is not positive are left out.
import { InputError } from '../errors.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { ByteFrameInterner } from '../model/byte-interner.js';
import type { FrameTable } from '../model/frames.js';
import { growFloat64, growInt32 } from '../model/growable.js';
import { type Profile, SAMPLES } from '../model/profile.js';
import { StackTrie } from '../model/trie.js';
import { WireError, WireReader } from './pprof/wire.js';
import type { ProfileFormat, WriteOptions } from './types.js';

const SEMICOLON = 59;

/**
 * A Pyroscope key ("a;b;c") built up on one reusable buffer, with the trie node
 * of each complete frame (one ended by ';'), so that a key extending the previous
 * one (a child's in a trie or tree, the next line of `lines`) costs only its new
 * bytes. Bytes before `base` are not part of the stack (the tree's key prefix).
 */
export class StackKey {
  bytes = Buffer.allocUnsafe(1024);
  length = 0;
  /** Where the ';' ending each complete frame is, and the trie node of the frames up to it. */
  private ends = new Int32Array(64);
  private nodes = new Int32Array(64);
  private count = 0;
  private readonly names: ByteFrameInterner;

  constructor(
    private readonly trie: StackTrie,
    frames: FrameTable,
    private readonly base = 0,
  ) {
    this.names = new ByteFrameInterner(frames);
  }

  /** Cuts the key back to its first `length` bytes. */
  truncate(length: number): void {
    let n = this.count;
    while (n > 0 && (this.ends[n - 1] as number) >= length) n--;
    this.count = n;
    this.length = length;
  }

  /** Appends src[start, end). */
  append(src: Buffer, start: number, end: number): void {
    const from = this.length;
    this.reserve(end - start);
    src.copy(this.bytes, from, start, end);
    this.length = from + end - start;
    this.scan(from);
  }

  appendByte(byte: number): void {
    const from = this.length;
    this.reserve(1);
    this.bytes[from] = byte;
    this.length = from + 1;
    this.scan(from);
  }

  /** The trie node of the whole key (inserted if new): Tree.Insert's stack. */
  node(): number {
    const n = this.count;
    let node = n > 0 ? (this.nodes[n - 1] as number) : 0;
    const start = n > 0 ? (this.ends[n - 1] as number) + 1 : this.base;
    if (start < this.length) node = this.trie.child(node, this.names.intern(this.bytes, start, this.length));
    return node;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.length + n, this.bytes.length * 2));
    this.bytes.copy(bigger, 0, 0, this.length);
    this.bytes = bigger;
  }

  /** Ends a frame at each ';' from `from` on. */
  private scan(from: number): void {
    const buf = this.bytes;
    for (let i = Math.max(from, this.base); i < this.length; i++) {
      if (buf[i] !== SEMICOLON) continue;
      const n = this.count;
      const start = n > 0 ? (this.ends[n - 1] as number) + 1 : this.base;
      const parent = n > 0 ? (this.nodes[n - 1] as number) : 0;
      if (n === this.ends.length) {
        this.ends = growInt32(this.ends, n + 1);
        this.nodes = growInt32(this.nodes, n + 1);
      }
      this.ends[n] = i;
      this.nodes[n] = this.trie.child(parent, this.names.intern(buf, start, i));
      this.count = n + 1;
    }
  }
}

/**
 * The nodes of a trie or tree body, read in order: varints through pprof's
 * WireReader, every failure an InputError naming the source and the offset.
 */
class NodeReader {
  readonly w: WireReader;
  readonly end: number;
  /** Where the node being read starts, for messages. */
  node = 0;

  constructor(
    private readonly name: string,
    private readonly what: string,
    buf: Buffer,
  ) {
    this.w = new WireReader(buf);
    this.end = buf.length;
  }

  fail(detail: string): InputError {
    return new InputError(this.name, detail);
  }

  /** An unsigned varint (up to 2^64; above 2^53 not exact). */
  uvarint(field: string): number {
    const w = this.w;
    const at = w.pos;
    let v: number;
    try {
      v = w.varint(this.end);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      const why = /truncated/.test(e.message) ? 'cut off by the end of the input' : 'longer than 10 bytes';
      throw this.fail(`offset ${at}: the ${field} of the ${this.what} node at offset ${this.node} is a varint ${why}`);
    }
    if (v < 0 || v >= 0x10000000) {
      if (w.pos - at === 10 && (w.buf[at + 9] as number) > 1) {
        throw this.fail(`offset ${at}: the ${field} of the ${this.what} node at offset ${this.node} overflows 64 bits`);
      }
      v = w.hi * 4294967296 + w.lo;
    }
    return v;
  }

  /** A length-prefixed label: returns where it starts; `w.pos` moves past it. */
  label(field: string): number {
    const len = this.uvarint(`${field} length`);
    const start = this.w.pos;
    const left = this.end - start;
    if (len > left) {
      throw this.fail(
        `offset ${start}: the ${field} of the ${this.what} node at offset ${this.node} is ${len} bytes, past the end of the input (${left} bytes left)`,
      );
    }
    this.w.pos = start + len;
    return start;
  }

  /** Children declared but not read yet must fit in the bytes left (a node takes 3 bytes at least). */
  checkPending(pending: number, children: number): void {
    const left = this.end - this.w.pos;
    if (pending * 3 > left) {
      const more = pending > children ? ` (and ${pending - children} more nodes are still to come)` : '';
      throw this.fail(
        `offset ${this.node}: the ${this.what} node there has ${children} children, but only ${left} bytes are left${more}: the input is cut short or corrupt (a node takes 3 bytes at least)`,
      );
    }
  }
}

/** The open nodes of a depth-first read: children still to read, a key length, where the node starts. */
class OpenNodes {
  left = new Float64Array(64);
  keyLength = new Int32Array(64);
  offset = new Float64Array(64);
  depth = 0;

  push(children: number, keyLength: number, offset: number): void {
    const d = this.depth;
    if (d === this.keyLength.length) {
      this.left = growFloat64(this.left, d + 1);
      this.keyLength = growInt32(this.keyLength, d + 1);
      this.offset = growFloat64(this.offset, d + 1);
    }
    this.left[d] = children;
    this.keyLength[d] = keyLength;
    this.offset[d] = offset;
    this.depth = d + 1;
  }

  /** The deepest open node with children still to read: where a truncated input ends. */
  missing(): string {
    for (let d = this.depth - 1; d >= 0; d--) {
      const left = this.left[d] as number;
      if (left > 0) return `the input ends before ${left} more children of the node at offset ${this.offset[d]}`;
    }
    return 'the input ends early';
  }
}

export async function parsePyroscopeTrie(source: Source): Promise<Profile> {
  const buf = await source.bytes();
  const b = new ProfileBuilder([SAMPLES], 'pyroscope-trie');
  const trie = b.profile.trieFor(0);
  const key = new StackKey(trie, b.profile.frames);
  const r = new NodeReader(source.name, 'trie', buf);
  const w = r.w;
  const open = new OpenNodes();
  let pending = 0;
  let nodes = 0;
  let extra = 0;
  while (w.pos < r.end) {
    r.node = w.pos;
    const labelStart = r.label('label');
    const labelEnd = w.pos;
    const value = r.uvarint('value');
    const children = r.uvarint('child count');
    // The parent is the deepest open node; the root stays open after its last child (IterateRaw reads on under it).
    const d = open.depth;
    if (d > 0 && (open.left[d - 1] as number) > 0) {
      open.left[d - 1]--;
      pending--;
    } else if (nodes > 0) extra++;
    nodes++;
    const before = key.length;
    key.append(buf, labelStart, labelEnd);
    if (value > 0) {
      trie.addSelf(key.node(), 0, value);
      b.profile.sampleCount++;
    }
    if (children > 0) {
      pending += children;
      r.checkPending(pending, children);
      open.push(children, before, r.node);
      continue;
    }
    key.truncate(before);
    while (open.depth > 1 && open.left[open.depth - 1] === 0) {
      open.depth--;
      key.truncate(open.keyLength[open.depth] as number);
    }
  }
  if (pending > 0) throw r.fail(`${open.missing()}: is it cut short?`);
  if (extra > 0) {
    b.warn(
      `${source.name}: ${extra} node${extra === 1 ? '' : 's'} after the end of the trie, read as more children of its root (as Pyroscope does)`,
    );
  }
  return b.finish();
}

export async function parsePyroscopeTree(source: Source): Promise<Profile> {
  const buf = await source.bytes();
  if (buf.length === 0) throw new InputError(source.name, 'empty input: no tree in it');
  const b = new ProfileBuilder([SAMPLES], 'pyroscope-tree');
  const trie = b.profile.trieFor(0);
  // Keys are ";" + root + ";" + frame...; the stack is the key from byte 2 on.
  const key = new StackKey(trie, b.profile.frames, 2);
  const r = new NodeReader(source.name, 'tree', buf);
  const w = r.w;
  const open = new OpenNodes();
  let pending = 1;
  let dropped = 0;
  do {
    if (w.pos >= r.end) throw r.fail(`${open.missing()}: is it cut short?`);
    r.node = w.pos;
    const nameStart = r.label('name');
    const nameEnd = w.pos;
    const self = r.uvarint('self value');
    const children = r.uvarint('child count');
    const d = open.depth;
    if (d > 0) {
      open.left[d - 1]--;
      key.truncate(open.keyLength[d - 1] as number);
    }
    pending--;
    key.appendByte(SEMICOLON);
    key.append(buf, nameStart, nameEnd);
    if (self !== 0) {
      if (key.length > 2) {
        trie.addSelf(key.node(), 0, self);
        b.profile.sampleCount++;
      } else dropped += self;
    }
    if (children > 0) {
      pending += children;
      r.checkPending(pending, children);
      open.push(children, key.length, r.node);
      continue;
    }
    while (open.depth > 0 && open.left[open.depth - 1] === 0) open.depth--;
  } while (open.depth > 0);
  if (dropped > 0) {
    b.warn(
      `${source.name}: a value of ${dropped} on the root (or an unnamed frame under it) dropped, as Pyroscope drops it`,
    );
  }
  if (w.pos < r.end) {
    b.warn(`${source.name}: ${r.end - w.pos} bytes after the end of the tree ignored (as Pyroscope ignores them)`);
  }
  return b.finish();
}

/**
 * Pyroscope's tree of a profile's stacks for one value type: what Tree.Insert
 * builds of their keys ("a;b;c", a last frame with an empty name ending in its
 * own ';': "a;;"). Frames are merged by name, and names holding ';' become
 * several frames, as Pyroscope splits them. Node frames are indexes into
 * `names` (latin1 strings of the UTF-8 bytes, so that comparing them is
 * comparing bytes, as Go does); `self` holds the summed values, and `kept`
 * marks the nodes with a value that rounds to a positive integer in their
 * subtree (the others are not written: Pyroscope's values are unsigned).
 */
interface KeyTree {
  trie: StackTrie;
  names: string[];
  kept: Uint8Array;
}

function keyTree(profile: Profile, valueIndex: number): KeyTree {
  const src = profile.trie();
  const k = src.nTypes;
  const out = new StackTrie(1, src.size);
  const names: string[] = [];
  const ids = new Map<string, number>();
  const id = (name: string): number => {
    let i = ids.get(name);
    if (i === undefined) {
      i = names.length;
      names.push(name);
      ids.set(name, i);
    }
    return i;
  };
  const nameOf = new Int32Array(profile.frames.size).fill(-1);
  let split = false;
  for (let n = 1; n < src.size; n++) {
    const f = src.frame[n] as number;
    if ((nameOf[f] as number) < 0) {
      const name = Buffer.from(profile.frames.nameOf(f), 'utf8').toString('latin1');
      nameOf[f] = id(name);
      if (name.includes(';')) split = true;
    }
  }
  if (!split) {
    // Each node maps to the node of its name under its parent's (parents come first in a StackTrie).
    const map = new Int32Array(src.size);
    for (let n = 0; n < src.size; n++) {
      const node =
        n === 0 ? 0 : out.child(map[src.parent[n] as number] as number, nameOf[src.frame[n] as number] as number);
      map[n] = node;
      const v = src.self[n * k + valueIndex] as number;
      if (v !== 0) out.addSelf(node, 0, v);
    }
  } else {
    // Names with ';': through the keys, split as Tree.Insert splits them.
    const path: string[] = [];
    const stack: number[] = [0];
    while (stack.length > 0) {
      const n = stack.pop() as number;
      if (n < 0) {
        path.pop();
        continue;
      }
      if (n > 0) {
        path.push(names[nameOf[src.frame[n] as number] as number] as string);
        stack.push(-1);
      }
      const v = src.self[n * k + valueIndex] as number;
      if (v !== 0) {
        const key = path.length > 0 && path[path.length - 1] === '' ? `${path.join(';')};` : path.join(';');
        let node = 0;
        let from = 0;
        for (let j = key.indexOf(';'); j >= 0; j = key.indexOf(';', from)) {
          node = out.child(node, id(key.slice(from, j)));
          from = j + 1;
        }
        if (from < key.length) node = out.child(node, id(key.slice(from)));
        out.addSelf(node, 0, v);
      }
      for (let c = src.firstChild[n] as number; c >= 0; c = src.nextSibling[c] as number) stack.push(c);
    }
  }
  const kept = new Uint8Array(out.size);
  for (let n = out.size - 1; n >= 0; n--) {
    if (Math.round(out.self[n] as number) > 0) kept[n] = 1;
    if (kept[n] && n > 0) kept[out.parent[n] as number] = 1;
  }
  return { trie: out, names, kept };
}

/** The kept children of `node`, sorted by name bytewise (as Pyroscope's trees keep them). */
function sortedChildren(t: KeyTree, node: number): number[] {
  const { trie, names, kept } = t;
  const out: number[] = [];
  for (let c = trie.firstChild[node] as number; c >= 0; c = trie.nextSibling[c] as number) if (kept[c]) out.push(c);
  return out.sort((a, b) => {
    const x = names[trie.frame[a] as number] as string;
    const y = names[trie.frame[b] as number] as string;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** A node's value as Pyroscope's unsigned integers. */
const unsignedValue = (t: KeyTree, node: number): number => Math.max(0, Math.round(t.trie.self[node] as number));

/** A growing output buffer of varints and latin1 labels. */
class ByteSink {
  buf = Buffer.allocUnsafe(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.length + n, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  uvarint(v: number): void {
    this.reserve(10);
    const buf = this.buf;
    let p = this.length;
    while (v >= 0x80) {
      buf[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[p++] = v;
    this.length = p;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  /** A varint length, then the bytes of text[start, end) (latin1: one byte a char). */
  label(text: string, start = 0, end = text.length): void {
    this.uvarint(end - start);
    this.reserve(end - start);
    const buf = this.buf;
    let p = this.length;
    for (let i = start; i < end; i++) buf[p++] = text.charCodeAt(i);
    this.length = p;
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * The keys of a key tree with a positive value, in byte order, without making
 * them (stacks share long prefixes): key i is the own key of node `node[i]`,
 * `length[i]` bytes long, sharing `lcp[i]` bytes with key i - 1. Under a node, a
 * child's own key "name" and the block of its descendants' keys "name;..." sort
 * as those two strings do, since no name holds ';' (an empty name's own key is
 * ";", before its block). Node 0's own key is "", the root's value.
 */
interface SortedKeys {
  count: number;
  node: Int32Array;
  length: Int32Array;
  lcp: Int32Array;
  /** Where each node's name starts in its keys. */
  offset: Int32Array;
}

function sortedKeys(t: KeyTree): SortedKeys {
  const { trie, names, kept } = t;
  const size = trie.size;
  const parent = trie.parent;
  const nameLength = (n: number): number => (names[trie.frame[n] as number] as string).length;
  const offset = new Int32Array(size);
  const level = new Int32Array(size);
  for (let n = 1; n < size; n++) {
    const p = parent[n] as number;
    offset[n] = p === 0 ? 0 : (offset[p] as number) + nameLength(p) + 1;
    level[n] = (level[p] as number) + 1;
  }
  let valued = 0;
  for (let n = 0; n < size; n++) if (kept[n] && unsignedValue(t, n) > 0) valued++;
  const out: SortedKeys = {
    count: 0,
    node: new Int32Array(valued),
    length: new Int32Array(valued),
    lcp: new Int32Array(valued),
    offset,
  };
  let prev = -1;
  const add = (n: number): void => {
    const len = n === 0 ? 0 : (offset[n] as number) + Math.max(1, nameLength(n));
    const i = out.count++;
    out.node[i] = n;
    out.length[i] = len;
    out.lcp[i] = prev < 0 ? 0 : commonWithPrevious(prev, n, out.length[i - 1] as number);
    prev = n;
  };
  // The bytes key `p` (the previous) shares with key `q`: through their lowest common ancestor.
  const commonWithPrevious = (p: number, q: number, pLength: number): number => {
    let a = p;
    let b = q;
    let x = -1;
    let y = -1;
    while ((level[a] as number) > (level[b] as number)) {
      x = a;
      a = parent[a] as number;
    }
    while ((level[b] as number) > (level[a] as number)) {
      y = b;
      b = parent[b] as number;
    }
    while (a !== b) {
      x = a;
      a = parent[a] as number;
      y = b;
      b = parent[b] as number;
    }
    // q under p: p's key is a prefix of q's. Else they part in the names of two children of the ancestor.
    if (a === p) return pLength;
    const nx = names[trie.frame[x] as number] as string;
    const ny = names[trie.frame[y] as number] as string;
    const n = Math.min(nx.length, ny.length);
    let i = 0;
    while (i < n && nx.charCodeAt(i) === ny.charCodeAt(i)) i++;
    return (offset[x] as number) + i;
  };
  if (unsignedValue(t, 0) > 0) add(0);
  // Entries: node * 2 for its own key, node * 2 + 1 for its descendants'.
  const work: number[] = [1];
  const entries: number[] = [];
  const order: string[] = [];
  while (work.length > 0) {
    const e = work.pop() as number;
    const node = e >>> 1;
    if ((e & 1) === 0) {
      add(node);
      continue;
    }
    entries.length = 0;
    order.length = 0;
    for (let c = trie.firstChild[node] as number; c >= 0; c = trie.nextSibling[c] as number) {
      if (!kept[c]) continue;
      const name = names[trie.frame[c] as number] as string;
      if (unsignedValue(t, c) > 0) {
        entries.push(c * 2);
        order.push(name === '' ? ';' : name);
      }
      let inner = false;
      for (let g = trie.firstChild[c] as number; g >= 0 && !inner; g = trie.nextSibling[g] as number)
        inner = kept[g] === 1;
      if (inner) {
        entries.push(c * 2 + 1);
        order.push(`${name};`);
      }
    }
    const idx = Array.from(entries.keys()).sort((a, b) => {
      const x = order[a] as string;
      const y = order[b] as string;
      return x < y ? -1 : x > y ? 1 : ((entries[a] as number) & 1) - ((entries[b] as number) & 1);
    });
    for (let i = idx.length - 1; i >= 0; i--) work.push(entries[idx[i] as number] as number);
  }
  return out;
}

/** Writes bytes [from, to) of the own key of node `n` (`length` bytes long). */
function writeKeyBytes(
  out: ByteSink,
  t: KeyTree,
  offset: Int32Array,
  n: number,
  length: number,
  from: number,
  to: number,
): void {
  // The pieces of the key: each ancestor's name and ';', then the node's name (and ';' if it is empty).
  const pieces: number[] = [];
  for (let a = n; a > 0; a = t.trie.parent[a] as number) {
    if ((offset[a] as number) >= to) continue;
    pieces.push(a);
    if ((offset[a] as number) <= from) break;
  }
  for (let i = pieces.length - 1; i >= 0; i--) {
    const a = pieces[i] as number;
    const name = t.names[t.trie.frame[a] as number] as string;
    const start = offset[a] as number;
    const end = Math.min(to, a === n ? length : start + name.length + 1);
    for (let pos = Math.max(from, start); pos < end; pos++) {
      out.byte(pos - start < name.length ? name.charCodeAt(pos - start) : SEMICOLON);
    }
  }
}

/** The keys Pyroscope gets of a profile's stacks ("a;b;c", latin1 strings of their UTF-8 bytes) in byte order, and their values. */
export function pyroscopeKeys(profile: Profile, valueIndex: number): { keys: string[]; values: number[] } {
  const t = keyTree(profile, valueIndex);
  const k = sortedKeys(t);
  const keys: string[] = [];
  const values: number[] = [];
  for (let i = 0; i < k.count; i++) {
    const n = k.node[i] as number;
    const sink = new ByteSink();
    writeKeyBytes(sink, t, k.offset, n, k.length[i] as number, 0, k.length[i] as number);
    keys.push(sink.result().toString('latin1'));
    values.push(unsignedValue(t, n));
  }
  return { keys, values };
}

/** The transport trie of the stacks, byte for byte what transporttrie.Serialize writes for their keys. */
export function writePyroscopeTrie(profile: Profile, options: WriteOptions): Buffer {
  const t = keyTree(profile, options.valueIndex ?? profile.defaultValue);
  const { count, node, length, lcp, offset } = sortedKeys(t);
  const out = new ByteSink();
  // A node of the radix trie is a range of the sorted keys, [lo, hi), that share their bytes before `from`.
  const work: number[] = [0, count, 0];
  let root = true;
  while (work.length > 0) {
    const from = work.pop() as number;
    const hi = work.pop() as number;
    const lo = work.pop() as number;
    // The root's label is empty; another node's runs to the end of its keys' common prefix.
    let depth = 0;
    if (root) root = false;
    else if (hi - lo === 1) depth = length[lo] as number;
    else {
      depth = lcp[lo + 1] as number;
      for (let i = lo + 2; i < hi; i++) if ((lcp[i] as number) < depth) depth = lcp[i] as number;
    }
    out.uvarint(depth - from);
    if (depth > from) writeKeyBytes(out, t, offset, node[lo] as number, length[lo] as number, from, depth);
    let c = lo;
    out.uvarint(c < hi && length[c] === depth ? unsignedValue(t, node[c++] as number) : 0);
    // Its children: the runs of keys sharing more than `depth` bytes.
    const first = work.length;
    let children = 0;
    for (let s = c; s < hi; children++) {
      let e = s + 1;
      while (e < hi && (lcp[e] as number) > depth) e++;
      work.push(s, e, depth);
      s = e;
    }
    out.uvarint(children);
    // Popped first to last.
    for (let i = first, j = work.length - 3; i < j; i += 3, j -= 3) {
      for (let f = 0; f < 3; f++) {
        const x = work[i + f] as number;
        work[i + f] = work[j + f] as number;
        work[j + f] = x;
      }
    }
  }
  return out.result();
}

/** The tree of the stacks (no dictionary), byte for byte what SerializeTruncateNoDict writes for their keys, untruncated. */
export function writePyroscopeTree(profile: Profile, options: WriteOptions): Buffer {
  const t = keyTree(profile, options.valueIndex ?? profile.defaultValue);
  const out = new ByteSink();
  const work = [0];
  while (work.length > 0) {
    const node = work.pop() as number;
    const children = sortedChildren(t, node);
    out.label(node === 0 ? '' : (t.names[t.trie.frame[node] as number] as string));
    out.uvarint(unsignedValue(t, node));
    out.uvarint(children.length);
    for (let c = children.length - 1; c >= 0; c--) work.push(children[c] as number);
  }
  return out.result();
}

export const pyroscopeTrie: ProfileFormat = {
  id: 'pyroscope-trie',
  name: "Pyroscope's transport trie (ingest format=trie)",
  extensions: ['.trie'],
  // No magic number: chosen by id only (--input-format, the ingest API's format).
  detect: () => 'no',
  read: (source) => parsePyroscopeTrie(source),
  write: writePyroscopeTrie,
};

export const pyroscopeTree: ProfileFormat = {
  id: 'pyroscope-tree',
  name: "Pyroscope's tree (ingest format=tree)",
  extensions: ['.tree'],
  detect: () => 'no',
  read: (source) => parsePyroscopeTree(source),
  write: writePyroscopeTree,
};
