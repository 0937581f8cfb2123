// perf.data, the binary file `perf record` writes (magic "PERFILE2"):
// https://github.com/torvalds/linux/blob/master/tools/perf/Documentation/perf.data-file-format.txt
// Symbols live outside the file (binaries, build-id cache, kallsyms), so it is
// read the way FlameGraph reads it: `perf script` turns it into text on this
// machine, streamed through the perf script reader.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, PyroError } from '../errors.js';
import { forEachLine } from '../io/lines.js';
import type { Source } from '../io/source.js';
import type { Profile } from '../model/profile.js';
import { PerfScriptReader } from './perf-script.js';
import type { Detection, ProfileFormat, ReadOptions } from './types.js';

const MAGIC = 'PERFILE2';
/** The magic as a big-endian perf writes it (byte-swapped). */
const MAGIC_SWAPPED = '2ELIFREP';

function detectPerfData(head: Buffer): Detection {
  if (head.length < 8) return 'no';
  const m = head.toString('latin1', 0, 8);
  return m === MAGIC || m === MAGIC_SWAPPED ? 'yes' : 'no';
}

export async function readPerfData(source: Source, options: ReadOptions = {}): Promise<Profile> {
  let path = source.path;
  let tmp: string | undefined;
  if (!path) {
    tmp = mkdtempSync(join(tmpdir(), 'pyro-perf-'));
    path = join(tmp, 'perf.data');
    writeFileSync(path, await source.bytes());
  }
  try {
    return await runPerfScript(source, path, options);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

async function runPerfScript(source: Source, path: string, options: ReadOptions): Promise<Profile> {
  // -F +pid: the pid for --pid/--tid; --no-inline: addr2line on every frame can take minutes.
  const args = ['script', '-F', '+pid', '-i', path];
  if (!options.perf?.inline && !options.perf?.all) args.push('--no-inline');
  const child = spawn('perf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d.toString();
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new PyroError(
              `${source.name}: reading perf.data needs the perf tool, which is not installed (Debian/Ubuntu: apt-get install linux-perf), or convert it with "perf script > out.txt" where perf is`,
            )
          : new PyroError(`${source.name}: cannot run perf (${e.message})`),
      ),
    );
  });
  const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
  await spawned;
  const reader = new PerfScriptReader(source.name, options.perf, options.keepTimes);
  const stdout: Source = {
    name: `${source.name} (perf script)`,
    path: undefined,
    head: Buffer.alloc(0),
    complete: false,
    chunks: () => child.stdout,
    bytes: () => Promise.reject(new Error('not buffered')),
  };
  try {
    await forEachLine(stdout, (buf, start, end, lineNo) => reader.line(buf, start, end, lineNo));
  } catch (e) {
    child.kill();
    throw e;
  }
  const code = await exited;
  if (code !== 0) {
    const first = stderr.split('\n').find((l) => l.trim() !== '') ?? `exit status ${code}`;
    throw new InputError(source.name, `perf script failed: ${first.trim()}`);
  }
  const profile = reader.finish();
  profile.format = 'perf-data';
  return profile;
}

export const perfData: ProfileFormat = {
  id: 'perf-data',
  name: 'perf.data',
  extensions: ['.data'],
  detect: detectPerfData,
  read: readPerfData,
};
