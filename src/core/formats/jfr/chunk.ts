// One chunk of a JFR recording: its header, its metadata, its constant pools
// and its events. A chunk is self-contained (its own metadata, pools and ids),
// so a recording of several chunks is read one chunk at a time.
//
// Header (68 bytes, big-endian): "FLR\0", major and minor version (u16 each),
// then i64s: chunk size, offset of the last checkpoint event, offset of the
// metadata event, start time (ns since the epoch), duration (ns), start time
// (ticks), ticks per second; then a u32 of state and flags.
//
// Then events, each: size (a varint that counts itself), type id, then the
// fields its class in the metadata lists. Type 0 is the metadata event; type 1
// a checkpoint event: start time, duration, delta (the offset of the previous
// checkpoint, relative to this one; 0 for the first), a flags byte, a count
// of pools, and per pool: class id, count of entries, then (key, value) pairs.
import { growFloat64, growInt32 } from '../../model/growable.js';
import type { StackTrie } from '../../model/trie.js';
import {
  compileEvent,
  EVENTS,
  type Handler,
  OP_BYTE,
  OP_LONG,
  OP_SKIP4,
  OP_SKIP8,
  OP_SKIPLONG,
  OP_STRING,
  S_AMOUNT,
  S_STACK,
  S_THREAD,
  S_TIME,
} from './events.js';
import { JfrInput, resolveString, type StringRef } from './input.js';
import { type JfrClass, type JfrField, KIND, type Metadata, readMetadata, skipField, skipValue } from './metadata.js';

export const HEADER_BYTES = 68;
const MAGIC = 0x464c5200; // "FLR\0"
const METADATA_EVENT = 0;
const CHECKPOINT_EVENT = 1;
/** Bit 2 of the flags byte (newer JDKs): start times below the chunk's start ticks are deltas from the last full one. */
const FLAG_COMPRESSED_TICKS = 1 << 2;

export interface ChunkHeader {
  major: number;
  minor: number;
  size: number;
  checkpointOffset: number;
  metadataOffset: number;
  startNanos: number;
  durationNanos: number;
  startTicks: number;
  ticksPerSecond: number;
  flags: number;
}

function i64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

/** The header of the chunk at buf[0..); `buf` holds at least HEADER_BYTES. Checks what can be checked before its bytes are read. */
export function readHeader(inp: JfrInput): ChunkHeader {
  const buf = inp.buf;
  if (buf.readUInt32BE(0) !== MAGIC) inp.fail('not the start of a JFR chunk (no "FLR\\0" magic)', 0);
  const h: ChunkHeader = {
    major: buf.readUInt16BE(4),
    minor: buf.readUInt16BE(6),
    size: i64(buf, 8),
    checkpointOffset: i64(buf, 16),
    metadataOffset: i64(buf, 24),
    startNanos: i64(buf, 32),
    durationNanos: i64(buf, 40),
    startTicks: i64(buf, 48),
    ticksPerSecond: i64(buf, 56),
    flags: buf[67] as number,
  };
  if (h.major !== 1 && h.major !== 2) {
    inp.fail(`JFR version ${h.major}.${h.minor} is not supported (pyro reads versions 1 and 2: JDK 9 and later)`, 4);
  }
  if (h.size < HEADER_BYTES) {
    inp.fail(`chunk size ${h.size} is smaller than a chunk header (an unfinished recording?)`, 8);
  }
  if (h.metadataOffset === 0) inp.fail('the chunk has no metadata event (an unfinished recording?)', 24);
  if (h.metadataOffset < HEADER_BYTES || h.metadataOffset >= h.size) {
    inp.fail(`metadata offset ${h.metadataOffset} is outside the chunk (${h.size} bytes)`, 24);
  }
  if (h.checkpointOffset < HEADER_BYTES || h.checkpointOffset >= h.size) {
    inp.fail(`constant pool offset ${h.checkpointOffset} is outside the chunk (${h.size} bytes)`, 16);
  }
  if (!(h.ticksPerSecond > 0)) inp.fail(`ticks per second is ${h.ticksPerSecond}`, 56);
  return h;
}

