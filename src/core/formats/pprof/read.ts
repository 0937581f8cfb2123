// Reads pprof's profile.proto (https://github.com/google/pprof/blob/main/proto/profile.proto)
// straight from the wire bytes: only the fields pyro uses are decoded, and
// samples are never turned into objects.
//
// The input is read as it arrives (a gzipped file is inflated off the main
// thread meanwhile): each complete top-level field is handled at once. Tables
// (strings, functions, mappings, locations, sample types) are kept as read;
// samples are grouped by their bytes (the same location ids and labels, byte
// for byte, are the same stack) and their values summed (once the first ones
// are all distinct, as most writers write them, only some are looked up,
// until one is a repeat; the others are summed in the trie). Writers may
// put the tables after the samples, so the stacks are expanded into frames at
// the end, once per distinct stack: a few (a server's push) one by one, each
// from where it parts from the one before; many in one sorted batch.
import { InputError } from '../../errors.js';
import type { Source } from '../../io/source.js';
import { ProfileBuilder } from '../../model/builder.js';
import { growFloat64, growInt32, NumberList } from '../../model/growable.js';
import type { Profile, ValueType } from '../../model/profile.js';
import type { SharedSymbols } from '../../model/shared-symbols.js';
import { StackBatch } from '../../model/stack-batch.js';
import { StringTable } from '../../model/strings.js';
import { SORTED_BUILD_MIN } from '../../model/trie.js';
import { hex64, I32, I64, LEN, VARINT, WireError, WireReader } from './wire.js';

/** Field numbers of the messages of profile.proto. */
const F = {
  sampleType: 1,
  sample: 2,
  mapping: 3,
  location: 4,
  function: 5,
  stringTable: 6,
  timeNanos: 9,
  durationNanos: 10,
  periodType: 11,
  period: 12,
  defaultSampleType: 14,
} as const;

export async function readPprof(source: Source): Promise<Profile> {
  const reader = new PprofReader(source.name, source.sizeHint);
  for await (const chunk of source.chunks({ transient: true })) reader.push(chunk);
  return reader.finish();
}

/**
 * A pprof whose (inflated) content is all in memory, read in place: a server
 * reads many small ones, into tables they share when `symbols` is given.
 */
export function readPprofBytes(name: string, content: Buffer, symbols?: SharedSymbols): Profile {
  const reader = new PprofReader(name, undefined, content, symbols);
  return reader.finish();
}

class PprofReader {
  private readonly w: WireReader;
  /** The content read so far: buf[0 .. filled). */
  private buf: Buffer;
  private filled = 0;
  /** The end of the top-level field being read: no message inside it reads past it. */
  private limit = 0;
  /** How many of each top-level field were read (for error messages), by field number. */
  private readonly seen = new Int32Array(16);
  private readonly memo: StackMemo;
  private samples = 0;
  /** Bytes of the location ids of the memo's entries: at least as many as there are ids. */
  private locBytes = 0;
  /** Values per sample (of the first), and the first sample with another number of values. */
  private valuesPerSample = -1;
  private oddSample = -1;
  private oddValues = 0;
  private values = new Float64Array(4);
  /** The message being read, for error messages ("sample 12"). */
  private where = 'profile';
  private whereIndex = -1;

  /** The profile's string table, and the id in it of each string of the pprof's. */
  private readonly table: StringTable;
  private readonly sampleTypes: number[] = [];
  private periodType: number[] | undefined;
  private period = 0;
  private timeNanos = 0;
  private durationNanos = 0;
  private defaultType = 0;

  /** The tables as read, and the stack memo (kept for the next read once this one finishes). */
  private readonly t: ReadTables;
  /** Location ids of the stack being read (with insertShared, the part it does not share with the one before). */
  private ids = new Float64Array(256);
  /** The frames of the stack being expanded, leaf first (insertBatch). */
  private stack = new Int32Array(256);
  /** Where each of `ids` starts in the input (insertShared). */
  private idAt = new Int32Array(256);
  /** Per location of the stack last inserted, root first: its trie node, and its ids' bytes from the end (insertShared). */
  private locNode = new Int32Array(256);
  private cut = new Int32Array(256);

  constructor(
    private readonly name: string,
    sizeHint: number | undefined,
    /** The whole content, read where it is (push() must not be called). */
    content?: Buffer,
    private readonly symbols?: SharedSymbols,
  ) {
    this.table = symbols?.strings ?? new StringTable();
    // Room for the whole content when its size is known (pages never written are never touched).
    this.buf = content ?? Buffer.allocUnsafeSlow(Math.max(64 * 1024, Math.min(sizeHint ?? 0, 2 ** 31 - 1)));
    this.filled = content?.length ?? 0;
    this.w = new WireReader(this.buf);
    this.t = ReadTables.take(this.buf);
    this.memo = this.t.memo;
  }

  push(chunk: Buffer): void {
    if (this.filled + chunk.length > this.buf.length) {
      let n = this.buf.length * 2;
      while (n < this.filled + chunk.length) n *= 2;
      const next = Buffer.allocUnsafeSlow(n);
      this.buf.copy(next, 0, 0, this.filled);
      this.buf = next;
      this.w.buf = next;
      this.memo.rebind(next);
    }
    chunk.copy(this.buf, this.filled);
    this.filled += chunk.length;
    this.guard(() => this.readFields(false));
  }

