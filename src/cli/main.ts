// The CLI entry, bundled into dist/pyro.cjs (with oclif) so that start-up loads one file (see scripts/bundle.mjs).
import { execute } from '@oclif/core';

export { COMMANDS } from '../commands/index.js';

export async function run(dir: string): Promise<void> {
  await execute({ dir });
}
