// V8 CPU profile (.cpuprofile), as Chrome DevTools, `node --cpu-prof` and the
// inspector's Profiler.stop write it:
// https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile
//   {"nodes": [{"id", "callFrame": {functionName, url, lineNumber, columnNumber}, "children": [ids]}],
//    "startTime", "endTime", "samples": [node ids], "timeDeltas": [µs]}
// Also the older tree form of V8's C++ API (v8-profiler): {"head": {functionName, url,
// lineNumber, id, children: [nodes]}, "samples", "timestamps": [µs]}.
//
// Conventions:
// - Each sample is worth 1 sample and, in cpu/microseconds, the time until the
//   next sample (the last one: until endTime), as DevTools' timeline attributes
//   it. Samples are taken in time order; V8 may emit a few out of order, so they
//   are sorted by time first, as DevTools does.
// - Frames keep the url as file and the line 1-based (V8 counts from 0). An
//   unnamed function is "(anonymous) file.js:12", or "(anonymous)" without a url.
// - V8's "(root)" node is the root of the stack trie, not a frame. Its other
//   pseudo-nodes, "(program)" (native code, no JS on the stack), "(idle)" and
//   "(garbage collector)", are kept as root-level frames, where V8 puts them.
// - startTime/endTime are on a monotonic clock, not wall time: only the
//   duration is kept.
import { InputError } from '../errors.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { type Profile, SAMPLES, type ValueType } from '../model/profile.js';
import { SampleTimes } from '../model/times.js';
import { nanosPer } from '../units.js';
import { JsonFields, jsonHead, readJson } from './json.js';
import type { Detection, ProfileFormat, ReadOptions, WriteOptions } from './types.js';

export const V8_VALUE_TYPES: ValueType[] = [SAMPLES, { type: 'cpu', unit: 'microseconds' }];

/** One V8 profile, given whole (.cpuprofile) or gathered from trace chunks. */
export interface V8Profile {
  /** Node objects: {id, callFrame, parent?: id, children?: [ids]}. */
  nodes: unknown[];
  /** Node ids, possibly in several chunks. */
  samples: unknown[][];
  /** Microseconds since the previous sample (the first: since startTime), chunked like samples. */
  timeDeltas: unknown[][];
  startTime: number;
  endTime: number | undefined;
  /** Where the profile is in the file, for messages: "" or e.g. "profile 0x1 (pid 1, tid 2): ". */
  where: string;
}

/** The time span of a profile's samples, in microseconds. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Adds a V8 profile's samples to the builder's profile under one label set:
 * value 0 counts samples, value 1 gets each sample's duration.
 */
