import { existsSync } from 'node:fs';
import { PyroError } from './errors.js';
import { readProfile } from './formats/index.js';
import type { ReadOptions } from './formats/types.js';
import { openSource, type ProgressCallback } from './io/source.js';
import { mergeProfiles } from './model/merge.js';
import type { Profile } from './model/profile.js';
import { storeDir, withStore } from './query/open.js';
import { parseSelector, type Selector } from './query/selector.js';
import { parseRange, span } from './query/time.js';
import type { Remote } from './remote/client.js';

export interface LoadOptions extends ReadOptions {
  /** Read every input as this format instead of detecting it. */
  inputFormat?: string;
  /** Progress over all inputs, in raw bytes read. */
  onProgress?: ProgressCallback;
  /** Selectors: the store directory (--store) and the time range (--from, --until). */
  store?: string;
  from?: string;
  until?: string;
  /** Read every input as a selector, even one that names a file (`pyro export`). */
  selectorsOnly?: boolean;
  /** Read selectors from this Pyroscope server instead of the store (--url). */
  remote?: Remote;
}

/**
 * The one way commands turn their INPUT arguments into a Profile: each is
 * resolved by loadOne and all are merged.
 */
export async function loadProfile(inputs: readonly string[], options: LoadOptions = {}): Promise<Profile> {
  const profiles: Profile[] = [];
  let before = 0;
  for (const input of inputs) {
    let last = 0;
    const onProgress: ProgressCallback | undefined = options.onProgress
      ? (read, total) => {
          last = read;
          options.onProgress?.(before + read, total === undefined ? undefined : before + total);
        }
      : undefined;
    profiles.push(await loadOne(input, { ...options, onProgress }));
    before += last;
  }
  return mergeProfiles(profiles);
}

/**
 * One input: a file (format detected by content), "-" for stdin, or, when it
 * is not an existing file, a series selector read from the store over
 * --from/--until. Text that cannot be a selector (a path with "/") stays a
 * missing file.
 */
export async function loadOne(input: string, options: LoadOptions = {}): Promise<Profile> {
  if (!options.selectorsOnly && (input === '-' || existsSync(input))) return loadFile(input, options);
  let selector: Selector;
  try {
    selector = parseSelector(input);
  } catch (e) {
    // Braces say a selector was meant: its syntax error is the useful message.
    if (options.selectorsOnly || input.includes('{')) throw e;
    return loadFile(input, options);
  }
  return loadSelector(input, selector, options);
}

/** A file or "-" (stdin), never a selector (`pyro ingest`). */
export async function loadFile(input: string, options: LoadOptions = {}): Promise<Profile> {
  const source = await openSource(input, options.onProgress);
  return readProfile(source, options, options.inputFormat);
}

async function loadSelector(input: string, selector: Selector, options: LoadOptions): Promise<Profile> {
  if (options.remote) return loadRemote(input, options.remote, options);
  const range = parseRange(options.from, options.until, Date.now());
  const asFile = options.selectorsOnly || input.includes('{') ? '' : 'no such file, and ';
  const dir = await storeDir(options.store);
  // A mistyped file name must not create a store as a side effect.
  if (!existsSync(dir))
    throw new PyroError(
      `${input}: ${asFile}there is no store at ${dir} to select from; ingest profiles with \`pyro ingest\``,
    );
  // Times asked for (a timeline): the range in parts, as many as a timeline shows.
  const buckets = options.keepTimes ? 200 : undefined;
  const profile = await withStore(options.store, (store) => store.query(selector, range, { buckets }));
  if (!profile) {
    throw new PyroError(
      `${input}: ${asFile}no series in ${dir} match it${span(options)}; list them with \`pyro series\`, add some with \`pyro ingest\``,
    );
  }
  return profile;
}

/** A selector read from a remote's /render over [--from, --until) (default: the last hour, as Pyroscope's UI). */
async function loadRemote(input: string, remote: Remote, options: LoadOptions): Promise<Profile> {
  const now = Date.now();
  const range = parseRange(options.from ?? 'now-1h', options.until ?? 'now', now);
  const { queryRemote } = await import('./remote/client.js');
  const profile = await queryRemote(remote, input, range.from, range.until);
  if (!profile)
    throw new PyroError(
      `${input}: no profiles on ${remote.url} match it${span({ from: options.from ?? 'now-1h', until: options.until })}`,
    );
  return profile;
}

/** At most this many runs from a selector's stored profiles (consecutive ones are merged past it). */
const MAX_RUNS = 500;

/**
 * The stored profiles a selector input picks, one run per start time (the
 * profiles ingested together, across label sets, merged), oldest first: the
 * repeated measurements that `pyro diff` tests a change over. Undefined when
 * the input is a file, a remote selector, or matches nothing.
 */
export async function loadStoredRuns(input: string, options: LoadOptions = {}): Promise<Profile[] | undefined> {
  if (options.remote || input === '-' || existsSync(input)) return undefined;
  let selector: Selector;
  try {
    selector = parseSelector(input);
  } catch {
    return undefined;
  }
  const dir = await storeDir(options.store);
  if (!existsSync(dir)) return undefined;
  const range = parseRange(options.from, options.until, Date.now());
  return withStore(options.store, (store) => {
    // The type a query picks (cpu, else the only one), then the profiles of that type.
    const type = store.query(selector, range)?.valueTypes[0]?.type;
    if (type === undefined) return undefined;
    const byTime = new Map<number, number[]>();
    for (const row of store.profiles({ ...selector, type }, range)) {
      const ids = byTime.get(row.from);
      if (ids) ids.push(row.id);
      else byTime.set(row.from, [row.id]);
    }
    const groups = [...byTime.values()];
    const per = Math.ceil(groups.length / MAX_RUNS);
    const runs: Profile[] = [];
    for (let i = 0; i < groups.length; i += per) {
      const ids = groups.slice(i, i + per).flat();
      runs.push(mergeProfiles(ids.map((id) => store.profile(id)).filter((p): p is Profile => p !== undefined)));
    }
    return runs;
  });
}
