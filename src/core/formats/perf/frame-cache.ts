import { ByteKeyTable } from '../../model/byte-keys.js';
import { growInt32 } from '../../model/growable.js';

/**
 * What byte strings of perf script stand for: their frames, leaf first. Keys
 * are stack lines, or the whole stack block of a sample (every frame line up
 * to the blank line), so that a stack seen before costs one lookup.
 */
export class FrameCache {
  readonly keys: ByteKeyTable;
  private start = new Int32Array(1024);
  /** Number of frames; -1 for a line that is not a stack line. */
  private count = new Int32Array(1024);
  private pool = new Int32Array(4096);
  private used = 0;

  /** `bytes`: room for the keys (see ByteKeyTable). */
  constructor(bytes?: number) {
    this.keys = new ByteKeyTable(bytes);
  }

  get size(): number {
    return this.keys.size;
  }

  /** Bytes held by the keys. */
  get bytes(): number {
    return this.keys.bytes;
  }

  find(buf: Buffer, start: number, end: number): number {
    return this.keys.find(buf, start, end);
  }

  /** After a failed `find` of the same key: remembers frames[from, from + n) (n = -1: no frames, a bad line). */
  add(buf: Buffer, start: number, end: number, frames: ArrayLike<number>, from: number, n: number): number {
    const k = this.keys.add(buf, start, end);
    if (k >= this.start.length) {
      this.start = growInt32(this.start, k + 1);
      this.count = growInt32(this.count, k + 1);
    }
    this.start[k] = this.used;
    this.count[k] = n;
    if (n > 0) {
      if (this.used + n > this.pool.length) this.pool = growInt32(this.pool, this.used + n);
      const pool = this.pool;
      let u = this.used;
      for (let i = from, e = from + n; i < e; i++) pool[u++] = frames[i] as number;
      this.used = u;
    }
    return k;
  }

  /** The number of frames of key k (-1: not a stack line). */
  framesOf(k: number): number {
    return this.count[k] as number;
  }

  /** Copies the frames of key k to out[at...); returns where they end. */
  copyFrames(k: number, out: Int32Array, at: number): number {
    const pool = this.pool;
    let d = at;
    for (let i = this.start[k] as number, e = i + (this.count[k] as number); i < e; i++) out[d++] = pool[i] as number;
    return d;
  }

  clear(): void {
    this.keys.clear();
    this.used = 0;
  }
}

/** Stack blocks: their frames, their number of lines, and the trie leaf the last sample of each went to. */
export class BlockCache {
  readonly frames: FrameCache;
  lines = new Int32Array(1024);
  /** Stack line key (in the line cache) -> the last block that started with that line, a guess to check. */
  private byFirstLine = new Int32Array(1024).fill(-1);
  /** The target (trie) and root frame of the last sample with this block, and its leaf node there. */
  memoTarget = new Int32Array(1024);
  memoRoot = new Int32Array(1024);
  memoNode = new Int32Array(1024);

  /** Holds up to `limit` bytes of blocks. */
  constructor(readonly limit: number) {
    this.frames = new FrameCache(limit);
  }

  /** After a failed `frames.find` of the block: remembers it, with frames[0, n) and its number of lines. */
  add(buf: Buffer, start: number, end: number, frames: Int32Array, n: number, lines: number): number {
    // Starting afresh bounds memory on inputs with endless distinct stacks.
    if (this.frames.bytes + end - start > this.limit) this.frames.clear();
    const k = this.frames.add(buf, start, end, frames, 0, n);
    if (k >= this.lines.length) {
      this.lines = growInt32(this.lines, k + 1);
      this.memoTarget = growInt32(this.memoTarget, k + 1);
      this.memoRoot = growInt32(this.memoRoot, k + 1);
      this.memoNode = growInt32(this.memoNode, k + 1);
    }
    this.lines[k] = lines;
    this.memoTarget[k] = -1;
    return k;
  }

  /** The block last seen after stack line `line`, or -1: possibly another block now (check its bytes). */
  guess(line: number): number {
    return line < this.byFirstLine.length ? (this.byFirstLine[line] as number) : -1;
  }

  setGuess(line: number, block: number): void {
    if (line >= this.byFirstLine.length) {
      const old = this.byFirstLine.length;
      this.byFirstLine = growInt32(this.byFirstLine, line + 1);
      this.byFirstLine.fill(-1, old);
    }
    this.byFirstLine[line] = block;
  }
}
