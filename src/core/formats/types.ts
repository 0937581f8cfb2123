import type { Source } from '../io/source.js';
import type { Profile } from '../model/profile.js';

/** What a format's probe says about the start of an input. */
export type Detection = 'yes' | 'maybe' | 'no';

/** The options of `stackcollapse-perf.pl`, shared by the perf script and perf.data readers. */
export interface PerfScriptOptions {
  /** Include the process name and pid as the root frame ("comm-pid"). */
  pid: boolean;
  /** Include the process name, pid and tid as the root frame ("comm-pid/tid"). */
  tid: boolean;
  /** Annotate kernel frames with _[k]. */
  kernel: boolean;
  /** Annotate JIT frames with _[j]. */
  jit: boolean;
  /** Annotate inlined frames with _[i]. (`--inline` of the Perl script runs addr2line; perf's own inline frames are kept.) */
  inline: boolean;
  /** All annotations: kernel, jit and inline. */
  all: boolean;
  /** Show raw addresses for unknown symbols ("[unknown] <addr>"). */
  addrs: boolean;
  /** Only this event (e.g. "cycles"); default: the first event seen. */
  event: string | undefined;
  /** Read every event, not only the first (value types per event). */
  allEvents: boolean;
}

/** The options of `stackcollapse.pl` / inferno's collapse-dtrace. */
export interface DtraceOptions {
  /** Keep the `+0x12` offsets of every frame but the leaf (inferno's --includeoffset). */
  includeOffset: boolean;
}

export interface ReadOptions {
  perf?: Partial<PerfScriptOptions>;
  /** Keep each sample's time, where the format has it (Profile.times), for flame charts and timelines. */
  keepTimes?: boolean;
  dtrace?: Partial<DtraceOptions>;
}

export interface WriteOptions {
  /** The value type to write where the format holds only one (folded). */
  valueIndex?: number;
}

/**
 * One profile format. Formats are listed once, in order, in formats/index.ts:
 * detection asks each `detect` in turn; the first "yes" wins, else the first "maybe".
 */
export interface ProfileFormat {
  id: string;
  /** A human name, for `info` and messages. */
  name: string;
  extensions: string[];
  detect(head: Buffer, complete: boolean): Detection;
  /** Missing when the format is recognised but not read yet. */
  read?(source: Source, options: ReadOptions): Promise<Profile>;
  write?(profile: Profile, options: WriteOptions): Buffer;
}
