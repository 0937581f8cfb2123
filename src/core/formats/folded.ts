// Folded stacks, as written by FlameGraph's stackcollapse-*.pl and inferno:
// one line per stack, frames root first separated by ';', a space, a count:
//   main;parse;readLine 12
// Counts may be fractional. https://github.com/brendangregg/FlameGraph#2-fold-stacks
import { InputError } from '../errors.js';
import { forEachLine } from '../io/lines.js';
import { parseDecimal } from '../io/numbers.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { ByteFrameInterner } from '../model/byte-interner.js';
import { FNV_START, finishHash, fnvStep, SHORT_KEY } from '../model/byte-keys.js';
import { growInt32 } from '../model/growable.js';
import { type Profile, SAMPLES } from '../model/profile.js';
import type { StackTrie } from '../model/trie.js';
import type { Detection, ProfileFormat, WriteOptions } from './types.js';

export async function parseFolded(source: Source): Promise<Profile> {
  const b = new ProfileBuilder([SAMPLES], 'folded');
  const names = new ByteFrameInterner(b.profile.frames);
  const trie = b.profile.trieFor(0);
  // The previous line's stack text and where each of its frames ends: sorted folded files repeat
  // long prefixes, whose frames are reused after a byte compare instead of interned again.
  let prev = Buffer.alloc(4096);
  let prevView = new DataView(prev.buffer, prev.byteOffset, prev.length);
  let view: { buf: Buffer; dv: DataView } = { buf: prev, dv: prevView };
  let prevLen = 0;
  let ends = new Int32Array(256);
  let prevDepth = 0;
  // The trie is built without hashing while the input is sorted. path[d]: the node of the previous
  // line's first d frames; highest[d]: the name key of path[d]'s highest child (-1: it has none,
  // -2: not known). In a sorted file a node's children come in ascending order of "name;", so a
  // name above the highest is a new child, appended. A name below it (a leaf "f" seen before
  // "f1;...": sorted, yet "f;..." comes after) is looked for in the node's child list; when that
  // happens too often (the file is not sorted), the trie's hash takes over.
  let path = new Int32Array(257);
  let highest = new Int32Array(257).fill(-1);
  let sorted = true;
  let looked = 0;
  // Most stacks take more than 30 bytes a new node.
  if (source.sizeHint) trie.reserve(Math.min(Math.ceil(source.sizeHint / 32), 1 << 26));
  let lines = 0;
  let invalid = 0;
  let firstInvalid = 0;
  const line = new FoldedLine();
  await forEachLine(source, (buf, lineStart, lineEnd, lineNo) => {
    if (!line.parse(buf, lineStart, lineEnd)) {
      if (line.blank) return;
      if (invalid++ === 0) firstInvalid = lineNo;
      return;
    }
    const { start, stackEnd, count } = line;
    const len = stackEnd - start;
    if (buf !== view.buf) view = { buf, dv: new DataView(buf.buffer, buf.byteOffset, buf.length) };
    let same = 0;
    const max = Math.min(len, prevLen);
    // Four bytes at a time, then one.
    while (same + 4 <= max && view.dv.getUint32(start + same) === prevView.getUint32(same)) same += 4;
    while (same < max && buf[start + same] === prev[same]) same++;
    // Frames of the previous line that end inside the common part (at a ';' or the end of both) are the same frames.
    let depth = 0;
    while (depth < prevDepth) {
      const e = ends[depth] as number;
      if (e > same || (e === same && e !== len && buf[start + e] !== 59)) break;
      depth++;
    }
    let from = depth === 0 ? start : start + (ends[depth - 1] as number) + 1;
    // Each name is hashed as it is scanned, for the interner.
    let hash = FNV_START;
    for (let i = from; i <= stackEnd; i++) {
      const c = i === stackEnd ? 59 : (buf[i] as number);
      if (c !== 59 /* ; */) hash = fnvStep(hash, c);
      else {
        if (depth + 1 >= path.length) {
          ends = growInt32(ends, depth + 2);
          path = growInt32(path, depth + 2);
          highest = growInt32(highest, depth + 2);
        }
        const frame = names.intern(buf, from, i, i - from <= SHORT_KEY ? finishHash(hash, i - from) : undefined);
        hash = FNV_START;
        const parent = path[depth] as number;
        let node = -1;
        if (names.aliased) sorted = false;
        if (sorted) {
          const top = highest[depth] as number;
          if (top === -1 || (top >= 0 && names.compare(top, buf, from, i, 59) < 0)) {
            highest[depth] = names.lastKey;
          } else {
            node = trie.findListed(parent, frame);
            if (++looked > (lines >> 4) + 1024) sorted = false;
          }
          if (node < 0) node = trie.appendChild(parent, frame);
        } else {
          node = trie.child(parent, frame);
        }
        ends[depth++] = i - start;
        // A new node has no children; of one found again, the highest is not known: its children are looked through.
        highest[depth] = node === trie.size - 1 ? -1 : -2;
        path[depth] = node;
        from = i + 1;
      }
    }
    if (len > prev.length) {
      prev = Buffer.alloc(Math.max(len, prev.length * 2));
      prevView = new DataView(prev.buffer, prev.byteOffset, prev.length);
    }
    buf.copy(prev, 0, start, stackEnd);
    prevLen = len;
    prevDepth = depth;
    trie.addSelf(path[depth] as number, 0, count);
    lines++;
  });
  b.profile.sampleCount = lines;
  const warning = invalidLines(source.name, lines, invalid, firstInvalid);
  if (warning) b.warn(warning);
  return b.finish();
}