  finish(): Profile {
    const profile = this.guard(() => {
      this.readFields(true);
      const r = this.resolve();
      return this.readStacks(r);
    });
    this.t.release();
    return profile;
  }

  private guard<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof WireError) throw this.error(`${e.message} (at byte ${this.w.pos})`);
      throw e;
    }
  }

  /** An error about the message being read ("string_table 3: ..."). */
  private error(detail: string): InputError {
    const at = this.where === 'profile' ? '' : `${this.where} ${this.whereIndex}: `;
    return new InputError(this.name, `${at}${detail}`);
  }

  /** An error that names its subject itself. */
  private fail(sentence: string): InputError {
    return new InputError(this.name, sentence);
  }

  private at(where: string, index: number): void {
    this.where = where;
    this.whereIndex = index;
  }

  /**
   * Reads every complete top-level field in buf[w.pos .. filled); `last`: the
   * content is all there, so an incomplete field is an error.
   */
  private readFields(last: boolean): void {
    const { w, seen } = this;
    const end = this.filled;
    while (w.pos < end) {
      const fieldStart = w.pos;
      if (!last) {
        const fieldEnd = completeFieldEnd(this.buf, fieldStart, end);
        if (fieldEnd < 0) return;
      }
      this.at('profile', -1);
      this.limit = end;
      const tag = w.varint(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      const index = field < 16 ? seen[field]++ : 0;
      switch (field) {
        case F.sample:
          this.at('sample', index);
          this.sample(this.messageEnd(wt));
          break;
        case F.sampleType:
          this.at('sample_type', index);
          this.valueType(this.messageEnd(wt), this.sampleTypes);
          break;
        case F.periodType:
          this.at('period_type', index);
          this.periodType = [];
          this.valueType(this.messageEnd(wt), this.periodType);
          break;
        case F.mapping:
          this.at('mapping', index);
          this.mapping(this.messageEnd(wt));
          break;
        case F.location:
          this.at('location', index);
          this.location(this.messageEnd(wt));
          break;
        case F.function:
          this.at('function', index);
          this.func(this.messageEnd(wt));
          break;
        case F.stringTable: {
          this.at('string_table', index);
          const e = this.messageEnd(wt);
          this.t.stringIds.push(
            this.symbols
              ? this.symbols.stringId(this.buf, w.pos, e, this.memo.view)
              : this.table.intern(this.buf.toString('utf8', w.pos, e)),
          );
          w.pos = e;
          break;
        }
        case F.timeNanos:
          this.timeNanos = this.scalar(wt, end);
          break;
        case F.durationNanos:
          this.durationNanos = this.scalar(wt, end);
          break;
        case F.period:
          this.period = this.scalar(wt, end);
          break;
        case F.defaultSampleType:
          this.defaultType = this.scalar(wt, end);
          break;
        default:
          // Comments, drop/keep_frames, doc_url and unknown fields are not used.
          w.skip(wt, end);
      }
    }
  }

  /** The end of a length-delimited field whose value is a message. */
  private messageEnd(wt: number): number {
    if (wt !== LEN) throw new WireError(`wire type ${wt} where a message was expected`);
    return this.w.lengthEnd(this.limit);
  }

  private scalar(wt: number, limit: number): number {
    if (wt !== VARINT) throw new WireError(`wire type ${wt} where an integer was expected`);
    return this.w.varint(limit);
  }

  /** ValueType {type = 1, unit = 2}: pushes the two string indexes. */
  private valueType(end: number, into: number[]): void {
    const w = this.w;
    let type = 0;
    let unit = 0;
    while (w.pos < end) {
      const tag = w.varint(end);
      const wt = tag & 7;
      if (tag >>> 3 === 1) type = this.scalar(wt, end);
      else if (tag >>> 3 === 2) unit = this.scalar(wt, end);
      else w.skip(wt, end);
    }
    into.push(type, unit);
  }

  /** Mapping {id = 1, filename = 5}. */
  private mapping(end: number): void {
    const w = this.w;
    let id = 0;
    let file = 0;
    while (w.pos < end) {
      const tag = w.varint(end);
      const wt = tag & 7;
      if (tag >>> 3 === 1) id = this.scalar(wt, end);
      else if (tag >>> 3 === 5) file = this.scalar(wt, end);
      else w.skip(wt, end);
    }
    this.t.mapId.push(id);
    this.t.mapFile.push(file);
  }

  /** Function {id = 1, name = 2, system_name = 3, filename = 4}. */
  private func(end: number): void {
    const w = this.w;
    let id = 0;
    let name = 0;
    let system = 0;
    let file = 0;
    while (w.pos < end) {
      const tag = w.varint(end);
      const wt = tag & 7;
      const field = tag >>> 3;
      if (field === 1) id = this.scalar(wt, end);
      else if (field === 2) name = this.scalar(wt, end);
      else if (field === 3) system = this.scalar(wt, end);
      else if (field === 4) file = this.scalar(wt, end);
      else w.skip(wt, end);
    }
    const t = this.t;
    t.fnId.push(id);
    t.fnName.push(name);
    t.fnSystemName.push(system);
    t.fnFile.push(file);
  }

  /** Location {id = 1, mapping_id = 2, address = 3, repeated Line line = 4 {function_id = 1, line = 2}}. */
  private location(end: number): void {
    const w = this.w;
    let id = 0;
    let mapping = 0;
    let lo = 0;
    let hi = 0;
    while (w.pos < end) {
      const tag = w.varint(end);
      const wt = tag & 7;
      const field = tag >>> 3;
      if (field === 1) id = this.scalar(wt, end);
      else if (field === 2) mapping = this.scalar(wt, end);
      else if (field === 3) {
        if (wt !== VARINT) throw new WireError(`wire type ${wt} where an integer was expected`);
        w.varint64(end);
        lo = w.lo;
        hi = w.hi;
      } else if (field === 4) {
        const lineEnd = this.messageEnd(wt);
        let fn = 0;
        let line = 0;
        while (w.pos < lineEnd) {
          const t = w.varint(lineEnd);
          if (t >>> 3 === 1) fn = this.scalar(t & 7, lineEnd);
          else if (t >>> 3 === 2) line = this.scalar(t & 7, lineEnd);
          else w.skip(t & 7, lineEnd);
        }
        this.t.lineFn.push(fn);
        this.t.lineNo.push(line);
      } else w.skip(wt, end);
    }
    const t = this.t;
    t.locId.push(id);
    t.locMapping.push(mapping);
    t.locAddrLo.push(lo);
    t.locAddrHi.push(hi);
    t.locLines.push(t.lineFn.length);
  }

  /** A string of the table by index, checked. */
  private str(index: number, what: string): string {
    return this.table.get(this.strId(index, what));
  }

  /** The profile's string id of a string of the table by index, checked. */
  private strId(index: number, what: string): number {
    const ids = this.t.stringIds;
    if (!(index >= 0 && index < ids.length) || !Number.isInteger(index)) {
      throw this.error(`${what} is string ${index}, but the string table has ${ids.length} strings`);
    }
    return ids.get(index);
  }

  /** Builds the profile's value types and the frames of every location. */
  private resolve(): Resolved {
    const types: ValueType[] = [];
    for (let i = 0; i < this.sampleTypes.length; i += 2) {
      this.at('sample_type', i / 2);
      types.push({
        type: this.str(this.sampleTypes[i] as number, 'type'),
        unit: this.str(this.sampleTypes[i + 1] as number, 'unit'),
      });
    }
    this.at('profile', -1);
    if (types.length === 0) throw this.error('no sample_type: the profile says nothing about what its values are');
    const b = new ProfileBuilder(types, 'pprof', this.table, this.symbols?.frames);
    const p = b.profile;
    if (this.defaultType !== 0) {
      const name = this.str(this.defaultType, 'default_sample_type');
      const i = types.findIndex((t) => t.type === name);
      if (i >= 0) p.defaultValue = i;
    }
    if (this.periodType) {
      this.at('period_type', 0);
      p.periodType = {
        type: this.str(this.periodType[0] as number, 'type'),
        unit: this.str(this.periodType[1] as number, 'unit'),
      };
    }
    p.period = this.period;
    if (this.timeNanos !== 0) p.startTime = this.timeNanos / 1e6;
    if (this.durationNanos !== 0) p.duration = this.durationNanos / 1e6;

    // Names, files and modules interned once per function and mapping, not per location.
    const strings = p.strings;
    const { mapId, mapFile, fnId, fnName, fnSystemName, fnFile, locId, locMapping, locLines, lineFn, lineNo } = this.t;
    const modules = new Int32Array(mapId.length);
    for (let i = 0; i < mapId.length; i++) {
      this.at('mapping', i);
      const file = this.str(mapFile.get(i), 'filename');
      modules[i] = strings.intern(file.slice(file.lastIndexOf('/') + 1));
    }
    const mappingIndex = new IdIndex(
      mapId,
      'mapping',
      (i) => this.at('mapping', i),
      (d) => this.error(d),
    );
    const fnIndex = new IdIndex(
      fnId,
      'function',
      (i) => this.at('function', i),
      (d) => this.error(d),
    );
    const fnNames = new Int32Array(fnId.length);
    const fnFiles = new Int32Array(fnId.length);
    for (let i = 0; i < fnId.length; i++) {
      this.at('function', i);
      // The name, else the system name (id 0 is the empty string).
      const name = this.strId(fnName.get(i), 'name');
      fnNames[i] = name || this.strId(fnSystemName.get(i), 'system_name');
      fnFiles[i] = this.strId(fnFile.get(i), 'filename');
    }

    // Location i expands to frames[start[i] .. start[i + 1]), leaf first:
    // the first Line is the innermost inlined function, the last the caller.
    const nLoc = locId.length;
    // At most a frame per Line, or per location without one.
    p.frames.reserve(p.frames.size + lineFn.length + nLoc);
    const start = new Int32Array(nLoc + 1);
    let frames = new Int32Array(Math.max(16, lineFn.length + nLoc));
    let n = 0;
    for (let i = 0; i < nLoc; i++) {
      this.at('location', i);
      start[i] = n;
      const mid = locMapping.get(i);
      let module = 0;
      if (mid !== 0) {
        const m = mappingIndex.get(mid);
        if (m < 0) throw this.fail(`location id ${locId.get(i)} refers to mapping ${mid}, which does not exist`);
        module = modules[m] as number;
      }
      const l0 = locLines.get(i);
      const l1 = locLines.get(i + 1);
      if (n + Math.max(1, l1 - l0) > frames.length) frames = growInt32(frames, n + l1 - l0 + 1);
      if (l0 === l1) {
        const addr = hex64(this.t.locAddrLo.get(i), this.t.locAddrHi.get(i));
        frames[n++] = p.frames.intern(strings.intern(`0x${addr}`), 0, 0, module);
        continue;
      }
      for (let l = l0; l < l1; l++) {
        const fid = lineFn.get(l);
        const f = fnIndex.get(fid);
        if (f < 0) throw this.fail(`location id ${locId.get(i)} refers to function ${fid}, which does not exist`);
        frames[n++] = p.frames.intern(fnNames[f] as number, fnFiles[f] as number, lineNo.get(l), module);
      }
    }
    start[nLoc] = n;
    const locIndex = new IdIndex(
      locId,
      'location',
      (i) => this.at('location', i),
      (d) => this.error(d),
    );
    return { b, locIndex, start, frames };
  }

  /**
   * Sample {repeated location_id = 1, repeated value = 2, repeated Label label = 3}:
   * its values are added to its stack's entry in the memo, found by the bytes of
   * its location and label fields.
   */
  private sample(sEnd: number): void {
    const w = this.w;
    const sStart = w.pos;
    let values = this.values;
    let locStart = -1;
    let locEnd = -1;
    let labStart = -1;
    let labEnd = -1;
    let contiguous = true;
    let nValues = 0;
    while (w.pos < sEnd) {
      const fieldStart = w.pos;
      const t = w.varint(sEnd);
      const field = t >>> 3;
      const wt = t & 7;
      if (field === 2) {
        const packed = wt === LEN;
        const vEnd = packed ? w.lengthEnd(sEnd) : sEnd;
        while (w.pos < vEnd) {
          const v = packed ? w.varint(vEnd) : this.scalar(wt, sEnd);
          if (nValues === values.length) values = this.values = growFloat64(values, nValues + 1);
          values[nValues++] = v;
          if (!packed) break;
        }
      } else if (field === 1) {
        if (locStart < 0) locStart = fieldStart;
        else if (locEnd !== fieldStart) contiguous = false;
        w.skip(wt, sEnd);
        locEnd = w.pos;
      } else if (field === 3) {
        if (labStart < 0) labStart = fieldStart;
        else if (labEnd !== fieldStart) contiguous = false;
        w.skip(wt, sEnd);
        labEnd = w.pos;
      } else w.skip(wt, sEnd);
    }
    const index = this.samples++;
    if (this.valuesPerSample < 0) {
      this.valuesPerSample = nValues;
      this.memo.setWidth(nValues);
    } else if (nValues !== this.valuesPerSample && this.oddSample < 0) {
      this.oddSample = index;
      this.oddValues = nValues;
    }
    if (locStart < 0) locStart = locEnd = sEnd;
    if (labStart < 0) labStart = labEnd = sEnd;
    const memo = this.memo;
    const keyed = contiguous && memo.looks();
    let entry = keyed ? memo.find(locStart, locEnd, labStart, labEnd) : -1;
    if (entry < 0) {
      entry = memo.add(sStart, sEnd, index, keyed);
      this.locBytes += locEnd - locStart;
    }
    memo.addValues(entry, values);
  }

  /** Inserts each distinct stack into its label set's trie, and builds the profile. */
  private readStacks(r: Resolved): Profile {
    const p = r.b.profile;
    const k = p.nTypes;
    if (this.samples > 0 && this.valuesPerSample !== k) {
      throw this.fail(`sample 0 has ${this.valuesPerSample} values, but the profile has ${k} sample types`);
    }
    if (this.oddSample >= 0) {
      throw this.fail(`sample ${this.oddSample} has ${this.oddValues} values, but the profile has ${k} sample types`);
    }
    // Many stacks (a large profile, in any order) go in sorted, unhashed; a few (a push to pyro server) one by one.
    if (this.memo.count >= SORTED_BUILD_MIN) this.insertBatch(r);
    else this.insertShared(r);
    p.sampleCount = this.samples;
    return r.b.finish();
  }

  /**
   * Expands each distinct stack into frames and inserts them in one
   * StackTrie.insertStacks per label set (which sorts a batch this large).
   */
  private insertBatch(r: Resolved): void {
    const p = r.b.profile;
    const k = p.nTypes;
    const memo = this.memo;
    // Room for a frame per location id (most locations have one line; more are room to grow).
    const batch = new StackBatch(k, false, memo.count, this.locBytes);
    for (let e = 0; e < memo.count; e++) {
      const sStart = memo.sampleStart(e);
      const sEnd = memo.sampleEnd(e);
      this.at('sample', memo.sampleIndex(e));
      this.limit = sEnd;
      const n = this.decodeIds(sStart, sEnd);
      let depth = 0;
      for (let x = 0; x < n; x++) depth = this.pushLocation(this.ids[x] as number, depth, r);
      batch.add(this.stack, depth, this.labelled(sStart, sEnd) ? this.labelSet(p, sStart, sEnd) : 0);
      for (let t = 0; t < k; t++) batch.addValue(e, t, memo.valueOf(e, t));
    }
    batch.insertInto(p);
  }

  /** Appends the frames of location `id` (leaf first) to the stack at `depth`; returns the new depth. */
  private pushLocation(id: number, depth: number, { locIndex, start, frames }: Resolved): number {
    const loc = locIndex.get(id);
    if (loc < 0) throw this.fail(`sample ${this.whereIndex} refers to location ${id}, which does not exist`);
    const f0 = start[loc] as number;
    const f1 = start[loc + 1] as number;
    if (depth + f1 - f0 > this.stack.length) this.stack = growInt32(this.stack, depth + f1 - f0);
    const stack = this.stack;
    for (let f = f0; f < f1; f++) stack[depth++] = frames[f] as number;
    return depth;
  }

  /** Decodes every location id of the sample buf[sStart, sEnd) into ids[0 .. n) (leaf first); returns n. */
  private decodeIds(sStart: number, sEnd: number): number {
    const w = this.w;
    let ids = this.ids;
    let n = 0;
    w.pos = sStart;
    while (w.pos < sEnd) {
      const t = w.varint(sEnd);
      if (t >>> 3 !== 1) {
        w.skip(t & 7, sEnd);
        continue;
      }
      const packed = (t & 7) === LEN;
      const end = packed ? w.lengthEnd(sEnd) : sEnd;
      while (w.pos < end) {
        if (n === ids.length) {
          ids = this.ids = growFloat64(ids, n + 1);
          this.idAt = growInt32(this.idAt, n + 1);
        }
        ids[n++] = packed ? w.varint(end) : this.scalar(t & 7, sEnd);
        if (!packed) break;
      }
    }
    return n;
  }

  /** Whether the sample buf[sStart, sEnd) has labels. */
  private labelled(sStart: number, sEnd: number): boolean {
    const w = this.w;
    w.pos = sStart;
    while (w.pos < sEnd) {
      const t = w.varint(sEnd);
      if (t >>> 3 === 3) return true;
      w.skip(t & 7, sEnd);
    }
    return false;
  }

  /**
   * Inserts each distinct stack into its label set's trie, root first, one by one. A stack
   * whose location ids are one packed field shares with the stack before it
   * the root-side ids that are the same bytes (writers emit stacks depth
   * first, so most are): only the ids where it parts from that one are
   * decoded, expanded into frames and looked up in the trie, from the node
   * where they part.
   */
  private insertShared({ b, locIndex, start, frames }: Resolved): void {
    const w = this.w;
    const buf = this.buf;
    const p = b.profile;
    const k = p.nTypes;
    const memo = this.memo;
    // Room for what the stacks of a profile mostly make (they share prefixes).
    p.trieFor(0).reserve(Math.min(this.locBytes, 8 * memo.count + 1024) + 1, true);
    let ids = this.ids;
    let at = this.idAt;
    // Root first, per location of the previous stack: the trie node after its frames ([0]: the root), and
    // how many bytes of its ids, counted from their end, hold it and the locations before it ([0]: 0).
    let locNode = this.locNode;
    let cut = this.cut;
    // The previous stack's packed location ids: buf[prevStart, prevEnd) (empty: nothing to share).
    let prevStart = 0;
    let prevEnd = 0;
    let prevSet = -1;
    let prevLocs = 0;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let e = 0; e < memo.count; e++) {
      const sStart = memo.sampleStart(e);
      const sEnd = memo.sampleEnd(e);
      this.at('sample', memo.sampleIndex(e));
      this.limit = sEnd;
      let idsStart = -1;
      let idsEnd = -1;
      let idFields = 0;
      let labelled = false;
      w.pos = sStart;
      while (w.pos < sEnd) {
        const t = w.varint(sEnd);
        if (t >>> 3 === 1) {
          idFields++;
          if ((t & 7) === LEN) {
            idsEnd = w.lengthEnd(sEnd);
            idsStart = w.pos;
            w.pos = idsEnd;
            continue;
          }
        } else if (t >>> 3 === 3) labelled = true;
        w.skip(t & 7, sEnd);
      }
      const set = labelled ? this.labelSet(p, sStart, sEnd) : 0;
      // The ids not shared, leaf first, into ids[0 .. n) (at[]: where each starts); `shared`: locations shared, from the root.
      let n = 0;
      let shared = 0;
      if (idFields === 1 && idsStart >= 0) {
        let i = idsEnd;
        if (set === prevSet && prevEnd > prevStart) {
          // The bytes both end with, four at a time.
          const max = Math.min(idsEnd - idsStart, prevEnd - prevStart);
          let same = 0;
          while (same + 4 <= max && view.getInt32(idsEnd - same - 4) === view.getInt32(prevEnd - same - 4)) same += 4;
          while (same < max && buf[idsEnd - same - 1] === buf[prevEnd - same - 1]) same++;
          // The root-side locations of the previous stack within those bytes (cut[] grows); one that ends
          // just where they do only if an id of this stack starts there too.
          let lo = 0;
          let hi = prevLocs;
          while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if ((cut[mid] as number) <= same) lo = mid;
            else hi = mid - 1;
          }
          if (lo > 0 && cut[lo] === same && same < idsEnd - idsStart && (buf[idsEnd - same - 1] as number) >= 0x80)
            lo--;
          shared = lo;
          i = idsEnd - (cut[lo] as number);
        }
        w.pos = idsStart;
        while (w.pos < i) {
          if (n === ids.length) {
            ids = this.ids = growFloat64(ids, n + 1);
            at = this.idAt = growInt32(at, n + 1);
          }
          at[n] = w.pos;
          ids[n++] = w.varint(i);
        }
        prevStart = idsStart;
        prevEnd = idsEnd;
      } else {
        // Unpacked or split ids (Go writes short stacks so): all decoded, nothing shared either way.
        n = this.decodeIds(sStart, sEnd);
        ids = this.ids;
        at = this.idAt;
        prevStart = prevEnd = 0;
      }
      prevSet = set;
      const trie = p.trieFor(set);
      let node = locNode[shared] as number;
      let depth = shared;
      if (depth + n + 1 > locNode.length) {
        locNode = this.locNode = growInt32(locNode, depth + n + 1);
        cut = this.cut = growInt32(cut, locNode.length);
      }
      for (let x = n - 1; x >= 0; x--) {
        const id = ids[x] as number;
        const loc = locIndex.get(id);
        if (loc < 0) throw this.fail(`sample ${this.whereIndex} refers to location ${id}, which does not exist`);
        // A location's frames are leaf first (its inlined functions, then the caller).
        for (let f = (start[loc + 1] as number) - 1; f >= (start[loc] as number); f--)
          node = trie.child(node, frames[f] as number);
        locNode[++depth] = node;
        cut[depth] = idsEnd - (at[x] as number);
      }
      prevLocs = depth;
      const self = trie.self;
      for (let t = 0; t < k; t++) self[node * k + t] += memo.valueOf(e, t);
    }
  }

  /** Label {key = 1, str = 2, num = 3, num_unit = 4}: numeric labels become "NUM UNIT" strings. */
  private labelSet(profile: Profile, from: number, to: number): number {
    const w = this.w;
    const pairs: [string, string][] = [];
    w.pos = from;
    while (w.pos < to) {
      const t = w.varint(to);
      if (t >>> 3 !== 3) {
        w.skip(t & 7, to);
        continue;
      }
      const end = this.messageEnd(t & 7);
      let key = 0;
      let str = 0;
      let num = 0;
      let unit = 0;
      while (w.pos < end) {
        const lt = w.varint(end);
        const field = lt >>> 3;
        if (field === 1) key = this.scalar(lt & 7, end);
        else if (field === 2) str = this.scalar(lt & 7, end);
        else if (field === 3) num = this.scalar(lt & 7, end);
        else if (field === 4) unit = this.scalar(lt & 7, end);
        else w.skip(lt & 7, end);
      }
      const k = this.str(key, 'label key');
      if (str !== 0) pairs.push([k, this.str(str, `label ${k}`)]);
      else {
        const u = this.str(unit, `label ${k}: num_unit`);
        pairs.push([k, u ? `${num} ${u}` : String(num)]);
      }
    }
    return profile.labelSetId(pairs);
  }
}

