// Reads pprof's profile.proto (https://github.com/google/pprof/blob/main/proto/profile.proto)
// straight from the wire bytes: only the fields pyro uses are decoded, and
// samples are never turned into objects.
//
// Two passes over the top-level fields: the first reads the tables (strings,
// functions, mappings, locations, sample types), which writers may put after
// the samples; the second reads the samples. Samples that repeat a stack (the
// same location ids and labels, byte for byte) reuse the trie node found the
// first time, so a profile with many samples over fewer stacks walks the trie
// once per distinct stack.
import { InputError } from '../../errors.js';
import type { Source } from '../../io/source.js';
import { ProfileBuilder } from '../../model/builder.js';
import { growInt32 } from '../../model/growable.js';
import type { Profile, ValueType } from '../../model/profile.js';
import type { StackTrie } from '../../model/trie.js';
import { hex64, LEN, VARINT, WireError, WireReader } from './wire.js';

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
  return new PprofReader(source.name, await source.bytes()).read();
}

class PprofReader {
  private readonly w: WireReader;
  /** The message being read, for error messages ("sample 12"). */
  private where = 'profile';
  private whereIndex = -1;

  private readonly strings: string[] = [];
  private readonly sampleTypes: number[] = [];
  private periodType: number[] | undefined;
  private period = 0;
  private timeNanos = 0;
  private durationNanos = 0;
  private defaultType = 0;

  private readonly mapId: number[] = [];
  private readonly mapFile: number[] = [];
  private readonly fnId: number[] = [];
  private readonly fnName: number[] = [];
  private readonly fnSystemName: number[] = [];
  private readonly fnFile: number[] = [];
  private readonly locId: number[] = [];
  private readonly locMapping: number[] = [];
  private readonly locAddrLo: number[] = [];
  private readonly locAddrHi: number[] = [];
  /** Lines of location i: lineFn/lineNo[locLines[i] .. locLines[i + 1]). */
  private readonly locLines: number[] = [0];
  private readonly lineFn: number[] = [];
  private readonly lineNo: number[] = [];
  /** The frames of the sample being read, leaf first. */
  private stack = new Int32Array(256);

  constructor(
    private readonly name: string,
    private readonly buf: Buffer,
  ) {
    this.w = new WireReader(buf);
  }

