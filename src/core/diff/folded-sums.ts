// Per function, the self and total of folded files, summed line by line
// without building their tries: what `pyro diff`'s table needs, and nothing
// more. The sums of a file's lines add up, so a file is cut at line starts
// into byte ranges that threads sum apart, and the parts are added together.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';
import { FoldedCursor, FoldedFrames, invalidLines } from '../formats/folded.js';
import { FILE_CHUNK_BYTES, openFileRange } from '../io/source.js';
import { FrameTable } from '../model/frames.js';
import { growFloat64, growInt32 } from '../model/growable.js';
import { StringTable } from '../model/strings.js';

/** Per function (by name): its self, and its total (each line counted once however often the function recurses). */
export interface FunctionSums {
  names: string[];
  self: Float64Array;
  total: Float64Array;
  /** The sum of every line's count. */
  whole: number;
}

/** Bytes [start, end) of file `file`, whole lines. */
export interface FileRange {
  file: number;
  path: string;
  start: number;
  end: number;
}

/** The sums of one range, with its line counts (to number the lines of the ranges after it). */
export interface RangeSums extends FunctionSums {
  /** The range's place in the list of ranges. */
  index: number;
  file: number;
  lines: number;
  valid: number;
  invalid: number;
  firstInvalid: number;
  /** A line that stopped the range (longer than a line may be), numbered from the range's start. */
  failure?: { line: number; detail: string };
}

/**
 * Sums the lines of ranges: each in turn, or with `claim` (an Int32Array on
 * shared memory, the next range to take, that threads advance together) the
 * ranges no other thread has taken yet.
 */
export async function sumFoldedRanges(ranges: readonly FileRange[], claim?: Int32Array): Promise<RangeSums[]> {
  const out: RangeSums[] = [];
  // One buffer for every range's reads: fresh memory costs page faults.
  const buffer = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
  let next = 0;
  for (;;) {
    const i = claim ? Atomics.add(claim, 0, 1) : next++;
    if (i >= ranges.length) return out;
    out.push(await sumFoldedRange(ranges[i] as FileRange, i, buffer));
  }
}

async function sumFoldedRange(r: FileRange, index: number, buffer: Buffer): Promise<RangeSums> {
  const frames = new FrameTable(new StringTable());
  const stack = new FoldedFrames(frames);
  const lines = new FoldedCursor(openFileRange(r.path, r.start, r.end, buffer));
  let self = new Float64Array(1024);
  let total = new Float64Array(1024);
  // How often each function is on the current stack; the current stack's functions, and per depth
  // whether it is the function's first frame on the stack (its total counts the line once).
  let onStack = new Int32Array(1024);
  let fns = new Int32Array(256);
  let first = new Uint8Array(256);
  let whole = 0;
  let depth = 0;
  const { line } = lines;
  let failure: RangeSums['failure'];
  try {
    await sumLines();
  } catch (e) {
    // Numbered from the range's start: addRangeSums() numbers it in the file, knowing the ranges before.
    if (!(e instanceof InputError && e.line !== undefined)) throw e;
    failure = { line: e.line, detail: e.detail };
  }
  async function sumLines(): Promise<void> {
    do {
      while (lines.next()) {
        const buf = lines.buf;
        stack.next(buf, line.start, line.stackEnd);
        const kept = stack.kept;
        for (let d = kept; d < depth; d++) (onStack[fns[d] as number] as number)--;
        depth = stack.depth;
        if (frames.size > self.length) {
          self = growFloat64(self, frames.size);
          total = growFloat64(total, frames.size);
          onStack = growInt32(onStack, frames.size);
        }
        if (depth > fns.length) {
          fns = growInt32(fns, depth);
          const wider = new Uint8Array(fns.length);
          wider.set(first);
          first = wider;
        }
        const ids = stack.frames;
        for (let d = kept; d < depth; d++) {
          const f = ids[d] as number;
          fns[d] = f;
          first[d] = (onStack[f] as number)++ === 0 ? 1 : 0;
        }
        const count = line.count;
        for (let d = 0; d < depth; d++) if (first[d]) total[fns[d] as number] += count;
        if (depth > 0) self[fns[depth - 1] as number] += count;
        whole += count;
      }
    } while (await lines.fill());
  }
  const names = Array.from({ length: frames.size }, (_, f) => frames.nameOf(f));
  return {
    index,
    file: r.file,
    names,
    self: self.slice(0, frames.size),
    total: total.slice(0, frames.size),
    whole,
    lines: lines.lineNo,
    valid: lines.valid,
    invalid: lines.invalid,
    firstInvalid: lines.firstInvalid,
    failure,
  };
}

