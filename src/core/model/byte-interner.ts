import { ByteKeyTable } from './byte-keys.js';
import type { FrameTable } from './frames.js';
import { growInt32 } from './growable.js';

/**
 * Frame ids for names given as bytes, without making a string each time:
 * a name seen before is found by its bytes; only a name seen for the first
 * time is decoded (UTF-8) and interned.
 */
export class ByteFrameInterner {
  private readonly keys = new ByteKeyTable();
  private frameOf = new Int32Array(1024);

  constructor(private readonly frames: FrameTable) {}

  /** The key number of the name last interned (for compare()). */
  lastKey = -1;
  /** Whether two different byte strings have been given one frame (their keys do not order the frames). */
  aliased = false;

  /** The frame of the name buf[start, end); `hash` and `view` as ByteKeyTable.find() takes them. */
  intern(buf: Buffer, start: number, end: number, hash?: number, view?: DataView): number {
    const k = this.keys.find(buf, start, end, hash, view);
    if (k >= 0) {
      this.lastKey = k;
      return this.frameOf[k] as number;
    }
    const added = this.keys.add(buf, start, end);
    this.lastKey = added;
    if (added >= this.frameOf.length) this.frameOf = growInt32(this.frameOf, added + 1);
    const known = this.frames.size;
    const frame = this.frames.internName(buf.toString('utf8', start, end));
    // Different bytes, one name (invalid UTF-8 decodes to U+FFFD).
    if (frame < known) this.aliased = true;
    this.frameOf[added] = frame;
    return frame;
  }

  /** Compares the name with key `key` with buf[start, end), both followed by `sep` (negative: the key sorts first). */
  compare(key: number, buf: Buffer, start: number, end: number, sep: number): number {
    return this.keys.compareKey(key, buf, start, end, sep);
  }
}
