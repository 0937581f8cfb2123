import { growFloat64, growInt32 } from './growable.js';
import type { Profile } from './profile.js';

/**
 * Stacks gathered by a reader and inserted into a profile's tries at the end,
 * in one StackTrie.insertStacks per label set (which probes its hash only
 * where a stack parts from the previous one).
 */
export class StackBatch {
  private frames: Int32Array;
  private nFrames = 0;
  private start: Int32Array;
  private depth: Int32Array;
  private labelSet: Int32Array;
  private values: Float64Array;
  count = 0;

  constructor(
    readonly nTypes: number,
    /** How add() gets its frames: root first, or leaf first (as pprof's locations list them). */
    readonly rootFirst: boolean,
    // What the reader expects (they double as needed); small by default: a server reads many small profiles.
    stacks = 256,
    frames = 4096,
  ) {
    const n = Math.max(16, stacks);
    this.frames = new Int32Array(Math.max(64, frames));
    this.start = new Int32Array(n);
    this.depth = new Int32Array(n);
    this.labelSet = new Int32Array(n);
    this.values = new Float64Array(n * nTypes);
  }

  /** Appends stack[0 .. depth) and returns its index (values start at zero). */
  add(stack: ArrayLike<number>, depth: number, labelSet = 0): number {
    const i = this.count++;
    if (i === this.start.length) {
      this.start = growInt32(this.start, i + 1);
      this.depth = growInt32(this.depth, i + 1);
      this.labelSet = growInt32(this.labelSet, i + 1);
      this.values = growFloat64(this.values, this.start.length * this.nTypes);
    }
    if (this.nFrames + depth > this.frames.length) this.frames = growInt32(this.frames, this.nFrames + depth);
    const frames = this.frames;
    for (let j = 0, at = this.nFrames; j < depth; j++) frames[at + j] = stack[j] as number;
    this.start[i] = this.nFrames;
    this.depth[i] = depth;
    this.labelSet[i] = labelSet;
    this.nFrames += depth;
    return i;
  }

  addValue(i: number, t: number, v: number): void {
    this.values[i * this.nTypes + t] += v;
  }

  /** Inserts every stack into the profile's trie for its label set. */
  insertInto(p: Profile): void {
    const { count, nTypes: k } = this;
    let single = true;
    for (let i = 1; i < count && single; i++) single = this.labelSet[i] === this.labelSet[0];
    if (single) {
      if (count > 0) {
        p.trieFor(this.labelSet[0] as number).insertStacks(
          this.frames,
          this.start.subarray(0, count),
          this.depth.subarray(0, count),
          this.values.subarray(0, count * k),
          this.rootFirst,
        );
      }
      return;
    }
    const bySet = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const set = this.labelSet[i] as number;
      const list = bySet.get(set);
      if (list) list.push(i);
      else bySet.set(set, [i]);
    }
    for (const [set, list] of bySet) {
      const start = Int32Array.from(list, (i) => this.start[i] as number);
      const depth = Int32Array.from(list, (i) => this.depth[i] as number);
      const values = new Float64Array(list.length * k);
      list.forEach((i, j) => {
        for (let t = 0; t < k; t++) values[j * k + t] = this.values[i * k + t] as number;
      });
      p.trieFor(set).insertStacks(this.frames, start, depth, values, this.rootFirst);
    }
  }
}