/** The arrays of a chunk's stack traces, kept from chunk to chunk (a chunk's are as large as the last's). */
export class ChunkScratch {
  stackStart = new Int32Array(1024);
  frameMethod = new Float64Array(4096);
  frameLine = new Int32Array(4096);
  resolved = new Int32Array(0);
}

/** What the events of every chunk are added to (read.ts). */
export interface JfrSink {
  /** The label set of a thread name (0 for none). */
  threadLabel(name: string | null): number;
  frame(name: string, line: number): number;
  trie(labelSet: number): StackTrie;
  /** Events counted per column. */
  readonly seen: Float64Array;
  sampleCount: number;
  /** Each event's time, when kept: the column it counts in and the column its amount goes to (-1: none). */
  time?: (
    labelSet: number,
    node: number,
    ms: number,
    countColumn: number,
    amountColumn: number,
    amount: number,
  ) => void;
  missingStacks: number;
  missingFrames: number;
}

/** A text value of a pool entry: a string, a pool key (into the pool of the field's type), or a String-pool reference. */
type Text = string | number | StringRef | null;

// How the fields of a stack frame are read.
const FRAME_METHOD = 0;
const FRAME_LINE = 1;
const FRAME_SKIPLONG = 2;
const FRAME_OTHER = 3;

export class ChunkParser {
  readonly inp: JfrInput;
  private meta!: Metadata;
  /** What is being read, for error messages. */
  private section = 'the chunk header';
  private eventAt = -1;
  private eventName = '';
  private readonly nsPerTick: number;

  // Constant pools (keys are the chunk's own ids).
  private readonly strings = new Map<number, string | StringRef | null>();
  private readonly symbols = new Map<number, Text>();
  private symbolText: JfrField | undefined;
  private readonly classNames = new Map<number, Text>();
  private classNameField: JfrField | undefined;
  private readonly methodIndex = new Map<number, number>();
  private readonly methodClass: number[] = [];
  private readonly methodName: Text[] = [];
  private methodNameField: JfrField | undefined;
  private readonly javaNames = new Map<number, Text>();
  private javaNameField: JfrField | undefined;
  private readonly osNames = new Map<number, Text>();
  private osNameField: JfrField | undefined;
  /** Stack trace key -> index. */
  private readonly stackIndex = new Map<number, number>();
  private stacks = 0;
  /** Frames of stack i: frameMethod/frameLine[stackStart[i] .. stackStart[i + 1]), leaf first. */
  private stackStart: Int32Array;
  private frames = 0;
  private frameMethod: Float64Array;
  private frameLine: Int32Array;
  /** Each frame's frame id in the profile, once its stack is used. */
  private resolved: Int32Array;

  /** stackIndex as an array by key, when the keys are small (they count up from 1 in every writer). */
  private denseStacks: Int32Array | undefined;
  /** The trie node of each (stack, label set) seen. */
  private readonly nodes = new PairTable();
  /** The node of each stack in the label set it was last seen with (-1: none yet): threads' events come in runs. */
  private stackNode = new Int32Array(0);
  private stackNodeLabel = new Int32Array(0);
  private readonly tries: StackTrie[] = [];
  private stackResolved = new Uint8Array(0);
  private readonly frameCache = new Map<number, number>();
  private readonly methodNames: (string | undefined)[] = [];
  private readonly threadLabels = new Map<number, number>();
  private lastThread = -1;
  private lastLabel = 0;
  private readonly vals = new Float64Array(4);
  private ticksBase = 0;

  constructor(
    buf: Buffer,
    readonly header: ChunkHeader,
    private readonly sink: JfrSink,
    private readonly scratch: ChunkScratch,
  ) {
    this.inp = new JfrInput(buf);
    this.nsPerTick = 1e9 / header.ticksPerSecond;
    this.stackStart = scratch.stackStart;
    this.frameMethod = scratch.frameMethod;
    this.frameLine = scratch.frameLine;
    this.resolved = scratch.resolved;
  }