export function addV8Profile(
  b: ProfileBuilder,
  p: V8Profile,
  labelSet: number,
  f: JsonFields,
  times?: SampleTimes,
): Span {
  const { where } = p;
  const n = p.nodes.length;
  const index = new Map<number, number>();
  const callFrames: Record<string, unknown>[] = new Array(n);
  let maxId = 0;
  for (let i = 0; i < n; i++) {
    const node = f.object(p.nodes[i], `${where}nodes[${i}]`);
    const id = f.number(node.id, `${where}nodes[${i}].id`);
    index.set(id, i);
    if (id > maxId) maxId = id;
    callFrames[i] = f.object(node.callFrame, `${where}nodes[${i}].callFrame`);
  }
  // V8 numbers nodes 1..n: samples look their node up in an array (a Map where ids are sparse).
  const dense = new Int32Array(Number.isInteger(maxId) && maxId <= 4 * n + 1024 ? maxId + 1 : 0).fill(-1);
  for (const [id, i] of index) if (id >= 0 && id < dense.length && Number.isInteger(id)) dense[id] = i;
  const parent = new Int32Array(n).fill(-1);
  // Paths for messages are made only on failure.
  const indexOf = (id: unknown, path: () => string): number => {
    const i = typeof id === 'number' ? index.get(id) : undefined;
    if (i === undefined) f.fail(path(), `no node has id ${JSON.stringify(id)}`);
    return i;
  };
  for (let i = 0; i < n; i++) {
    const node = p.nodes[i] as Record<string, unknown>;
    if (node.parent !== undefined) parent[i] = indexOf(node.parent, () => `${where}nodes[${i}].parent`);
    if (node.children !== undefined) {
      const children = f.array(node.children, `${where}nodes[${i}].children`);
      for (let c = 0; c < children.length; c++) {
        parent[indexOf(children[c], () => `${where}nodes[${i}].children[${c}]`)] = i;
      }
    }
  }

  // Trie node of each V8 node, resolved on first use: nodes never sampled cost nothing.
  const trie = b.profile.trieFor(labelSet);
  const trieNode = new Int32Array(n).fill(-1);
  const pending: number[] = [];
  const resolve = (i: number): number => {
    let j = i;
    while (j >= 0 && (trieNode[j] as number) < 0) {
      pending.push(j);
      if (pending.length > n)
        f.fail(
          `${where}nodes`,
          `the parent links of node ${JSON.stringify((p.nodes[i] as { id: unknown }).id)} form a cycle`,
        );
      j = parent[j] as number;
    }
    let t = j >= 0 ? (trieNode[j] as number) : 0;
    for (let k = pending.length - 1; k >= 0; k--) {
      const v = pending[k] as number;
      const cf = callFrames[v] as Record<string, unknown>;
      // The parentless "(root)" is the trie's root itself.
      if (!(parent[v] === -1 && cf.functionName === '(root)')) t = trie.child(t, v8Frame(b, cf));
      trieNode[v] = t;
    }
    pending.length = 0;
    return t;
  };

  let total = 0;
  for (const chunk of p.samples) total += chunk.length;
  let deltaCount = 0;
  for (const chunk of p.timeDeltas) deltaCount += chunk.length;
  if (deltaCount < total) {
    b.warn(`${where}timeDeltas has ${deltaCount} entries for ${total} samples: the samples without one are dropped`);
    total = deltaCount;
  }

  const nodeOf = new Int32Array(total);
  const time = new Float64Array(total);
  let s = 0;
  let t = p.startTime;
  let sorted = true;
  for (let c = 0; c < p.samples.length && s < total; c++) {
    const chunk = p.samples[c] as unknown[];
    for (let k = 0; k < chunk.length && s < total; k++, s++) {
      const id = chunk[k];
      let i = typeof id === 'number' ? (dense[id] ?? -1) : -1;
      if (i < 0) i = indexOf(id, () => `${where}samples[${s}]`);
      const node = (trieNode[i] as number) >= 0 ? (trieNode[i] as number) : resolve(i);
      // A sample of "(root)" itself (V8 writes "(program)" instead) stays visible as a frame.
      nodeOf[s] = node > 0 ? node : trie.child(0, b.frame('(root)'));
    }
  }
  s = 0;
  for (let c = 0; c < p.timeDeltas.length && s < total; c++) {
    const chunk = p.timeDeltas[c] as unknown[];
    for (let k = 0; k < chunk.length && s < total; k++, s++) {
      const d = chunk[k];
      if (typeof d !== 'number' || !Number.isFinite(d)) f.number(d, `${where}timeDeltas[${s}]`);
      t += d as number;
      time[s] = t;
      if ((d as number) < 0 && s > 0) sorted = false;
    }
  }

  let order: Uint32Array | undefined;
  if (!sorted) {
    order = new Uint32Array(total);
    for (let i = 0; i < total; i++) order[i] = i;
    order.sort((a, c) => (time[a] as number) - (time[c] as number) || a - c);
  }
  const last = total > 0 ? (time[order ? (order[total - 1] as number) : total - 1] as number) : p.startTime;
  const end = Math.max(p.endTime ?? last, last);
  const pair = [1, 0];
  for (let k = 0; k < total; k++) {
    const i = order ? (order[k] as number) : k;
    const next = k + 1 < total ? (time[order ? (order[k + 1] as number) : k + 1] as number) : end;
    const node = nodeOf[i] as number;
    const duration = next - (time[i] as number);
    trie.addSelf(node, 0, 1);
    trie.addSelf(node, 1, duration);
    if (times) {
      pair[1] = duration;
      times.push(labelSet, node, ((time[i] as number) - p.startTime) / 1000, pair);
    }
  }
  b.profile.sampleCount += total;
  return { start: p.startTime, end };
}

/** The frame of a V8 call frame (or of an old-format node, which has the same fields). */
export function v8Frame(b: ProfileBuilder, cf: Record<string, unknown>): number {
  const fn = typeof cf.functionName === 'string' ? cf.functionName : '';
  const url = typeof cf.url === 'string' ? cf.url : '';
  const line = typeof cf.lineNumber === 'number' && cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0;
  let name = fn;
  if (name === '') {
    const base = url.slice(url.lastIndexOf('/') + 1) || url;
    name = url === '' ? '(anonymous)' : `(anonymous) ${base}:${line}`;
  }
  return b.frameAt(name, url, line);
}

/** Converts the old tree form (head + timestamps) to nodes with parent ids and time deltas. */
function fromTree(root: Record<string, unknown>, f: JsonFields): V8Profile {
  const nodes: unknown[] = [];
  const todo: [unknown, unknown, string][] = [[root.head, undefined, 'head']];
  while (todo.length > 0) {
    const [value, parentId, path] = todo.pop() as [unknown, unknown, string];
    const node = f.object(value, path);
    nodes.push({ id: node.id, callFrame: node, parent: parentId });
    if (node.children === undefined) continue;
    const children = f.array(node.children, `${path}.children`);
    for (let c = children.length - 1; c >= 0; c--) todo.push([children[c], node.id, `${path}.children[${c}]`]);
  }
  const samples = f.array(root.samples, 'samples');
  const stamps = f.array(root.timestamps, 'timestamps');
  // v8-profiler writes one timestamp per sample, or the start time first and then one per sample.
  const first = stamps.length - samples.length;
  if (first !== 0 && first !== 1) {
    f.fail('timestamps', `has ${stamps.length} entries for ${samples.length} samples`);
  }
  const startTime = stamps.length > 0 ? f.number(stamps[0], 'timestamps[0]') : 0;
  const deltas: number[] = new Array(samples.length);
  let prev = startTime;
  for (let i = 0; i < samples.length; i++) {
    const ts = f.number(stamps[i + first], `timestamps[${i + first}]`);
    deltas[i] = ts - prev;
    prev = ts;
  }
  return { nodes, samples: [samples], timeDeltas: [deltas], startTime, endTime: undefined, where: '' };
}