interface Resolved {
  b: ProfileBuilder;
  locIndex: IdIndex;
  start: Int32Array;
  frames: Int32Array;
}

/** Index of a message by its id field: a direct table when ids are dense (they usually are 1..n), else a Map. */
class IdIndex {
  private direct: Int32Array | undefined;
  private map: Map<number, number> | undefined;

  constructor(ids: NumberList, what: string, at: (i: number) => void, error: (d: string) => Error) {
    const n = ids.length;
    let max = 0;
    let whole = true;
    for (let i = 0; i < n; i++) {
      const id = ids.get(i);
      if (id > max) max = id;
      if (!(Number.isInteger(id) && id >= 0)) whole = false;
    }
    if (whole && max <= 4 * n + 1024) this.direct = new Int32Array(max + 1).fill(-1);
    else this.map = new Map();
    for (let i = 0; i < n; i++) {
      const id = ids.get(i);
      at(i);
      if (id === 0) throw error(`${what} id is 0, which is reserved`);
      if (this.get(id) >= 0) throw error(`${what} id ${id} is used twice`);
      if (this.direct) this.direct[id] = i;
      else this.map?.set(id, i);
    }
  }

  /** The index of the message with this id, or -1. */
  get(id: number): number {
    const d = this.direct;
    if (d) return id > 0 && id < d.length ? (d[id] as number) : -1;
    return this.map?.get(id) ?? -1;
  }
}

