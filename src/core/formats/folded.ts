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
import { growInt32 } from '../model/growable.js';
import { type Profile, SAMPLES } from '../model/profile.js';
import { StackBatch } from '../model/stack-batch.js';
import type { StackTrie } from '../model/trie.js';
import type { Detection, ProfileFormat, WriteOptions } from './types.js';

export async function parseFolded(source: Source): Promise<Profile> {
  const b = new ProfileBuilder([SAMPLES], 'folded');
  const names = new ByteFrameInterner(b.profile.frames);
  // Lines are gathered and inserted at the end: sorted, the trie is built without hashing.
  const batch = new StackBatch(1, true);
  let stack = new Int32Array(256);
  // The previous line's stack text and where each of its frames ends: sorted folded files repeat
  // long prefixes, whose frames are reused after a byte compare instead of interned again.
  let prev = Buffer.alloc(4096);
  let prevLen = 0;
  let ends = new Int32Array(256);
  let prevDepth = 0;
  let lines = 0;
  let invalid = 0;
  let firstInvalid = 0;
  await forEachLine(source, (buf, start, end, lineNo) => {
    while (start < end && isSpace(buf[start] as number)) start++;
    while (end > start && isSpace(buf[end - 1] as number)) end--;
    if (start === end) return;
    let sp = end - 1;
    while (sp > start && !isSpace(buf[sp] as number)) sp--;
    const count = sp > start ? parseDecimal(buf, sp + 1, end) : Number.NaN;
    if (Number.isNaN(count)) {
      if (invalid++ === 0) firstInvalid = lineNo;
      return;
    }
    let stackEnd = sp;
    while (stackEnd > start && isSpace(buf[stackEnd - 1] as number)) stackEnd--;
    const len = stackEnd - start;
    let same = 0;
    const max = Math.min(len, prevLen);
    while (same < max && buf[start + same] === prev[same]) same++;
    // Frames of the previous line that end inside the common part (at a ';' or the end of both) are the same frames.
    let depth = 0;
    while (depth < prevDepth) {
      const e = ends[depth] as number;
      if (e > same || (e === same && e !== len && buf[start + e] !== 59)) break;
      depth++;
    }
    let from = depth === 0 ? start : start + (ends[depth - 1] as number) + 1;
    for (let i = from; i <= stackEnd; i++) {
      if (i === stackEnd || buf[i] === 59 /* ; */) {
        if (depth === stack.length) {
          stack = growInt32(stack, depth + 1);
          ends = growInt32(ends, depth + 1);
        }
        stack[depth] = names.intern(buf, from, i);
        ends[depth++] = i - start;
        from = i + 1;
      }
    }
    if (len > prev.length) prev = Buffer.alloc(Math.max(len, prev.length * 2));
    buf.copy(prev, 0, start, stackEnd);
    prevLen = len;
    prevDepth = depth;
    batch.addValue(batch.add(stack, depth), 0, count);
    lines++;
  });
  batch.insertInto(b.profile);
  b.profile.sampleCount = lines;
  if (invalid > 0) {
    b.warn(
      `${source.name}: skipped ${invalid} invalid line${invalid === 1 ? '' : 's'} (the first is line ${firstInvalid}: expected "frame;frame;... count")`,
    );
  }
  if (b.profile.sampleCount === 0 && invalid > 0) {
    throw new InputError(
      source.name,
      `no valid folded-stack lines (line ${firstInvalid} is not "frame;frame;... count")`,
    );
  }
  return b.finish();
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
