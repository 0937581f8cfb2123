// The primitives of JFR's binary encoding, over one Buffer: every integer
// (short, char, int, long, and the sizes and ids around them) is a
// variable-length integer of 7-bit groups, least significant first, of up to
// 9 bytes, the ninth holding 8 bits (so 64 bits in all); bytes and booleans
// are one raw byte; floats and doubles are big-endian IEEE 754. Strings start
// with an encoding byte (see STRING below).
//
// Every read is bounded by `end` (the end of the event or chunk being read),
// so a truncated or corrupt input fails with a JfrError naming the byte
// offset instead of reading past it.

/** Malformed JFR data at a byte offset (relative to the buffer; the reader adds the chunk's place in the input). */
export class JfrError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

/** The encodings a string may have (the byte before it). */
export const STRING = {
  null: 0,
  empty: 1,
  /** A long: the key of an entry of the java.lang.String constant pool. */
  constantPool: 2,
  /** A length, then that many bytes of UTF-8. */
  utf8: 3,
  /** A length, then that many UTF-16 code units, each a varint. */
  charArray: 4,
  /** A length, then that many Latin-1 bytes. */
  latin1: 5,
} as const;

/** A string given as a reference into the java.lang.String constant pool, resolved once the pools are read. */
export interface StringRef {
  ref: number;
}

const TWO_32 = 4294967296;

export class JfrInput {
  pos = 0;
  end: number;

  constructor(public buf: Buffer) {
    this.end = buf.length;
  }

  fail(message: string, at = this.pos): never {
    throw new JfrError(message, at);
  }

  /**
   * A varint as a number: a signed 64-bit value, exact up to 2^53 in
   * magnitude (ids, sizes, ticks and byte counts all are).
   */
  long(): number {
    const buf = this.buf;
    const p = this.pos;
    // Fast path: values below 2^28 (4 bytes), with room to read them.
    if (p + 4 <= this.end) {
      let b = buf[p] as number;
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
      let v = b & 0x7f;
      b = buf[p + 1] as number;
      if (b < 0x80) {
        this.pos = p + 2;
        return v | (b << 7);
      }
      v |= (b & 0x7f) << 7;
      b = buf[p + 2] as number;
      if (b < 0x80) {
        this.pos = p + 3;
        return v | (b << 14);
      }
      v |= (b & 0x7f) << 14;
      b = buf[p + 3] as number;
      if (b < 0x80) {
        this.pos = p + 4;
        return v | (b << 21);
      }
    }
    return this.longSlow();
  }

  /** Skips a varint. */
  skipLong(): void {
    const buf = this.buf;
    let p = this.pos;
    const last = Math.min(p + 9, this.end);
    while (p < last && (buf[p] as number) >= 0x80) p++;
    if (p === last) {
      // Nine bytes (the ninth is whole), or the end came first.
      if (last - this.pos < 9) this.fail('truncated integer');
      this.pos = last;
    } else this.pos = p + 1;
  }

  private longSlow(): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    // Five to seven bytes (up to 49 bits, exact in a double) by multiplication, when there is room.
    if (p + 7 <= end && (buf[p + 3] as number) >= 0x80) {
      let v =
        ((buf[p] as number) & 0x7f) |
        (((buf[p + 1] as number) & 0x7f) << 7) |
        (((buf[p + 2] as number) & 0x7f) << 14) |
        (((buf[p + 3] as number) & 0x7f) << 21);
      let b = buf[p + 4] as number;
      v += (b & 0x7f) * 0x10000000;
      if (b < 0x80) {
        this.pos = p + 5;
        return v;
      }
      b = buf[p + 5] as number;
      v += (b & 0x7f) * 0x800000000;
      if (b < 0x80) {
        this.pos = p + 6;
        return v;
      }
      b = buf[p + 6] as number;
      v += (b & 0x7f) * 0x40000000000;
      if (b < 0x80) {
        this.pos = p + 7;
        return v;
      }
    }
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (p >= end) this.fail('truncated integer', this.pos);
      const b = buf[p++] as number;
      if (i === 8) {
        // The ninth byte holds bits 56..63 whole.
        hi |= b << 24;
        break;
      }
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi = bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) break;
    }
    this.pos = p;
    if (hi & 0x80000000) return -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1);
    return (hi >>> 0) * TWO_32 + (lo >>> 0);
  }

  /** A varint that must be a count or size: a non-negative number no larger than `max`. */
  count(what: string, max: number): number {
    const at = this.pos;
    const n = this.long();
    if (n < 0 || n > max) this.fail(`${what} ${n} is out of range (at most ${max} here)`, at);
    return n;
  }

  byte(): number {
    if (this.pos >= this.end) this.fail('truncated byte');
    return this.buf[this.pos++] as number;
  }

  skip(n: number): void {
    if (this.pos + n > this.end) this.fail(`truncated: ${n} bytes expected, ${this.end - this.pos} left`);
    this.pos += n;
  }

  float(): number {
    this.skip(4);
    return this.buf.readFloatBE(this.pos - 4);
  }

  double(): number {
    this.skip(8);
    return this.buf.readDoubleBE(this.pos - 8);
  }

  /** A string in any of its encodings; a constant-pool reference comes back as a StringRef. */
  string(): string | StringRef | null {
    const at = this.pos;
    const enc = this.byte();
    switch (enc) {
      case STRING.null:
        return null;
      case STRING.empty:
        return '';
      case STRING.constantPool:
        return { ref: this.long() };
      case STRING.utf8:
      case STRING.latin1: {
        const n = this.count('string length', this.end - this.pos);
        this.pos += n;
        return this.buf.toString(enc === STRING.utf8 ? 'utf8' : 'latin1', this.pos - n, this.pos);
      }
      case STRING.charArray: {
        const n = this.count('string length', this.end - this.pos);
        let s = '';
        for (let i = 0; i < n; i++) s += String.fromCharCode(this.long() & 0xffff);
        return s;
      }
      default:
        return this.fail(`unknown string encoding ${enc}`, at);
    }
  }

  skipString(): void {
    const at = this.pos;
    const enc = this.byte();
    if (enc === STRING.null || enc === STRING.empty) return;
    if (enc === STRING.constantPool) this.long();
    else if (enc === STRING.utf8 || enc === STRING.latin1) {
      const n = this.count('string length', this.end - this.pos);
      this.pos += n;
    } else if (enc === STRING.charArray) {
      const n = this.count('string length', this.end - this.pos);
      for (let i = 0; i < n; i++) this.long();
    } else this.fail(`unknown string encoding ${enc}`, at);
  }
}

/** A string read by JfrInput.string(), its constant-pool reference resolved (null when it has none). */
export function resolveString(
  s: string | StringRef | null | undefined,
  pool: ReadonlyMap<number, string | StringRef | null>,
): string | null {
  if (s === null || s === undefined) return null;
  if (typeof s === 'string') return s;
  const v = pool.get(s.ref);
  // A pooled string is never itself a reference (a loop of them would never end).
  return typeof v === 'string' ? v : null;
}
