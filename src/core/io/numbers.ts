/**
 * Parses a non-negative decimal number from bytes [start, end): digits with an
 * optional fraction ("12", "0.5", "3."). Returns NaN for anything else.
 * Integers are parsed without making a string.
 */
export function parseDecimal(buf: Buffer, start: number, end: number): number {
  if (start >= end) return Number.NaN;
  let v = 0;
  let i = start;
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  if (i === end) return end - start > 15 ? Number(buf.toString('latin1', start, end)) : v;
  if (buf[i] !== 46 || i === start) return Number.NaN;
  for (let k = i + 1; k < end; k++) {
    const c = buf[k] as number;
    if (c < 48 || c > 57) return Number.NaN;
  }
  return Number(buf.toString('latin1', start, end));
}