/**
 * What a read fills as it goes: the pprof's tables as read (string ids,
 * mappings, functions, locations and their lines, by index) and its stack
 * memo. A finished read clears them and keeps them for the next one: a server
 * reads many small profiles in turn, whose tables then neither start small
 * nor grow again (as JavaScript arrays did, for most of a read's garbage).
 */
class ReadTables {
  readonly stringIds = new NumberList();
  readonly mapId = new NumberList();
  readonly mapFile = new NumberList();
  readonly fnId = new NumberList();
  readonly fnName = new NumberList();
  readonly fnSystemName = new NumberList();
  readonly fnFile = new NumberList();
  readonly locId = new NumberList();
  readonly locMapping = new NumberList();
  readonly locAddrLo = new NumberList();
  readonly locAddrHi = new NumberList();
  /** Lines of location i: lineFn/lineNo[locLines[i] .. locLines[i + 1]). */
  readonly locLines = new NumberList();
  readonly lineFn = new NumberList();
  readonly lineNo = new NumberList();
  private readonly lists = [
    this.stringIds,
    this.mapId,
    this.mapFile,
    this.fnId,
    this.fnName,
    this.fnSystemName,
    this.fnFile,
    this.locId,
    this.locMapping,
    this.locAddrLo,
    this.locAddrHi,
    this.locLines,
    this.lineFn,
    this.lineNo,
  ];

