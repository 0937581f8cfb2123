// difffolded.pl's output ("stack base new" per stack of either side, inferno's
// semantics: whole counts, -n scaling the base to the new total), written as
// chunks of bytes for output of any size: from the two sides merged in one
// trie, or, for two folded files whose stacks are sorted, from the files
// themselves merged line by line.
import { isUtf8 } from 'node:buffer';
import { PyroError } from '../errors.js';
import { FoldedCursor } from '../formats/folded.js';
import { detectFormat } from '../formats/index.js';
import { openSource } from '../io/source.js';
import { growInt32 } from '../model/growable.js';
import { nameRanks, sortedChildLists, walkTrie } from '../model/walk.js';
import type { Diff } from './diff.js';

export interface FoldedDiffOptions {
  /** Scale the base's counts to the new side's total (difffolded.pl -n). */
  normalize?: boolean;
}

/** Collects "stack base new" lines into chunks of bytes. */
export class FoldedDiffWriter {
  readonly chunks: Buffer[] = [];
  private out = Buffer.allocUnsafe(1 << 20);
  private at = 0;
  private readonly scale: boolean;

  /** `total1`, `total2`: the sums of the whole base and new counts (for --normalize). */
  constructor(
    normalize: boolean | undefined,
    private readonly total1: number,
    private readonly total2: number,
  ) {
    this.scale = Boolean(normalize) && total1 !== total2 && total1 > 0;
  }

  /** One line: the stack's bytes stack[start, end), and its whole counts. */
  line(stack: Buffer, start: number, end: number, base: number, next: number): void {
    // As difffolded.pl: int(count * total2 / total1), in that order.
    const counts = ` ${this.scale ? Math.trunc((base * this.total2) / this.total1) : base} ${next}\n`;
    const len = end - start;
    if (this.at + len + counts.length > this.out.length) {
      this.chunks.push(this.out.subarray(0, this.at));
      this.out = Buffer.allocUnsafe(Math.max(1 << 20, len + counts.length));
      this.at = 0;
    }
    stack.copy(this.out, this.at, start, end);
    this.at += len;
    this.at += this.out.write(counts, this.at, 'latin1');
  }

  /** The chunks filled so far, handed over (for output written as it is made). */
  take(): Buffer[] {
    return this.chunks.splice(0);
  }

  finish(): Buffer[] {
    if (this.at > 0) this.chunks.push(this.out.subarray(0, this.at));
    this.at = 0;
    return this.chunks;
  }
}

/**
 * difffolded's output from the diff's merged trie: depth first, siblings by
 * name (combineSides() numbers frames in name order, and its one-walk merge
 * lists children by frame).
 */
export function foldedDiffChunks(d: Diff, o: FoldedDiffOptions = {}): Buffer[] {
  const p = d.profile;
  const trie = p.trie();
  const { frame, self } = trie;
  let total1 = 0;
  let total2 = 0;
  for (let n = 1; n < trie.size; n++) {
    total1 += Math.trunc(self[n * 2] as number);
    total2 += Math.trunc(self[n * 2 + 1] as number);
  }
  const writer = new FoldedDiffWriter(o.normalize, total1, total2);
  const names = Array.from({ length: p.frames.size }, (_, f) => Buffer.from(p.frames.nameOf(f)));
  let path = Buffer.allocUnsafe(4096);
  let ends = new Int32Array(256);
  let depth = 0;
  walkTrie(
    trie,
    (node) => {
      const name = names[frame[node] as number] as Buffer;
      const from = depth === 0 ? 0 : (ends[depth - 1] as number) + 1;
      if (from + name.length + 1 > path.length) {
        const wider = Buffer.allocUnsafe(Math.max(path.length * 2, from + name.length + 1));
        path.copy(wider, 0, 0, from);
        path = wider;
      }
      if (depth === ends.length) ends = growInt32(ends, depth + 1);
      if (depth > 0) path[from - 1] = 59; // ;
      // Names are short: a loop beats set()'s call.
      for (let i = 0; i < name.length; i++) path[from + i] = name[i] as number;
      const end = from + name.length;
      ends[depth++] = end;
      const b = Math.trunc(self[node * 2] as number);
      const n = Math.trunc(self[node * 2 + 1] as number);
      if (b !== 0 || n !== 0) writer.line(path, 0, end, b, n);
    },
    () => {
      depth--;
    },
    trie.listsChildrenByFrame ? trie : sortedChildLists(trie, nameRanks(p.frames)),
  );
  return writer.finish();
}

