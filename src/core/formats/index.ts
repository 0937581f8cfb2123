import { InputError } from '../errors.js';
import { plainFileHead, type Source } from '../io/source.js';
import type { Profile } from '../model/profile.js';
import { callgrind } from './callgrind.js';
import { cpuprofile } from './cpuprofile.js';
import { dtrace } from './dtrace.js';
import { embedded } from './embedded.js';
import { flamebearer } from './flamebearer.js';
import { folded } from './folded.js';
import { ghcProf } from './ghc-prof.js';
import { heapprofile } from './heapprofile.js';
import { jfr } from './jfr.js';
import { perfData } from './perf-data.js';
import { perfScript } from './perf-script.js';
import { pprof } from './pprof.js';
import { pyroscopeTree, pyroscopeTrie } from './pyroscope-binary.js';
import { pyroscopeLines } from './pyroscope-lines.js';
import { speedscope } from './speedscope.js';
import { traceEvent } from './trace-event.js';
import type { ProfileFormat, ReadOptions } from './types.js';
import { unsupportedFormats } from './unsupported.js';

/**
 * Every format, in detection order: binary probes first, then the shapes of
 * JSON documents, then line-based text, with folded stacks (the loosest) last.
 */
export const FORMATS: readonly ProfileFormat[] = [
  pprof,
  perfData,
  jfr,
  speedscope,
  cpuprofile,
  heapprofile,
  ghcProf,
  flamebearer,
  traceEvent,
  embedded,
  perfScript,
  dtrace,
  callgrind,
  pyroscopeTrie,
  pyroscopeTree,
  pyroscopeLines,
  ...unsupportedFormats,
  folded,
];

export function formatById(id: string): ProfileFormat | undefined {
  return FORMATS.find((f) => f.id === id);
}

/** The ids of formats that can be written. */
export const WRITABLE = FORMATS.filter((f) => f.write).map((f) => f.id);

/** The format of an input, from its content (the first "yes", else the first "maybe"). */
export function detectFormat(source: Pick<Source, 'name' | 'head' | 'complete'>): ProfileFormat {
  if (source.head.length === 0) throw new InputError(source.name, 'empty input: no profile in it');
  let maybe: ProfileFormat | undefined;
  for (const f of FORMATS) {
    const d = f.detect(source.head, source.complete);
    if (d === 'yes') return f;
    if (d === 'maybe' && !maybe) maybe = f;
  }
  if (maybe) return maybe;
  throw new InputError(
    source.name,
    'not a profile format pyro recognises (it reads pprof, perf script, perf.data, Java Flight Recorder (JFR), folded stacks, .cpuprofile, .heapprofile, trace-event, GHC JSON profiles, flamebearer JSON, speedscope, DTrace, callgrind and its own SVG and HTML flamegraphs)',
  );
}

/**
 * The format of a regular file whose bytes are its content as they are (not
 * compressed, no byte order mark), for readers that split it; else undefined.
 */
export function plainFileFormat(path: string, formatId?: string): string | undefined {
  const head = plainFileHead(path);
  if (!head) return undefined;
  return formatId ?? detectFormat(head).id;
}

/** Reads one source into a Profile, detecting its format unless one is given. */
export async function readProfile(source: Source, options: ReadOptions = {}, formatId?: string): Promise<Profile> {
  const format = formatId ? formatById(formatId) : detectFormat(source);
  if (!format) throw new InputError(source.name, `unknown format "${formatId}"`);
  if (!format.read) throw new InputError(source.name, `${format.name} is not supported yet`);
  return format.read(source, options);
}
