import { FrameTable } from './frames.js';
import { StringTable } from './strings.js';
import type { SampleTimes } from './times.js';
import { StackTrie } from './trie.js';

/** A kind of value a sample carries, e.g. {type: 'cpu', unit: 'nanoseconds'}. */
export interface ValueType {
  type: string;
  unit: string;
}

/** A set of key=value labels, sorted by key. */
export type LabelSet = ReadonlyArray<readonly [string, string]>;

/**
 * One profile: its samples aggregated in stack tries (one per distinct set of
 * per-sample labels; most profiles have only the empty set, id 0), over one
 * string table and one frame table.
 */
/** A profile's description beside its samples. */
export interface ProfileMetadata {
  defaultValue: number;
  period: number;
  periodType?: ValueType;
  startTime?: number;
  duration?: number;
  labels: Record<string, string>;
  /** The format the profile was first read from. */
  format: string;
  sampleCount: number;
}

export class Profile {
  readonly strings: StringTable;
  readonly frames: FrameTable;
  readonly valueTypes: ValueType[];
  /** The value type shown when none is asked for (pprof's default_sample_type, else the last). */
  defaultValue: number;
  period = 0;
  periodType: ValueType | undefined;
  /** Unix time in milliseconds, where the format records it. */
  startTime: number | undefined;
  /** Milliseconds, where known. */
  duration: number | undefined;
  /** Labels of the whole profile. */
  labels: Record<string, string> = {};
  /** Per-sample label sets; index = id, 0 = no labels. */
  readonly labelSets: LabelSet[] = [[]];
  /** tries[labelSetId]; undefined where no sample has that set. */
  readonly tries: (StackTrie | undefined)[] = [];
  /** Number of sample records read (pprof samples, folded lines, perf events). */
  sampleCount = 0;
  /** The format the profile was read from (a format id). */
  format = '';
  /** The samples in time order, when the input keeps them and the reader was asked to (ReadOptions.keepTimes). */
  times: SampleTimes | undefined;
  /** Readers' notes for the user (skipped lines, repaired input), printed on stderr. */
  readonly warnings: string[] = [];
  private merged: StackTrie | undefined;
  private readonly labelSetIds = new Map<string, number>([['', 0]]);

  constructor(valueTypes: ValueType[], strings = new StringTable(), frames = new FrameTable(strings)) {
    if (valueTypes.length === 0) throw new Error('a profile needs at least one value type');
    this.strings = strings;
    this.frames = frames;
    this.valueTypes = valueTypes;
    this.defaultValue = valueTypes.length - 1;
  }

  get nTypes(): number {
    return this.valueTypes.length;
  }

  /** The id of a label set (pairs in any order; empty values dropped). */
  labelSetId(pairs: ReadonlyArray<readonly [string, string]>): number {
    if (pairs.length === 0) return 0;
    const sorted = [...pairs].filter((p) => p[1] !== '').sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const key = sorted.map(([k, v]) => `${k}\u0000${v}`).join('\u0001');
    let id = this.labelSetIds.get(key);
    if (id === undefined) {
      id = this.labelSets.length;
      this.labelSets.push(sorted);
      this.labelSetIds.set(key, id);
    }
    return id;
  }

  /** The trie of one label set, created when missing. */
  trieFor(labelSetId: number): StackTrie {
    let t = this.tries[labelSetId];
    if (!t) {
      t = new StackTrie(this.nTypes, labelSetId === 0 ? 256 : 64);
      this.tries[labelSetId] = t;
      this.merged = undefined;
    }
    return t;
  }

  /** All samples in one trie, whatever their labels. */
  trie(): StackTrie {
    const present = this.tries.filter((t): t is StackTrie => t !== undefined);
    if (present.length === 0) return this.trieFor(0);
    if (present.length === 1) return present[0] as StackTrie;
    if (!this.merged) {
      const m = new StackTrie(this.nTypes, 1024);
      for (const t of present) m.mergeFrom(t);
      this.merged = m;
    }
    return this.merged;
  }

  /** Call after changing a trie in place, so that trie() merges afresh. */
  invalidate(): void {
    this.merged = undefined;
  }

  /** The index of a value type by its name (`cpu`, `samples`, `alloc_space`), or -1. */
  valueIndex(type: string): number {
    return this.valueTypes.findIndex((v) => v.type === type);
  }

  /** Totals per value type over all samples. */
  totals(): number[] {
    const t = this.trie();
    const out: number[] = [];
    for (let i = 0; i < this.nTypes; i++) out.push(t.totalOf(0, i));
    return out;
  }

  /** An empty profile with the same tables, value types and metadata. */
  emptyLike(valueTypes: ValueType[] = this.valueTypes): Profile {
    // Frame ids stay valid: the new profile shares the frame table, or its contents.
    const p = new Profile(valueTypes, this.strings, this.frames.shared ? this.frames : undefined);
    if (!this.frames.shared) copyFrames(this.frames, p.frames);
    p.setMetadata(this.metadata());
    for (let i = 1; i < this.labelSets.length; i++) p.labelSetId(this.labelSets[i] as LabelSet);
    return p;
  }

  /** What describes the samples as a whole (copied by emptyLike, carried by embedded and transferred profiles). */
  metadata(): ProfileMetadata {
    return {
      defaultValue: this.defaultValue,
      period: this.period,
      periodType: this.periodType,
      startTime: this.startTime,
      duration: this.duration,
      labels: this.labels,
      format: this.format,
      sampleCount: this.sampleCount,
    };
  }

  /** Takes metadata (its default value kept within this profile's value types). */
  setMetadata(m: ProfileMetadata): void {
    this.defaultValue = Math.min(m.defaultValue, this.valueTypes.length - 1);
    this.period = m.period;
    this.periodType = m.periodType;
    this.startTime = m.startTime;
    this.duration = m.duration;
    this.labels = { ...m.labels };
    this.format = m.format;
    this.sampleCount = m.sampleCount;
  }
}

function copyFrames(src: FrameTable, dst: FrameTable): void {
  for (let f = 0; f < src.size; f++) {
    dst.intern(src.name[f] as number, src.file[f] as number, src.line[f] as number, src.module[f] as number);
  }
}

/** The value types of common sources. */
export const SAMPLES: ValueType = { type: 'samples', unit: 'count' };
