import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProfile } from '../src/core/formats/index.js';
import type { ReadOptions } from '../src/core/formats/types.js';
import { openSource, sourceFromBuffer } from '../src/core/io/source.js';
import type { Profile } from '../src/core/model/profile.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The shared reference corpus, read by path (never copied into the repository). */
export const CORPUS = resolve(ROOT, '..', 'shared', 'corpus');
export const corpus = (...parts: string[]) => join(CORPUS, ...parts);

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Runs the built CLI (bin/run.js) as a real child process. */
export function pyro(
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string>; cwd?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {
    input: options.input,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    cwd: options.cwd,
    maxBuffer: 1 << 30,
    timeout: 120_000,
  });
  return {
    status: r.status ?? -1,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
  };
}

export function tempDir(prefix = 'pyro-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function readFile(path: string, options: ReadOptions = {}): Promise<Profile> {
  return readProfile(await openSource(path), options);
}

export async function readBytes(name: string, bytes: Buffer | string, options: ReadOptions = {}): Promise<Profile> {
  return readProfile(await sourceFromBuffer(name, bytes), options);
}

/** Whether a command exists on this machine. */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * For tests that need a peer tool: outside CI a missing peer skips the test
 * with a printed reason; in CI (CI=true) it fails, since .ci/run installs it.
 */
export function requirePeer(cmd: string): boolean {
  if (have(cmd)) return true;
  if (process.env.CI) throw new Error(`${cmd} is not installed, and CI must run every test (.ci/run installs it)`);
  console.warn(`skipping: ${cmd} is not installed`);
  return false;
}
