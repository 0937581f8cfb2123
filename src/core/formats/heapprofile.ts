// V8 sampling heap profiles (.heapprofile), as Chrome DevTools and
// `node --heap-prof` write them: a tree of call frames, each node with the
// bytes sampled there and still alive when the profile was taken (selfSize),
// and, since Node.js 12, the samples themselves ({size, nodeId}), one per
// sampled allocation. https://chromedevtools.github.io/devtools-protocol/tot/HeapProfiler/#type-SamplingHeapProfile
import { InputError } from '../errors.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import type { Profile, ValueType } from '../model/profile.js';
import { v8Frame } from './cpuprofile.js';
import { JsonFields, jsonHead, readJson } from './json.js';
import type { Detection, ProfileFormat } from './types.js';

/** As pprof names a heap profile's live values; inuse_space is the default, as in `go tool pprof`. */
export const HEAP_VALUE_TYPES: ValueType[] = [
  { type: 'inuse_space', unit: 'bytes' },
  { type: 'inuse_objects', unit: 'count' },
];

export async function parseHeapprofile(source: Source): Promise<Profile> {
  const f = new JsonFields(source.name);
  const root = f.object(await readJson(source), 'the document');
  if (root.head === undefined) throw new InputError(source.name, 'not a V8 heap profile: no "head" field');
  // Objects per node from the samples, where the profile has them.
  const objects = new Map<number, number>();
  const samples = root.samples === undefined ? [] : f.array(root.samples, 'samples');
  samples.forEach((s, i) => {
    const sample = f.object(s, `samples[${i}]`);
    const id = f.number(sample.nodeId, `samples[${i}].nodeId`);
    objects.set(id, (objects.get(id) ?? 0) + 1);
  });
  const b = new ProfileBuilder(HEAP_VALUE_TYPES, 'heapprofile');
  // The frames from below the root to the node, and the child index of each node on the way
  // (for messages: the field's path is spelled out only when one is wrong).
  const path: number[] = [];
  const indices: number[] = [];
  const where = (field: string) => `head${indices.map((i) => `.children[${i}]`).join('')}${field}`;
  const values = [0, 0];
  // Depth first, without recursion: [node, its depth (the root's is 0), its index among its siblings].
  const todo: [unknown, number, number][] = [[root.head, 0, -1]];
  while (todo.length > 0) {
    const [value, depth, index] = todo.pop() as [unknown, number, number];
    indices.length = Math.max(0, depth - 1);
    if (depth > 0) indices.push(index);
    const node = isObject(value) ? value : f.object(value, where(''));
    // The root, "(root)", is not a frame.
    path.length = Math.max(0, depth - 1);
    if (depth > 0) {
      const frame = node.callFrame;
      path.push(v8Frame(b, isObject(frame) ? frame : f.object(frame, where('.callFrame'))));
    }
    const size = node.selfSize ?? 0;
    values[0] = typeof size === 'number' ? size : f.number(size, where('.selfSize'));
    const id = node.id;
    values[1] =
      id === undefined || objects.size === 0
        ? 0
        : (objects.get(typeof id === 'number' ? id : f.number(id, where('.id'))) ?? 0);
    if (values[0] !== 0 || values[1] !== 0) b.addStack(path, path.length, values);
    if (node.children === undefined) continue;
    const children = Array.isArray(node.children) ? node.children : f.array(node.children, where('.children'));
    for (let c = children.length - 1; c >= 0; c--) todo.push([children[c], depth + 1, c]);
  }
  if (samples.length > 0) b.profile.sampleCount = samples.length;
  b.profile.defaultValue = 0;
  return b.finish();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON object whose head node has a selfSize (a CPU profile's has hitCount). */
function detectHeapprofile(head: Buffer): Detection {
  const text = jsonHead(head);
  if (!text.startsWith('{') || !/"head"\s*:/.test(text)) return 'no';
  return text.includes('"selfSize"') && !text.includes('"hitCount"') ? 'yes' : 'no';
}

export const heapprofile: ProfileFormat = {
  id: 'heapprofile',
  name: 'V8 heap profile (.heapprofile)',
  extensions: ['.heapprofile'],
  detect: detectHeapprofile,
  read: (source) => parseHeapprofile(source),
};
