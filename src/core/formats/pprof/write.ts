import { gzipSync } from 'node:zlib';
import {
  Label,
  Line,
  Location,
  Mapping,
  Function as PprofFunction,
  Profile as PprofProfile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import type { Profile } from '../../model/profile.js';
import { walkTrie } from '../../model/walk.js';

/**
 * Writes a gzipped profile.proto through pprof-format. Each frame becomes one
 * location with one line, its function keyed by (name, file), its mapping by
 * module; each trie node with a value becomes one sample (location ids leaf
 * first) with its label set's labels. pprof values are int64: fractional
 * values are rounded to the nearest integer.
 */
export function writePprof(profile: Profile): Buffer {
  const st = new StringTable();
  const frames = profile.frames;
  const strings = profile.strings;
  const functions: PprofFunction[] = [];
  const functionIds = new Map<string, number>();
  const mappings: Mapping[] = [];
  const mappingIds = new Map<number, number>();
  const locations: Location[] = [];
  const locationOf = new Int32Array(frames.size);

  const mappingId = (module: number): number => {
    if (module === 0) return 0;
    let id = mappingIds.get(module);
    if (id === undefined) {
      id = mappings.length + 1;
      // The frames carry their functions and lines: nothing for pprof to symbolize.
      mappings.push(
        new Mapping({
          id,
          filename: st.dedup(strings.get(module)),
          hasFunctions: true,
          hasFilenames: true,
          hasLineNumbers: true,
        }),
      );
      mappingIds.set(module, id);
    }
    return id;
  };
  const functionId = (name: number, file: number): number => {
    const key = `${name},${file}`;
    let id = functionIds.get(key);
    if (id === undefined) {
      id = functions.length + 1;
      const n = st.dedup(strings.get(name));
      functions.push(new PprofFunction({ id, name: n, systemName: n, filename: st.dedup(strings.get(file)) }));
      functionIds.set(key, id);
    }
    return id;
  };
  const locationId = (frame: number): number => {
    let id = locationOf[frame] as number;
    if (id === 0) {
      id = locations.length + 1;
      const line = new Line({
        functionId: functionId(frames.name[frame] as number, frames.file[frame] as number),
        line: frames.line[frame] as number,
      });
      locations.push(new Location({ id, mappingId: mappingId(frames.module[frame] as number), line: [line] }));
      locationOf[frame] = id;
    }
    return id;
  };

  const sampleType = profile.valueTypes.map((v) => new ValueType({ type: st.dedup(v.type), unit: st.dedup(v.unit) }));
  const samples: Sample[] = [];
  const k = profile.nTypes;
  profile.tries.forEach((trie, labelSetId) => {
    if (!trie) return;
    const labels = (profile.labelSets[labelSetId] ?? []).map(
      ([key, value]) => new Label({ key: st.dedup(key), str: st.dedup(value) }),
    );
    // Depth first, as pprof's own writers go: stacks that share a prefix come together.
    walkTrie(
      trie,
      (node) => {
        let any = false;
        for (let t = 0; t < k; t++) if (trie.self[node * k + t] !== 0) any = true;
        if (!any) return;
        const value: number[] = [];
        for (let t = 0; t < k; t++) value.push(Math.round(trie.self[node * k + t] as number));
        const locationIds: number[] = [];
        for (let n = node; n > 0; n = trie.parent[n] as number) locationIds.push(locationId(trie.frame[n] as number));
        samples.push(new Sample({ locationId: locationIds, value, label: labels }));
      },
      () => {},
    );
  });

  const out = new PprofProfile({
    sampleType,
    sample: samples,
    mapping: mappings,
    location: locations,
    function: functions,
    stringTable: st,
    defaultSampleType: st.dedup(profile.valueTypes[profile.defaultValue]?.type ?? ''),
    period: Math.round(profile.period),
    periodType: profile.periodType
      ? new ValueType({ type: st.dedup(profile.periodType.type), unit: st.dedup(profile.periodType.unit) })
      : undefined,
    timeNanos: profile.startTime !== undefined ? BigInt(Math.round(profile.startTime * 1e6)) : 0,
    durationNanos: profile.duration !== undefined ? Math.round(profile.duration * 1e6) : 0,
  });
  return gzipSync(out.encode());
}