/** Ranges summed by a thread apiece, so that no thread waits long for the last. */
const RANGE_BYTES = 16 << 20;

/**
 * The sums of each of the plain folded files `paths` (not compressed, no byte
 * order mark), and the warnings for their invalid lines. With `elsewhere`
 * (sumFoldedRanges() on another thread), the files are cut into ranges that
 * both threads take from as they go.
 */
export async function sumFoldedFiles(
  paths: readonly string[],
  elsewhere?: (ranges: FileRange[], claim: Int32Array) => Promise<RangeSums[]>,
): Promise<{ sums: FunctionSums[]; warnings: string[] }> {
  const sizes = paths.map((p) => statSync(p).size);
  const whole = sizes.reduce((n, s) => n + s, 0);
  const ranges = splitFiles(paths, sizes, elsewhere ? Math.max(2, Math.ceil(whole / RANGE_BYTES)) : 1);
  if (!elsewhere) return addRangeSums(paths, await sumFoldedRanges(ranges));
  const claim = new Int32Array(new SharedArrayBuffer(4));
  const parts = await Promise.all([elsewhere(ranges, claim), sumFoldedRanges(ranges, claim)]);
  return addRangeSums(paths, parts.flat());
}

/**
 * Cuts the files into ranges of whole lines, about a `parts`-th of their
 * bytes each (none across two files): a cut moves on to the next line start.
 */
export function splitFiles(paths: readonly string[], sizes: readonly number[], parts: number): FileRange[] {
  const step = Math.ceil(sizes.reduce((n, s) => n + s, 0) / parts);
  const out: FileRange[] = [];
  let room = step;
  paths.forEach((path, file) => {
    const size = sizes[file] as number;
    for (let at = 0; at < size; ) {
      const end = size - at <= room ? size : lineStart(path, at + room, size);
      out.push({ file, path, start: at, end });
      room -= end - at;
      if (room <= 0) room = step;
      at = end;
    }
  });
  return out;
}

/** The first line start at or after `offset` (or the file's size). */
function lineStart(path: string, offset: number, size: number): number {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    // The line that holds byte offset - 1 ends at the first LF from there.
    for (let at = offset - 1; at < size; at += buf.length) {
      const n = readSync(fd, buf, 0, buf.length, at);
      const nl = buf.subarray(0, n).indexOf(10);
      if (nl >= 0) return at + nl + 1;
      if (n === 0) break;
    }
    return size;
  } finally {
    closeSync(fd);
  }
}

/**
 * The sums of each file from those of its ranges (in file order), and the
 * warnings for invalid lines, numbered in the whole file; throws when a file
 * has no valid line.
 */
export function addRangeSums(
  paths: readonly string[],
  ranges: readonly RangeSums[],
): { sums: FunctionSums[]; warnings: string[] } {
  const sums: FunctionSums[] = [];
  const warnings: string[] = [];
  paths.forEach((path, file) => {
    const ids = new Map<string, number>();
    const names: string[] = [];
    const parts = ranges.filter((r) => r.file === file).sort((x, y) => x.index - y.index);
    for (const r of parts) for (const name of r.names) if (!ids.has(name)) ids.set(name, names.push(name) - 1);
    const self = new Float64Array(names.length);
    const total = new Float64Array(names.length);
    let whole = 0;
    let lines = 0;
    let valid = 0;
    let invalid = 0;
    let firstInvalid = 0;
    for (const r of parts) {
      if (r.failure) throw new InputError(path, r.failure.detail, lines + r.failure.line);
      r.names.forEach((name, f) => {
        const id = ids.get(name) as number;
        self[id] += r.self[f] as number;
        total[id] += r.total[f] as number;
      });
      whole += r.whole;
      if (r.invalid > 0 && invalid === 0) firstInvalid = lines + r.firstInvalid;
      lines += r.lines;
      valid += r.valid;
      invalid += r.invalid;
    }
    const warning = invalidLines(path, valid, invalid, firstInvalid);
    if (warning) warnings.push(warning);
    sums.push({ names, self, total, whole });
  });
  return { sums, warnings };
}
