// A lean reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/):
// varints, length-delimited fields and skipping, over one Buffer, without
// building message objects. Every read is bounded by the end of the enclosing
// message, so a truncated or corrupt input fails with a WireError instead of
// reading past it.

export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

/** Malformed wire data; the pprof reader adds which message it was in. */
export class WireError extends Error {}

export class WireReader {
  pos = 0;

  /** Replaced when the input moves to a larger buffer. */
  constructor(public buf: Buffer) {}

  /** A varint as a number: int64 values are signed, uint64 values above 2^53 lose precision. */
  varint(limit: number): number {
    const buf = this.buf;
    const p = this.pos;
    // Fast path: up to 4 bytes (values below 2^28) with room to read them.
    if (p + 4 <= limit) {
      let b = buf[p] as number;
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
      let v = b & 0x7f;
      b = buf[p + 1] as number;
      v |= (b & 0x7f) << 7;
      if (b < 0x80) {
        this.pos = p + 2;
        return v;
      }
      b = buf[p + 2] as number;
      v |= (b & 0x7f) << 14;
      if (b < 0x80) {
        this.pos = p + 3;
        return v;
      }
      b = buf[p + 3] as number;
      v |= (b & 0x7f) << 21;
      if (b < 0x80) {
        this.pos = p + 4;
        return v;
      }
    }
    this.varint64(limit);
    const hi = this.hi;
    const lo = this.lo;
    if (hi & 0x80000000) return -((~hi >>> 0) * 4294967296 + (~lo >>> 0) + 1);
    return hi * 4294967296 + lo;
  }

  /** Low and high 32 bits of the last varint64() (unsigned). */
  lo = 0;
  hi = 0;

  /** Reads a varint of up to 10 bytes into lo/hi. */
  varint64(limit: number): void {
    const buf = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (p >= limit) throw new WireError('truncated varint');
      if (i === 10) throw new WireError('varint longer than 10 bytes');
      const b = buf[p++] as number;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi = bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) break;
    }
    this.pos = p;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** Reads a length prefix and returns where that field ends, checked against `limit`. */
  lengthEnd(limit: number): number {
    const len = this.varint(limit);
    const end = this.pos + len;
    if (len < 0 || end > limit) throw new WireError(`field of ${len} bytes runs past the end of its message`);
    return end;
  }

  /** Skips the value of a field of wire type `wt`. */
  skip(wt: number, limit: number): void {
    if (wt === VARINT) this.varint(limit);
    else if (wt === LEN) this.pos = this.lengthEnd(limit);
    else if (wt === I64 || wt === I32) {
      const end = this.pos + (wt === I64 ? 8 : 4);
      if (end > limit) throw new WireError('truncated fixed-size field');
      this.pos = end;
    } else throw new WireError(`invalid wire type ${wt}`);
  }

  /**
   * Calls `each` for every value of a repeated integer field, whether packed
   * (wire type 2) or not (one value per occurrence).
   */
  repeated(wt: number, limit: number, each: (v: number) => void): void {
    if (wt === VARINT) {
      each(this.varint(limit));
      return;
    }
    if (wt !== LEN) throw new WireError(`invalid wire type ${wt} for a repeated integer`);
    const end = this.lengthEnd(limit);
    while (this.pos < end) each(this.varint(end));
  }
}

/** A 64-bit unsigned value given as two 32-bit halves, in hex (addresses may exceed 2^53). */
export function hex64(lo: number, hi: number): string {
  if (hi === 0) return lo.toString(16);
  return hi.toString(16) + lo.toString(16).padStart(8, '0');
}
