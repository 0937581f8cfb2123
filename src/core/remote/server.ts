// `pyro server`: Pyroscope's HTTP API over the local store. Ingest (OG
// /ingest and Grafana Pyroscope's Connect Push), queries (/render,
// /render-diff, labels, apps, the Connect querier), and the HTML viewer at /.
// Bodies go to the readers of formats/ (through ingest.ts), queries to the
// store; this file only routes, guards and answers.
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PyroError } from '../errors.js';
import { flamebearerUnits } from '../formats/flamebearer.js';
import { writeFolded } from '../formats/folded.js';
import { writePprof } from '../formats/pprof/write.js';
import { Profile } from '../model/profile.js';
import { parseSelector, type Selector } from '../query/selector.js';
import { renderHtml } from '../render/html.js';
import { Placer } from '../store/place-worker.js';
import type { Store } from '../store/store.js';
import { connectRoutes } from './connect-routes.js';
import { HttpError } from './http-error.js';
import { type IngestItem, type IngestParams, parseIngestParams, parseIngestTime, readIngestBody } from './ingest.js';
import { IngestReaders } from './ingest-worker.js';
import { diffFlamebearer, renderFlamebearer, timelineStep } from './render.js';

export interface ServerOptions {
  host: string;
  port: number;
  /** The store directory; with multiTenant, each tenant's store is under tenants/<id>/. */
  storeDir: string;
  /** Bearer token every request must carry. */
  authToken?: string;
  /** "user:password" for HTTP basic auth. */
  basicAuth?: string;
  /** Tenants by X-Scope-OrgID, each in its own store. */
  multiTenant?: boolean;
  /** Largest body taken, in bytes (413 past it); gzipped parts may inflate to 8 times as much. */
  maxBody: number;
  /** Time limit of one request, in ms. */
  timeoutMs: number;
  /** One line per refused or failed request. */
  log?: (line: string) => void;
  /** Threads that read ingest bodies, running `script` (dist/ingest-worker.cjs); none: the main thread reads them. */
  readers?: { script: string; threads: number };
  /**
   * The script of the thread that plans the placement of stored profiles into
   * their levels (dist/place-worker.cjs); none: the main thread places them.
   */
  placer?: string;
}

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** The default tenant (one store, no X-Scope-OrgID needed). */
const NO_TENANT = '';
const TENANT = /^[A-Za-z0-9_.-]{1,150}$/;

/** What a route handler gets: the request, its URL, the tenant's store, and the body (for POST). */
export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  store: () => Store;
  /** Stores a profile: resolves once it is committed (with others that came in meanwhile). */
  ingest: (item: IngestItem) => Promise<void>;
  /** readIngestBody(), on a reader thread when the server has them. */
  readIngest: (params: IngestParams, contentType: string, body: Buffer) => Promise<IngestItem>;
  body: () => Promise<Buffer>;
  maxBody: number;
  now: number;
}

export interface Reply {
  status?: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

type Route = (c: RouteContext) => Promise<Reply> | Reply;

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const { Store } = await import('../store/store.js');
  if (o.readers && o.readers.threads > 0 && !existsSync(o.readers.script))
    throw new PyroError(
      `the reader threads' script ${o.readers.script} is missing: build pyro again (npm run build), or use --read-threads 0`,
    );
  if (o.placer && !existsSync(o.placer))
    throw new PyroError(
      `the placing thread's script ${o.placer} is missing: build pyro again (npm run build), or use --no-place-thread`,
    );
  const placer = o.placer ? new Placer(o.placer) : undefined;
  const stores = new Map<string, { store: Store; queue: IngestQueue }>();
  const tenantStore = (tenant: string) => {
    let s = stores.get(tenant);
    if (!s) {
      const dir = tenant === NO_TENANT ? o.storeDir : join(o.storeDir, 'tenants', tenant);
      const store = Store.open(dir);
      s = { store, queue: new IngestQueue(store, o.log, placer && { placer, dir }) };
      stores.set(tenant, s);
    }
    return s;
  };
  const readers =
    o.readers && o.readers.threads > 0 ? new IngestReaders(o.readers.script, o.readers.threads) : undefined;
  // Gzipped parts may inflate to 8 times the body limit.
  const readIngest = (params: IngestParams, contentType: string, body: Buffer) =>
    readers
      ? readers.read(params, contentType, body, o.maxBody * 8)
      : readIngestBody(params, contentType, body, o.maxBody * 8);
  const routes = allRoutes();
  const guard = authGuard(o);
  let open = 0;
  const idle: (() => void)[] = [];

