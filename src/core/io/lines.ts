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
  const lines = new LineCursor(source);
  do {
    while (lines.next()) {
      const resume = onLine(lines.buf, lines.start, lines.end, lines.lineNo);
      if (typeof resume === 'number') lines.resumeAt(resume);
    }
  } while (await lines.fill());
  return lines.lineNo;
}

const EMPTY = Buffer.alloc(0);

/**
 * The lines of a source, pulled one at a time, for readers that walk two
 * sources side by side: next() moves to the next line among the bytes read so
 * far (buf[start, end), without the line break) and returns false when they
 * run out; `await fill()` then reads on, and returns false at the end of the
 * input. `buf` stays valid until the next fill(). Memory does not grow with the
 * input: chunks are read into the same memory, and only a line cut by a
 * chunk's end is copied.
 */
export class LineCursor {
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  lineNo = 0;
  private chunk: Buffer = EMPTY;
  private pos = 0;
  /** A line joined from the end of one chunk and the start of the next (with its LF, except at the end of input). */
  private joined: Buffer | undefined;
  private readonly chunks: AsyncIterator<Buffer>;
  private ended = false;

  constructor(private readonly source: Source) {
    this.chunks = source.chunks({ transient: true })[Symbol.asyncIterator]();
  }

  next(): boolean {
    const joined = this.joined;
    if (joined) {
      this.joined = undefined;
      this.hand(joined, 0, this.ended ? joined.length : joined.length - 1);
      return true;
    }
    const nl = this.chunk.indexOf(10, this.pos);
    if (nl < 0) return false;
    if (nl - this.pos > MAX_LINE_BYTES) tooLong(this.source, this.lineNo + 1);
    this.hand(this.chunk, this.pos, nl);
    this.pos = nl + 1;
    return true;
  }

  /** Goes on from `offset` in `buf`, the start of a later line (a reader that took several lines at once). */
  resumeAt(offset: number): void {
    // A joined line is alone in its buffer: the chunk goes on where it ended.
    if (this.buf === this.chunk) this.pos = offset;
  }

  async fill(): Promise<boolean> {
    if (this.ended) return false;
    // The chunk's unfinished last line, copied: the next chunk is read into the same memory.
    let carry = this.pos < this.chunk.length ? Buffer.from(this.chunk.subarray(this.pos)) : undefined;
    for (;;) {
      const r = await this.chunks.next();
      if (r.done) {
        if (carry && carry.length > MAX_LINE_BYTES) tooLong(this.source, this.lineNo + 1);
        this.ended = true;
        this.chunk = EMPTY;
        this.pos = 0;
        this.joined = carry;
        return carry !== undefined;
      }
      this.chunk = r.value;
      this.pos = 0;
      if (!carry) return true;
      const nl = this.chunk.indexOf(10);
      if (nl < 0) {
        carry = Buffer.concat([carry, this.chunk]);
        if (carry.length > MAX_LINE_BYTES) tooLong(this.source, this.lineNo + 1);
        continue;
      }
      this.joined = Buffer.concat([carry, this.chunk.subarray(0, nl + 1)]);
      if (this.joined.length - 1 > MAX_LINE_BYTES) tooLong(this.source, this.lineNo + 1);
      this.pos = nl + 1;
      return true;
    }
  }

  /** Stops reading before the end (the file is closed). */
  async close(): Promise<void> {
    this.ended = true;
    await this.chunks.return?.();
  }

  private hand(buf: Buffer, start: number, nl: number): void {
    this.lineNo++;
    this.buf = buf;
    this.start = start;
    this.end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
  }
}

function tooLong(source: Source, lineNo: number): never {
  throw new InputError(
    source.name,
    `longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB; is this a profile in a format pyro reads?`,
    lineNo,
  );
}
