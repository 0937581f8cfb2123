// Bundles the CLI (src/cli/main.ts, oclif and every dependency but the native
// better-sqlite3) into one CommonJS file, dist/pyro.cjs, that bin/run.js loads
// with a V8 code cache: start-up then neither parses nor compiles most of it.
// The cache is made here by running one command; bin/run.js remakes it when
// V8 rejects it (another Node.js version).
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'pyro.cjs');
await build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  external: ['typescript', 'ts-node', 'better-sqlite3'],
  // Non-ASCII characters escaped, so that bin/run.js may read the file as latin1 (faster than UTF-8).
  charset: 'ascii',
  define: { 'import.meta.url': '__pyroUrl' },
  banner: { js: "const __pyroUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
// esbuild leaves a few characters as they are (in regular expressions): escaped here, the same in
// strings, regular expressions and identifiers.
const text = readFileSync(outfile, 'utf8');
writeFileSync(
  outfile,
  text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
);
rmSync(`${outfile}.cache`, { force: true });
// The scripts of worker threads (pyro diff reads or sums its sides on two cores, pyro server reads
// request bodies and places stored profiles): each with only what its job needs, so that a thread
// starts in a fraction of the CLI's time.
for (const [entry, name] of [
  [join('src', 'core', 'read-worker.ts'), 'read-worker.cjs'],
  [join('src', 'core', 'diff', 'sum-worker.ts'), 'sum-worker.cjs'],
  [join('src', 'core', 'remote', 'ingest-worker.ts'), 'ingest-worker.cjs'],
  [join('src', 'core', 'store', 'place-worker.ts'), 'place-worker.cjs'],
]) {
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: join(root, 'dist', name),
    external: ['better-sqlite3'],
    charset: 'ascii',
    define: { 'import.meta.url': '__pyroUrl' },
    banner: { js: "const __pyroUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
}
// The node profiler's preload runs inside the recorded program: a file of its own, beside the bundle.
copyFileSync(join(root, 'src', 'core', 'record', 'node-preload.cjs'), join(root, 'dist', 'node-preload.cjs'));
// The HTML viewer's browser code (src/viewer/), which src/core/render/html.ts inlines into every HTML flamegraph.
await build({
  entryPoints: [join(root, 'src', 'viewer', 'main.ts')],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  outfile: join(root, 'dist', 'viewer.js'),
  charset: 'ascii',
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'top', join(root, 'examples', 'app.cpuprofile')], {
  encoding: 'utf8',
});
if (r.status !== 0) throw new Error(`the bundle does not run: ${r.stderr}`);