export async function parseCpuprofile(source: Source, options: ReadOptions = {}): Promise<Profile> {
  const f: JsonFields = new JsonFields(source.name);
  const root = f.object(await readJson(source), 'the document');
  let v8: V8Profile;
  if (root.nodes !== undefined) {
    const samples = f.array(root.samples ?? [], 'samples');
    const timeDeltas = f.array(root.timeDeltas ?? [], 'timeDeltas');
    v8 = {
      nodes: f.array(root.nodes, 'nodes'),
      samples: [samples],
      timeDeltas: [timeDeltas],
      startTime: f.number(root.startTime ?? 0, 'startTime'),
      endTime: f.optionalNumber(root.endTime, 'endTime'),
      where: '',
    };
  } else if (root.head !== undefined) {
    v8 = fromTree(root, f);
  } else {
    throw new InputError(source.name, 'not a V8 CPU profile: no "nodes" (or "head") field');
  }
  const b = new ProfileBuilder(V8_VALUE_TYPES, 'cpuprofile');
  if (options.keepTimes) b.profile.times = new SampleTimes(V8_VALUE_TYPES.length);
  const span = addV8Profile(b, v8, 0, f, b.profile.times);
  b.profile.duration = (span.end - span.start) / 1000;
  return b.finish();
}

/** A JSON object with V8 nodes and call frames (not a trace holding them in events, nor a heap profile). */
function detectCpuprofile(head: Buffer): Detection {
  const text = jsonHead(head);
  if (!text.startsWith('{') || text.includes('"traceEvents"') || text.includes('"selfSize"')) return 'no';
  if (/^\{\s*"nodes"\s*:/.test(text) && text.includes('"callFrame"')) return 'yes';
  if (text.includes('"nodes"') && text.includes('"callFrame"') && !text.includes('"ph"')) return 'yes';
  if (/^\{\s*"head"\s*:/.test(text) && text.includes('"functionName"') && text.includes('"hitCount"')) return 'yes';
  return 'no';
}

/**
 * A .cpuprofile that Chrome DevTools and speedscope open: one node per trie
 * node, and a sample per tick, spread evenly. Ticks are the value itself for
 * counts; for time values, the value over the sampling interval (the period,
 * else 1 ms). The stacks are merged: the original time order is not kept.
 */
export function writeCpuprofile(profile: Profile, options: WriteOptions): Buffer {
  const v = options.valueIndex ?? profile.defaultValue;
  const unit = (profile.valueTypes[v] as ValueType).unit;
  const periodNs = profile.periodType ? nanosPer(profile.periodType.unit) : undefined;
  const intervalUs = periodNs && profile.period > 0 ? Math.max(1, Math.round((profile.period * periodNs) / 1e3)) : 1000;
  const valueNs = nanosPer(unit);
  const ticksOf = (x: number) => Math.round(valueNs === undefined ? x : (x * valueNs) / 1e3 / intervalUs);
  const trie = profile.trie();
  const frames = profile.frames;
  const nodes: object[] = [];
  const samples: number[] = [];
  const children: number[][] = Array.from({ length: trie.size }, () => []);
  for (let n = 1; n < trie.size; n++) (children[trie.parent[n] as number] as number[]).push(n + 1);
  for (let n = 0; n < trie.size; n++) {
    const f = trie.frame[n] as number;
    const hits = Math.max(0, ticksOf(trie.selfOf(n, v)));
    for (let i = 0; i < hits; i++) samples.push(n + 1);
    const line = n === 0 ? 0 : (frames.line[f] as number);
    nodes.push({
      id: n + 1,
      callFrame: {
        functionName: n === 0 ? '(root)' : frames.nameOf(f),
        scriptId: '0',
        url: n === 0 ? '' : frames.fileOf(f),
        lineNumber: line - 1,
        columnNumber: -1,
      },
      hitCount: hits,
      children: children[n],
    });
  }
  const timeDeltas = samples.map(() => intervalUs);
  return Buffer.from(
    JSON.stringify({ nodes, startTime: 0, endTime: samples.length * intervalUs, samples, timeDeltas }),
  );
}

export const cpuprofile: ProfileFormat = {
  id: 'cpuprofile',
  name: 'V8 CPU profile (.cpuprofile)',
  extensions: ['.cpuprofile'],
  detect: detectCpuprofile,
  read: (source, options) => parseCpuprofile(source, options),
  write: writeCpuprofile,
};
