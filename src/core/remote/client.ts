// The client side of Pyroscope's HTTP API: pushing profiles (the OG /ingest
// with a pprof form, or Grafana Pyroscope's Connect Push) and querying a
// remote's /render. Profiles go out through the pprof writer and come back
// through the flamebearer reader: no format logic here.
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { PyroError } from '../errors.js';
import { flamebearerUnits, parseFlamebearer } from '../formats/flamebearer.js';
import { writePprof } from '../formats/pprof/write.js';
import { sourceFromBuffer } from '../io/source.js';
import type { Profile, ValueType } from '../model/profile.js';
import { connectRequestHeaders, encodeConnectRequest, PUSH_PROCEDURE } from './connect-proto.js';

export interface Remote {
  /** Base URL, e.g. http://pyroscope:4040 (a path prefix is kept). */
  url: string;
  token?: string;
  /** user:password */
  basicAuth?: string;
  tenantId?: string;
  timeoutMs?: number;
}

export type Protocol = 'ingest' | 'connect';

/** A remote's refusal or absence; `retriable` for 5xx, 429 and network errors. */
export class RemoteError extends PyroError {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

/** How a remote is named in the store's acknowledgments: its URL, and the tenant. */
export function remoteKey(r: Remote): string {
  const url = r.url.replace(/\/+$/, '');
  return r.tenantId ? `${url} tenant=${r.tenantId}` : url;
}

function headers(r: Remote, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { 'user-agent': 'pyro', ...extra };
  if (r.token) h.authorization = `Bearer ${r.token}`;
  else if (r.basicAuth) h.authorization = `Basic ${Buffer.from(r.basicAuth).toString('base64')}`;
  if (r.tenantId) h['x-scope-orgid'] = r.tenantId;
  return h;
}

/** A remote's base URL, checked: http(s), as --url gives it. */
export function remoteUrl(url: string): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new PyroError(`--url ${url}: not a URL (e.g. http://localhost:4040)`, 2);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new PyroError(`--url ${url}: use http:// or https://`, 2);
  return base;
}

function endpoint(r: Remote, path: string, query?: URLSearchParams): string {
  const base = remoteUrl(r.url);
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${path}${query ? `?${query}` : ''}`;
}

/** One HTTP call; non-2xx answers and network failures become a RemoteError with the server's first line. */
async function call(
  r: Remote,
  method: 'GET' | 'POST',
  url: string,
  body?: Buffer | FormData,
  extra?: Record<string, string>,
): Promise<Buffer> {
  let res: Awaited<ReturnType<typeof request>>;
  let payload: Buffer | string | undefined;
  let contentType: string | undefined;
  if (body instanceof FormData) {
    const encoded = new Response(body);
    contentType = encoded.headers.get('content-type') ?? undefined;
    payload = Buffer.from(await encoded.arrayBuffer());
  } else payload = body;
  try {
    res = await request(url, {
      method,
      body: payload,
      headers: headers(r, { ...(contentType ? { 'content-type': contentType } : {}), ...extra }),
      headersTimeout: r.timeoutMs ?? 30_000,
      bodyTimeout: r.timeoutMs ?? 30_000,
    });
  } catch (e) {
    throw new RemoteError(`cannot reach ${url}: ${(e as Error).message}`, true);
  }
  const bytes = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode >= 200 && res.statusCode < 300) return bytes;
  const line = bytes.toString('utf8').trim().split('\n')[0]?.slice(0, 300) ?? '';
  const retriable = res.statusCode >= 500 || res.statusCode === 429;
  const hint = res.statusCode === 401 ? ' (give credentials with --token or --basic-auth)' : '';
  throw new RemoteError(
    `${method} ${url}: HTTP ${res.statusCode}${line ? `: ${line}` : ''}${hint}`,
    retriable,
    res.statusCode,
  );
}

/** What goes with a pushed profile: its series and, when it has none of its own, its time. */
export interface PushMeta {
  app: string;
  labels: Record<string, string>;
}

/** `app{k=v,...}` as Pyroscope's ingest API names a series (values as they are: the API has no quoting). */
function seriesKey(app: string, labels: Record<string, string>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${app}{${pairs.join(',')}}`;
}

