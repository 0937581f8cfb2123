import { growFloat64, growInt32 } from './growable.js';

/**
 * A profile's samples in time order, where the input keeps them (.cpuprofile,
 * perf script) and a command asks for them (ReadOptions.keepTimes): each with
 * its label set, its leaf node in that set's trie, its time (unix ms where the
 * input says when it started, else ms from the start) and its values. Flame
 * charts and the HTML timeline are drawn from it; a profile that filters or
 * merging rebuild has none.
 */
export class SampleTimes {
  count = 0;
  labelSet = new Int32Array(1024);
  node = new Int32Array(1024);
  time = new Float64Array(1024);
  values: Float64Array;

  constructor(readonly nTypes: number) {
    this.values = new Float64Array(1024 * nTypes);
  }

  push(labelSet: number, node: number, time: number, values: ArrayLike<number>): void {
    const i = this.count++;
    if (i === this.node.length) {
      this.labelSet = growInt32(this.labelSet, i + 1);
      this.node = growInt32(this.node, i + 1);
      this.time = growFloat64(this.time, i + 1);
      this.values = growFloat64(this.values, this.node.length * this.nTypes);
    }
    this.labelSet[i] = labelSet;
    this.node[i] = node;
    this.time[i] = time;
    for (let t = 0; t < this.nTypes; t++) this.values[i * this.nTypes + t] = values[t] as number;
  }

  /** Puts the samples in time order (stable: samples of the same time keep their order). */
  sortByTime(): void {
    const n = this.count;
    const order = Array.from({ length: n }, (_, i) => i);
    const time = this.time;
    order.sort((a, b) => (time[a] as number) - (time[b] as number) || a - b);
    const k = this.nTypes;
    const labelSet = new Int32Array(n);
    const node = new Int32Array(n);
    const times = new Float64Array(n);
    const values = new Float64Array(n * k);
    order.forEach((from, to) => {
      labelSet[to] = this.labelSet[from] as number;
      node[to] = this.node[from] as number;
      times[to] = time[from] as number;
      for (let t = 0; t < k; t++) values[to * k + t] = this.values[from * k + t] as number;
    });
    this.labelSet = labelSet;
    this.node = node;
    this.time = times;
    this.values = values;
  }
}
