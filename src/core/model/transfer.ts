// A Profile as plain data whose columns are typed arrays, to hand it from a
// worker thread to another without copying them (postMessage with transfer).
// Sample times are not carried. A profile read into a thread's SharedSymbols
// carries only what its reading added to them, for the receiver's mirror.

import { FrameTable } from './frames.js';
import type { LabelSet, ProfileMetadata, ValueType } from './profile.js';
import { Profile } from './profile.js';
import type { SharedSymbols, SymbolsDelta, SymbolsMirror } from './shared-symbols.js';
import { StringTable } from './strings.js';
import { StackTrie, type TrieDerived } from './trie.js';

export interface ProfileData extends ProfileMetadata {
  valueTypes: ValueType[];
  warnings: string[];
  /** The tables: of the profile's own, or (symbols) what it added to the sender's shared ones. */
  strings: string[];
  frames: { size: number; name: Int32Array; file: Int32Array; line: Int32Array; module: Int32Array };
  symbols?: SymbolsDelta;
  labelSets: LabelSet[];
  tries: (
    | { size: number; parent: Int32Array; frame: Int32Array; self: Float64Array; derived: TrieDerived }
    | undefined
  )[];
}

/**
 * The profile's data, and the buffers to transfer with it (the profile must not
 * be used afterwards). Tables that are `symbols`' go as its delta, which the
 * receiver must apply (profileFromData) in the order the deltas were taken.
 */
export function profileData(p: Profile, symbols?: SharedSymbols): { data: ProfileData; transfer: ArrayBuffer[] } {
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
  const shared = symbols !== undefined && p.frames === symbols.frames;
  const f = p.frames;
  const size = shared ? 0 : f.size;
  const data: ProfileData = {
    valueTypes: p.valueTypes,
    ...p.metadata(),
    warnings: p.warnings,
    strings: shared ? [] : p.strings.strings,
    frames: {
      size,
      name: own(f.name, size),
      file: own(f.file, size),
      line: own(f.line, size),
      module: own(f.module, size),
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
  if (shared) {
    // Taken last: a delta taken is one the receiver must get.
    const delta = symbols.delta();
    transfer.push(...[delta.name, delta.file, delta.line, delta.module].map((a) => a.buffer as ArrayBuffer));
    data.symbols = delta;
  }
  return { data, transfer };
}

/** The Profile again, from profileData()'s data; `mirror` keeps the sender's shared tables. */
export function profileFromData(d: ProfileData, mirror?: SymbolsMirror): Profile {
  let p: Profile;
  if (d.symbols) {
    if (!mirror) throw new Error('a profile of shared tables, and no mirror of them');
    const { strings, frames } = mirror.apply(d.symbols);
    p = new Profile(d.valueTypes, strings, frames);
  } else {
    // The tables as they were: their lookups are built if the profile is ever added to.
    const strings = StringTable.from(d.strings);
    p = new Profile(d.valueTypes, strings, FrameTable.from(strings, d.frames.size, d.frames));
  }
  p.setMetadata(d);
  p.warnings.push(...d.warnings);
  for (let i = 1; i < d.labelSets.length; i++) p.labelSetId(d.labelSets[i] as LabelSet);
  d.tries.forEach((t, i) => {
    if (t) p.tries[i] = StackTrie.fromColumns(d.valueTypes.length, t.size, t.parent, t.frame, t.self, t.derived);
  });
  p.invalidate();
  return p;
}