  read(): Profile {
    try {
      this.readTables();
      return this.readSamples(this.resolve());
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

  /** Pass 1: everything but the samples. */
  private readTables(): void {
    const { w, buf } = this;
    const end = buf.length;
    const seen = new Int32Array(16);
    w.pos = 0;
    while (w.pos < end) {
      this.at('profile', -1);
      const tag = w.varint(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      const index = field < 16 ? seen[field]++ : 0;
      switch (field) {
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
          this.strings.push(buf.toString('utf8', w.pos, e));
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
          // Samples are pass 2; comments, drop/keep_frames, doc_url and unknown fields are not used.
          w.skip(wt, end);
      }
    }
  }

  /** The end of a length-delimited field whose value is a message. */
  private messageEnd(wt: number): number {
    if (wt !== LEN) throw new WireError(`wire type ${wt} where a message was expected`);
    return this.w.lengthEnd(this.buf.length);
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
    this.mapId.push(id);
    this.mapFile.push(file);
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
    this.fnId.push(id);
    this.fnName.push(name);
    this.fnSystemName.push(system);
    this.fnFile.push(file);
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
        this.lineFn.push(fn);
        this.lineNo.push(line);
      } else w.skip(wt, end);
    }
    this.locId.push(id);
    this.locMapping.push(mapping);
    this.locAddrLo.push(lo);
    this.locAddrHi.push(hi);
    this.locLines.push(this.lineFn.length);
  }

  /** A string of the table by index, checked. */
  private str(index: number, what: string): string {
    const s = this.strings[index];
    if (s === undefined || !Number.isInteger(index)) {
      throw this.error(`${what} is string ${index}, but the string table has ${this.strings.length} strings`);
    }
    return s;
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
    const b = new ProfileBuilder(types, 'pprof');
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

    const modules: string[] = [];
    for (let i = 0; i < this.mapId.length; i++) {
      this.at('mapping', i);
      const file = this.str(this.mapFile[i] as number, 'filename');
      modules.push(file.slice(file.lastIndexOf('/') + 1));
    }
    const mappingIndex = new IdIndex(
      this.mapId,
      'mapping',
      (i) => this.at('mapping', i),
      (d) => this.error(d),
    );
    const fnIndex = new IdIndex(
      this.fnId,
      'function',
      (i) => this.at('function', i),
      (d) => this.error(d),
    );
    const fnNames: string[] = [];
    const fnFiles: string[] = [];
    for (let i = 0; i < this.fnId.length; i++) {
      this.at('function', i);
      const name = this.str(this.fnName[i] as number, 'name');
      fnNames.push(name || this.str(this.fnSystemName[i] as number, 'system_name'));
      fnFiles.push(this.str(this.fnFile[i] as number, 'filename'));
    }

    // Location i expands to frames[start[i] .. start[i + 1]), leaf first:
    // the first Line is the innermost inlined function, the last the caller.
    const nLoc = this.locId.length;
    const start = new Int32Array(nLoc + 1);
    let frames = new Int32Array(Math.max(16, this.lineFn.length + nLoc));
    let n = 0;
    for (let i = 0; i < nLoc; i++) {
      this.at('location', i);
      start[i] = n;
      const mid = this.locMapping[i] as number;
      let module = '';
      if (mid !== 0) {
        const m = mappingIndex.get(mid);
        if (m < 0) throw this.fail(`location id ${this.locId[i]} refers to mapping ${mid}, which does not exist`);
        module = modules[m] as string;
      }
      const l0 = this.locLines[i] as number;
      const l1 = this.locLines[i + 1] as number;
      if (n + Math.max(1, l1 - l0) > frames.length) frames = growInt32(frames, n + l1 - l0 + 1);
      if (l0 === l1) {
        const addr = hex64(this.locAddrLo[i] as number, this.locAddrHi[i] as number);
        frames[n++] = b.frameAt(`0x${addr}`, '', 0, module);
        continue;
      }
      for (let l = l0; l < l1; l++) {
        const fid = this.lineFn[l] as number;
        const f = fnIndex.get(fid);
        if (f < 0) throw this.fail(`location id ${this.locId[i]} refers to function ${fid}, which does not exist`);
        frames[n++] = b.frameAt(fnNames[f] as string, fnFiles[f] as string, this.lineNo[l] as number, module);
      }
    }
    start[nLoc] = n;
    const locIndex = new IdIndex(
      this.locId,
      'location',
      (i) => this.at('location', i),
      (d) => this.error(d),
    );
    return { b, locIndex, start, frames };
  }

  /** Pass 2: the samples. */
  private readSamples(r: Resolved): Profile {
    const b = r.b;
    const { w, buf } = this;
    const p = b.profile;
    const k = p.nTypes;
    const values = new Float64Array(k);
    const memo = new StackMemo(buf);
    const end = buf.length;
    let sampleIndex = 0;
    w.pos = 0;
    while (w.pos < end) {
      const tag = w.varint(end);
      if (tag >>> 3 !== F.sample) {
        w.skip(tag & 7, end);
        continue;
      }
      this.at('sample', sampleIndex++);
      const sEnd = this.messageEnd(tag & 7);
      // Sample {repeated location_id = 1, repeated value = 2, repeated Label label = 3}:
      // the location and label fields are kept as byte ranges (the memo key).
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
          if (wt === LEN) {
            const vEnd = w.lengthEnd(sEnd);
            while (w.pos < vEnd) {
              const v = w.varint(vEnd);
              if (nValues < k) values[nValues] = v;
              nValues++;
            }
          } else {
            const v = this.scalar(wt, sEnd);
            if (nValues < k) values[nValues] = v;
            nValues++;
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
      if (nValues !== k)
        throw this.fail(`sample ${this.whereIndex} has ${nValues} values, but the profile has ${k} sample types`);
      if (locStart < 0) locStart = locEnd = sEnd;
      if (labStart < 0) labStart = labEnd = sEnd;

      let node = -1;
      let labelSet = 0;
      const entry = contiguous ? memo.find(locStart, locEnd, labStart, labEnd) : -1;
      if (entry >= 0) {
        node = memo.node(entry);
        labelSet = memo.labelSet(entry);
      } else {
        // A new stack: expand its locations (leaf first) into frames.
        let depth = 0;
        w.pos = locStart;
        while (w.pos < locEnd) {
          const t = w.varint(locEnd);
          if (t >>> 3 !== 1) {
            w.skip(t & 7, locEnd);
            continue;
          }
          if ((t & 7) === LEN) {
            const idsEnd = w.lengthEnd(locEnd);
            while (w.pos < idsEnd) depth = this.pushLocation(w.varint(idsEnd), depth, r);
          } else depth = this.pushLocation(this.scalar(t & 7, locEnd), depth, r);
        }
        labelSet = labStart < labEnd ? this.labelSet(p, labStart, labEnd) : 0;
        node = p.trieFor(labelSet).insertReversed(this.stack, 0, depth);
        if (contiguous) memo.add(node, labelSet);
        w.pos = sEnd;
      }
      const trie = p.tries[labelSet] as StackTrie;
      for (let t = 0; t < k; t++) {
        const v = values[t] as number;
        if (v !== 0) trie.addSelf(node, t, v);
      }
      p.sampleCount++;
    }
    return b.finish();
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

  constructor(ids: number[], what: string, at: (i: number) => void, error: (d: string) => Error) {
    let max = 0;
    for (const id of ids) if (id > max) max = id;
    const dense = max <= 4 * ids.length + 1024 && ids.every((id) => Number.isInteger(id) && id >= 0);
    if (dense) this.direct = new Int32Array(max + 1).fill(-1);
    else this.map = new Map();
    ids.forEach((id, i) => {
      at(i);
      if (id === 0) throw error(`${what} id is 0, which is reserved`);
      if (this.get(id) >= 0) throw error(`${what} id ${id} is used twice`);
      if (this.direct) this.direct[id] = i;
      else this.map?.set(id, i);
    });
  }

  /** The index of the message with this id, or -1. */
  get(id: number): number {
    const d = this.direct;
    if (d) return id > 0 && id < d.length ? (d[id] as number) : -1;
    return this.map?.get(id) ?? -1;
  }
}

/**
 * Trie nodes of the stacks seen so far, keyed by the bytes of a sample's
 * location-id and label fields (ranges of the input buffer, never copied).
 * An entry's fields sit side by side in one array, and the table keeps each
 * entry's hash, so that a probe touches as little memory as possible.
 */
class StackMemo {
  /** Per entry: hash, locStart, locLen, labStart, labLen, node, labelSet. */
  private entries = new Int32Array(STRIDE * 1024);
  private count = 0;
  /** Pairs (hash, entry + 1); entry + 1 = 0 is an empty slot. */
  private table = new Int32Array(2 * 4096);
  private mask = 4095;
  private lastSlot = 0;
  private readonly key = new Int32Array(STRIDE);

  constructor(private readonly buf: Buffer) {}

  /** The entry for this key, or -1 (then add() records it). */
  find(ls: number, le: number, bs: number, be: number): number {
    const buf = this.buf;
    let h = 0x811c9dc5;
    for (let i = ls; i < le; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
    for (let i = bs; i < be; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
    const ll = le - ls;
    const bl = be - bs;
    const key = this.key;
    key[0] = h;
    key[1] = ls;
    key[2] = ll;
    key[3] = bs;
    key[4] = bl;
    const { table, mask, entries } = this;
    let slot = h & mask;
    for (;;) {
      const e = (table[2 * slot + 1] as number) - 1;
      if (e < 0) break;
      if (table[2 * slot] === h) {
        const o = e * STRIDE;
        if (
          entries[o + 2] === ll &&
          entries[o + 4] === bl &&
          same(buf, entries[o + 1] as number, ls, ll) &&
          same(buf, entries[o + 3] as number, bs, bl)
        ) {
          return e;
        }
      }
      slot = (slot + 1) & mask;
    }
    this.lastSlot = slot;
    return -1;
  }

  node(e: number): number {
    return this.entries[e * STRIDE + 5] as number;
  }

  labelSet(e: number): number {
    return this.entries[e * STRIDE + 6] as number;
  }

  /** Records the node for the key of the last find() that missed. */
  add(node: number, labelSet: number): void {
    const e = this.count++;
    if ((e + 1) * STRIDE > this.entries.length) this.entries = growInt32(this.entries, (e + 1) * STRIDE);
    const o = e * STRIDE;
    this.entries.set(this.key, o);
    this.entries[o + 5] = node;
    this.entries[o + 6] = labelSet;
    if (this.count * 2 > this.mask + 1) this.rehash();
    else {
      this.table[2 * this.lastSlot] = this.key[0] as number;
      this.table[2 * this.lastSlot + 1] = e + 1;
    }
  }

  private rehash(): void {
    const size = (this.mask + 1) * 2;
    const table = new Int32Array(2 * size);
    const mask = size - 1;
    for (let e = 0; e < this.count; e++) {
      const h = this.entries[e * STRIDE] as number;
      let slot = h & mask;
      while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = h;
      table[2 * slot + 1] = e + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}

const STRIDE = 8;

/** Whether buf[a, a + len) and buf[b, b + len) hold the same bytes. */
function same(buf: Buffer, a: number, b: number, len: number): boolean {
  if (a === b) return true;
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}
