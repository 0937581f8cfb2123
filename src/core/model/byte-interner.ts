import type { FrameTable } from './frames.js';
import { growInt32 } from './growable.js';

/**
 * Frame ids for names given as bytes, without making a string each time:
 * a name's bytes are hashed and compared with the bytes seen before; only a
 * name seen for the first time is decoded (UTF-8) and interned.
 */
export class ByteFrameInterner {
  private arena = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private offset = new Int32Array(1024);
  private length = new Int32Array(1024);
  private frameOf = new Int32Array(1024);
  private count = 0;
  private table = new Int32Array(2048);
  private mask = 2047;

  constructor(private readonly frames: FrameTable) {}

  intern(buf: Buffer, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    const len = end - start;
    const { table, mask, arena } = this;
    let i = h & mask;
    for (;;) {
      const e = (table[i] as number) - 1;
      if (e < 0) break;
      if (this.length[e] === len) {
        const o = this.offset[e] as number;
        let same = true;
        for (let k = 0; k < len; k++) {
          if (arena[o + k] !== buf[start + k]) {
            same = false;
            break;
          }
        }
        if (same) return this.frameOf[e] as number;
      }
      i = (i + 1) & mask;
    }
    const frame = this.frames.internName(buf.toString('utf8', start, end));
    this.add(buf, start, end, frame, i);
    return frame;
  }

  private add(buf: Buffer, start: number, end: number, frame: number, slot: number): void {
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
      this.frameOf = growInt32(this.frameOf, e + 1);
    }
    this.offset[e] = this.used;
    this.length[e] = len;
    this.frameOf[e] = frame;
    this.used += len;
    if (this.count * 2 > this.table.length) this.rehash();
    else this.table[slot] = e + 1;
  }

  private rehash(): void {
    const size = this.table.length * 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    const { arena } = this;
    for (let e = 0; e < this.count; e++) {
      const o = this.offset[e] as number;
      const end = o + (this.length[e] as number);
      let h = 0x811c9dc5;
      for (let k = o; k < end; k++) h = Math.imul(h ^ (arena[k] as number), 0x01000193);
      let i = h & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = e + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}