  /** What was being read when an error was thrown. */
  where(): string {
    if (this.eventAt >= 0) return `the ${this.eventName} event at chunk byte ${this.eventAt}`;
    return this.section;
  }

  /** The metadata: read here, or the previous chunk's when its bytes are the same. */
  readMetadata(previous: { bytes: Buffer; meta: Metadata } | undefined): { bytes: Buffer; meta: Metadata } {
    const inp = this.inp;
    this.section = 'the metadata event';
    inp.pos = this.header.metadataOffset;
    inp.end = this.header.size;
    const start = inp.pos;
    const size = inp.count('metadata event size', inp.end - start);
    inp.end = start + size;
    if (inp.long() !== METADATA_EVENT) inp.fail('no metadata event at the offset the chunk header gives', start);
    inp.long(); // start time
    inp.long(); // duration
    inp.long(); // metadata id
    // Every chunk of a recording repeats the metadata: the same bytes are the same classes.
    const bytes = inp.buf.subarray(inp.pos, inp.end);
    if (previous?.bytes.equals(bytes)) {
      this.meta = previous.meta;
      return previous;
    }
    this.meta = readMetadata(inp);
    return { bytes: Buffer.from(bytes), meta: this.meta };
  }

  /** Reads every checkpoint event, from the last one back through their deltas. */
  readConstantPools(): void {
    const inp = this.inp;
    const size = this.header.size;
    let at = this.header.checkpointOffset;
    for (;;) {
      this.section = `the checkpoint event at chunk byte ${at}`;
      inp.pos = at;
      inp.end = size;
      const eventSize = inp.count('checkpoint event size', size - at);
      inp.end = at + eventSize;
      if (inp.long() !== CHECKPOINT_EVENT) inp.fail('no checkpoint event where the chunk header or a delta points', at);
      inp.long(); // start time
      inp.long(); // duration
      const deltaAt = inp.pos;
      const delta = inp.long();
      inp.byte(); // flags (flush, chunk header, statics, thread)
      const pools = inp.count('constant pool count', inp.end - inp.pos);
      for (let i = 0; i < pools; i++) this.readPool();
      if (delta === 0) return;
      // Each checkpoint points back to an earlier one, so the walk ends.
      if (delta > 0 || at + delta < HEADER_BYTES)
        inp.fail(`checkpoint delta ${delta} points outside the chunk`, deltaAt);
      at += delta;
    }
  }

  private readPool(): void {
    const inp = this.inp;
    const typeAt = inp.pos;
    const typeId = inp.long();
    const cls =
      this.meta.classes.get(typeId) ??
      inp.fail(`constant pool of type id ${typeId}, which the metadata does not define`, typeAt);
    this.section = `the ${cls.name} constant pool`;
    const n = inp.count(`${cls.name} pool entry count`, inp.end - inp.pos);
    switch (cls.name) {
      case 'java.lang.String':
        for (let i = 0; i < n; i++) {
          const key = inp.long();
          if (cls.kind === KIND.string) this.strings.set(key, inp.string());
          else skipValue(inp, cls, false, 0);
        }
        return;
      case 'jdk.types.Symbol':
        [this.symbolText] = this.readTextPool(cls, n, ['string'], [this.symbols]);
        return;
      case 'java.lang.Class':
        [this.classNameField] = this.readTextPool(cls, n, ['name'], [this.classNames]);
        return;
      case 'java.lang.Thread':
        [this.javaNameField, this.osNameField] = this.readTextPool(
          cls,
          n,
          ['javaName', 'osName'],
          [this.javaNames, this.osNames],
        );
        return;
      case 'jdk.types.Method':
        this.readMethods(cls, n);
        return;
      case 'jdk.types.StackTrace':
        this.readStackTraces(cls, n);
        return;
      default:
        for (let i = 0; i < n; i++) {
          inp.long();
          skipValue(inp, cls, false, 0);
        }
    }
  }

