// The JSON of Pyroscope's /render and /render-diff: a flamebearer profile
// (formats/flamebearer.ts draws its levels) with the metadata and timeline
// that Pyroscope's UI and Grafana's flamegraph panel read.
import { diffProfiles } from '../diff/diff.js';
import { type Flamebearer, flamebearerLevels, flamebearerUnits } from '../formats/flamebearer.js';
import { Profile, type ValueType } from '../model/profile.js';
import type { TimeRange } from '../store/types.js';

export interface FlamebearerTimeline {
  /** Unix seconds. */
  startTime: number;
  samples: number[];
  /** Seconds per sample. */
  durationDelta: number;
}

export interface FlamebearerProfile extends Omit<Flamebearer, 'metadata'> {
  metadata: Flamebearer['metadata'] | (Omit<Flamebearer['metadata'], 'format'> & { format: 'double' });
  timeline: FlamebearerTimeline | null;
  groups: null;
  heatmap: null;
  leftTicks?: number;
  rightTicks?: number;
}

const EMPTY_TYPE: ValueType = { type: 'cpu', unit: 'nanoseconds' };
/** At most this many points in a timeline; each at least 10 s, Pyroscope's resolution. */
const TIMELINE_POINTS = 1000;

/** The timeline's step for a range, in ms: 10 s, or coarser in whole 10 s so that the points stay few. */
export function timelineStep(range: TimeRange): number {
  const span = range.until - range.from;
  return Math.max(1, Math.ceil(span / TIMELINE_POINTS / 10_000)) * 10_000;
}

/** /render's answer for the profile of a query (undefined: nothing stored in the range). */
export function renderFlamebearer(
  profile: Profile | undefined,
  name: string,
  maxNodes: number,
  range: TimeRange,
  step: number,
  timeline: number[],
): FlamebearerProfile {
  const p = profile ?? new Profile([EMPTY_TYPE]);
  const { names, levels, ticks, maxSelf } = flamebearerLevels(p, [0], maxNodes);
  const vt = p.valueTypes[0] as ValueType;
  return {
    version: 1,
    flamebearer: { names, levels, numTicks: ticks[0] as number, maxSelf },
    metadata: { format: 'single', spyName: 'unknown', ...flamebearerUnits(vt, p), name },
    timeline: { startTime: Math.floor(range.from / 1000), samples: timeline, durationDelta: step / 1000 },
    groups: null,
    heatmap: null,
  };
}

/** /render-diff's answer: both sides in Pyroscope's "double" format, left the base. */
export function diffFlamebearer(
  left: { query: string; profile: Profile | undefined },
  right: { query: string; profile: Profile | undefined },
  maxNodes: number,
): FlamebearerProfile {
  const l = left.profile ?? new Profile([right.profile?.valueTypes[0] ?? EMPTY_TYPE]);
  const r = right.profile ?? new Profile([l.valueTypes[0] as ValueType]);
  const combined = diffProfiles(l, r, { value: (l.valueTypes[0] as ValueType).type }).profile;
  const { names, levels, ticks, maxSelf } = flamebearerLevels(combined, [0, 1], maxNodes);
  const vt = l.valueTypes[0] as ValueType;
  const leftTicks = ticks[0] as number;
  const rightTicks = ticks[1] as number;
  return {
    version: 1,
    flamebearer: { names, levels, numTicks: leftTicks + rightTicks, maxSelf },
    metadata: { format: 'double', spyName: 'unknown', ...flamebearerUnits(vt, l), name: right.query },
    timeline: null,
    groups: null,
    heatmap: null,
    leftTicks,
    rightTicks,
  };
}