/** Grafana Pyroscope's metric (`__name__`) for a profile type. */
export function metricName(type: string): string {
  if (type === 'cpu' || type === 'samples' || type === 'itimer') return 'process_cpu';
  if (/^(alloc|inuse)_(space|objects)$/.test(type) || type === 'space' || type === 'objects') return 'memory';
  if (type.startsWith('mutex_') || type === 'contentions' || type === 'delay') return 'mutex';
  if (type.startsWith('block_')) return 'block';
  if (type.startsWith('goroutine')) return 'goroutine';
  return type;
}

/** Sends one profile. `ingest`: the OG /ingest with a pprof form; `connect`: Grafana Pyroscope's Push. */
export async function pushProfile(r: Remote, profile: Profile, meta: PushMeta, protocol: Protocol): Promise<void> {
  const pprof = writePprof(profile);
  if (protocol === 'connect') {
    const vt = profile.valueTypes[profile.defaultValue] as ValueType;
    const labels = [
      { name: '__name__', value: metricName(vt.type) },
      { name: 'service_name', value: meta.app },
      ...Object.keys(meta.labels)
        .sort()
        .map((name) => ({ name, value: meta.labels[name] as string })),
    ];
    const body = encodeConnectRequest(PUSH_PROCEDURE, 'application/proto', {
      series: [{ labels, samples: [{ rawProfile: pprof, ID: randomUUID() }] }],
    });
    await call(r, 'POST', endpoint(r, PUSH_PROCEDURE), body, connectRequestHeaders('application/proto'));
    return;
  }
  const start = profile.startTime ?? Date.now();
  const q = new URLSearchParams({
    name: seriesKey(meta.app, meta.labels),
    from: String(Math.floor(start / 1000)),
    until: String(Math.max(Math.floor(start / 1000) + 1, Math.ceil((start + (profile.duration ?? 10_000)) / 1000))),
    spyName: 'pyro',
  });
  const form = new FormData();
  form.append('profile', new Blob([new Uint8Array(pprof)]), 'profile.pprof');
  // Each value type a series named by its type (as pyro's own series are), in Pyroscope's units.
  const config: Record<string, { units: string; 'display-name': string }> = {};
  for (const vt of profile.valueTypes)
    config[vt.type] = { units: flamebearerUnits(vt, profile).units, 'display-name': vt.type };
  form.append('sample_type_config', new Blob([JSON.stringify(config)]), 'sample_type_config.json');
  await call(r, 'POST', endpoint(r, '/ingest', q), form);
}

/**
 * The merged profile of a query over a range, from a remote's /render
 * (Pyroscope's flamebearer JSON): the OG path first, then Grafana
 * Pyroscope's /pyroscope/render. Undefined when nothing matches.
 */
export async function queryRemote(r: Remote, query: string, from: number, until: number): Promise<Profile | undefined> {
  const q = new URLSearchParams({
    query,
    from: String(Math.floor(from / 1000)),
    until: String(Math.ceil(until / 1000)),
    format: 'json',
    maxNodes: '-1',
  });
  let bytes: Buffer;
  try {
    bytes = await call(r, 'GET', endpoint(r, '/render', q));
  } catch (e) {
    if (!(e instanceof RemoteError && e.status === 404)) throw e;
    bytes = await call(r, 'GET', endpoint(r, '/pyroscope/render', q));
  }
  const profile = await parseFlamebearer(await sourceFromBuffer(`${r.url} ${query}`, bytes));
  if (profile.trie().columnTotal(0) === 0) return undefined;
  profile.startTime = from;
  profile.duration = until - from;
  return profile;
}
