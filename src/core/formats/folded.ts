// Folded stacks, as written by FlameGraph's stackcollapse-*.pl and inferno:
// one line per stack, frames root first separated by ';', a space, a count:
//   main;parse;readLine 12
// Counts may be fractional. https://github.com/brendangregg/FlameGraph#2-fold-stacks
import { InputError } from '../errors.js';
import { LineCursor } from '../io/lines.js';
import { parseDecimal } from '../io/numbers.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { ByteFrameInterner } from '../model/byte-interner.js';
import { hashShort, SHORT_KEY, viewOf } from '../model/byte-keys.js';
import type { FrameTable } from '../model/frames.js';
import { growInt32 } from '../model/growable.js';
import { type Profile, SAMPLES, type ValueType } from '../model/profile.js';
import type { StackTrie } from '../model/trie.js';
import type { Detection, ProfileFormat, WriteOptions } from './types.js';

export async function parseFolded(source: Source): Promise<Profile> {
  const b = new ProfileBuilder([SAMPLES], 'folded');
  const stacks = new FoldedTrieBuilder(b.profile, 0);
  // Most stacks take more than 30 bytes a new node.
  if (source.sizeHint) stacks.trie.reserve(Math.min(Math.ceil(source.sizeHint / 32), 1 << 26));
  const lines = new FoldedCursor(source);
  const { line } = lines;
  do {
    while (lines.next()) stacks.add(lines.buf, line.start, line.stackEnd, 0, line.count);
  } while (await lines.fill());
  b.profile.sampleCount = lines.valid;
  const warning = lines.warning();
  if (warning) b.warn(warning);
  return b.finish();
}

/**
 * Reads folded sources into one profile whose trie has a value column per
 * source (source i's counts in `columns[i]`), walking them in step: the
 * lowest stack of all the sources' current lines comes next, so sorted files
 * (stackcollapse's order) make one sorted sequence, whose new nodes are
 * appended without hashing. Unsorted ones give the same trie, more slowly.
 */
export async function parseFoldedColumns(
  sources: readonly Source[],
  valueTypes: ValueType[],
  columns: readonly number[],
): Promise<{ profile: Profile; warnings: string[] }> {
  const b = new ProfileBuilder(valueTypes, 'folded');
  const stacks = new FoldedTrieBuilder(b.profile, 0);
  const size = sources.reduce((n, s) => n + (s.sizeHint ?? 0), 0);
  if (size > 0) stacks.trie.reserve(Math.min(Math.ceil(size / 32), 1 << 26));
  const cursors = sources.map((s) => new FoldedCursor(s));
  for (;;) {
    let low = -1;
    for (let i = 0; i < cursors.length; i++) {
      const c = cursors[i] as FoldedCursor;
      if (!(c.ready() || (await c.more()))) continue;
      const l = cursors[low] as FoldedCursor | undefined;
      if (!l || c.buf.compare(l.buf, l.line.start, l.line.stackEnd, c.line.start, c.line.stackEnd) < 0) low = i;
    }
    if (low < 0) break;
    const { buf, line } = cursors[low] as FoldedCursor;
    stacks.add(buf, line.start, line.stackEnd, columns[low] as number, line.count);
    (cursors[low] as FoldedCursor).taken();
  }
  b.profile.sampleCount = cursors.reduce((n, c) => n + c.valid, 0);
  const warnings = cursors.map((c) => c.warning()).filter((w): w is string => w !== undefined);
  return { profile: b.finish(), warnings };
}

/**
 * The frames of folded stacks given one after another. Sorted folded files
 * repeat long prefixes: the frames of the common prefix with the previous
 * stack are kept after a byte compare (four bytes at a time), and only the
 * rest are interned, each name's end found and the name hashed four bytes at
 * a time.
 */
