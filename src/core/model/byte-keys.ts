import { growInt32 } from './growable.js';

/**
 * A hash set of byte strings, numbering each distinct key (0, 1, 2...) so that
 * callers keep per-key data in parallel arrays. Lookups allocate nothing: the
 * key is hashed and compared where it lies in the caller's buffer. Long keys
 * (whole stacks of perf script) are hashed on their ends and bytes spread
 * over the middle only, and compared natively (memcmp), so that a lookup costs
 * little more for a long key than for a short one.
 */
export class ByteKeyTable {
  private arena: Buffer;
  private arenaView: DataView;
  private used = 0;
  private offset = new Int32Array(1024);
  private length = new Int32Array(1024);
  private count = 0;
  private table = new Int32Array(2048);
  private mask = 2047;
  /** Where the last failed `find` stopped, for `add`. */
  private freeSlot = 0;

  /**
   * `arenaBytes`: room for the keys' bytes before it grows. Memory not yet
   * written costs nothing, while growing copies and touches fresh memory
   * (page faults are dear), so a table with a byte limit starts at its limit.
   */
  constructor(arenaBytes = 1 << 16) {
    this.arena = Buffer.allocUnsafe(arenaBytes);
    this.arenaView = viewOf(this.arena);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the keys (to bound the memory of caches). */
  get bytes(): number {
    return this.used;
  }

  /**
   * The number of the key buf[start, end), or -1 (then `add` the same key).
   * `hash`: hashBytes() of the key, when the caller computed it on the way;
   * `view`: a DataView of buf's memory, when the caller has one (short keys
   * are then compared four bytes at a time).
   */
  find(buf: Buffer, start: number, end: number, hash = hashBytes(buf, start, end), view?: DataView): number {
    const len = end - start;
    const { table, mask, arena, offset, length } = this;
    let i = hash & mask;
    for (;;) {
      const e = (table[i] as number) - 1;
      if (e < 0) break;
      if (length[e] === len) {
        const o = offset[e] as number;
        if (len > NATIVE_COMPARE) {
          if (buf.compare(arena, o, o + len, start, end) === 0) return e;
        } else {
          const d = o - start;
          let k = start;
          if (view) {
            const av = this.arenaView;
            while (k + 4 <= end && av.getUint32(d + k, true) === view.getUint32(k, true)) k += 4;
          }
          while (k < end && arena[d + k] === buf[k]) k++;
          if (k === end) return e;
        }
      }
      i = (i + 1) & mask;
    }
    this.freeSlot = i;
    return -1;
  }

  /** Whether key e (any number: stale ones just do not match) is the bytes at buf[start, start + its length). */
  matches(e: number, buf: Buffer, start: number): boolean {
    if (e < 0 || e >= this.count) return false;
    const len = this.length[e] as number;
    const o = this.offset[e] as number;
    return start + len <= buf.length && buf.compare(this.arena, o, o + len, start, start + len) === 0;
  }

  /**
   * Compares key e with buf[start, end) as Buffer#compare would with `sep`
   * appended to both (negative: the key sorts first). Folded lines are sorted
   * with the ';' after each frame: "f;" and "f1;" sort as "f1;" < "f;".
   */
  compareKey(e: number, buf: Buffer, start: number, end: number, sep: number): number {
    const o = this.offset[e] as number;
    const len = this.length[e] as number;
    const m = Math.min(len, end - start);
    let c = 0;
    if (m > NATIVE_COMPARE) c = this.arena.compare(buf, start, start + m, o, o + m);
    else {
      const arena = this.arena;
      for (let i = 0; i < m; i++) {
        const x = arena[o + i] as number;
        const y = buf[start + i] as number;
        if (x !== y) return x < y ? -1 : 1;
      }
    }
    if (c !== 0 || len === end - start) return c;
    return len < end - start ? sep - (buf[start + m] as number) : (this.arena[o + m] as number) - sep;
  }

  /** The length in bytes of key e. */
  keyLength(e: number): number {
    return this.length[e] as number;
  }

  /** Adds the key of the last `find` that returned -1; returns its number. */
  add(buf: Buffer, start: number, end: number): number {
    const len = end - start;
    if (this.used + len > this.arena.length) {
      let n = this.arena.length * 2;
      while (n < this.used + len) n *= 2;
      const a = Buffer.allocUnsafe(n);
      this.arena.copy(a, 0, 0, this.used);
      this.arena = a;
      this.arenaView = viewOf(a);
    }
    buf.copy(this.arena, this.used, start, end);
    const e = this.count++;
    if (e >= this.offset.length) {
      this.offset = growInt32(this.offset, e + 1);
      this.length = growInt32(this.length, e + 1);
    }
    this.offset[e] = this.used;
    this.length[e] = len;
    this.used += len;
    if (this.count * 2 > this.table.length) {
      this.rehash();
    } else {
      let i = this.freeSlot;
      // Cleared since that find: the first free slot on the key's probe path is another.
      if (i < 0) for (i = hashBytes(buf, start, end) & this.mask; this.table[i] !== 0; ) i = (i + 1) & this.mask;
      this.table[i] = e + 1;
    }
    return e;
  }

  clear(): void {
    this.used = 0;
    this.count = 0;
    this.table.fill(0);
    this.freeSlot = -1;
  }

  private rehash(): void {
    const size = this.table.length * 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let e = 0; e < this.count; e++) {
      const o = this.offset[e] as number;
      let i = hashBytes(this.arena, o, o + (this.length[e] as number)) & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = e + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}

/** A DataView of a Buffer's memory, its offsets those of the Buffer. */
export function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.length);
}