  private constructor(readonly memo: StackMemo) {
    this.locLines.push(0);
  }

  /** Tables for reading `buf`: those a finished read released, or new ones. */
  static take(buf: Buffer): ReadTables {
    const t = spareTables.pop();
    if (!t) return new ReadTables(new StackMemo(buf));
    t.memo.rebind(buf);
    return t;
  }

  /** Cleared and kept for the next read, unless they grew large. */
  release(): void {
    if (this.memo.large || spareTables.length >= SPARE_TABLES) return;
    if (this.lists.some((l) => l.length > SPARE_ITEMS)) return;
    this.memo.clear();
    for (const l of this.lists) l.clear();
    this.locLines.push(0);
    spareTables.push(this);
  }
}

/**
 * The stacks of a profile, found by the bytes of a sample's location-id and
 * label fields (ranges of the input buffer, never copied), with their summed
 * values: an entry per distinct stack, but for the samples it did not look
 * up (see `looks`). Samples only add into their entry; the stacks are
 * expanded at the end, once per entry (readStacks).
 */
class StackMemo {
  /** Per entry: the first sample's message (start, end, index). */
  // Small to start, doubled as needed: a server reads many small profiles.
  private entries = new Int32Array(STRIDE * 256);
  count = 0;
  /** `width` values per entry. */
  private values = new Float64Array(0);
  private width = 0;
  /**
   * Slots of SLOT int32s: hash, entry + 1 (0: empty), locStart, locLen, labStart,
   * labLen; the key inline, so that a probe reads the table and the input only.
   */
  private table = new Int32Array(SLOT * 512);
  private mask = 511;
  private lastSlot = -1;
  /** Entries in the table (the findable ones). */
  private keyed = 0;
  /**
   * Whether every sample is looked up by its bytes: not once the first
   * LOOK_FIRST were all distinct stacks. Most writers (Go's runtime/pprof,
   * pprof-nodejs, pyro) write a sample per distinct stack, whose hashing
   * would find nothing. Every PROBE_EVERY-th sample still is, and a repeat
   * found brings the lookups back (a writer of a sample per event, whose
   * first samples happened to differ).
   */
  private looking = true;
  private repeats = 0;
  private unlooked = 0;
  private readonly key = new Int32Array(5);
  /** A view of buf's memory (word reads). */
  view: DataView;

