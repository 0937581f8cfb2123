// Grafana Pyroscope's Connect API on pyro's store: Push (raw pprof per series
// of labels) and the querier calls its Grafana data source makes
// (ProfileTypes, LabelNames, LabelValues, SelectMergeStacktraces). The
// messages are connect-proto.ts's; the profiles go through the pprof reader.
import { PyroError } from '../errors.js';
import { flamebearerLevels } from '../formats/flamebearer.js';
import type { ValueType } from '../model/profile.js';
import { parseSelector, type Selector } from '../query/selector.js';
import { APP_LABEL, APP_NAME } from '../store/match.js';
import type { SeriesInfo, TimeRange } from '../store/types.js';
import { metricName } from './client.js';
import {
  ConnectError,
  connectCodeForHttpStatus,
  decodeConnectRequest,
  encodeConnectError,
  encodeConnectResponse,
  type Init,
  LABEL_NAMES_PROCEDURE,
  LABEL_VALUES_PROCEDURE,
  PROFILE_TYPES_PROCEDURE,
  type Procedure,
  PUSH_PROCEDURE,
  type RequestOf,
  type ResponseOf,
  SELECT_MERGE_STACKTRACES_PROCEDURE,
} from './connect-proto.js';
import { HttpError, inflateLimited } from './http-error.js';
import { checkLabel, type IngestItem, readPart } from './ingest.js';
import type { Reply, RouteContext } from './server.js';

type Handler<P extends Procedure> = (
  req: RequestOf<P>,
  c: RouteContext,
) => Promise<Init<ResponseOf<P>>> | Init<ResponseOf<P>>;

/** Each procedure's path and route: the body decoded, the handler run, the answer (or error) in the request's codec. */
export function connectRoutes(): Map<string, (c: RouteContext) => Promise<Reply>> {
  const routes = new Map<string, (c: RouteContext) => Promise<Reply>>();
  const add = <P extends Procedure>(procedure: P, handler: Handler<P>) => {
    routes.set(procedure, async (c) => {
      let reply: { status: number; contentType: string; body: Buffer };
      try {
        const contentType = c.req.headers['content-type'];
        const body = inflateLimited(await c.body(), c.maxBody * 8, 'request body');
        const req = decodeConnectRequest(procedure, contentType, body);
        reply = encodeConnectResponse(procedure, contentType, await handler(req, c));
      } catch (e) {
        reply = encodeConnectError(asConnectError(e));
      }
      return { status: reply.status, type: reply.contentType, body: reply.body };
    });
  };
  add(PUSH_PROCEDURE, push);
  add(PROFILE_TYPES_PROCEDURE, (req, c) => ({ profileTypes: profileTypes(c.store().series(), range(req, c.now)) }));
  add(LABEL_NAMES_PROCEDURE, (req, c) => {
    const names = new Set<string>(['__name__']);
    for (const sel of selectors(req.matchers)) for (const n of c.store().labelNames(sel)) names.add(n);
    return { names: [...names].sort() };
  });
  add(LABEL_VALUES_PROCEDURE, (req, c) => {
    const values = new Set<string>();
    for (const sel of selectors(req.matchers)) {
      if (req.name === '__name__') for (const s of c.store().series(sel)) values.add(metricName(s.type.type));
      else for (const v of c.store().labelValues(req.name, sel)) values.add(v);
    }
    return { names: [...values].sort() };
  });
  add(SELECT_MERGE_STACKTRACES_PROCEDURE, (req, c) => {
    const [, type, unit] = req.profileTypeID.split(':');
    if (!type || !unit)
      throw new ConnectError(
        'invalid_argument',
        `profileTypeID "${req.profileTypeID}": expected name:type:unit:periodType:periodUnit`,
      );
    const selector = { ...selectorOf(req.labelSelector || '{}'), type };
    const profile = c.store().query(selector, range(req, c.now));
    if (!profile || profile.valueTypes[0]?.unit !== unit)
      return { flamegraph: { names: ['total'], levels: [{ values: [0, 0, 0, 0] }], total: 0, maxSelf: 0 } };
    const { names, levels, ticks, maxSelf } = flamebearerLevels(profile, [0], req.maxNodes ?? 0);
    return {
      flamegraph: {
        names,
        levels: levels.map((values) => ({ values: values.map(Math.round) })),
        total: Math.round(ticks[0] as number),
        maxSelf: Math.round(maxSelf),
      },
    };
  });
  return routes;
}

