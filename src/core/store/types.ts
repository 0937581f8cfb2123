import type { Profile, ValueType } from '../model/profile.js';
import type { Selector } from '../query/selector.js';

/** Unix milliseconds; ranges are [from, until). */
export interface TimeRange {
  from: number;
  until: number;
}

export interface IngestOptions {
  /** service_name of the series. */
  app: string;
  /** Extra labels for every series this profile feeds. */
  labels?: Record<string, string>;
  /** Start of the profile when it has no time of its own (default: now). */
  at?: number;
}

export interface IngestResult {
  /** One entry per series the profile was split into (value type x per-sample label set). */
  series: { id: number; name: string; labels: Record<string, string>; from: number; until: number; total: number }[];
}

export interface SeriesInfo {
  id: number;
  /** `app.type{labels}` */
  name: string;
  app: string;
  type: ValueType;
  labels: Record<string, string>;
  profiles: number;
  from: number;
  until: number;
  total: number;
}

/** What the store offers the commands (implemented by Store in store/store.ts). */
export interface ProfileStore {
  ingest(profile: Profile, options: IngestOptions): IngestResult;
  series(selector?: Selector): SeriesInfo[];
  labelNames(selector?: Selector): string[];
  labelValues(name: string, selector?: Selector): string[];
  /** The exact merge of every stored profile of the matching series in the range, or undefined when none. */
  /** With `buckets`, the samples over time too (Profile.times), in that many parts of the range. */
  query(selector: Selector, range: TimeRange, options?: { buckets?: number }): Profile | undefined;
  /** Relabels the matching profiles: they move to the right series, nothing lost or duplicated. */
  relabel(selector: Selector, range: TimeRange, set: Record<string, string>, unset: string[]): { profiles: number };
  remove(selector: Selector, range: TimeRange): { profiles: number };
  gc(options: { olderThan: number; keepLevels: boolean }): { profiles: number; bytesFreed: number };
  close(): void;
}
