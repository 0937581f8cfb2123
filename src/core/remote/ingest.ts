// Pyroscope's `POST /ingest`, as the OG server (v0.37) defines it and Grafana
// Pyroscope keeps it: the series in `name` (`app.cpu{k=v,...}`), the time
// range in `from`/`until`, and a body in one of several formats, chosen by
// `format=` or the Content-Type. Turned here into Profiles for the store;
// every format is read by its reader in formats/.
import { InputError, PyroError } from '../errors.js';
import { readProfile } from '../formats/index.js';
import { readPprofBytes } from '../formats/pprof/read.js';
import { sourceFromBuffer } from '../io/source.js';
import { selectValues, subtractProfile } from '../model/merge.js';
import type { Profile, ValueType } from '../model/profile.js';
import type { SharedSymbols } from '../model/shared-symbols.js';
import { LABEL_NAME } from '../query/selector.js';
import { parseTime } from '../query/time.js';
import { AVERAGED_BY_DEFAULT } from '../store/aggregation.js';
import { APP_LABEL, APP_NAME } from '../store/match.js';
import { nanosPer } from '../units.js';
import { HttpError, inflateLimited } from './http-error.js';

/** A series as a client names it: `app.cpu{k=v,...}`. */
export interface SeriesKey {
  /** The text before the braces: app, and for text bodies its profile type after the last dot. */
  name: string;
  labels: Record<string, string>;
}

export interface IngestParams {
  key: SeriesKey;
  /** Unix ms. */
  from: number;
  until: number;
  sampleRate: number;
  spyName: string;
  units: string;
  aggregationType: 'sum' | 'average';
  format: string;
}

/** One profile to store, with the app and labels of its series. */
export interface IngestItem {
  profile: Profile;
  app: string;
  labels: Record<string, string>;
  /** The value types whose series average over time rather than sum (aggregationType=average). */
  averaged: string[];
}

const MAX_LABEL_VALUE = 1024;
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Parses `app.cpu{k=v,k2="v 2"}` as Pyroscope's labelset.Parse does: values
 * run to the next `,` or `}` (quotes around one are dropped). Names and values
 * are checked, so that everything stored can be selected again.
 */
export function parseSeriesKey(text: string): SeriesKey {
  const brace = text.indexOf('{');
  const name = (brace < 0 ? text : text.slice(0, brace)).trim();
  if (!name) throw new HttpError(400, 'name: missing (expected app.cpu{label=value,...})');
  if (!APP_NAME.test(name)) throw new HttpError(400, `name: "${name}": an app name takes letters, digits and _ . : -`);
  const labels: Record<string, string> = {};
  if (brace >= 0) {
    const close = text.indexOf('}', brace);
    if (close < 0) throw new HttpError(400, `name: "${text}": "{" is never closed`);
    if (text.slice(close + 1).trim()) throw new HttpError(400, `name: "${text}": text after "}"`);
    for (const pair of text.slice(brace + 1, close).split(',')) {
      if (!pair.trim()) continue;
      const eq = pair.indexOf('=');
      if (eq < 0) throw new HttpError(400, `name: label "${pair.trim()}" has no "=value"`);
      const k = pair.slice(0, eq).trim();
      let v = pair.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      checkLabel(k, v, 'name');
      if (v !== '') labels[k] = v;
    }
  }
  return { name, labels };
}

/** A label pair pyro can store and select: a Prometheus-style name (dots allowed), a value without control characters. */
export function checkLabel(name: string, value: string, where: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith('__'))
    throw new HttpError(
      400,
      `${where}: label name "${name}" is not valid (letters, digits, _ and ., not starting with a digit or __)`,
    );
  if (value.length > MAX_LABEL_VALUE)
    throw new HttpError(400, `${where}: the value of ${name} is longer than ${MAX_LABEL_VALUE} characters`);
  if (CONTROL.test(value)) throw new HttpError(400, `${where}: the value of ${name} has control characters`);
}

/**
 * A time as Pyroscope's attime.Parse reads it: digits by their count (13
 * milliseconds, 16 microseconds, 19 nanoseconds, 8 a date YYYYMMDD, else
 * seconds), or `now`, `now-1h`. Unix ms.
 */
