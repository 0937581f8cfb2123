import type { Profile } from '../model/profile.js';
import type { ChildEnd } from './process.js';

export interface RecordOptions {
  command: string;
  args: readonly string[];
  /** Samples per second. */
  rateHz: number;
  /** Stop after this long (the command is sent SIGTERM). */
  durationMs?: number;
  /** What is sampled: CPU time, or (node profiler) wall-clock time or the live heap. */
  kind: RecordKind;
  /** Label each process (pid, thread, command) instead of merging them. */
  perProcess: boolean;
  /** perf: how stacks are walked (frame pointers, or DWARF unwinding of copied stack memory). */
  callGraph: 'fp' | 'dwarf';
  /** A directory of its own for the profiler's files (made and removed by the caller). */
  workDir: string;
  /** perf: also keep the raw perf.data here (for perf report, hotspot). */
  rawOutput?: string;
  /** Continuous mode: a profile every `intervalMs`, handed to `onProfile` as it is taken, with its time range. */
  continuous?: { intervalMs: number; onProfile: (profile: Profile) => Promise<void> | void };
}

export interface Recording {
  /** Everything recorded, merged (with --per-process, one label set per process). */
  profile: Profile | undefined;
  end: ChildEnd;
  /** The recording ended at --duration (pyro sent the command SIGTERM). */
  stoppedAtDuration: boolean;
}

export type RecordKind = 'cpu' | 'wall' | 'heap';

export interface AttachOptions {
  rateHz: number;
  /** cpu or wall (attaching takes no heap profile). */
  kind: Exclude<RecordKind, 'heap'>;
  /** How long to record; until SIGINT when absent. */
  durationMs?: number;
  callGraph: 'fp' | 'dwarf';
  workDir: string;
}

/** One way of sampling stacks: each profiler is a file of src/core/record/ behind this. */
export interface Profiler {
  readonly name: 'node' | 'perf';
  /** Starts the command, samples it (and what it starts) until it exits or the duration is up. */
  record(o: RecordOptions): Promise<Recording>;
  /** Samples a running process for a while. */
  attach(pid: number, o: AttachOptions): Promise<Profile>;
}
