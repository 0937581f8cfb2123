// Work on another core: a worker thread runs a script of ours (a bundle of
// its own, quick to start), is given one job in its workerData under a key,
// does it, and posts the result back (its typed arrays transferred, not copied).
// A WorkerPool keeps threads for many jobs (pyro server's request bodies).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { PyroError } from './errors.js';

type Failure = { message: string; exitCode: number; ours: boolean };
type Reply = { result: unknown } | { error: Failure };

/** Runs `job` in a new thread that runs `script`, which serves `key` (serveJob); its result. */
export function runInWorker<T>(script: string, key: string, job: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: { [key]: job } });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if ('result' in reply) resolve(reply.result as T);
      else reject(errorOf(reply.error));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`a worker thread stopped (exit code ${code})`));
    });
  });
}

/**
 * In a thread started by runInWorker() with `key`: does the job and posts its
 * result back (with `transfer`, the buffers to hand over); nothing elsewhere.
 */
export function serveJob<J>(
  key: string,
  work: (job: J) => Promise<{ result: unknown; transfer?: ArrayBuffer[] }>,
): void {
  const job = isMainThread ? undefined : (workerData as Record<string, J> | undefined)?.[key];
  if (job === undefined) return;
  const port = parentPort as NonNullable<typeof parentPort>;
  work(job).then(
    ({ result, transfer }) => port.postMessage({ result } satisfies Reply, transfer ?? []),
    (e) => port.postMessage({ error: failureOf(e) } satisfies Reply),
  );
}

/** A job of a WorkerPool, with the buffers handed over with it. */
interface PoolJob {
  id: number;
  job: unknown;
}

/**
 * Threads that run `script`, kept for many jobs: each job goes to the thread
 * with the fewest waiting, and its result comes back as runInWorker's does.
 * A thread that dies fails its jobs and is replaced.
 */
export class WorkerPool {
  private readonly threads: { worker: Worker; jobs: Map<number, (reply: Reply) => void> }[] = [];
  private next = 0;
  private closed = false;

  constructor(
    private readonly script: string,
    private readonly key: string,
    size: number,
  ) {
    for (let i = 0; i < size; i++) this.threads.push(this.start());
  }

  private start(): { worker: Worker; jobs: Map<number, (reply: Reply) => void> } {
    const worker = new Worker(this.script, { workerData: { [this.key]: 'pool' } });
    const jobs = new Map<number, (reply: Reply) => void>();
    const thread = { worker, jobs };
    worker.on('message', ({ id, reply }: { id: number; reply: Reply }) => {
      jobs.get(id)?.(reply);
      jobs.delete(id);
    });
    // Not kept alive by an idle pool: close() ends the threads.
    worker.unref();
    const fail = (message: string) => {
      for (const done of jobs.values()) done({ error: { message, exitCode: 1, ours: false } });
      jobs.clear();
      const i = this.threads.indexOf(thread);
      if (i >= 0 && !this.closed) this.threads[i] = this.start();
    };
    worker.on('error', (e) => fail(`a worker thread failed: ${e.message}`));
    worker.on('exit', (code) => fail(`a worker thread stopped (exit code ${code})`));
    return thread;
  }

  /** Runs one job (`transfer`: its buffers, handed over rather than copied). */
  run<T>(job: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    let thread = this.threads[0] as (typeof this.threads)[number];
    for (const t of this.threads) if (t.jobs.size < thread.jobs.size) thread = t;
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      thread.jobs.set(id, (reply) => ('result' in reply ? resolve(reply.result as T) : reject(errorOf(reply.error))));
      thread.worker.postMessage({ id, job } satisfies PoolJob, transfer);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

/** In a thread of a WorkerPool started with `key`: does each job it is sent, one after another as they come. */
export function serveJobs<J>(
  key: string,
  work: (job: J) => Promise<{ result: unknown; transfer?: ArrayBuffer[] }>,
): void {
  if (isMainThread || (workerData as Record<string, unknown> | undefined)?.[key] !== 'pool') return;
  const port = parentPort as NonNullable<typeof parentPort>;
  port.on('message', ({ id, job }: PoolJob) => {
    work(job as J).then(
      ({ result, transfer }) => port.postMessage({ id, reply: { result } satisfies Reply }, transfer ?? []),
      (e) => port.postMessage({ id, reply: { error: failureOf(e) } satisfies Reply }),
    );
  });
}

function failureOf(e: unknown): Failure {
  const ours = e instanceof PyroError;
  return { message: (e as Error)?.message ?? String(e), exitCode: ours ? e.exitCode : 1, ours };
}

function errorOf(f: Failure): Error {
  return f.ours ? new PyroError(f.message, f.exitCode) : new Error(f.message);
}
