import type { Profile, ValueType } from '../model/profile.js';
import { formatValue } from '../units.js';

export interface ProfileInfo {
  input: string;
  format: string;
  valueTypes: (ValueType & { total: number; formatted: string; default: boolean })[];
  period: { value: number; type: string; unit: string } | null;
  samples: number;
  /** Unix time in milliseconds, as an ISO string too. */
  startTime: string | null;
  durationMs: number | null;
  distinctStacks: number;
  distinctFrames: number;
  maxDepth: number;
  labels: Record<string, string>;
  /** Per-sample label keys, with their distinct values. */
  sampleLabels: Record<string, string[]>;
  warnings: string[];
}

/** What `pyro info` prints about one profile. */
export function describeProfile(input: string, profile: Profile): ProfileInfo {
  const trie = profile.trie();
  const k = trie.nTypes;
  let stacks = 0;
  let maxDepth = 0;
  const frames = new Set<number>();
  const depth = new Int32Array(trie.size);
  for (let n = 1; n < trie.size; n++) {
    depth[n] = depth[trie.parent[n]] + 1;
    if (depth[n] > maxDepth) maxDepth = depth[n];
    frames.add(trie.frame[n]);
    for (let t = 0; t < k; t++) {
      if (trie.self[n * k + t] !== 0) {
        stacks++;
        break;
      }
    }
  }
  const sampleLabels: Record<string, Set<string>> = {};
  profile.tries.forEach((t, id) => {
    if (!t) return;
    for (const [key, value] of profile.labelSets[id] ?? []) (sampleLabels[key] ??= new Set()).add(value);
  });
  return {
    input,
    format: profile.format,
    valueTypes: profile.valueTypes.map((vt, i) => {
      const total = trie.totalOf(0, i);
      return { ...vt, total, formatted: formatValue(total, vt.unit), default: i === profile.defaultValue };
    }),
    period: profile.periodType ? { value: profile.period, ...profile.periodType } : null,
    samples: profile.sampleCount,
    startTime: profile.startTime !== undefined ? new Date(profile.startTime).toISOString() : null,
    durationMs: profile.duration ?? null,
    distinctStacks: stacks,
    distinctFrames: frames.size,
    maxDepth,
    labels: profile.labels,
    sampleLabels: Object.fromEntries(Object.entries(sampleLabels).map(([key, v]) => [key, [...v].sort()])),
    warnings: profile.warnings,
  };
}
