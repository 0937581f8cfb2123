// `pyro record`: which profiler samples a command, and the run itself in a
// work directory of its own.
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isNodeProcess, nodeProfiler } from './node.js';
import { perfProfiler } from './perf.js';
import type { AttachOptions, Profiler, Recording, RecordOptions } from './types.js';

export type { AttachOptions, Profiler, Recording, RecordOptions } from './types.js';

export type ProfilerChoice = 'auto' | 'node' | 'perf';

const NODE_COMMANDS = new Set(['node', 'nodejs', 'npm', 'npx', 'pnpm', 'yarn']);

/** auto: node for node, npm, npx (and pnpm, yarn) or a script whose shebang runs node; perf otherwise. */
export function chooseProfiler(choice: ProfilerChoice, command: string): Profiler {
  if (choice === 'node') return nodeProfiler;
  if (choice === 'perf') return perfProfiler;
  return NODE_COMMANDS.has(basename(command)) || shebangRunsNode(command) ? nodeProfiler : perfProfiler;
}

/** Whether a file starts with a #! line naming node (directly or through env). */
function shebangRunsNode(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    const first = head.toString('utf8', 0, n).split('\n')[0] ?? '';
    return /^#!.*\bnode(js)?\b/.test(first);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Records a command with a profiler, in a temporary work directory removed afterwards. */
export async function recordCommand(profiler: Profiler, o: Omit<RecordOptions, 'workDir'>): Promise<Recording> {
  return inWorkDir((workDir) => profiler.record({ ...o, workDir }));
}

/** Samples a running process: perf, or the node profiler when it is Node.js and `choice` allows. */
export async function attachProcess(choice: ProfilerChoice, pid: number, o: Omit<AttachOptions, 'workDir'>) {
  const profiler = choice === 'auto' ? (isNodeProcess(pid) ? nodeProfiler : perfProfiler) : chooseProfiler(choice, '');
  const profile = await inWorkDir((workDir) => profiler.attach(pid, { ...o, workDir }));
  return { profiler, profile };
}

async function inWorkDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'pyro-record-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
