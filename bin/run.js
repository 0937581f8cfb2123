#!/usr/bin/env node
// The CLI is bundled into one CommonJS file (npm run build). It is compiled here
// with a V8 code cache kept beside it, which saves most of start-up's parsing and
// compiling; the cache is remade when V8 rejects it (another Node.js version) and
// the directory is writable.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const file = join(dist, 'pyro.cjs');
const cacheFile = `${file}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {}
const script = new vm.Script(Module.wrap(readFileSync(file, 'latin1')), { filename: file, cachedData });
// Registered as a module, so that oclif's require() of the commands gets this very instance.
const require = Module.createRequire(file);
const bundle = new Module(file);
bundle.filename = file;
require.cache[file] = bundle;
// import() throws inside a vm.Script: the bundle loads ES modules (the terminal viewer) through this one.
globalThis.pyroImport = (specifier) => import(specifier);
script.runInThisContext()(bundle.exports, require, bundle, file, dist);
bundle.loaded = true;

await bundle.exports.run(import.meta.url);

if (cachedData === undefined || script.cachedDataRejected) {
  try {
    const tmp = `${cacheFile}.${process.pid}`;
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, cacheFile);
  } catch {}
}