  constructor(private buf: Buffer) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Whether it grew past SPARE_SLOTS slots or entries (too large to keep for another read). */
  get large(): boolean {
    return this.mask + 1 > SPARE_SLOTS || this.entries.length > STRIDE * SPARE_SLOTS;
  }

  /** Empty again, for another read. */
  clear(): void {
    this.table.fill(0);
    this.values.fill(0, 0, this.count * this.width);
    this.count = 0;
    this.keyed = 0;
    this.looking = true;
    this.repeats = 0;
    this.unlooked = 0;
    this.lastSlot = -1;
    this.rebind(EMPTY);
  }

  /** The input moved to a larger buffer. */
  rebind(buf: Buffer): void {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Values per sample (set at the first sample). */
  setWidth(width: number): void {
    this.width = width;
    const n = (this.entries.length / STRIDE) * width;
    // A released memo's values are zero: kept when large enough.
    if (this.values.length < n) this.values = new Float64Array(n);
  }

  /** Whether to look up the next sample (find(), then add() it findable when missed). */
  looks(): boolean {
    return this.looking || ++this.unlooked % PROBE_EVERY === 0;
  }

  /** The entry for this key, or -1 (then add() records it). */
  find(ls: number, le: number, bs: number, be: number): number {
    const { buf, view } = this;
    const h = hashRange(buf, view, hashRange(buf, view, 0x811c9dc5, ls, le) ^ 0xff, bs, be);
    const ll = le - ls;
    const bl = be - bs;
    const key = this.key;
    key[0] = h;
    key[1] = ls;
    key[2] = ll;
    key[3] = bs;
    key[4] = bl;
    const { table, mask } = this;
    let slot = h & mask;
    for (;;) {
      const o = slot * SLOT;
      if (table[o + 1] === 0) break;
      if (
        table[o] === h &&
        table[o + 3] === ll &&
        table[o + 5] === bl &&
        same(buf, view, table[o + 2] as number, ls, ll) &&
        same(buf, view, table[o + 4] as number, bs, bl)
      ) {
        this.repeats++;
        this.looking = true;
        return (table[o + 1] as number) - 1;
      }
      slot = (slot + 1) & mask;
    }
    this.lastSlot = slot;
    return -1;
  }

  /**
   * A new entry for the sample in buf[sStart, sEnd); `findable`: under the key
   * of the last find() that missed (else the sample was not looked up, or its
   * fields were not contiguous, and the entry is its own).
   */
  add(sStart: number, sEnd: number, index: number, findable: boolean): number {
    const e = this.count++;
    if ((e + 1) * STRIDE > this.entries.length) {
      this.entries = growInt32(this.entries, (e + 1) * STRIDE);
      this.values = growFloat64(this.values, (this.entries.length / STRIDE) * this.width);
    }
    const o = e * STRIDE;
    const entries = this.entries;
    entries[o] = sStart;
    entries[o + 1] = sEnd;
    entries[o + 2] = index;
    if (!findable) return e;
    const t = this.lastSlot * SLOT;
    const key = this.key;
    this.table[t] = key[0] as number;
    this.table[t + 1] = e + 1;
    for (let i = 1; i < 5; i++) this.table[t + 1 + i] = key[i] as number;
    if (++this.keyed * 2 > this.mask + 1) this.rehash();
    if (this.keyed === LOOK_FIRST && this.repeats === 0) this.looking = false;
    return e;
  }

  addValues(e: number, values: Float64Array): void {
    const k = this.width;
    const into = this.values;
    for (let t = 0; t < k; t++) into[e * k + t] += values[t] as number;
  }

  sampleStart(e: number): number {
    return this.entries[e * STRIDE] as number;
  }

  sampleEnd(e: number): number {
    return this.entries[e * STRIDE + 1] as number;
  }

  sampleIndex(e: number): number {
    return this.entries[e * STRIDE + 2] as number;
  }

  valueOf(e: number, t: number): number {
    return this.values[e * this.width + t] as number;
  }

  private rehash(): void {
    const old = this.table;
    const size = (this.mask + 1) * 2;
    const table = new Int32Array(SLOT * size);
    const mask = size - 1;
    for (let o = 0; o < old.length; o += SLOT) {
      if (old[o + 1] === 0) continue;
      let slot = (old[o] as number) & mask;
      while (table[slot * SLOT + 1] !== 0) slot = (slot + 1) & mask;
      table.set(old.subarray(o, o + SLOT), slot * SLOT);
    }
    this.table = table;
    this.mask = mask;
  }
}

const STRIDE = 3;
const SLOT = 6;
/** Samples looked up before a memo stops looking when none was a repeat; then one in PROBE_EVERY is. */
const LOOK_FIRST = 64;
const PROBE_EVERY = 16;
/** Released tables kept for reuse: at most SPARE_TABLES, with memos of at most SPARE_SLOTS slots and lists of SPARE_ITEMS. */
const spareTables: ReadTables[] = [];
const SPARE_TABLES = 2;
const SPARE_SLOTS = 1 << 13;
const SPARE_ITEMS = 1 << 16;
const EMPTY = Buffer.alloc(0);

/** Whether buf[a, a + len) and buf[b, b + len) hold the same bytes (four at a time). */
function same(buf: Buffer, view: DataView, a: number, b: number, len: number): boolean {
  if (a === b) return true;
  let i = 0;
  for (; i + 4 <= len; i += 4) if (view.getInt32(a + i, true) !== view.getInt32(b + i, true)) return false;
  for (; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/** Hash of buf[from, to) continuing `h` (four bytes at a time, murmur-style mixing). */
function hashRange(buf: Buffer, view: DataView, h: number, from: number, to: number): number {
  let i = from;
  for (; i + 4 <= to; i += 4) {
    let k = Math.imul(view.getInt32(i, true), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  for (; i < to; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * The end of the top-level field at buf[pos ..) if it lies wholly before
 * `end`, else -1 (more content is to come). Malformed fields are left for the
 * reader to report.
 */
function completeFieldEnd(buf: Buffer, pos: number, end: number): number {
  const tagEnd = varintEnd(buf, pos, end);
  if (tagEnd < 0) return -1;
  const wt = (buf[pos] as number) & 7;
  if (wt === VARINT) return varintEnd(buf, tagEnd, end);
  if (wt === I64) return tagEnd + 8 <= end ? tagEnd + 8 : -1;
  if (wt === I32) return tagEnd + 4 <= end ? tagEnd + 4 : -1;
  if (wt !== LEN) return tagEnd;
  const lenEnd = varintEnd(buf, tagEnd, end);
  if (lenEnd < 0) return -1;
  let len = 0;
  for (let i = lenEnd - 1; i >= tagEnd; i--) len = len * 128 + ((buf[i] as number) & 0x7f);
  return lenEnd + len <= end ? lenEnd + len : -1;
}

/** The end of the varint at buf[pos ..), or -1 when it runs past `end`. */
function varintEnd(buf: Buffer, pos: number, end: number): number {
  for (let i = pos; i < end && i < pos + 10; i++) if ((buf[i] as number) < 0x80) return i + 1;
  return pos + 10 <= end ? pos + 10 : -1;
}
