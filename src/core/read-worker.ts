// Reading inputs on another core: a worker thread runs the same code (the
// bundle), reads, and hands the profile back without copying its columns.
// `pyro diff` reads its two sides at once this way.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { PyroError } from './errors.js';
import { type LoadOptions, loadProfile } from './input.js';
import type { Profile } from './model/profile.js';
import { type ProfileData, profileData, profileFromData } from './model/transfer.js';

interface ReadJob {
  inputs: string[];
  options: Omit<LoadOptions, 'onProgress'>;
}

type Reply = { data: ProfileData } | { error: { message: string; exitCode: number; ours: boolean } };

/** Loads `inputs` in a worker thread that runs `script` (the CLI bundle, which calls serveRead()). */
export function loadInWorker(script: string, inputs: string[], options: LoadOptions): Promise<Profile> {
  const { onProgress: _, ...rest } = options;
  const job: ReadJob = { inputs, options: rest };
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: { pyroRead: job } });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if ('data' in reply) resolve(profileFromData(reply.data));
      else if (reply.error.ours) reject(new PyroError(reply.error.message, reply.error.exitCode));
      else reject(new Error(reply.error.message));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the reading thread stopped (exit code ${code})`));
    });
  });
}

/** In a thread started by loadInWorker(): does the job and posts the profile back. */
export async function serveRead(): Promise<void> {
  const job = (workerData as { pyroRead: ReadJob }).pyroRead;
  const port = parentPort as NonNullable<typeof parentPort>;
  try {
    const profile = await loadProfile(job.inputs, job.options);
    // Computed here, while the other thread still reads: the totals and child lists that every use needs.
    for (const t of profile.tries) {
      if (!t) continue;
      t.total;
      t.firstChild;
    }
    const { data, transfer } = profileData(profile);
    port.postMessage({ data } satisfies Reply, transfer);
  } catch (e) {
    const ours = e instanceof PyroError;
    port.postMessage({
      error: { message: (e as Error).message, exitCode: ours ? e.exitCode : 1, ours },
    } satisfies Reply);
  }
}

/** Whether this thread was started by loadInWorker(). */
export function isReadWorker(): boolean {
  return !isMainThread && Boolean((workerData as { pyroRead?: unknown } | undefined)?.pyroRead);
}
