import { basename } from 'node:path';
import { PyroError } from './errors.js';
import { type LoadOptions, loadFile } from './input.js';
import type { Profile } from './model/profile.js';
import { averagedTypes } from './store/aggregation.js';
import { APP_NAME } from './store/match.js';
import type { Aggregation, IngestResult, ProfileStore } from './store/types.js';

export interface IngestFileOptions {
  /** --app; else the profile's service_name label, else the file's base name. */
  app?: string;
  labels: Record<string, string>;
  at?: number;
  /** How the series merge over time (unset: the gauges average, the others sum). */
  aggregation?: Aggregation;
  load: LoadOptions;
  /** Called after each file, whether it went in or not. */
  onFile?: (outcome: IngestOutcome, profile: Profile | undefined) => void;
}

export interface IngestOutcome {
  file: string;
  ok: boolean;
  app?: string;
  /** How the app name was chosen: the --app flag, the profile's service_name, or the file name. */
  appFrom?: 'flag' | 'profile' | 'file name';
  samples?: number;
  series?: IngestResult['series'];
  error?: string;
}

/**
 * Reads and stores each file in its own transaction: a file that cannot be
 * read or stored is reported and the others still go in.
 */
export async function ingestFiles(
  store: ProfileStore,
  files: readonly string[],
  o: IngestFileOptions,
): Promise<IngestOutcome[]> {
  const out: IngestOutcome[] = [];
  for (const file of files) {
    let outcome: IngestOutcome;
    let profile: Profile | undefined;
    try {
      profile = await loadFile(file, o.load);
      const [app, appFrom] = chooseApp(file, profile, o.app);
      const averaged = averagedTypes(
        profile.valueTypes.map((vt) => vt.type),
        o.aggregation,
      );
      const r = store.ingest(profile, { app, labels: o.labels, at: o.at, averaged });
      outcome = { file, ok: true, app, appFrom, samples: profile.sampleCount, series: r.series };
    } catch (e) {
      // Only errors a user can act on are one line per file; a bug in pyro stops the run.
      if (!(e instanceof PyroError)) throw e;
      outcome = { file, ok: false, error: e.message };
    }
    out.push(outcome);
    o.onFile?.(outcome, profile);
  }
  return out;
}

/** The app of a file's profile: the flag, else the profile's service_name, else the file name. */
export function chooseApp(
  file: string,
  profile: Profile,
  flag: string | undefined,
): [string, IngestOutcome['appFrom']] {
  if (flag) return [flag, 'flag'];
  const own = profile.labels.service_name;
  if (own) return [appName(own), 'profile'];
  return [appFromFileName(file), 'file name'];
}

/** `cpu-api.pb.gz` → `cpu-api`: the base name up to its first dot, in the characters an app name may use. */
export function appFromFileName(file: string): string {
  if (file === '-') return 'stdin';
  return appName(basename(file).replace(/^\.+/, '').split('.')[0] ?? '');
}

/** --app must be a name a selector can select. */
export function checkApp(app: string): void {
  if (!APP_NAME.test(app))
    throw new PyroError(`--app ${app}: use letters, digits and _ . : - (a selector must be able to name it)`, 2);
}

/** A name a selector can select: the characters of an app name, others as "_". */
function appName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.:-]/g, '_') || 'default';
}
