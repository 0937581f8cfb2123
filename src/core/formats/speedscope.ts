// speedscope's file format: https://www.speedscope.app/file-format-schema.json
// (spec in TypeScript: https://github.com/jlfwong/speedscope/blob/main/src/lib/file-format-spec.ts)
//   {"$schema", "shared": {"frames": [{name, file?, line?, col?}]},
//    "profiles": [{"type": "sampled", name, unit, startValue, endValue, samples: [[frame idx, root first]], weights}
//               | {"type": "evented", name, unit, startValue, endValue, events: [{type: "O"|"C", frame, at}]}]}
//
// Reading: each distinct unit is a value type ("none" = samples/count, time
// units = time/<unit>, "bytes" = memory/bytes). Profiles of the same unit are
// merged into that value type, and where a file has several profiles each
// sample is labelled profile=<its profile's name>, so one profile can still be
// picked out. Evented profiles become one sample per interval between events,
// worth the interval, on the stack open during it. Files pyro wrote (exporter
// "pyro") map back one profile per value type, named by the profile's name.
// Writing: one sampled profile per value type, over all samples (per-sample
// labels are not kept); units speedscope lacks are written as "none".
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import type { Profile, ValueType } from '../model/profile.js';
import { SampleTimes } from '../model/times.js';
import { walkTrie } from '../model/walk.js';
import { JsonFields, jsonHead, readJson } from './json.js';
import type { Detection, ProfileFormat, ReadOptions, WriteOptions } from './types.js';

type Json = Record<string, unknown>;

const SCHEMA = 'https://www.speedscope.app/file-format-schema.json';
const EXPORTER = 'pyro';

/** speedscope's units, and milliseconds per unit for the time ones. */
const UNITS: Record<string, number | undefined> = {
  none: undefined,
  bytes: undefined,
  nanoseconds: 1e-6,
  microseconds: 1e-3,
  milliseconds: 1,
  seconds: 1e3,
};

function valueTypeOf(unit: string): ValueType {
  if (unit === 'none') return { type: 'samples', unit: 'count' };
  if (unit === 'bytes') return { type: 'memory', unit: 'bytes' };
  return { type: 'time', unit };
}

