// difffolded.pl's output ("stack base new" per stack of either side, inferno's
// semantics: whole counts, -n scaling the base to the new total), from the two
// sides merged in one trie, written as chunks of bytes for output of any size.
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

  /** One line: the stack's bytes stack[0, end), and its whole counts. */
  line(stack: Uint8Array, end: number, base: number, next: number): void {
    // As difffolded.pl: int(count * total2 / total1), in that order.
    const counts = ` ${this.scale ? Math.trunc((base * this.total2) / this.total1) : base} ${next}\n`;
    if (this.at + end + counts.length > this.out.length) {
      this.chunks.push(this.out.subarray(0, this.at));
      this.out = Buffer.allocUnsafe(Math.max(1 << 20, end + counts.length));
      this.at = 0;
    }
    this.out.set(end === stack.length ? stack : stack.subarray(0, end), this.at);
    this.at += end;
    this.at += this.out.write(counts, this.at, 'latin1');
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
      if (b !== 0 || n !== 0) writer.line(path, end, b, n);
    },
    () => {
      depth--;
    },
    trie.listsChildrenByFrame ? trie : sortedChildLists(trie, nameRanks(p.frames)),
  );
  return writer.finish();
}
