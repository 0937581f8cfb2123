// Work on another core: a worker thread runs a script of ours (a bundle of
// its own, quick to start), is given one job in its workerData under a key,
// does it, and posts the result back (its typed arrays transferred, not copied).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { PyroError } from './errors.js';

type Reply = { result: unknown } | { error: { message: string; exitCode: number; ours: boolean } };

/** Runs `job` in a new thread that runs `script`, which serves `key` (serveJob); its result. */
export function runInWorker<T>(script: string, key: string, job: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: { [key]: job } });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if ('result' in reply) resolve(reply.result as T);
      else if (reply.error.ours) reject(new PyroError(reply.error.message, reply.error.exitCode));
      else reject(new Error(reply.error.message));
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
    (e) => {
      const ours = e instanceof PyroError;
      port.postMessage({
        error: { message: (e as Error).message, exitCode: ours ? e.exitCode : 1, ours },
      } satisfies Reply);
    },
  );
}
