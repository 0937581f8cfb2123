// Reads a JFR recording chunk by chunk as the source streams it: only the
// chunk being read is held in memory (a recording of many 12 MB chunks, the
// JDK's default, is read in little more than 12 MB of buffer). Each chunk's
// events go into one profile: the sampled (or event) thread's name is the
// per-sample label `thread`, frames are `package.Class.method` with their
// line numbers.
//
// Value types, of which only the ones with events are kept:
//   cpu (count)                  jdk.ExecutionSample
//   wall (count)                 jdk.NativeMethodSample, async-profiler's profiler.WallClockSample
//   alloc_objects (count)        jdk.ObjectAllocationInNewTLAB / OutsideTLAB, one per event
//   alloc_space (bytes)          the TLAB events' tlabSize / allocationSize, or jdk.ObjectAllocationSample's weight
//   contentions (count)          jdk.JavaMonitorEnter, jdk.ThreadPark
//   delay (nanoseconds)          their duration
// The default is cpu, else wall, alloc_space, delay. When a recording has both
// TLAB events and jdk.ObjectAllocationSample (two estimates of the same
// allocations), alloc_space comes from the samples' weights.
import { InputError } from '../../errors.js';
import type { Source } from '../../io/source.js';
import { ProfileBuilder } from '../../model/builder.js';
import { growFloat64, growInt32 } from '../../model/growable.js';
import type { Profile, ValueType } from '../../model/profile.js';
import { SampleTimes } from '../../model/times.js';
import type { StackTrie } from '../../model/trie.js';
import type { ReadOptions } from '../types.js';
import { type ChunkHeader, ChunkParser, ChunkScratch, HEADER_BYTES, type JfrSink, readHeader } from './chunk.js';
import { COL, N_COLS } from './events.js';
import { JfrError, JfrInput } from './input.js';
import type { Metadata } from './metadata.js';

/** The value type of each column (events.ts COL); both alloc_space columns are named alike, one is kept. */
const COLUMN_TYPES: ValueType[] = [
  { type: 'cpu', unit: 'count' },
  { type: 'wall', unit: 'count' },
  { type: 'alloc_objects', unit: 'count' },
  { type: 'alloc_space', unit: 'bytes' },
  { type: 'alloc_space', unit: 'bytes' },
  { type: 'contentions', unit: 'count' },
  { type: 'delay', unit: 'nanoseconds' },
];
/** The default value type: the first of these columns that has events. */
const DEFAULT_ORDER = [COL.cpu, COL.wall, COL.allocSpaceSample, COL.allocSpaceTlab, COL.delay, COL.allocObjects];

/** The events pyro reads, for messages. */
const EVENT_NAMES =
  'jdk.ExecutionSample, jdk.NativeMethodSample, jdk.ObjectAllocationInNewTLAB/OutsideTLAB, jdk.ObjectAllocationSample, jdk.JavaMonitorEnter, jdk.ThreadPark';

export async function readJfr(source: Source, options: ReadOptions = {}): Promise<Profile> {
  const reader = new JfrReader(source.name, source.sizeHint, options.keepTimes ?? false);
  for await (const chunk of source.chunks({ transient: true })) reader.push(chunk);
  return reader.finish();
}

class Sink implements JfrSink {
  readonly builder = new ProfileBuilder(COLUMN_TYPES, 'jfr');
  readonly profile = this.builder.profile;
  readonly seen = new Float64Array(N_COLS);
  sampleCount = 0;
  missingStacks = 0;
  missingFrames = 0;
  time?: JfrSink['time'];
  readonly times: EventTimes | undefined;
  private readonly labels = new Map<string, number>();

  constructor(keepTimes: boolean) {
    if (keepTimes) {
      const times = new EventTimes();
      this.times = times;
      this.time = (labelSet, node, ms, countColumn, amountColumn, amount) =>
        times.push(labelSet, node, ms, countColumn, amountColumn, amount);
    }
  }

  threadLabel(name: string | null): number {
    if (!name) return 0;
    let id = this.labels.get(name);
    if (id === undefined) {
      id = this.profile.labelSetId([['thread', name]]);
      this.labels.set(name, id);
    }
    return id;
  }

  frame(name: string, line: number): number {
    return this.builder.frameAt(name, '', line);
  }

  trie(labelSet: number): StackTrie {
    return this.profile.trieFor(labelSet);
  }
}