/**
 * The warning for the invalid lines of a folded input (undefined when there are
 * none); throws when no line was valid.
 */
export function invalidLines(name: string, valid: number, invalid: number, first: number): string | undefined {
  if (invalid === 0) return undefined;
  if (valid === 0)
    throw new InputError(name, `no valid folded-stack lines (line ${first} is not "frame;frame;... count")`);
  return `${name}: skipped ${invalid} invalid line${invalid === 1 ? '' : 's'} (the first is line ${first}: expected "frame;frame;... count")`;
}

/** One folded line taken apart: the stack is buf[start, stackEnd), then whitespace, then the count. */
export class FoldedLine {
  start = 0;
  stackEnd = 0;
  count = 0;
  /** After parse() returned false: whether the line was only whitespace (skipped, not invalid). */
  blank = false;

  /** Takes buf[start, end) apart; false for a blank line or one without a count. */
  parse(buf: Buffer, start: number, end: number): boolean {
    while (start < end && isSpace(buf[start] as number)) start++;
    while (end > start && isSpace(buf[end - 1] as number)) end--;
    this.blank = start === end;
    if (this.blank) return false;
    let sp = end - 1;
    while (sp > start && !isSpace(buf[sp] as number)) sp--;
    const count = sp > start ? parseDecimal(buf, sp + 1, end) : Number.NaN;
    if (Number.isNaN(count)) return false;
    let stackEnd = sp;
    while (stackEnd > start && isSpace(buf[stackEnd - 1] as number)) stackEnd--;
    this.start = start;
    this.stackEnd = stackEnd;
    this.count = count;
    return true;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** Each distinct stack with its value, as folded lines sorted by stack (the order stackcollapse tools write). */
export function foldedLines(profile: Profile, valueIndex: number, trie: StackTrie = profile.trie()): string[] {
  const sums = new Map<string, number>();
  const names = profile.frames;
  const path: string[] = [];
  const k = trie.nTypes;
  const { firstChild, nextSibling } = trie;
  const walk = (node: number): void => {
    const v = trie.self[node * k + valueIndex] as number;
    if (v !== 0 && path.length > 0) {
      const key = path.join(';');
      sums.set(key, (sums.get(key) ?? 0) + v);
    }
    for (let c = firstChild[node] as number; c >= 0; c = nextSibling[c] as number) {
      path.push(names.nameOf(trie.frame[c] as number));
      walk(c);
      path.pop();
    }
  };
  walk(0);
  const keys = [...sums.keys()].sort();
  return keys.map((key) => `${key} ${formatCount(sums.get(key) as number)}`);
}

export function formatCount(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}

export function writeFolded(profile: Profile, options: WriteOptions): Buffer {
  const lines = foldedLines(profile, options.valueIndex ?? profile.defaultValue);
  return Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

/** Looks like "frame;frame count" on its first non-empty lines. */
function detectFolded(head: Buffer, complete: boolean): Detection {
  const text = head.toString('utf8', 0, Math.min(head.length, 8192));
  const lines = text.split(/\r?\n/);
  if (!complete && lines.length > 1) lines.pop();
  let good = 0;
  let bad = 0;
  for (const line of lines.slice(0, 20)) {
    const t = line.trim();
    if (t === '') continue;
    if (/^\S.*\s\d+(\.\d*)?$/.test(t) || /^\S+\s\d+(\.\d*)?$/.test(t)) good++;
    else bad++;
  }
  if (good === 0) return 'no';
  return bad === 0 ? 'yes' : 'maybe';
}

export const folded: ProfileFormat = {
  id: 'folded',
  name: 'folded stacks',
  extensions: ['.folded', '.collapsed', '.txt'],
  detect: detectFolded,
  read: (source) => parseFolded(source),
  write: writeFolded,
};
