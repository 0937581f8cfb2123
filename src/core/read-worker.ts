// Reading inputs on another core (`pyro diff` reads its two sides at once):
// the thread reads and hands the profile back without copying its columns.
// Bundled apart as dist/read-worker.cjs, the thread's script.
import { type LoadOptions, loadProfile } from './input.js';
import type { Profile } from './model/profile.js';
import { type ProfileData, profileData, profileFromData } from './model/transfer.js';
import { runInWorker, serveJob } from './worker.js';

interface ReadJob {
  inputs: string[];
  options: Omit<LoadOptions, 'onProgress'>;
}

/** Loads `inputs` in a worker thread that runs `script` (dist/read-worker.cjs). */
export async function loadInWorker(script: string, inputs: string[], options: LoadOptions): Promise<Profile> {
  const { onProgress: _, ...rest } = options;
  return profileFromData(await runInWorker<ProfileData>(script, 'pyroRead', { inputs, options: rest }));
}

serveJob<ReadJob>('pyroRead', async (job) => {
  const profile = await loadProfile(job.inputs, job.options);
  // Computed here, while the other thread still reads: the totals and child lists that every use needs.
  for (const t of profile.tries) {
    if (!t) continue;
    t.total;
    t.firstChild;
  }
  const { data, transfer } = profileData(profile);
  return { result: data, transfer };
});