export function parseIngestTime(text: string, now: number, what: string): number {
  const t = text.trim().replace(/[_, ]/g, '');
  if (/^\d+$/.test(t)) {
    if (t.length === 8) {
      const d = Date.UTC(Number(t.slice(0, 4)), Number(t.slice(4, 6)) - 1, Number(t.slice(6, 8)));
      if (Number(t.slice(0, 4)) > 1900 && Number(t.slice(4, 6)) <= 12 && Number(t.slice(6, 8)) <= 31) return d;
    }
    const n = Number(t);
    if (t.length === 13) return n;
    if (t.length === 16) return Math.floor(n / 1e3);
    if (t.length === 19) return Math.floor(Number(BigInt(t) / 1_000_000n));
    return n * 1000;
  }
  try {
    return parseTime(t, now, what);
  } catch (e) {
    if (e instanceof PyroError) throw new HttpError(400, e.message);
    throw e;
  }
}

/** The query parameters of an ingest request. */
export function parseIngestParams(q: URLSearchParams, now: number): IngestParams {
  const key = parseSeriesKey(q.get('name') ?? '');
  const from = q.get('from') ? parseIngestTime(q.get('from') as string, now, 'from') : now;
  const until = q.get('until') ? parseIngestTime(q.get('until') as string, now, 'until') : now;
  const rate = q.get('sampleRate');
  const sampleRate = rate ? Number(rate) : 100;
  if (!Number.isInteger(sampleRate) || sampleRate <= 0)
    throw new HttpError(400, `sampleRate: "${rate}" is not a positive whole number (samples per second)`);
  const units = q.get('units') || 'samples';
  if (!/^[a-z_]+$/.test(units))
    throw new HttpError(400, `units: "${units}" is not a unit name (samples, objects, bytes, ...)`);
  return {
    key,
    from,
    until: Math.max(until, from + 1),
    sampleRate,
    spyName: q.get('spyName') || 'unknown',
    units,
    aggregationType: aggregationParam(q.get('aggregationType')),
    format: q.get('format') ?? '',
  };
}

/** Pyroscope's aggregationType: sum (the default) or average ("avg" too, as its storage reads it). */
function aggregationParam(text: string | null): 'sum' | 'average' {
  if (!text || text === 'sum') return 'sum';
  if (text === 'average' || text === 'avg') return 'average';
  throw new HttpError(400, `aggregationType: "${text}" is not one pyro takes (sum or average)`);
}

/** The body formats of the ingest API and the reader of each. */
const TEXT_BODIES: Record<string, string> = {
  folded: 'folded',
  groups: 'folded',
  lines: 'pyroscope-lines',
  trie: 'pyroscope-trie',
  tree: 'pyroscope-tree',
};
const CONTENT_TYPES: Record<string, string> = {
  'binary/octet-stream+trie': 'trie',
  'binary/octet-stream+tree': 'tree',
  'binary/octet-stream+lines': 'lines',
};

/** The body format of a request, as Pyroscope's ingest handler chooses it. */
export function bodyFormat(format: string, contentType: string): string {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (format) {
    if (format in TEXT_BODIES || ['pprof', 'jfr', 'speedscope'].includes(format)) return format;
    throw new HttpError(
      400,
      `format: "${format}" is not one pyro takes (folded, lines, trie, tree, pprof, jfr, speedscope)`,
    );
  }
  if (CONTENT_TYPES[type]) return CONTENT_TYPES[type];
  if (type === 'multipart/form-data') return 'pprof';
  return 'folded';
}

