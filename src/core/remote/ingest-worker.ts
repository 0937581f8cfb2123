// Reading ingest request bodies on other cores (pyro server): the request's
// parameters and body go to a thread, which reads them into a profile and
// hands it back without copying its columns; the main thread only answers
// HTTP and writes the store. Bundled apart as dist/ingest-worker.cjs.
//
// A thread reads pprof bodies into tables that its profiles share (the same
// programs push the same names again and again); each profile carries what it
// added to them, and the main thread keeps a copy.
import { threadId } from 'node:worker_threads';
import { PyroError } from '../errors.js';
import { SharedSymbols, SymbolsMirror } from '../model/shared-symbols.js';
import { type ProfileData, profileData, profileFromData } from '../model/transfer.js';
import { serveJobs, WorkerPool } from '../worker.js';
import { HttpError } from './http-error.js';
import { type IngestItem, type IngestParams, readIngestBody } from './ingest.js';

interface IngestJob {
  params: IngestParams;
  contentType: string;
  body: Uint8Array;
  limit: number;
}

type IngestReply =
  | { item: { profile: ProfileData; app: string; labels: Record<string, string>; averaged: string[] } }
  | { refused: { status: number; message: string } };

/** Threads that read ingest bodies (readIngestBody), running `script` (dist/ingest-worker.cjs). */
export class IngestReaders {
  private readonly pool: WorkerPool;
  private readonly symbols = new SymbolsMirror();

  constructor(script: string, threads: number) {
    this.pool = new WorkerPool(script, 'pyroIngest', threads);
  }

  /** readIngestBody() on another thread; the body is handed over (it must not be used afterwards). */
  async read(params: IngestParams, contentType: string, body: Buffer, limit: number): Promise<IngestItem> {
    // A body that shares its memory (a slice of a larger buffer, or of Node's pool) is copied into memory
    // of its own, else handed over. The thread inflates it: inflating here, even on libuv's pool, costs
    // this thread more than the copy it saves.
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : new Uint8Array(body);
    const reply = await this.pool.run<IngestReply>({ params, contentType, body: own, limit } satisfies IngestJob, [
      own.buffer as ArrayBuffer,
    ]);
    if ('refused' in reply) throw new HttpError(reply.refused.status, reply.refused.message);
    return { ...reply.item, profile: profileFromData(reply.item.profile, this.symbols) };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** This thread's tables (a new generation once they are full). */
let symbols = new SharedSymbols(String(threadId));

serveJobs<IngestJob>('pyroIngest', async (job) => {
  let item: IngestItem;
  if (symbols.full()) symbols = new SharedSymbols(symbols.source, symbols.generation + 1);
  const reading = symbols;
  try {
    const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    item = await readIngestBody(job.params, job.contentType, body, job.limit, reading);
  } catch (e) {
    // The client's errors, as the route would answer them on the main thread.
    if (e instanceof HttpError) return { result: { refused: { status: e.status, message: e.message } } };
    if (e instanceof PyroError) return { result: { refused: { status: 422, message: e.message } } };
    throw e;
  }
  // The delta is taken as the reply is posted: the main thread applies them in that order.
  return () => {
    const { data, transfer } = profileData(item.profile, reading);
    return { result: { item: { ...item, profile: data } } satisfies IngestReply, transfer };
  };
});