/** Each series of the request, its samples read as pprof; answered once all are committed. */
async function push(
  req: RequestOf<typeof PUSH_PROCEDURE>,
  c: RouteContext,
): Promise<Init<ResponseOf<typeof PUSH_PROCEDURE>>> {
  const items: IngestItem[] = [];
  for (const [i, series] of req.series.entries()) {
    const labels: Record<string, string> = {};
    let app: string | undefined;
    for (const { name, value } of series.labels) {
      if (name === APP_LABEL) app = value;
      // __name__, __delta__ and the like describe the profile type, which the pprof itself carries.
      else if (!name.startsWith('__') && value !== '') {
        checkLabel(name, value, `series[${i}]`);
        labels[name] = value;
      }
    }
    if (!app || !APP_NAME.test(app))
      throw new ConnectError(
        'invalid_argument',
        `series[${i}]: service_name ${app ? `"${app}" takes letters, digits and _ . : -` : 'is missing'}`,
      );
    for (const [j, sample] of series.samples.entries()) {
      const what = `series[${i}].samples[${j}]`;
      const profile = await readPart(Buffer.from(sample.rawProfile), 'pprof', what, c.maxBody * 8);
      profile.startTime ??= c.now;
      // Grafana Pyroscope sums every profile type over time.
      items.push({ profile, app, labels, averaged: [] });
    }
  }
  await Promise.all(items.map((item) => c.ingest(item)));
  return {};
}

/** Grafana's profile types (`process_cpu:cpu:nanoseconds:cpu:nanoseconds`) of the series with data in the range. */
function profileTypes(series: SeriesInfo[], r: TimeRange) {
  const seen = new Map<
    string,
    { ID: string; name: string; sampleType: string; sampleUnit: string; periodType: string; periodUnit: string }
  >();
  for (const s of series) {
    if (s.until <= r.from || s.from >= r.until) continue;
    const t = profileType(s.type);
    seen.set(t.ID, t);
  }
  return [...seen.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
}

function profileType(vt: ValueType) {
  const name = metricName(vt.type);
  return {
    ID: `${name}:${vt.type}:${vt.unit}:${vt.type}:${vt.unit}`,
    name,
    sampleType: vt.type,
    sampleUnit: vt.unit,
    periodType: vt.type,
    periodUnit: vt.unit,
  };
}

/** A request's [start, end) in ms; 0 means the last hour, as Grafana sends it. */
function range(req: { start: number; end: number }, now: number): TimeRange {
  const until = req.end > 0 ? req.end : now;
  const from = req.start > 0 ? req.start : until - 3_600_000;
  if (from >= until) throw new ConnectError('invalid_argument', 'start must be before end');
  return { from, until };
}

function selectorOf(text: string): Selector {
  try {
    return parseSelector(text);
  } catch (e) {
    if (e instanceof PyroError) throw new ConnectError('invalid_argument', `selector ${text}: ${e.message}`);
    throw e;
  }
}

/** The matchers of a request as selectors; none: every series. */
function selectors(matchers: string[]): (Selector | undefined)[] {
  return matchers.length === 0 ? [undefined] : matchers.map(selectorOf);
}

function asConnectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) return e;
  if (e instanceof HttpError) {
    const code =
      e.status === 400 || e.status === 422
        ? 'invalid_argument'
        : e.status === 413
          ? 'resource_exhausted'
          : connectCodeForHttpStatus(e.status);
    return new ConnectError(code, e.message);
  }
  if (e instanceof PyroError) return new ConnectError('invalid_argument', e.message);
  return new ConnectError('internal', `internal error: ${(e as Error)?.message ?? e}`);
}