  /** One value of a field kept from a pool entry: integers and keys as numbers, strings as read. */
  private text(f: JfrField): Text {
    const inp = this.inp;
    if (f.array) {
      skipField(inp, f, 0);
      return null;
    }
    if (f.constantPool) return inp.long();
    switch (f.type.kind) {
      case KIND.string:
        return inp.string();
      case KIND.char:
      case KIND.short:
      case KIND.int:
      case KIND.long:
        return inp.long();
      default:
        skipValue(inp, f.type, false, 0);
        return null;
    }
  }

  /**
   * Reads `n` entries of a pool of which pyro keeps text fields: field
   * `names[i]` of each entry goes to `into[i]` (by the entry's key), as read;
   * returns the fields, to resolve those values with later.
   */
  private readTextPool(cls: JfrClass, n: number, names: string[], into: Map<number, Text>[]): (JfrField | undefined)[] {
    const inp = this.inp;
    const fields = cls.fields;
    const target = fields.map((f) => into[names.indexOf(f.name)]);
    for (let e = 0; e < n; e++) {
      const key = inp.long();
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i] as JfrField;
        const t = target[i];
        if (t) t.set(key, this.text(f));
        else skipField(inp, f, 0);
      }
    }
    return names.map((name) => fields.find((f) => f.name === name));
  }

  private readMethods(cls: JfrClass, n: number): void {
    const inp = this.inp;
    const typeAt = cls.fields.findIndex((f) => f.name === 'type');
    const nameAt = cls.fields.findIndex((f) => f.name === 'name');
    if (nameAt >= 0) this.methodNameField = cls.fields[nameAt];
    for (let e = 0; e < n; e++) {
      const key = inp.long();
      let type: Text = null;
      let name: Text = null;
      for (let i = 0; i < cls.fields.length; i++) {
        const f = cls.fields[i] as JfrField;
        if (i === typeAt) type = this.text(f);
        else if (i === nameAt) name = this.text(f);
        else skipField(inp, f, 0);
      }
      this.methodIndex.set(key, this.methodClass.length);
      this.methodClass.push(typeof type === 'number' ? type : -1);
      this.methodName.push(name);
    }
  }

  private readStackTraces(cls: JfrClass, n: number): void {
    const inp = this.inp;
    const framesAt = cls.fields.findIndex((f) => f.name === 'frames');
    const framesField = cls.fields[framesAt];
    if (framesField && (!framesField.array || framesField.constantPool || framesField.type.kind !== KIND.struct)) {
      inp.fail('stack frames that are not an inline array of jdk.types.StackFrame are not supported');
    }
    const frameFields = framesField ? framesField.type.fields : [];
    const frameOps = frameOpsOf(frameFields);
    for (let e = 0; e < n; e++) {
      const key = inp.long();
      for (let i = 0; i < cls.fields.length; i++) {
        const f = cls.fields[i] as JfrField;
        if (i === framesAt) this.readFrames(frameOps, frameFields);
        else skipField(inp, f, 0);
      }
      this.stackIndex.set(key, this.stacks);
      if (this.stacks + 2 > this.stackStart.length) this.stackStart = growInt32(this.stackStart, this.stacks + 2);
      this.stackStart[++this.stacks] = this.frames;
    }
  }

  /** The frames of one stack trace: a count, then the fields of each frame. */
  private readFrames(ops: Uint8Array, fields: JfrField[]): void {
    const inp = this.inp;
    const count = inp.count('stack depth', inp.end - inp.pos);
    if (this.frames + count > this.frameLine.length) {
      this.frameMethod = growFloat64(this.frameMethod, this.frames + count);
      this.frameLine = growInt32(this.frameLine, this.frames + count);
    }
    const { frameMethod, frameLine } = this;
    for (let k = 0; k < count; k++) {
      const before = inp.pos;
      let method = -1;
      let line = 0;
      for (let j = 0; j < ops.length; j++) {
        const op = ops[j];
        if (op === FRAME_SKIPLONG) inp.skipLong();
        else if (op === FRAME_METHOD) method = inp.long();
        else if (op === FRAME_LINE) line = inp.long() | 0;
        else skipField(inp, fields[j] as JfrField, 1);
      }
      // A frame of no bytes (a corrupt layout) would make every one of `count` frames empty.
      if (inp.pos === before) break;
      frameMethod[this.frames] = method;
      frameLine[this.frames++] = line;
    }
  }

  /** A text value as a string: a key is looked up in the pool of the field's type. */
  private resolveText(v: Text, f: JfrField | undefined): string | null {
    if (typeof v !== 'number') return resolveString(v, this.strings);
    if (!f?.constantPool) return null;
    if (f.type.kind === KIND.string) return resolveString(this.strings.get(v), this.strings);
    if (f.type.name === 'jdk.types.Symbol') {
      const s = this.symbols.get(v);
      return typeof s === 'number' ? this.resolveText(s, this.symbolText) : resolveString(s, this.strings);
    }
    return null;
  }

  /** The handlers of the events pyro reads, by type id. */
  private handlers(): (Handler | undefined)[] | Map<number, Handler> {
    const found: Handler[] = [];
    const ids: number[] = [];
    for (const cls of this.meta.classes.values()) {
      const spec = EVENTS[cls.name];
      if (!spec || cls.kind !== KIND.struct) continue;
      found.push(compileEvent(cls, spec, this.sink.time !== undefined));
      ids.push(cls.id);
    }
    const max = Math.max(-1, ...ids);
    if (max < 1 << 16 && Math.min(0, ...ids) >= 0) {
      const table: (Handler | undefined)[] = new Array(max + 1).fill(undefined);
      ids.forEach((id, i) => {
        table[id] = found[i];
      });
      return table;
    }
    return new Map(ids.map((id, i) => [id, found[i] as Handler]));
  }

  /** Reads every event, adding the ones pyro knows to the sink. */
  readEvents(): void {
    const inp = this.inp;
    const size = this.header.size;
    const table = this.handlers();
    const byArray = Array.isArray(table);
    // Two more stacks: "no stack trace" and "missing stack trace".
    const stacks = this.stacks + 2;
    if (this.resolved.length < this.frames) this.resolved = new Int32Array(this.frameLine.length);
    // The arrays as grown, for the next chunk.
    Object.assign(this.scratch, {
      stackStart: this.stackStart,
      frameMethod: this.frameMethod,
      frameLine: this.frameLine,
      resolved: this.resolved,
    });
    this.stackResolved = new Uint8Array(stacks);
    this.stackNode = new Int32Array(stacks);
    this.stackNodeLabel = new Int32Array(stacks).fill(-1);
    this.denseStacks = denseIndex(this.stackIndex, this.stacks + 1);
    this.section = 'the events';
    let pos = HEADER_BYTES;
    while (pos < size) {
      inp.pos = pos;
      inp.end = size;
      this.eventAt = pos;
      this.eventName = 'next';
      const eventSize = inp.long();
      if (eventSize <= 0 || pos + eventSize > size) {
        inp.fail(`event size ${eventSize} runs ${eventSize <= 0 ? 'nowhere' : 'past the end of the chunk'}`, pos);
      }
      const type = inp.long();
      const h = byArray ? (table as (Handler | undefined)[])[type] : (table as Map<number, Handler>).get(type);
      if (h !== undefined) {
        inp.end = pos + eventSize;
        this.eventName = h.name;
        this.event(h);
      }
      pos += eventSize;
    }
    this.eventAt = -1;
  }

  private event(h: Handler): void {
    const inp = this.inp;
    const { ops, slots } = h;
    const vals = this.vals;
    vals[S_STACK] = 0;
    vals[S_THREAD] = 0;
    vals[S_AMOUNT] = h.spec.missing;
    vals[S_TIME] = 0;
    for (let i = 0; i < ops.length; i++) {
      switch (ops[i]) {
        case OP_SKIPLONG:
          inp.skipLong();
          break;
        case OP_LONG:
          vals[slots[i] as number] = inp.long();
          break;
        case OP_BYTE:
          inp.byte();
          break;
        case OP_SKIP4:
          inp.skip(4);
          break;
        case OP_SKIP8:
          inp.skip(8);
          break;
        case OP_STRING:
          inp.skipString();
          break;
        default:
          skipField(inp, h.fields[i] as JfrField, 0);
      }
    }
    this.record(h);
  }

  private record(h: Handler): void {
    const vals = this.vals;
    const sink = this.sink;
    const threadKey = vals[S_THREAD] as number;
    let label = this.lastLabel;
    if (threadKey !== this.lastThread) {
      label = this.labelOf(threadKey);
      this.lastThread = threadKey;
      this.lastLabel = label;
    }
    const stackKey = vals[S_STACK] as number;
    let stack = this.stacks; // no stack trace
    if (stackKey !== 0) {
      const dense = this.denseStacks;
      stack =
        dense !== undefined
          ? stackKey > 0 && stackKey < dense.length
            ? (dense[stackKey] as number)
            : -1
          : (this.stackIndex.get(stackKey) ?? -1);
      if (stack < 0) {
        stack = this.stacks + 1;
        sink.missingStacks++;
      }
    }
    let node: number;
    if (this.stackNodeLabel[stack] === label) node = this.stackNode[stack] as number;
    else {
      node = this.nodeOf(stack, label);
      this.stackNode[stack] = node;
      this.stackNodeLabel[stack] = label;
    }
    const trie = this.tries[label] ?? this.trieOf(label);
    const spec = h.spec;
    if (spec.count >= 0) {
      trie.addSelf(node, spec.count, 1);
      sink.seen[spec.count]++;
    }
    let amount = 0;
    if (spec.amount >= 0) {
      amount = vals[S_AMOUNT] as number;
      if (spec.duration) amount *= this.nsPerTick;
      if (amount > 0 && Number.isFinite(amount)) {
        trie.addSelf(node, spec.amount, amount);
        sink.seen[spec.amount]++;
      } else amount = 0;
    }
    sink.sampleCount++;
    if (sink.time) sink.time(label, node, this.timeMs(vals[S_TIME] as number), spec.count, spec.amount, amount);
  }

  private trieOf(label: number): StackTrie {
    const trie = this.sink.trie(label);
    this.tries[label] = trie;
    return trie;
  }

  /** The trie node of a stack in a label set's trie: the stack is inserted on first use. */
  private nodeOf(stack: number, label: number): number {
    let node = this.nodes.get(stack, label);
    if (node < 0) {
      node = this.insert(stack, label);
      this.nodes.set(stack, label, node);
    }
    return node;
  }

  /** An event's start time (ticks) in ms since the epoch. */
  private timeMs(ticks: number): number {
    const h = this.header;
    if (h.flags & FLAG_COMPRESSED_TICKS) {
      if (ticks > h.startTicks) this.ticksBase = ticks;
      else ticks += this.ticksBase;
    }
    return (h.startNanos + (ticks - h.startTicks) * this.nsPerTick) / 1e6;
  }

  private labelOf(threadKey: number): number {
    let label = this.threadLabels.get(threadKey);
    if (label === undefined) {
      let name: string | null = null;
      if (threadKey !== 0) {
        name = this.resolveText(this.javaNames.get(threadKey) ?? null, this.javaNameField);
        if (!name) name = this.resolveText(this.osNames.get(threadKey) ?? null, this.osNameField);
      }
      label = this.sink.threadLabel(name);
      this.threadLabels.set(threadKey, label);
    }
    return label;
  }

  /** Inserts a stack (an index into the stack pool, or one of the two past it) into a label set's trie. */
  private insert(stack: number, label: number): number {
    const trie = this.sink.trie(label);
    if (stack >= this.stacks) {
      return trie.child(0, this.sink.frame(stack === this.stacks ? '[no stack trace]' : '[missing stack trace]', 0));
    }
    const start = this.stackStart[stack] as number;
    const end = this.stackStart[stack + 1] as number;
    if (!this.stackResolved[stack]) {
      for (let i = start; i < end; i++) {
        this.resolved[i] = this.frameOf(this.frameMethod[i] as number, this.frameLine[i] as number);
      }
      this.stackResolved[stack] = 1;
    }
    return trie.insertReversed(this.resolved, start, end);
  }

  private frameOf(methodKey: number, line: number): number {
    const m = this.methodIndex.get(methodKey);
    if (m === undefined) {
      this.sink.missingFrames++;
      return this.sink.frame('[unknown method]', 0);
    }
    const cacheable = line >= 0 && line < 65536;
    const key = m * 65536 + line;
    if (cacheable) {
      const f = this.frameCache.get(key);
      if (f !== undefined) return f;
    }
    let name = this.methodNames[m];
    if (name === undefined) {
      const method = this.resolveText(this.methodName[m] as Text, this.methodNameField) ?? '[unknown method]';
      const classKey = this.methodClass[m] as number;
      const cls = classKey < 0 ? null : this.resolveText(this.classNames.get(classKey) ?? null, this.classNameField);
      name = cls ? `${cls.replaceAll('/', '.')}.${method}` : method;
      this.methodNames[m] = name;
    }
    const f = this.sink.frame(name, line);
    if (cacheable) this.frameCache.set(key, f);
    return f;
  }
}

