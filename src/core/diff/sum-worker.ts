// Summing ranges of folded files on another core (`pyro diff`'s table).
// Bundled apart as dist/sum-worker.cjs, the thread's script: only what
// sumFoldedRanges() needs, so that the thread starts at once.
import { runInWorker, serveJob } from '../worker.js';
import { type FileRange, type RangeSums, sumFoldedRanges } from './folded-sums.js';

interface SumJob {
  ranges: FileRange[];
  claim: Int32Array;
}

/** sumFoldedRanges(ranges, claim) in a worker thread that runs `script` (dist/sum-worker.cjs). */
export function sumInWorker(script: string, ranges: FileRange[], claim: Int32Array): Promise<RangeSums[]> {
  return runInWorker<RangeSums[]>(script, 'pyroSums', { ranges, claim } satisfies SumJob);
}

serveJob<SumJob>('pyroSums', async (job) => ({ result: await sumFoldedRanges(job.ranges, job.claim) }));
