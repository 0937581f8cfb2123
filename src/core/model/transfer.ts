// A Profile as plain data whose columns are typed arrays, to hand it from a
// worker thread to another without copying them (postMessage with transfer).
// Sample times are not carried.

import { FrameTable } from './frames.js';
import type { LabelSet, ProfileMetadata, ValueType } from './profile.js';
import { Profile } from './profile.js';
import { StringTable } from './strings.js';
import { StackTrie, type TrieDerived } from './trie.js';

export interface ProfileData extends ProfileMetadata {
  valueTypes: ValueType[];
  warnings: string[];
  strings: string[];
  frames: { size: number; name: Int32Array; file: Int32Array; line: Int32Array; module: Int32Array };
  labelSets: LabelSet[];
  tries: (
    | { size: number; parent: Int32Array; frame: Int32Array; self: Float64Array; derived: TrieDerived }
    | undefined
  )[];
}

/** The profile's data, and the buffers to transfer with it (the profile must not be used afterwards). */
export function profileData(p: Profile): { data: ProfileData; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const own = <T extends Int32Array | Float64Array>(a: T, n: number): T => {
    const part = a.slice(0, n) as T;
    transfer.push(part.buffer as ArrayBuffer);
    return part;
  };
  const ownDerived = (t: StackTrie): TrieDerived => {
    const d = t.derived;
    return {
      total: d.total && own(d.total, t.size * t.nTypes),
      firstChild: d.firstChild && own(d.firstChild, t.size),
      nextSibling: d.nextSibling && own(d.nextSibling, t.size),
      byFrame: d.byFrame,
    };
  };
  const f = p.frames;
  const data: ProfileData = {
    valueTypes: p.valueTypes,
    ...p.metadata(),
    warnings: p.warnings,
    strings: p.strings.strings,
    frames: {
      size: f.size,
      name: own(f.name, f.size),
      file: own(f.file, f.size),
      line: own(f.line, f.size),
      module: own(f.module, f.size),
    },
    labelSets: p.labelSets,
    tries: p.tries.map((t) =>
      t
        ? {
            size: t.size,
            parent: own(t.parent, t.size),
            frame: own(t.frame, t.size),
            self: own(t.self, t.size * t.nTypes),
            derived: ownDerived(t),
          }
        : undefined,
    ),
  };
  return { data, transfer };
}

/** The Profile again, from profileData()'s data. */
export function profileFromData(d: ProfileData): Profile {
  // The tables as they were: their lookups are built if the profile is ever added to.
  const strings = StringTable.from(d.strings);
  const p = new Profile(d.valueTypes, strings, FrameTable.from(strings, d.frames.size, d.frames));
  p.setMetadata(d);
  p.warnings.push(...d.warnings);
  for (let i = 1; i < d.labelSets.length; i++) p.labelSetId(d.labelSets[i] as LabelSet);
  d.tries.forEach((t, i) => {
    if (t) p.tries[i] = StackTrie.fromColumns(d.valueTypes.length, t.size, t.parent, t.frame, t.self, t.derived);
  });
  p.invalidate();
  return p;
}
