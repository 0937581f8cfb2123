import type { Profile, ValueType } from '../model/profile.js';
import type { Selector } from '../query/selector.js';

/** Unix milliseconds; ranges are [from, until). */
export interface TimeRange {
  from: number;
  until: number;
}

/**
 * How a series merges over a time range: the sum of its profiles, or their
 * average (gauges such as in-use memory or goroutines, as Pyroscope's
 * aggregationType=average: a day of heap profiles shows the mean heap).
 */
export type Aggregation = 'sum' | 'average';

export interface IngestOptions {
  /** service_name of the series. */
  app: string;
  /** Extra labels for every series this profile feeds. */
  labels?: Record<string, string>;
  /** Start of the profile when it has no time of its own (default: now). */
  at?: number;
  /** The value types whose series average over time (the others sum); unset: each series as it was (new ones sum). */
  averaged?: readonly string[];
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
  aggregation: Aggregation;
  profiles: number;
  from: number;
  until: number;
  total: number;
}

/** One stored profile of one series (a profile row). */
export interface StoredProfile {
  id: number;
  /** `app.type{labels}` of its series. */
  name: string;
  app: string;
  type: ValueType;
  labels: Record<string, string>;
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
  /**
   * The exact merge of every stored profile of the matching series in the range
   * (an average series: its mean profile), or undefined when none; with
   * `buckets`, the samples over time too (Profile.times), in that many parts of the range.
   */
  query(selector: Selector, range: TimeRange, options?: { buckets?: number }): Profile | undefined;
  /** The total of the series `query` would merge, per `step` ms of the range from its start. */
  timeline(selector: Selector, range: TimeRange, step: number): number[];
  /**
   * The stored profiles of the matching series (every type) that start in the
   * range, oldest first; `notAckedBy` leaves out those that remote acknowledged.
   * (Data that `gc --keep-levels` compacted has no profiles left to list.)
   */
  profiles(selector: Selector, range: TimeRange, options?: { notAckedBy?: string; limit?: number }): StoredProfile[];
  /** One stored profile, its series' labels (service_name among them) as the profile's labels. */
  profile(id: number): Profile | undefined;
  /** Records that a remote acknowledged these profiles (ids of profiles gone meanwhile are skipped). */
  ack(remote: string, ids: readonly number[]): void;
  /** Relabels the matching profiles: they move to the right series, nothing lost or duplicated. */
  relabel(selector: Selector, range: TimeRange, set: Record<string, string>, unset: string[]): { profiles: number };
  remove(selector: Selector, range: TimeRange): { profiles: number };
  gc(options: { olderThan: number; keepLevels: boolean }): { profiles: number; bytesFreed: number };
  close(): void;
}