/**
 * difffolded's output straight from two folded files whose stacks come sorted
 * (as stackcollapse and `pyro convert --to folded` write them), without a
 * trie, in the files' order: a first pass checks that each file is sorted and
 * sums it (for `normalize`), a second merges the two line by line and hands
 * the output to `write` as it is made. Undefined, with nothing written, when
 * an input is not folded stacks, not sorted, or not UTF-8: read the profiles instead.
 * Returns the readers' warnings (invalid lines skipped).
 */
export async function foldedDiffOfSortedFiles(
  basePath: string,
  newPath: string,
  o: FoldedDiffOptions & { inputFormat?: string },
  write: (chunk: Buffer) => Promise<void> | void,
): Promise<string[] | undefined> {
  const base = await scanSorted(basePath, o.inputFormat);
  if (!base) return undefined;
  const next = await scanSorted(newPath, o.inputFormat);
  if (!next) return undefined;
  const writer = new FoldedDiffWriter(o.normalize, base.total, next.total);
  const sides = [new FoldedCursor(await openSource(basePath)), new FoldedCursor(await openSource(newPath))] as const;
  const [a, b] = sides;
  // The stack being summed (equal lines of either side come together), and its two sums.
  let pending = Buffer.allocUnsafe(4096);
  let pendingLen = -1;
  const sums = [0, 0];
  const flush = () => {
    const sb = Math.trunc(sums[0] as number);
    const sn = Math.trunc(sums[1] as number);
    if (pendingLen >= 0 && (sb !== 0 || sn !== 0)) writer.line(pending, 0, pendingLen, sb, sn);
  };
  for (;;) {
    const hasA = a.ready() || (await a.more());
    const hasB = b.ready() || (await b.more());
    if (!hasA && !hasB) break;
    // The lower of the two heads (the base's first when equal).
    const side =
      !hasA || (hasB && b.buf.compare(a.buf, a.line.start, a.line.stackEnd, b.line.start, b.line.stackEnd) < 0) ? 1 : 0;
    const s = sides[side];
    const { start, stackEnd, count } = s.line;
    const c = pendingLen < 0 ? 1 : s.buf.compare(pending, 0, pendingLen, start, stackEnd);
    if (c < 0)
      throw new PyroError(`${[basePath, newPath][side]}: changed while being read (its stacks are no longer sorted)`);
    if (c > 0) {
      flush();
      if (stackEnd - start > pending.length)
        pending = Buffer.allocUnsafe(Math.max(stackEnd - start, pending.length * 2));
      s.buf.copy(pending, 0, start, stackEnd);
      pendingLen = stackEnd - start;
      sums[0] = 0;
      sums[1] = 0;
    }
    sums[side] = (sums[side] as number) + count;
    s.taken();
    // Most lines fill no chunk: only a full one is handed over.
    if (writer.chunks.length > 0) for (const chunk of writer.take()) await write(chunk);
  }
  flush();
  for (const chunk of writer.finish()) await write(chunk);
  return [base.warning, next.warning].filter((w): w is string => w !== undefined);
}

/**
 * A folded file's total of whole counts per distinct stack, when its stacks
 * are sorted (byte order; equal ones adjacent); undefined when it is not a
 * folded file or not sorted.
 */
async function scanSorted(
  path: string,
  inputFormat: string | undefined,
): Promise<{ total: number; warning: string | undefined } | undefined> {
  const source = await openSource(path);
  const lines = new FoldedCursor(source);
  if ((inputFormat ?? detectFormat(source).id) !== 'folded') {
    await lines.close();
    return undefined;
  }
  const { line } = lines;
  let prev = Buffer.allocUnsafe(4096);
  let prevLen = -1;
  let sum = 0;
  let total = 0;
  do {
    while (lines.next()) {
      const { buf } = lines;
      const { start, stackEnd } = line;
      const c = prevLen < 0 ? 1 : buf.compare(prev, 0, prevLen, start, stackEnd);
      // Names that are not UTF-8 are decoded (to U+FFFD) when read into profiles: that path prints them alike.
      if (c < 0 || (c > 0 && !isUtf8(buf.subarray(start, stackEnd)))) {
        await lines.close();
        return undefined;
      }
      if (c > 0) {
        total += Math.trunc(sum);
        sum = 0;
        if (stackEnd - start > prev.length) prev = Buffer.allocUnsafe(Math.max(stackEnd - start, prev.length * 2));
        buf.copy(prev, 0, start, stackEnd);
        prevLen = stackEnd - start;
      }
      sum += line.count;
    }
  } while (await lines.fill());
  total += Math.trunc(sum);
  return { total, warning: lines.warning() };
}