/** Reads an ingest request's body into the profile(s) to store. `limit` bounds what gzipped parts inflate to. */
export async function readIngestBody(
  params: IngestParams,
  contentType: string,
  body: Buffer,
  limit: number,
  symbols?: SharedSymbols,
): Promise<IngestItem> {
  const format = bodyFormat(params.format, contentType);
  const parts = isForm(contentType) ? await formParts(contentType, body) : undefined;
  let profile: Profile;
  // Types averaged by the sample_type_config, else by Pyroscope's defaults for Go's gauges.
  let average: ReadonlySet<string> = NONE;
  if (format === 'pprof') {
    const main = parts ? parts.get('profile') : body;
    if (!main) throw new HttpError(400, 'multipart body: no "profile" part');
    profile = await readPart(main, 'pprof', parts ? 'part "profile"' : 'body', limit, symbols);
    const config = parts?.get('sample_type_config');
    const types = config ? parseSampleTypeConfig(config) : undefined;
    const prev = parts?.get('prev_profile');
    if (prev && prev.length > 0) {
      const before = await readPart(prev, 'pprof', 'part "prev_profile"', limit, symbols);
      profile = subtractProfile(
        profile,
        before,
        profile.valueTypes.map((vt) => types?.[vt.type]?.cumulative ?? DEFAULT_CUMULATIVE.has(vt.type)),
      );
    }
    // Named as the config renames them.
    average = types
      ? new Set(
          Object.entries(types)
            .filter(([, c]) => c.aggregation === 'average')
            .map(([type, c]) => c.displayName ?? type),
        )
      : AVERAGED_BY_DEFAULT;
    if (types) profile = applySampleTypes(profile, types);
  } else if (format === 'jfr') {
    const main = parts ? parts.get('jfr') : body;
    if (!main) throw new HttpError(400, 'multipart body: no "jfr" part');
    profile = await readPart(main, 'jfr', parts ? 'part "jfr"' : 'body', limit);
  } else if (format === 'speedscope') {
    profile = await readPart(body, 'speedscope', 'body', limit);
  } else {
    const read = await readPart(body, TEXT_BODIES[format] as string, 'body', limit);
    return toStore(textSeries(read, params), params, NONE);
  }
  return toStore(binarySeries(profile, params), params, average);
}

/** What an ingest request stores: the profile at its time range, and which of its types average. */
function toStore(item: Omit<IngestItem, 'averaged'>, params: IngestParams, average: ReadonlySet<string>): IngestItem {
  item.profile.startTime = params.from;
  item.profile.duration = params.until - params.from;
  const types = item.profile.valueTypes.map((vt) => vt.type);
  return { ...item, averaged: types.filter((t) => params.aggregationType === 'average' || average.has(t)) };
}

/** Whether a request's body is a multipart form (pyroscope-go's), whose parts are read one by one. */
function isForm(contentType: string): boolean {
  return /^multipart\/form-data/i.test(contentType);
}

/** The parts of a multipart/form-data body, by field name. */
async function formParts(contentType: string, body: Buffer): Promise<Map<string, Buffer>> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch (e) {
    throw new HttpError(400, `multipart body: cannot be parsed (${(e as Error).message})`);
  }
  const out = new Map<string, Buffer>();
  for (const [name, value] of form) {
    out.set(name, typeof value === 'string' ? Buffer.from(value) : Buffer.from(await value.arrayBuffer()));
  }
  return out;
}

/**
 * A body or form part (gunzipped up to `limit`) read as one format; a reader's
 * complaint is a 422. A pprof goes into `symbols`' tables when given.
 */
export async function readPart(
  bytes: Buffer,
  formatId: string,
  what: string,
  limit: number,
  symbols?: SharedSymbols,
): Promise<Profile> {
  const content = inflateLimited(bytes, limit, what);
  try {
    // pprof, the common push, is read in place; the others through a Source (detection of gzip, BOMs, chunks).
    if (formatId === 'pprof') return readPprofBytes(what, content, symbols);
    return await readProfile(await sourceFromBuffer(what, content), {}, formatId);
  } catch (e) {
    if (e instanceof InputError) throw new HttpError(422, e.message);
    throw e;
  }
}

/** Pyroscope's profile types of text bodies, the name's last dotted part; the value each sample counts. */
const KNOWN_TYPES = new Set([
  'cpu',
  'wall',
  'itimer',
  'inuse_objects',
  'inuse_space',
  'alloc_objects',
  'alloc_space',
  'goroutines',
  'mutex_count',
  'mutex_duration',
  'block_count',
  'block_duration',
]);

/** Pyroscope's units and pyro's: samples of a CPU or wall profile become time (as Grafana Pyroscope stores them). */
const UNITS: Record<string, string> = {
  samples: 'count',
  objects: 'count',
  goroutines: 'count',
  lock_samples: 'count',
  bytes: 'bytes',
  lock_nanoseconds: 'nanoseconds',
};

/**
 * The series of a folded, lines, trie or tree body: `app.type` names the
 * type (cpu without a dot); samples of cpu and wall count 1/sampleRate s each
 * and are stored as nanoseconds.
 */