  const server = createServer((req, res) => {
    open++;
    res.on('close', () => {
      if (--open === 0) for (const f of idle.splice(0)) f();
    });
    handle(req, res).catch((e) => fail(res, e));
  });
  server.requestTimeout = o.timeoutMs;
  server.headersTimeout = Math.min(o.timeoutMs, 60_000);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://pyro');
    const path = url.pathname.replace(/^\/pyroscope(?=\/)/, '');
    const route = routes.get(`${req.method} ${path}`);
    if (!route) {
      const known = [...routes.keys()].some((k) => k.endsWith(` ${path}`));
      throw new HttpError(
        known ? 405 : 404,
        known ? `${req.method} is not allowed on ${path}` : `no such endpoint: ${path}`,
      );
    }
    guard(req);
    const tenant = tenantOf(req, o.multiTenant ?? false);
    let timer: NodeJS.Timeout | undefined;
    // A body still arriving at the limit is the client's delay (408); anything else is the server's (503).
    let reading = false;
    const overtime = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            reading
              ? new HttpError(408, `the request body did not arrive within ${o.timeoutMs} ms (--timeout)`)
              : new HttpError(503, `the request took longer than ${o.timeoutMs} ms (--timeout)`),
          ),
        o.timeoutMs,
      );
    });
    try {
      const reply = await Promise.race([
        route({
          req,
          url,
          store: () => tenantStore(tenant).store,
          ingest: (item) => tenantStore(tenant).queue.add(item),
          readIngest,
          body: async () => {
            reading = true;
            try {
              return await readBody(req, o.maxBody);
            } finally {
              reading = false;
            }
          },
          maxBody: o.maxBody,
          now: Date.now(),
        }),
        overtime,
      ]);
      send(res, reply);
    } finally {
      clearTimeout(timer);
    }
  }

  function fail(res: ServerResponse, e: unknown): void {
    const status = e instanceof HttpError ? e.status : e instanceof PyroError ? 422 : 500;
    const message = e instanceof PyroError ? e.message : `internal error: ${(e as Error)?.message ?? e}`;
    o.log?.(`${status} ${message}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    if (status === 401) headers['www-authenticate'] = o.basicAuth ? 'Basic realm="pyro"' : 'Bearer';
    // A body left unread (too large) would be taken for the next request.
    if (status === 413 || status === 408) headers.connection = 'close';
    send(res, { status, type: 'text/plain; charset=utf-8', body: `${message.replace(/\n/g, ' ')}\n`, headers });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new PyroError(
          e.code === 'EADDRINUSE'
            ? `${o.host}:${o.port} is in use: stop what listens there or pick another --port`
            : `cannot listen on ${o.host}:${o.port}: ${e.message}`,
        ),
      ),
    );
    server.listen(o.port, o.host, () => resolve());
  }).catch(async (e) => {
    // The threads started for it end with it.
    await Promise.all([readers?.close(), placer?.close()]);
    throw e;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        if (open === 0) return;
        idle.push(() => server.closeAllConnections());
      });
      await readers?.close();
      for (const s of stores.values()) s.queue.close();
      // Before the stores: the thread's connections to them are closed with it.
      await placer?.close();
      for (const s of stores.values()) s.store.close();
      stores.clear();
    },
  };
}

function send(res: ServerResponse, r: Reply): void {
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  res.writeHead(r.status ?? 200, { 'content-type': r.type, 'content-length': body.length, ...r.headers });
  res.end(body);
}

/** The body, refused with 413 past `max` bytes (as soon as Content-Length says so). */
async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > max)
    throw new HttpError(413, `the body is ${declared} bytes, more than the ${max} this server takes (--max-body)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new HttpError(413, `the body is more than the ${max} bytes this server takes (--max-body)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/** Checks credentials in constant time (digests compared, so lengths do not leak). */
function authGuard(o: ServerOptions): (req: IncomingMessage) => void {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const accepted: Buffer[] = [];
  if (o.authToken) accepted.push(digest(`Bearer ${o.authToken}`));
  if (o.basicAuth) accepted.push(digest(`Basic ${Buffer.from(o.basicAuth).toString('base64')}`));
  if (accepted.length === 0) return () => {};
  return (req) => {
    const given = digest(req.headers.authorization ?? '');
    // Every accepted credential is compared, whichever matches.
    let ok = false;
    for (const a of accepted) ok = timingSafeEqual(a, given) || ok;
    if (!ok)
      throw new HttpError(
        401,
        req.headers.authorization ? 'wrong credentials' : 'credentials needed (Authorization header)',
      );
  };
}

function tenantOf(req: IncomingMessage, multiTenant: boolean): string {
  if (!multiTenant) return NO_TENANT;
  const id = req.headers['x-scope-orgid'];
  if (typeof id !== 'string' || id === '')
    throw new HttpError(401, 'no tenant: send X-Scope-OrgID (this server is --multi-tenant)');
  if (!TENANT.test(id) || id === '.' || id === '..')
    throw new HttpError(400, `X-Scope-OrgID "${id}": a tenant id takes letters, digits and _ . - (up to 150)`);
  return id;
}

function allRoutes(): Map<string, Route> {
  const r = new Map<string, Route>();
  r.set('POST /ingest', ingest);
  r.set('GET /render', render);
  r.set('GET /render-diff', renderDiff);
  r.set('GET /labels', labels);
  r.set('GET /label-values', labelValues);
  r.set('GET /api/apps', apps);
  r.set('GET /ready', () => ({ type: 'text/plain', body: 'ready\n' }));
  r.set('GET /', viewer);
  for (const [path, route] of connectRoutes()) r.set(`POST ${path}`, route);
  return r;
}

async function ingest(c: RouteContext): Promise<Reply> {
  const params = parseIngestParams(c.url.searchParams, c.now);
  const item = await c.readIngest(params, c.req.headers['content-type'] ?? '', await c.body());
  await c.ingest(item);
  return { type: 'text/plain', body: '' };
}

/**
 * Group commit: the profiles that arrive while the event loop is busy are
 * stored in one transaction, and each request is answered once it is
 * committed. Under load a batch grows, and its cost per profile falls.
 *
 * Stored profiles are placed into their levels' buckets later, many at once
 * (the store reads them raw meanwhile), in chunks that keep the event loop
 * free for requests: a series as soon as it has `ripeRows` waiting, every
 * other one at the latest SETTLE_DELAY_MS after its profiles arrive. Each
 * placement rewrites a series' coarse buckets, so a series that pushes every
 * 10 seconds (one of many pods) is placed ten profiles at a time, not one.
 * With a Placer, a thread plans each chunk and this one only writes it.
 */
class IngestQueue {
  private waiting: { item: IngestItem; done: (e?: unknown) => void }[] = [];
  private scheduled = false;
  /** Profile rows stored and not yet placed (as far as this queue knows; at start, any a crash left). */
  private unplaced = 1;
  /** Profile rows stored so far (those stored while a chunk is planned are not counted placed by it). */
  private stored = 0;
  /** Places every stored row, SETTLE_DELAY_MS after the first that waits. */
  private drain: NodeJS.Timeout | undefined;
  /** The next chunk of the placement under way, and the series it takes (by their rows waiting). */
  private chunk: NodeJS.Timeout | undefined;
  private minRows = 1;
  /** Rows per chunk, following how long the last full chunk took (a series' coarse buckets cost the same for 1 row as for 60). */
  private chunkRows = SETTLE_CHUNK;
  /** When placing the busy series last found fewer than a chunk (they are not looked for again at once). */
  private ripeChecked = 0;
  /** When placing last failed: until the next drain, nothing else retries. */
  private failed = Number.NEGATIVE_INFINITY;
  /** A chunk being planned by the placer's thread. */
  private planning = false;
  /** Plans refused in a row (the store changed under them). */
  private refused = 0;
  /** Whether the placing thread failed the last chunk (said once, until it plans one again). */
  private placerFailed = false;
  private readonly pace: { ripeRows: number; chunkMs: number };
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly log?: (line: string) => void,
    /** The thread that plans placements, and the store's directory. */
    private readonly placer?: { placer: Placer; dir: string },
  ) {
    this.pace = placer ? ON_PLACER : ON_MAIN;
    this.scheduleSettle();
  }

  add(item: IngestItem): Promise<void> {
    // A profile without samples has nothing to store.
    if (item.profile.trie().size === 1) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, done: (e) => (e === undefined ? resolve() : reject(e)) });
      this.schedule();
    });
  }

  /** Places every stored profile (before the store is closed). */
  close(): void {
    this.closed = true;
    clearTimeout(this.drain);
    clearTimeout(this.chunk);
    this.drain = this.chunk = undefined;
    // In small transactions: a full one holds its tries decoded, about 100 MB for 2,000 Node.js
    // profiles, the most the server ever held (its peak RSS came at its end).
    this.store.settleBytes = Math.min(this.store.settleBytes, CLOSING_SETTLE_BYTES);
    try {
      while (this.store.settle() > 0);
    } catch (e) {
      this.log?.(
        `placing stored profiles into their levels failed: ${(e as Error).message} (the next write places them)`,
      );
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // A few milliseconds for more to come: a transaction costs about what a profile does.
    setTimeout(() => this.flush(), GATHER_MS);
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting.splice(0, MAX_BATCH);
    try {
      const results = this.store.ingestMany(
        batch.map(({ item }) => ({
          profile: item.profile,
          options: { app: item.app, labels: item.labels, averaged: item.averaged },
        })),
        true,
        !this.placer,
      );
      for (const r of results) {
        this.unplaced += r.series.length;
        this.stored += r.series.length;
      }
      for (const b of batch) b.done();
    } catch (e) {
      for (const b of batch) b.done(e);
    }
    if (this.waiting.length > 0) this.schedule();
    this.scheduleSettle();
  }

  private scheduleSettle(): void {
    if (this.unplaced === 0) return;
    if (!this.drain) {
      this.drain = setTimeout(() => {
        this.drain = undefined;
        this.place(1);
      }, SETTLE_DELAY_MS);
      this.drain.unref();
    }
    const now = Date.now();
    if (now - this.failed < SETTLE_DELAY_MS) return;
    if (this.unplaced >= SETTLE_MOST) this.place(1);
    else if (this.unplaced >= SETTLE_AT && now - this.ripeChecked >= RIPE_CHECK_MS) this.place(this.pace.ripeRows);
  }

  /** Starts placing (or widens the placement under way to) the series with at least `minRows` rows waiting. */
  private place(minRows: number, after = 0): void {
    const underWay = this.chunk !== undefined || this.planning;
    this.minRows = underWay ? Math.min(this.minRows, minRows) : minRows;
    if (underWay) return;
    this.chunk = setTimeout(() => this.settle(), after);
    this.chunk.unref();
  }

  /**
   * One chunk; the next follows until none is left, after a pause as long as the
   * chunk took (unless rows pile up): ingest keeps half the event loop (or of a
   * core, with a placer) meanwhile, where back-to-back chunks held it for a few
   * hundred milliseconds every second.
   */
  private settle(): void {
    this.chunk = undefined;
    // A busy series' rows in one chunk (each chunk rewrites the coarse buckets of its series).
    const minRows = this.minRows;
    const asked = Math.max(this.chunkRows, minRows);
    const stored = this.stored;
    if (!this.placer) {
      this.settleHere(asked, minRows, stored);
      return;
    }
    this.planning = true;
    const epoch = this.store.placementEpoch;
    this.placer.placer.plan(this.placer.dir, this.store, asked, minRows).then(
      ({ plan, took }) => {
        this.planning = false;
        if (this.closed) return;
        let placed: number | undefined;
        try {
          placed = this.store.applyPlacement(plan, epoch);
        } catch (e) {
          this.placingFailed(e);
          return;
        }
        this.placerFailed = false;
        if (placed !== undefined) {
          this.refused = 0;
          this.settled(asked, minRows, placed, took, stored);
        } else if (++this.refused < MAX_REFUSED) this.place(minRows);
        else {
          // Another process keeps writing the store: a chunk of the main thread's size placed here.
          this.refused = 0;
          this.settleHere(Math.min(asked, SETTLE_CHUNK), minRows, stored);
        }
      },
      (e) => {
        this.planning = false;
        if (this.closed) return;
        if (!this.placerFailed)
          this.log?.(
            `the placing thread failed (${(e as Error).message}): placing on the main thread until it works again`,
          );
        this.placerFailed = true;
        this.settleHere(Math.min(asked, SETTLE_CHUNK), minRows, stored);
      },
    );
  }

  /** A chunk placed on this thread. */
  private settleHere(asked: number, minRows: number, stored: number): void {
    let placed: number;
    const started = performance.now();
    try {
      placed = this.store.settle(asked, minRows);
    } catch (e) {
      this.placingFailed(e);
      return;
    }
    this.settled(asked, minRows, placed, performance.now() - started, stored);
  }

  /**
   * After a chunk that asked for `asked` rows of the series with `minRows`
   * waiting, and took up `placed`; `stored`: the rows stored when it began.
   */
  private settled(asked: number, minRows: number, placed: number, took: number, stored: number): void {
    took = Math.max(1, took);
    const full = placed >= asked;
    if (full)
      this.chunkRows = Math.min(
        SETTLE_CHUNK_MAX,
        Math.max(SETTLE_CHUNK_MIN, Math.round((asked * this.pace.chunkMs) / took)),
      );
    for (const w of this.store.placeWarnings.splice(0)) this.log?.(w);
    this.unplaced = Math.max(0, this.unplaced - placed);
    // A chunk of large profiles stops short of what it asked for: the next follows as after a full one.
    if (full || this.store.settleStoppedShort) {
      this.place(this.minRows, this.unplaced >= SETTLE_MOST ? 0 : took);
      return;
    }
    // Asked meanwhile (while a thread planned it) to take more series.
    if (this.minRows < minRows) {
      this.place(this.minRows);
      return;
    }
    // What is left: nothing (a drain) but what was stored meanwhile, or series with fewer rows waiting than a busy one.
    if (minRows <= 1) this.unplaced = this.stored - stored;
    else {
      this.ripeChecked = Date.now();
      this.unplaced = Math.max(1, this.unplaced);
    }
  }

  private placingFailed(e: unknown): void {
    // They stay stored and readable; the next drain retries.
    this.log?.(`placing stored profiles into their levels failed: ${(e as Error).message}`);
    this.failed = Date.now();
    this.scheduleSettle();
  }
}

/** The most profiles in one transaction: a batch must not hold the event loop for long. */
const MAX_BATCH = 256;
/** How long the first profile of a batch waits for others. */
const GATHER_MS = 3;
/** Stored profiles are placed at the latest this long after they arrive. */
const SETTLE_DELAY_MS = 10_000;
/** With this many rows waiting, the series that have `ripeRows` of them are placed (at most every RIPE_CHECK_MS). */
const SETTLE_AT = 2000;
const RIPE_CHECK_MS = 1000;
/** With this many rows waiting, every series is placed (the rows a query reads raw are bounded). */
const SETTLE_MOST = 20_000;
/**
 * The rows of a busy series (ripeRows) and the time a chunk of rows takes
 * (chunkMs, rows per chunk following the last one): placed on the main thread,
 * a longer hold of the event loop is what the slowest pushes wait for;
 * planned on the placer's thread, larger chunks rewrite each coarse bucket less
 * often (p99 82.7 against 89.5 ms over 6 pairs of the benchmark's 10 series).
 */
const ON_MAIN = { ripeRows: 64, chunkMs: 8 };
const ON_PLACER = { ripeRows: 256, chunkMs: 32 };
/** The most bytes of trie blobs a transaction places as the server stops. */
const CLOSING_SETTLE_BYTES = 2 * 1024 * 1024;
/** Plans refused in a row (another process writing the store) before a chunk is placed on the main thread. */
const MAX_REFUSED = 3;
/** Profile rows placed per transaction, to start with, and its bounds. */
const SETTLE_CHUNK = 64;
const SETTLE_CHUNK_MIN = 8;
const SETTLE_CHUNK_MAX = 256;

/** A selector parameter; a bad one is the client's error. */
function selectorParam(text: string | null, what: string): Selector {
  if (!text) throw new HttpError(400, `${what}: missing (e.g. ${what}=app.cpu{env="prod"})`);
  try {
    return parseSelector(text);
  } catch (e) {
    if (e instanceof PyroError) throw new HttpError(400, `${what}: ${e.message}`);
    throw e;
  }
}

/** from/until as /render takes them (default: the last hour). */
function rangeParams(q: URLSearchParams, now: number, prefix = ''): { from: number; until: number } {
  const get = (k: string) => q.get(prefix ? `${prefix}${k[0]?.toUpperCase()}${k.slice(1)}` : k);
  const from = get('from') ? parseIngestTime(get('from') as string, now, `${prefix}from`) : now - 3_600_000;
  const until = get('until') ? parseIngestTime(get('until') as string, now, `${prefix}until`) : now;
  if (from >= until) throw new HttpError(400, `${prefix}from must be before ${prefix}until`);
  return { from, until };
}

function maxNodesParam(q: URLSearchParams): number {
  const text = q.get('maxNodes') ?? q.get('max-nodes');
  if (text === null || text === '') return 1024;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new HttpError(400, `maxNodes: "${text}" is not a whole number`);
  return Math.max(0, n);
}

function render(c: RouteContext): Reply {
  const q = c.url.searchParams;
  const query = q.get('query') ?? q.get('name');
  const selector = selectorParam(query, 'query');
  const asked = rangeParams(q, c.now);
  // The range starts on a step of the timeline, as Pyroscope aligns it: its points then cover the graph exactly.
  const step = timelineStep(asked);
  const range = { from: Math.floor(asked.from / step) * step, until: asked.until };
  const format = q.get('format') ?? 'json';
  const store = c.store();
  const profile = store.query(selector, range);
  switch (format) {
    case 'json': {
      const timeline = store.timeline(selector, range, step);
      return {
        type: 'application/json',
        body: JSON.stringify(renderFlamebearer(profile, query as string, maxNodesParam(q), range, step, timeline)),
      };
    }
    case 'pprof':
      return {
        type: 'application/octet-stream',
        body: writePprof(profile ?? emptyProfile()),
        headers: { 'content-disposition': 'attachment; filename="profile.pb.gz"' },
      };
    case 'collapsed':
      return { type: 'text/plain; charset=utf-8', body: profile ? writeFolded(profile, {}) : '' };
    case 'html':
      return {
        type: 'text/html; charset=utf-8',
        body: renderHtml(profile ?? emptyProfile(), { valueIndex: 0, title: query as string }),
      };
    default:
      throw new HttpError(400, `format: "${format}" is not one of json, pprof, collapsed, html`);
  }
}

function renderDiff(c: RouteContext): Reply {
  const q = c.url.searchParams;
  const store = c.store();
  const side = (prefix: 'left' | 'right') => {
    const query = q.get(`${prefix}Query`) ?? q.get('query');
    const selector = selectorParam(query, `${prefix}Query`);
    const range =
      q.get(`${prefix}From`) || q.get(`${prefix}Until`) ? rangeParams(q, c.now, prefix) : rangeParams(q, c.now);
    return { query: query as string, profile: store.query(selector, range) };
  };
  const left = side('left');
  const right = side('right');
  return { type: 'application/json', body: JSON.stringify(diffFlamebearer(left, right, maxNodesParam(q))) };
}

/** The selector of `query` when given, else every series. */
function optionalSelector(q: URLSearchParams): Selector | undefined {
  const text = q.get('query') ?? q.get('name');
  return text ? selectorParam(text, 'query') : undefined;
}

function labels(c: RouteContext): Reply {
  const names = c.store().labelNames(optionalSelector(c.url.searchParams));
  return { type: 'application/json', body: JSON.stringify(['__name__', ...names]) };
}

function labelValues(c: RouteContext): Reply {
  const q = c.url.searchParams;
  const label = q.get('label');
  if (!label) throw new HttpError(400, 'label: missing (e.g. label=env)');
  const selector = optionalSelector(q);
  const values =
    label === '__name__'
      ? [
          ...new Set(
            c
              .store()
              .series(selector)
              .map((s) => `${s.app}.${s.type.type}`),
          ),
        ].sort()
      : c.store().labelValues(label, selector);
  return { type: 'application/json', body: JSON.stringify(values) };
}

function apps(c: RouteContext): Reply {
  const seen = new Map<string, { name: string; spyName: string; sampleRate: number; units: string }>();
  for (const s of c.store().series()) {
    const name = `${s.app}.${s.type.type}`;
    if (!seen.has(name)) {
      const { units, sampleRate } = flamebearerUnits(s.type, new Profile([s.type]));
      seen.set(name, { name, spyName: 'unknown', sampleRate, units });
    }
  }
  return { type: 'application/json', body: JSON.stringify([...seen.values()]) };
}

function emptyProfile(): Profile {
  return new Profile([{ type: 'cpu', unit: 'nanoseconds' }]);
}

/** The viewer on the store: a selector box and a time range above the HTML flamegraph (with its timeline). */
function viewer(c: RouteContext): Reply {
  const q = c.url.searchParams;
  const store = c.store();
  const first = store.series()[0];
  const query = q.get('query') || (first ? `${first.app}.${first.type.type}{}` : '');
  const fromText = q.get('from') || 'now-1h';
  const untilText = q.get('until') || 'now';
  const form = `<form method="get" action="/" style="font:14px sans-serif;margin:8px">
<input name="query" size="60" value="${attr(query)}" placeholder='app.cpu{env="prod"}'>
from <input name="from" size="12" value="${attr(fromText)}"> until <input name="until" size="12" value="${attr(untilText)}">
<button type="submit">Show</button></form>`;
  if (!query) {
    return {
      type: 'text/html; charset=utf-8',
      body: `<!doctype html><title>pyro</title>${form}<p style="font:14px sans-serif;margin:8px">No profiles stored yet: push some to /ingest.</p>`,
    };
  }
  const selector = selectorParam(query, 'query');
  const range = rangeParams(q, c.now);
  const profile = store.query(selector, range, { buckets: 200 }) ?? emptyProfile();
  return {
    type: 'text/html; charset=utf-8',
    body: renderHtml(profile, { valueIndex: 0, title: query, header: form }),
  };
}

function attr(s: string): string {
  return s.replace(/[&<>"';]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
