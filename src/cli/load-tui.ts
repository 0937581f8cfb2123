// The terminal flamegraph (Ink) is loaded at run time as the ES module tsc
// writes, dist/core/render/tui/index.js: Ink's yoga-layout uses top-level
// await, which the CommonJS bundle (dist/pyro.cjs) cannot hold. The bundle runs
// in a vm.Script, where import() throws, so bin/run.js lends its own import()
// as globalThis.pyroImport.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

declare global {
  var pyroImport: ((specifier: string) => Promise<unknown>) | undefined;
}

type TuiModule = typeof import('../core/render/tui/index.js');

export async function loadTui(): Promise<TuiModule> {
  // From the bundle, this file is dist/pyro.cjs; from tsc's output, dist/cli/load-tui.js.
  const candidates = ['./core/render/tui/index.js', '../core/render/tui/index.js'].map(
    (rel) => new URL(rel, import.meta.url),
  );
  const url = candidates.find((u) => existsSync(fileURLToPath(u)));
  if (!url) throw new Error(`the terminal viewer is missing: ${fileURLToPath(candidates[0] as URL)}`);
  const load = globalThis.pyroImport ?? ((specifier: string) => import(specifier));
  return (await load(url.href)) as TuiModule;
}
