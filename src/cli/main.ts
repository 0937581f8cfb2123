// The CLI entry, bundled into dist/pyro.cjs (with oclif) so that start-up loads one file (see scripts/bundle.mjs).
import { execute } from '@oclif/core';
import { isReadWorker, serveRead } from '../core/read-worker.js';

export { COMMANDS } from '../commands/index.js';

export async function run(dir: string): Promise<void> {
  await execute({ dir });
}

// A thread started to read inputs on another core (pyro diff's sides): read, hand back, done.
if (isReadWorker()) void serveRead();