export async function parseSpeedscope(source: Source, options: ReadOptions = {}): Promise<Profile> {
  const f: JsonFields = new JsonFields(source.name);
  const doc = f.object(await readJson(source), 'the document');
  const frames = f.array(f.object(doc.shared, 'shared').frames, 'shared.frames');
  const profiles = f.array(doc.profiles, 'profiles').map((p, i) => f.object(p, `profiles[${i}]`));
  if (profiles.length === 0) f.fail('profiles', 'empty: the file holds no profile');
  const ours =
    typeof doc.exporter === 'string' && (doc.exporter === EXPORTER || doc.exporter.startsWith(`${EXPORTER}@`));

  const valueTypes: ValueType[] = [];
  const typeIndex = profiles.map((p, i) => {
    const unit = f.string(p.unit, `profiles[${i}].unit`);
    if (!(unit in UNITS))
      f.fail(`profiles[${i}].unit`, `unknown unit "${unit}" (expected ${Object.keys(UNITS).join(', ')})`);
    const vt = ours
      ? { type: f.string(p.name, `profiles[${i}].name`), unit: unit === 'none' ? 'count' : unit }
      : valueTypeOf(unit);
    const k = valueTypes.findIndex((v) => v.type === vt.type && v.unit === vt.unit);
    return k >= 0 ? k : valueTypes.push(vt) - 1;
  });

  const b = new ProfileBuilder(valueTypes, 'speedscope');
  // Samples in time order (flame charts): sampled profiles in their order, time = the weights so far;
  // evented ones per interval between events. Several profiles are several label sets, one after another.
  const times = options.keepTimes ? new SampleTimes(valueTypes.length) : undefined;
  const values = new Array<number>(valueTypes.length).fill(0);
  const frameIds = new Int32Array(frames.length).fill(-1);
  const frameOf = (index: unknown, path: string): number => {
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= frames.length) {
      f.fail(path, `${JSON.stringify(index)} is not a frame index (shared.frames has ${frames.length})`);
    }
    let id = frameIds[index] as number;
    if (id < 0) {
      const fr = f.object(frames[index], `shared.frames[${index}]`);
      const name = f.string(fr.name, `shared.frames[${index}].name`);
      const file = typeof fr.file === 'string' ? fr.file : '';
      const line = typeof fr.line === 'number' && fr.line > 0 ? Math.trunc(fr.line) : 0;
      id = b.frameAt(name, file, line);
      frameIds[index] = id;
    }
    return id;
  };
  const frameName = (index: number) => JSON.stringify((frames[index] as Json).name);

  let duration: number | undefined;
  profiles.forEach((p, i) => {
    const at = `profiles[${i}]`;
    const name = typeof p.name === 'string' && p.name !== '' ? p.name : `#${i}`;
    const labelSet = !ours && profiles.length > 1 ? b.profile.labelSetId([['profile', name]]) : 0;
    const t = typeIndex[i] as number;
    if (p.type === 'sampled') {
      const samples = f.array(p.samples, `${at}.samples`);
      const weights = f.array(p.weights, `${at}.weights`);
      if (weights.length !== samples.length) {
        f.fail(`${at}.weights`, `has ${weights.length} entries for ${samples.length} samples`);
      }
      let clock = 0;
      const perUnit = UNITS[p.unit as string] ?? 1;
      for (let s = 0; s < samples.length; s++) {
        const stack = f.array(samples[s], `${at}.samples[${s}]`);
        for (let k = 0; k < stack.length; k++) b.push(frameOf(stack[k], `${at}.samples[${s}][${k}]`));
        const weight = f.number(weights[s], `${at}.weights[${s}]`);
        const node = b.commitRootFirst(weight, labelSet, t);
        if (times) {
          values[t] = weight;
          times.push(labelSet, node, clock * perUnit, values);
          values[t] = 0;
        }
        clock += weight;
      }
    } else if (p.type === 'evented') {
      const events = f.array(p.events, `${at}.events`);
      const perUnit = UNITS[p.unit as string];
      addEvents(b, events, at, labelSet, t, f, frameOf, frameName, times && { times, perUnit: perUnit ?? 1 });
      if (perUnit !== undefined) {
        const span = (f.number(p.endValue, `${at}.endValue`) - f.number(p.startValue, `${at}.startValue`)) * perUnit;
        duration = Math.max(duration ?? 0, span);
      }
    } else {
      f.fail(`${at}.type`, `expected "sampled" or "evented", found ${JSON.stringify(p.type)}`);
    }
  });

  const active = typeof doc.activeProfileIndex === 'number' ? typeIndex[doc.activeProfileIndex] : undefined;
  b.profile.defaultValue = active ?? 0;
  b.profile.duration = duration;
  if (times) {
    if (profiles.length > 1) times.sortByTime();
    b.profile.times = times;
  }
  if (typeof doc.name === 'string' && doc.name !== '') b.profile.labels.name = doc.name;
  return b.finish();
}

