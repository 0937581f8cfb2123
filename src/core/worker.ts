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

/** A job of a WorkerPool, and its id (the reply carries it back). */
interface PoolJob {
  id: number;
  job: unknown;
}

interface PoolThread {
  worker: Worker;
  jobs: Map<number, (reply: Reply) => void>;
  served: number;
  dead: boolean;
}

/**
 * Threads that run `script`, kept for many jobs: each job goes to the live
 * thread with the fewest waiting, and its result comes back as runInWorker's
 * does. A thread that dies fails its jobs and is replaced; one that died
 * before finishing any job (a script that cannot run, a first job that kills
 * it) is replaced after a pause that doubles each time (up to 30 s), and
 * while no thread lives, jobs fail at once with what killed the last one.
 */
export class WorkerPool {
  private readonly threads: PoolThread[] = [];
  private next = 0;
  private closed = false;
  /** Threads in a row that died before finishing a job, and the last one's failure. */
  private failures = 0;
  private failure = '';

  constructor(
    private readonly script: string,
    private readonly key: string,
    size: number,
  ) {
    if (size < 1) throw new Error('a worker pool needs a thread at least');
    for (let i = 0; i < size; i++) this.threads.push(this.start());
  }

  private start(): PoolThread {
    // Not kept alive by an idle pool: close() ends the threads.
    const worker = new Worker(this.script, { workerData: { [this.key]: 'pool' } });
    worker.unref();
    const thread: PoolThread = { worker, jobs: new Map(), served: 0, dead: false };
    worker.on('message', ({ id, reply }: { id: number; reply: Reply }) => {
      thread.served++;
      this.failures = 0;
      thread.jobs.get(id)?.(reply);
      thread.jobs.delete(id);
    });
    const fail = (message: string) => {
      if (thread.dead) return;
      thread.dead = true;
      for (const done of thread.jobs.values()) done({ error: { message, exitCode: 1, ours: false } });
      thread.jobs.clear();
      if (this.closed) return;
      this.failure = message;
      const replace = () => {
        const i = this.threads.indexOf(thread);
        if (i >= 0 && !this.closed) this.threads[i] = this.start();
      };
      if (thread.served > 0) replace();
      else setTimeout(replace, Math.min(30_000, 500 * 2 ** this.failures++)).unref();
    };
    worker.on('error', (e) => fail(`a worker thread failed: ${firstLine(e.message)}`));
    worker.on('exit', (code) => fail(`a worker thread stopped (exit code ${code})`));
    return thread;
  }

  /** Runs one job (`transfer`: its buffers, handed over rather than copied). */
  run<T>(job: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    let thread: PoolThread | undefined;
    for (const t of this.threads) if (!t.dead && (!thread || t.jobs.size < thread.jobs.size)) thread = t;
    if (!thread) return Promise.reject(new Error(this.failure));
    const chosen = thread;
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      chosen.jobs.set(id, (reply) => ('result' in reply ? resolve(reply.result as T) : reject(errorOf(reply.error))));
      try {
        chosen.worker.postMessage({ id, job } satisfies PoolJob, transfer);
      } catch (e) {
        chosen.jobs.delete(id);
        reject(e);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

type Finished = { result: unknown; transfer?: ArrayBuffer[] };

/**
 * In a thread of a WorkerPool started with `key`: does each job it is sent, as
 * they come. A job may finish with a function, called as its reply is posted:
 * what it takes follows what the replies posted before it took (jobs that
 * wait on something may finish out of order).
 */
export function serveJobs<J>(key: string, work: (job: J) => Promise<Finished | (() => Finished)>): void {
  if (isMainThread || (workerData as Record<string, unknown> | undefined)?.[key] !== 'pool') return;
  const port = parentPort as NonNullable<typeof parentPort>;
  const fail = (id: number, e: unknown) => port.postMessage({ id, reply: { error: failureOf(e) } satisfies Reply });
  port.on('message', ({ id, job }: PoolJob) => {
    work(job as J).then(
      (finished) => {
        let reply: Finished;
        try {
          reply = typeof finished === 'function' ? finished() : finished;
        } catch (e) {
          fail(id, e);
          return;
        }
        port.postMessage({ id, reply: { result: reply.result } satisfies Reply }, reply.transfer ?? []);
      },
      (e) => fail(id, e),
    );
  });
}

function failureOf(e: unknown): Failure {
  const ours = e instanceof PyroError;
  return { message: firstLine((e as Error)?.message ?? String(e)), exitCode: ours ? e.exitCode : 1, ours };
}

/** Messages are one line (a module's "Require stack" and such left out). */
function firstLine(message: string): string {
  return message.split('\n', 1)[0] as string;
}

function errorOf(f: Failure): Error {
  return f.ours ? new PyroError(f.message, f.exitCode) : new Error(f.message);
}