class JfrReader {
  /** Input not read yet, from byte `offset` of the input on: buf[0 .. filled), the start of a chunk. */
  private buf = Buffer.alloc(0);
  private filled = 0;
  private offset = 0;
  /** Chunks read so far. */
  private chunks = 0;
  /** The size of the chunk at buf[0], once its header is in (else 0). */
  private pending = 0;
  private metadata: { bytes: Buffer; meta: Metadata } | undefined;
  private readonly sink: Sink;
  private readonly scratch = new ChunkScratch();
  private startNanos = Number.POSITIVE_INFINITY;
  private endNanos = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly name: string,
    private readonly sizeHint: number | undefined,
    keepTimes: boolean,
  ) {
    this.sink = new Sink(keepTimes);
  }

  /**
   * Takes the next bytes of the input: whole chunks in them are read where
   * they are; the rest is copied, only up to the end of the chunk it starts.
   */
  push(chunk: Buffer): void {
    let at = 0;
    if (this.filled === 0) at = this.readWhole(chunk, 0);
    while (at < chunk.length) {
      const want = this.pending > 0 ? this.pending - this.filled : chunk.length - at;
      const take = Math.min(chunk.length - at, Math.max(want, 1));
      this.reserve(this.filled + take);
      chunk.copy(this.buf, this.filled, at, at + take);
      this.filled += take;
      at += take;
      this.drain();
      if (this.filled === 0) at = this.readWhole(chunk, at);
    }
  }

  /** Reads the whole chunks of bytes[at..) in place; returns where the first incomplete one starts. */
  private readWhole(bytes: Buffer, at: number): number {
    while (bytes.length - at >= HEADER_BYTES) {
      const header = this.header(bytes, at);
      if (bytes.length - at < header.size) break;
      this.readChunk(bytes.subarray(at, at + header.size), header);
      at += header.size;
      this.offset += header.size;
    }
    return at;
  }

  /** Room for `n` bytes in buf: the whole pending chunk when its size is plausible. */
  private reserve(n: number): void {
    if (n <= this.buf.length) return;
    const plausible = this.sizeHint !== undefined && this.offset + this.pending <= this.sizeHint;
    const size = Math.max(n, plausible ? this.pending : 0, Math.min(2 * this.buf.length, n + (16 << 20)));
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.filled);
    this.buf = next;
  }

  /** Reads the chunks in buf that are all there, and moves what follows them to its start. */
  private drain(): void {
    for (;;) {
      if (this.pending === 0) {
        if (this.filled < HEADER_BYTES) return;
        this.pending = this.header(this.buf, 0).size;
      }
      if (this.filled < this.pending) return;
      const size = this.pending;
      this.readChunk(this.buf.subarray(0, size), this.header(this.buf, 0));
      this.buf.copyWithin(0, size, this.filled);
      this.filled -= size;
      this.offset += size;
      this.pending = 0;
    }
  }

  /** The header of the chunk at bytes[at..], which starts at byte `offset` of the input. */
  private header(bytes: Buffer, at: number): ChunkHeader {
    const header = this.guard(0, 'the chunk header', () =>
      readHeader(new JfrInput(bytes.subarray(at, at + HEADER_BYTES))),
    );
    if (this.sizeHint !== undefined && this.offset + header.size > this.sizeHint) {
      throw this.error(
        `truncated: chunk ${this.chunks + 1} at byte ${this.offset} is ${header.size} bytes long, but the input ends ${this.sizeHint - this.offset} bytes into it`,
      );
    }
    return header;
  }

  /** Reads one chunk (the one at byte `offset` of the input). */
  private readChunk(bytes: Buffer, header: ChunkHeader): void {
    const parser = new ChunkParser(bytes, header, this.sink, this.scratch);
    this.guard(
      0,
      () => parser.where(),
      () => {
        this.metadata = parser.readMetadata(this.metadata);
        parser.readConstantPools();
        parser.readEvents();
      },
    );
    this.chunks++;
    this.startNanos = Math.min(this.startNanos, header.startNanos);
    this.endNanos = Math.max(this.endNanos, header.startNanos + header.durationNanos);
  }

  /** Runs `f`, turning a JfrError into an InputError that says where in the input and in what. */
  private guard<T>(start: number, where: string | (() => string), f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof JfrError)) throw e;
      const what = typeof where === 'string' ? where : where();
      throw this.error(`${e.message} at byte ${this.offset + start + e.at} (in ${what} of chunk ${this.chunks + 1})`);
    }
  }

  private error(detail: string): InputError {
    return new InputError(this.name, detail);
  }

  finish(): Profile {
    const left = this.filled;
    if (left > 0) {
      if (left < HEADER_BYTES) {
        throw this.error(
          this.chunks === 0
            ? `truncated: ${left} bytes, less than a JFR chunk header`
            : `${left} bytes after the last chunk (at byte ${this.offset}) are not a whole chunk header`,
        );
      }
      throw this.error(
        `truncated: chunk ${this.chunks + 1} at byte ${this.offset} is ${this.pending} bytes long, but the input ends ${left} bytes into it`,
      );
    }
    if (this.chunks === 0) throw this.error('no JFR chunk in it');
    return this.build();
  }

  /** The profile with only the value types that have events. */
  private build(): Profile {
    const sink = this.sink;
    const seen = sink.seen;
    const keep = COLUMN_TYPES.map((_, c) => (seen[c] as number) > 0);
    const warnings: string[] = [];
    if (keep[COL.allocSpaceTlab] && keep[COL.allocSpaceSample]) {
      keep[COL.allocSpaceTlab] = false;
      warnings.push(
        `${this.name}: alloc_space is from jdk.ObjectAllocationSample; the TLAB allocation events' sizes (another estimate of the same allocations) are left out of it`,
      );
    }
    if (!keep.some(Boolean)) {
      throw this.error(
        `no events pyro reads in ${this.chunks} chunk${this.chunks === 1 ? '' : 's'} (it reads ${EVENT_NAMES})`,
      );
    }
    const valueMap = new Int32Array(N_COLS).fill(-1);
    const types: ValueType[] = [];
    keep.forEach((k, c) => {
      if (!k) return;
      valueMap[c] = types.length;
      types.push(COLUMN_TYPES[c] as ValueType);
    });
    const src = sink.builder.finish();
    src.sampleCount = sink.sampleCount;
    if (Number.isFinite(this.startNanos)) {
      src.startTime = this.startNanos / 1e6;
      src.duration = (this.endNanos - this.startNanos) / 1e6;
    }
    const p = src.emptyLike(types);
    p.defaultValue = valueMap[DEFAULT_ORDER.find((c) => keep[c]) as number] as number;
    const nodeMaps: Int32Array[] = [];
    src.tries.forEach((t, labelSet) => {
      if (t) nodeMaps[labelSet] = p.trieFor(labelSet).mergeFrom(t, undefined, valueMap);
    });
    p.invalidate();
    if (sink.times) p.times = sink.times.toSampleTimes(nodeMaps, valueMap, types.length);
    if (sink.missingStacks > 0) {
      warnings.push(
        `${this.name}: ${sink.missingStacks} events refer to stack traces that no constant pool holds (counted under [missing stack trace])`,
      );
    }
    if (sink.missingFrames > 0) {
      warnings.push(
        `${this.name}: ${sink.missingFrames} stack frames refer to methods that no constant pool holds (shown as [unknown method])`,
      );
    }
    p.warnings.push(...warnings);
    return p;
  }
}