export class FoldedFrames {
  /** Frames of the current stack, root first: frame ids, their interner keys, and where each ends (from the stack's start). */
  frames = new Int32Array(256);
  keys = new Int32Array(256);
  ends = new Int32Array(256);
  depth = 0;
  /** How many of the current stack's first frames are the previous stack's. */
  kept = 0;
  readonly names: ByteFrameInterner;
  private prev = Buffer.alloc(4096);
  private prevView = viewOf(this.prev);
  private prevLen = 0;
  // Views of the last two buffers given (two sources read in step alternate).
  private views: { buf: Buffer; dv: DataView }[] = [];

  constructor(frames: FrameTable) {
    this.names = new ByteFrameInterner(frames);
  }

  /** Takes the stack buf[start, end) apart. */
  next(buf: Buffer, start: number, end: number): void {
    const len = end - start;
    const dv = this.view(buf);
    const prev = this.prev;
    const prevView = this.prevView;
    let same = 0;
    const max = Math.min(len, this.prevLen);
    // Four bytes at a time, then one.
    while (same + 4 <= max && dv.getUint32(start + same, true) === prevView.getUint32(same, true)) same += 4;
    while (same < max && buf[start + same] === prev[same]) same++;
    // Frames of the previous stack that end inside the common part (at a ';' or the end of both) are the same frames.
    let depth = 0;
    const prevDepth = this.depth;
    let ends = this.ends;
    while (depth < prevDepth) {
      const e = ends[depth] as number;
      if (e > same || (e === same && e !== len && buf[start + e] !== 59)) break;
      depth++;
    }
    this.kept = depth;
    const names = this.names;
    let from = depth === 0 ? start : start + (ends[depth - 1] as number) + 1;
    while (from <= end) {
      // The name's end: its ';', four bytes at a time (a word holds a ';' when word ^ ";;;;" has a zero byte).
      let i = from;
      while (i + 4 <= end) {
        const x = dv.getUint32(i, true) ^ 0x3b3b3b3b;
        if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
        i += 4;
      }
      while (i < end && buf[i] !== 59 /* ; */) i++;
      if (depth === ends.length) {
        ends = this.ends = growInt32(ends, depth + 1);
        this.frames = growInt32(this.frames, depth + 1);
        this.keys = growInt32(this.keys, depth + 1);
      }
      const hash = i - from <= SHORT_KEY ? hashShort(buf, dv, from, i) : undefined;
      this.frames[depth] = names.intern(buf, from, i, hash, dv);
      this.keys[depth] = names.lastKey;
      ends[depth++] = i - start;
      from = i + 1;
    }
    this.depth = depth;
    if (len > prev.length) {
      this.prev = Buffer.alloc(Math.max(len, prev.length * 2));
      this.prevView = viewOf(this.prev);
    }
    buf.copy(this.prev, 0, start, end);
    this.prevLen = len;
  }

  private view(buf: Buffer): DataView {
    const v = this.views;
    if (v[0]?.buf === buf) return v[0].dv;
    if (v[1]?.buf === buf) return v[1].dv;
    v.unshift({ buf, dv: viewOf(buf) });
    v.length = Math.min(v.length, 2);
    return (v[0] as { dv: DataView }).dv;
  }
}

/**
 * Folded stacks into a profile's trie. The trie is built without hashing
 * while the stacks come sorted: path[d] is the node of the current stack's
 * first d frames, highest[d] the name key of path[d]'s highest child (-1: it
 * has none, -2: not known). In sorted stacks a node's children come in
 * ascending order of "name;", so a name above the highest is a new child,
 * appended. A name below it (a leaf "f" seen before "f1;...": sorted, yet
 * "f;..." comes after) is looked for in the node's child list; when that
 * happens too often (the stacks are not sorted), the trie's hash takes over.
 */
class FoldedTrieBuilder {
  readonly trie: StackTrie;
  private readonly stacks: FoldedFrames;
  private path = new Int32Array(257);
  private highest = new Int32Array(257).fill(-1);
  private sorted = true;
  private looked = 0;
  private added = 0;