function textSeries(read: Profile, params: IngestParams): Omit<IngestItem, 'averaged'> {
  const { name, labels } = params.key;
  const dot = name.lastIndexOf('.');
  const app = dot > 0 ? name.slice(0, dot) : name;
  const type = dot > 0 ? name.slice(dot + 1) : 'cpu';
  let vt: ValueType = { type, unit: UNITS[params.units] ?? params.units };
  let scale = 1;
  if (params.units === 'samples' && (type === 'cpu' || type === 'wall' || type === 'itimer')) {
    vt = { type, unit: 'nanoseconds' };
    scale = 1e9 / params.sampleRate;
  }
  const profile = selectValues(read, [vt], [read.defaultValue], [scale]);
  if (scale !== 1) {
    profile.period = scale;
    profile.periodType = { type, unit: 'nanoseconds' };
  }
  return series(profile, app, labels);
}

/** The series of a pprof, JFR or speedscope body: they carry their own types; a type suffix on the name is dropped. */
function binarySeries(profile: Profile, params: IngestParams): Omit<IngestItem, 'averaged'> {
  const { name, labels } = params.key;
  const dot = name.lastIndexOf('.');
  const app = dot > 0 && KNOWN_TYPES.has(name.slice(dot + 1)) ? name.slice(0, dot) : name;
  return series(profile, app, labels);
}

function series(profile: Profile, app: string, labels: Record<string, string>): Omit<IngestItem, 'averaged'> {
  const own = { ...labels };
  const name = own[APP_LABEL] ?? app;
  delete own[APP_LABEL];
  return { profile, app: name, labels: own };
}

/** One entry of pyroscope-go's sample_type_config (JSON keys as it sends them). */
interface SampleTypeConfig {
  units?: string;
  aggregation?: string;
  displayName?: string;
  sampled?: boolean;
  cumulative?: boolean;
}

/** Go's cumulative sample types, when no sample_type_config says otherwise (Pyroscope's defaults). */
const DEFAULT_CUMULATIVE = new Set(['alloc_objects', 'alloc_space', 'contentions', 'delay']);
const NONE: ReadonlySet<string> = new Set();

function parseSampleTypeConfig(bytes: Buffer): Record<string, SampleTypeConfig> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, `part "sample_type_config": not JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new HttpError(400, 'part "sample_type_config": expected an object of sample types');
  const out: Record<string, SampleTypeConfig> = {};
  for (const [type, v] of Object.entries(json as Record<string, unknown>)) {
    if (!v || typeof v !== 'object') throw new HttpError(400, `part "sample_type_config": ${type} is not an object`);
    const c = v as Record<string, unknown>;
    const str = (x: unknown) => (typeof x === 'string' && x !== '' ? x : undefined);
    out[type] = {
      units: str(c.units),
      aggregation: str(c.aggregation),
      displayName: str(c['display-name']),
      sampled: c.sampled === true,
      cumulative: c.cumulative === true,
    };
  }
  return out;
}

/**
 * Keeps the sample types the config names, each under its display name (as
 * Pyroscope's series are named); counts of a `sampled` type become time, by
 * the profile's period, as text bodies' samples do.
 */
function applySampleTypes(profile: Profile, config: Record<string, SampleTypeConfig>): Profile {
  const from: number[] = [];
  const types: ValueType[] = [];
  const scale: number[] = [];
  const periodNs = profile.periodType ? (nanosPer(profile.periodType.unit) ?? 0) * profile.period : 0;
  profile.valueTypes.forEach((vt, i) => {
    const c = config[vt.type];
    if (!c) return;
    from.push(i);
    const type = c.displayName ?? vt.type;
    const toTime = c.sampled === true && vt.unit === 'count' && periodNs > 0;
    types.push({ type, unit: toTime ? 'nanoseconds' : vt.unit });
    scale.push(toTime ? periodNs : 1);
  });
  if (types.length === 0) {
    throw new HttpError(
      422,
      `part "sample_type_config" names none of the profile's sample types (${profile.valueTypes.map((v) => v.type).join(', ')})`,
    );
  }
  const out = selectValues(profile, types, from, scale);
  const dflt = from.indexOf(profile.defaultValue);
  out.defaultValue = dflt >= 0 ? dflt : types.length - 1;
  return out;
}
