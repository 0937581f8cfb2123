import { InputError } from '../errors.js';
import type { Source } from './source.js';

/** Longer lines are bad input (no profile format needs them), not a reason to run out of memory. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * What `forEachLine` calls per line. It may return the offset in `buf` of the
 * start of a later line to resume there: readers that take several lines at
 * once (perf script's repeated stacks) skip them, and count them themselves.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: most callbacks return nothing.
export type LineCallback = (buf: Buffer, start: number, end: number, lineNo: number) => number | void;

/**
 * Calls `onLine(buf, start, end, lineNo)` for each line of the source, without
 * the line break (LF or CRLF). `buf` is only valid during the call: decode the
 * bytes you keep. Streams: memory does not grow with the input. Returns the
 * number of lines handed over.
 */
export async function forEachLine(source: Source, onLine: LineCallback): Promise<number> {
  let carry: Buffer | undefined;
  let lineNo = 0;
  // The offset to go on from after the line ending at `nl`.
  const emit = (buf: Buffer, start: number, nl: number): number => {
    lineNo++;
    const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
    const next = onLine(buf, start, end, lineNo);
    return typeof next === 'number' ? next : nl + 1;
  };
  // Lines are handed over during the loop and the carry is copied: chunks may be transient.
  for await (const chunk of source.chunks({ transient: true })) {
    let pos = 0;
    let buf = chunk;
    if (carry) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        if (carry.length > MAX_LINE_BYTES) tooLong(source, lineNo + 1);
        continue;
      }
      buf = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
      carry = undefined;
      if (buf.length - 1 > MAX_LINE_BYTES) tooLong(source, lineNo + 1);
      // The joined buffer ends where the chunk's first line does.
      pos = emit(buf, 0, buf.length - 1) - buf.length + nl + 1;
      buf = chunk;
    }
    for (;;) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break;
      if (nl - pos > MAX_LINE_BYTES) tooLong(source, lineNo + 1);
      pos = emit(buf, pos, nl);
    }
    if (pos < buf.length) {
      carry = Buffer.from(buf.subarray(pos));
      if (carry.length > MAX_LINE_BYTES) tooLong(source, lineNo + 1);
    }
  }
  if (carry && carry.length > 0) emit(carry, 0, carry.length);
  return lineNo;
}

function tooLong(source: Source, lineNo: number): never {
  throw new InputError(
    source.name,
    `longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB; is this a profile in a format pyro reads?`,
    lineNo,
  );
}