/** An evented profile: each interval between events is a sample of the stack open during it. */
function addEvents(
  b: ProfileBuilder,
  events: unknown[],
  at: string,
  labelSet: number,
  t: number,
  f: JsonFields,
  frameOf: (index: unknown, path: string) => number,
  frameName: (index: number) => string,
  keep?: { times: SampleTimes; perUnit: number },
): void {
  const trie = b.profile.trieFor(labelSet);
  const values = keep ? new Array<number>(keep.times.nTypes).fill(0) : [];
  const open: number[] = [];
  const openIds: number[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (let e = 0; e < events.length; e++) {
    const path = `${at}.events[${e}]`;
    const ev = f.object(events[e], path);
    const time = f.number(ev.at, `${path}.at`);
    if (time < last) f.fail(`${path}.at`, `${time} is earlier than the event before it (${last})`);
    if (open.length > 0 && time > last) {
      const node = trie.insert(openIds, 0, openIds.length);
      trie.addSelf(node, t, time - last);
      b.profile.sampleCount++;
      if (keep) {
        values[t] = time - last;
        keep.times.push(labelSet, node, last * keep.perUnit, values);
      }
    }
    last = time;
    const id = frameOf(ev.frame, `${path}.frame`);
    if (ev.type === 'O') {
      open.push(ev.frame as number);
      openIds.push(id);
    } else if (ev.type === 'C') {
      const top = open[open.length - 1];
      if (top !== ev.frame) {
        f.fail(
          path,
          top === undefined
            ? `closes frame ${ev.frame} (${frameName(ev.frame as number)}) but no frame is open`
            : `closes frame ${ev.frame} (${frameName(ev.frame as number)}) but the innermost open frame is ${top} (${frameName(top)})`,
        );
      }
      open.pop();
      openIds.pop();
    } else {
      f.fail(`${path}.type`, `expected "O" or "C", found ${JSON.stringify(ev.type)}`);
    }
  }
  if (open.length > 0) {
    const top = open[open.length - 1] as number;
    f.fail(at, `frame ${top} (${frameName(top)}) is still open after the last event`);
  }
}

/** speedscope's unit for a value type's unit ("none" where it has none). */
function speedscopeUnit(unit: string): string {
  const u = unit.toLowerCase();
  const aliases: Record<string, string> = {
    ns: 'nanoseconds',
    nanosecond: 'nanoseconds',
    us: 'microseconds',
    microsecond: 'microseconds',
    ms: 'milliseconds',
    millisecond: 'milliseconds',
    s: 'seconds',
    second: 'seconds',
    byte: 'bytes',
    b: 'bytes',
  };
  const v = aliases[u] ?? u;
  return v in UNITS ? v : 'none';
}

export function writeSpeedscope(profile: Profile, options: WriteOptions): Buffer {
  const trie = profile.trie();
  const k = trie.nTypes;
  const frames = profile.frames;
  const index = new Int32Array(frames.size).fill(-1);
  const shared: string[] = [];
  const path: number[] = [];
  const profiles: string[] = [];
  for (let t = 0; t < k; t++) {
    const stacks: string[] = [];
    const weights: number[] = [];
    let total = 0;
    walkTrie(
      trie,
      (node) => {
        const frame = trie.frame[node] as number;
        let i = index[frame] as number;
        if (i < 0) {
          i = shared.length;
          index[frame] = i;
          shared.push(frameJson(profile, frame));
        }
        path.push(i);
        const v = trie.self[node * k + t] as number;
        if (v !== 0) {
          stacks.push(`[${path.join(',')}]`);
          weights.push(v);
          total += v;
        }
      },
      () => path.pop(),
    );
    const vt = profile.valueTypes[t] as ValueType;
    profiles.push(
      `{"type":"sampled","name":${JSON.stringify(vt.type)},"unit":"${speedscopeUnit(vt.unit)}","startValue":0,` +
        `"endValue":${total},"samples":[${stacks.join(',')}],"weights":[${weights.join(',')}]}`,
    );
  }
  const active = options.valueIndex ?? profile.defaultValue;
  const name = profile.labels.name ?? `${profile.format || 'pyro'} profile`;
  return Buffer.from(
    `{"$schema":"${SCHEMA}","exporter":"${EXPORTER}","name":${JSON.stringify(name)},"activeProfileIndex":${active},` +
      `"shared":{"frames":[${shared.join(',')}]},"profiles":[${profiles.join(',')}]}\n`,
  );
}

function frameJson(profile: Profile, frame: number): string {
  const frames = profile.frames;
  const file = frames.fileOf(frame);
  const line = frames.line[frame] as number;
  return `{"name":${JSON.stringify(frames.nameOf(frame))}${file ? `,"file":${JSON.stringify(file)}` : ''}${line > 0 ? `,"line":${line}` : ''}}`;
}

/** The schema's URL, or an object with "shared" and "profiles". */
function detectSpeedscope(head: Buffer): Detection {
  const text = jsonHead(head);
  if (!text.startsWith('{')) return 'no';
  if (text.includes(SCHEMA)) return 'yes';
  return text.includes('"shared"') && text.includes('"profiles"') ? 'maybe' : 'no';
}

export const speedscope: ProfileFormat = {
  id: 'speedscope',
  name: 'speedscope JSON',
  extensions: ['.speedscope.json'],
  detect: detectSpeedscope,
  read: (source, options) => parseSpeedscope(source, options),
  write: writeSpeedscope,
};