/** Each event's time, compactly (the columns it adds to and its amount), until the value types are known. */
class EventTimes {
  count = 0;
  labelSet = new Int32Array(1024);
  node = new Int32Array(1024);
  time = new Float64Array(1024);
  /** (count column + 1) | (amount column + 1) << 4. */
  columns = new Uint8Array(1024);
  amount = new Float64Array(1024);

  push(labelSet: number, node: number, ms: number, countColumn: number, amountColumn: number, amount: number): void {
    const i = this.count++;
    if (i === this.node.length) {
      this.labelSet = growInt32(this.labelSet, i + 1);
      this.node = growInt32(this.node, i + 1);
      this.time = growFloat64(this.time, i + 1);
      this.amount = growFloat64(this.amount, i + 1);
      const columns = new Uint8Array(this.node.length);
      columns.set(this.columns);
      this.columns = columns;
    }
    this.labelSet[i] = labelSet;
    this.node[i] = node;
    this.time[i] = ms;
    this.columns[i] = (countColumn + 1) | ((amountColumn + 1) << 4);
    this.amount[i] = amount;
  }

  /** The samples' times in the kept value types, in time order, their nodes mapped into the new tries. */
  toSampleTimes(nodeMaps: Int32Array[], valueMap: Int32Array, nTypes: number): SampleTimes {
    const n = this.count;
    // Threads' events come in runs, each in time order: a stable sort of indexes by time.
    const time = this.time;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => (time[a] as number) - (time[b] as number) || a - b);
    // Filled in place, at their final size.
    const out = new SampleTimes(nTypes);
    out.count = n;
    out.labelSet = new Int32Array(n);
    out.node = new Int32Array(n);
    out.time = new Float64Array(n);
    out.values = new Float64Array(n * nTypes);
    for (let k = 0; k < n; k++) {
      const i = order[k] as number;
      const labelSet = this.labelSet[i] as number;
      out.labelSet[k] = labelSet;
      out.node[k] = nodeMaps[labelSet]?.[this.node[i] as number] as number;
      out.time[k] = time[i] as number;
      const cols = this.columns[i] as number;
      const countTo = (cols & 15) > 0 ? (valueMap[(cols & 15) - 1] as number) : -1;
      const amountTo = cols >> 4 > 0 ? (valueMap[(cols >> 4) - 1] as number) : -1;
      if (countTo >= 0) out.values[k * nTypes + countTo] = 1;
      if (amountTo >= 0) out.values[k * nTypes + amountTo] = this.amount[i] as number;
    }
    return out;
  }
}