  constructor(profile: Profile, trieIndex: number) {
    this.trie = profile.trieFor(trieIndex);
    this.stacks = new FoldedFrames(profile.frames);
  }

  /** Adds `count` to the stack buf[start, end) in value column `column`. */
  add(buf: Buffer, start: number, end: number, column: number, count: number): void {
    const s = this.stacks;
    s.next(buf, start, end);
    const { depth, frames, keys, ends } = s;
    const names = s.names;
    const trie = this.trie;
    if (depth >= this.path.length) {
      this.path = growInt32(this.path, depth + 1);
      this.highest = growInt32(this.highest, depth + 1);
    }
    const { path, highest } = this;
    // Different bytes that decode to one name (invalid UTF-8) share a frame: their keys do not order it.
    if (names.aliased) this.sorted = false;
    for (let d = s.kept; d < depth; d++) {
      const frame = frames[d] as number;
      const parent = path[d] as number;
      let node = -1;
      if (this.sorted) {
        const top = highest[d] as number;
        const from = start + (d === 0 ? 0 : (ends[d - 1] as number) + 1);
        if (top === -1 || (top >= 0 && names.compare(top, buf, from, start + (ends[d] as number), 59) < 0)) {
          highest[d] = keys[d] as number;
        } else {
          node = trie.findListed(parent, frame);
          if (++this.looked > (this.added >> 4) + 1024) this.sorted = false;
        }
        if (node < 0) node = trie.appendChild(parent, frame);
      } else {
        node = trie.child(parent, frame);
      }
      // A new node has no children; of one found again, the highest is not known: its children are looked through.
      highest[d + 1] = node === trie.size - 1 ? -1 : -2;
      path[d + 1] = node;
    }
    trie.addSelf(path[depth] as number, column, count);
    this.added++;
  }
}

/**
 * The valid lines of a folded source, pulled one at a time (for readers that
 * walk several sources in step); blank lines are skipped, invalid ones counted.
 */
export class FoldedCursor {
  readonly line = new FoldedLine();
  valid = 0;
  invalid = 0;
  /** The number of the first invalid line (0: none). */
  firstInvalid = 0;
  private has = false;
  private done = false;
  private readonly lines: LineCursor;

  constructor(private readonly source: Source) {
    this.lines = new LineCursor(source);
  }

  /** The buffer holding the current line (line.start, line.stackEnd), valid until taken(). */
  get buf(): Buffer {
    return this.lines.buf;
  }

  /**
   * Moves to the next valid line among the bytes read so far; false when they
   * run out: then `await fill()` reads on (false at the end of the source).
   */
  next(): boolean {
    const lines = this.lines;
    const line = this.line;
    while (lines.next()) {
      if (line.parse(lines.buf, lines.start, lines.end)) {
        this.valid++;
        this.has = true;
        return true;
      }
      if (!line.blank && this.invalid++ === 0) this.firstInvalid = lines.lineNo;
    }
    this.has = false;
    return false;
  }

  fill(): Promise<boolean> {
    return this.lines.fill();
  }

  /**
   * Whether there is a current line among the bytes read so far (taken()
   * moves past it); when there is not, `await more()` reads on and says
   * whether there is one at all. Most lines thus cost no promise.
   */
  ready(): boolean {
    if (this.has) return true;
    return !this.done && this.next();
  }

  async more(): Promise<boolean> {
    while (!this.has && !this.done) if (!this.next() && !(await this.lines.fill())) this.done = true;
    return this.has;
  }

  taken(): void {
    this.has = false;
  }

  /** The lines read so far (valid or not): the number of the current line. */
  get lineNo(): number {
    return this.lines.lineNo;
  }

  /** Stops before the end (the file is closed). */
  close(): Promise<void> {
    this.done = true;
    return this.lines.close();
  }

  /** The warning for the invalid lines read (undefined when none); throws when no line was valid. */
  warning(): string | undefined {
    return invalidLines(this.source.name, this.valid, this.invalid, this.firstInvalid);
  }
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
class FoldedLine {
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
