// Placing stored profiles into their levels' buckets on another core (pyro
// server): a thread plans a placement on a snapshot of the store, the main
// thread writes the plan in a short transaction (Store.applyPlacement). A
// placement takes 10-40 ms of merging and encoding; done on the main thread,
// every request in flight waited for it. Bundled apart as dist/place-worker.cjs.
import { serveJobs, WorkerPool } from '../worker.js';
// Types only: the store's module is loaded where it is used (every command imports this file through the server's).
import type { PlacementPlan, Store } from './store.js';

interface PlaceJob {
  dir: string;
  max: number;
  minRows: number;
  unplaceable: number[];
  settleBytes: number;
}

/** A plan, and how long the thread took to make it (ms). */
export interface PlannedPlacement {
  plan: PlacementPlan;
  took: number;
}

/** The thread that plans placements (Store.planPlacement), running `script` (dist/place-worker.cjs). */
export class Placer {
  private readonly pool: WorkerPool;

  constructor(script: string) {
    this.pool = new WorkerPool(script, 'pyroPlace', 1);
  }

  /** Store.planPlacement() on the store in `dir`, by the thread; `store` is the writing one. */
  plan(dir: string, store: Store, max: number, minRows: number): Promise<PlannedPlacement> {
    const job: PlaceJob = { dir, max, minRows, unplaceable: store.unplaceableSeries, settleBytes: store.settleBytes };
    return this.pool.run<PlannedPlacement>(job);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** This thread's stores, by directory (one per tenant). */
const stores = new Map<string, Store>();

serveJobs<PlaceJob>('pyroPlace', async (job) => {
  let store = stores.get(job.dir);
  if (!store) {
    const { Store } = await import('./store.js');
    store = Store.openReadOnly(job.dir);
    stores.set(job.dir, store);
  }
  store.settleBytes = job.settleBytes;
  const started = performance.now();
  const plan = store.planPlacement(job.max, job.minRows, job.unplaceable);
  const took = performance.now() - started;
  // The blobs, packed into one buffer, are handed over (theirs may be slices of Node's shared pool);
  // a blob that coarse buckets share with a finer one (the same profiles) is packed once.
  const packedAt = new Map<Uint8Array, number>();
  let size = 0;
  for (const b of plan.buckets) {
    if (packedAt.has(b.blob)) continue;
    packedAt.set(b.blob, size);
    size += b.blob.byteLength;
  }
  const packed = new Uint8Array(size);
  for (const [blob, at] of packedAt) packed.set(blob, at);
  for (const b of plan.buckets) {
    const at = packedAt.get(b.blob) as number;
    b.blob = packed.subarray(at, at + b.blob.byteLength);
  }
  return { result: { plan, took } satisfies PlannedPlacement, transfer: [packed.buffer] };
});