/** How each field of a stack frame is read: the method key and line number kept, the rest skipped. */
function frameOpsOf(fields: JfrField[]): Uint8Array {
  const isInteger = (f: JfrField) =>
    !f.array && (f.constantPool || (f.type.kind >= KIND.char && f.type.kind <= KIND.long));
  return Uint8Array.from(fields, (f) => {
    if (f.name === 'method' && f.constantPool && !f.array) return FRAME_METHOD;
    if (f.name === 'lineNumber' && isInteger(f)) return FRAME_LINE;
    return isInteger(f) ? FRAME_SKIPLONG : FRAME_OTHER;
  });
}

/** A map of small non-negative integer keys as an array of its values (-1: absent), or undefined when the keys are sparse. */
function denseIndex(map: Map<number, number>, bound: number): Int32Array | undefined {
  let max = 0;
  for (const k of map.keys()) {
    if (!(k >= 0 && Number.isInteger(k))) return undefined;
    if (k > max) max = k;
  }
  if (max > 4 * bound + 65536) return undefined;
  const out = new Int32Array(max + 1).fill(-1);
  for (const [k, v] of map) out[k] = v;
  return out;
}

/** (a, b) -> value for non-negative int32 pairs, by open addressing over typed arrays. */
class PairTable {
  private a = new Int32Array(1024);
  private b = new Int32Array(1024);
  private v = new Int32Array(1024);
  private mask = 1023;
  private size = 0;

  private static slot(a: number, b: number): number {
    return Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77);
  }

  /** The value of (a, b), or -1. */
  get(a: number, b: number): number {
    const mask = this.mask;
    for (let i = PairTable.slot(a, b) & mask; ; i = (i + 1) & mask) {
      const k = (this.a[i] as number) - 1;
      if (k < 0) return -1;
      if (k === a && this.b[i] === b) return this.v[i] as number;
    }
  }

  set(a: number, b: number, value: number): void {
    if (2 * (this.size + 1) > this.a.length) this.grow();
    const mask = this.mask;
    let i = PairTable.slot(a, b) & mask;
    while (this.a[i] !== 0 && !(this.a[i] === a + 1 && this.b[i] === b)) i = (i + 1) & mask;
    if (this.a[i] === 0) this.size++;
    this.a[i] = a + 1;
    this.b[i] = b;
    this.v[i] = value;
  }

  private grow(): void {
    const { a, b, v } = this;
    const n = a.length * 2;
    this.a = new Int32Array(n);
    this.b = new Int32Array(n);
    this.v = new Int32Array(n);
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== 0) this.set((a[i] as number) - 1, b[i] as number, v[i] as number);
  }
}