/** Longer keys are compared by Buffer#compare: its call costs more than a short loop. */
const NATIVE_COMPARE = 64;

/** Keys up to this long are hashed on every byte (hashShort(), which a caller may call with a view it has). */
export const SHORT_KEY = 256;
const FNV_START = 0x811c9dc5;

function fnvStep(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x01000193);
}

/** A word's step: the multiply carries bits upwards only, so the high bits are folded back down. */
function wordStep(h: number, word: number): number {
  const x = Math.imul(h ^ word, 0x01000193);
  return x ^ (x >>> 15);
}

function finishHash(h: number, len: number): number {
  const x = Math.imul(h ^ len, 0x01000193);
  return (x ^ (x >>> 15)) >>> 0;
}

/**
 * hashBytes() of a key of up to SHORT_KEY bytes, four at a time through `dv`,
 * a DataView of `buf`'s memory (offsets as in `buf`).
 */
export function hashShort(buf: Buffer, dv: DataView, start: number, end: number): number {
  let h = FNV_START;
  let i = start;
  for (; i + 4 <= end; i += 4) h = wordStep(h, dv.getUint32(i, true));
  for (; i < end; i++) h = fnvStep(h, buf[i] as number);
  return finishHash(h, end - start);
}

export function hashBytes(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  let h = FNV_START;
  if (len <= SHORT_KEY) {
    // Lines that differ in one digit of an address or offset must not collide: every byte counts.
    let i = start;
    for (; i + 4 <= end; i += 4)
      h = wordStep(
        h,
        (buf[i] as number) |
          ((buf[i + 1] as number) << 8) |
          ((buf[i + 2] as number) << 16) |
          ((buf[i + 3] as number) << 24),
      );
    for (; i < end; i++) h = fnvStep(h, buf[i] as number);
  } else {
    // Stack blocks: the first 128 bytes (the leaf's lines), the last 64, 64 spread over the middle.
    for (let i = start; i < start + 128; i++) h = fnvStep(h, buf[i] as number);
    const step = (len - 192) / 65;
    for (let j = 1; j <= 64; j++) h = fnvStep(h, buf[start + 128 + ((j * step) | 0)] as number);
    for (let i = end - 64; i < end; i++) h = fnvStep(h, buf[i] as number);
  }
  return finishHash(h, len);
}
