import { growInt32 } from '../../model/growable.js';

/**
 * A hash set of byte strings, numbering each distinct key (0, 1, 2...) so that
 * callers keep per-key data in parallel arrays. Lookups allocate nothing: the
 * key is hashed and compared where it lies in the caller's buffer. Long keys
 * are hashed on their first 24 and last 8 bytes only (the full bytes are still
 * compared), which keeps lookups cheap for long stack lines.
 */
export class ByteKeyTable {
  private arena = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private offset = new Int32Array(1024);
  private length = new Int32Array(1024);
  private count = 0;
  private table = new Int32Array(2048);
  private mask = 2047;
  /** Where the last failed `find` stopped, for `add`. */
  private freeSlot = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes held by the keys (to bound the memory of caches). */
  get bytes(): number {
    return this.used;
  }

  /** The number of the key buf[start, end), or -1 (then `add` the same key). */
  find(buf: Buffer, start: number, end: number): number {
    const len = end - start;
    const { table, mask, arena, offset, length } = this;
    let i = hashBytes(buf, start, end) & mask;
    for (;;) {
      const e = (table[i] as number) - 1;
      if (e < 0) break;
      if (length[e] === len) {
        const o = (offset[e] as number) - start;
        let k = start;
        while (k < end && arena[o + k] === buf[k]) k++;
        if (k === end) return e;
      }
      i = (i + 1) & mask;
    }
    this.freeSlot = i;
    return -1;
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
    if (this.count * 2 > this.table.length) this.rehash();
    else this.table[this.freeSlot] = e + 1;
    return e;
  }

  clear(): void {
    this.used = 0;
    this.count = 0;
    this.table.fill(0);
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

function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193);
  if (end - start <= 32) {
    for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  } else {
    for (let i = start; i < start + 24; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    for (let i = end - 8; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  }
  return (h ^ (h >>> 15)) >>> 0;
}
