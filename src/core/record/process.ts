// The recorded command as a child process: its stdin, stdout and stderr passed
// through, SIGINT and SIGTERM forwarded to it, and its end turned into the
// exit code a shell would give (128 + N for a signal, 127 when it cannot start).
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, join } from 'node:path';
import { PyroError } from '../errors.js';

export interface ChildEnd {
  /** The exit code a shell gives: the child's, or 128 + N when signal N ended it. */
  exitCode: number;
  signal?: NodeJS.Signals;
}

export interface RunningChild {
  pid: number;
  /** Resolves when the child has exited. */
  ended: Promise<ChildEnd>;
  /** Sends a signal to the child (to `target()` when given: a grandchild under a wrapper such as perf). */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** The process that gets forwarded signals, when the child is a wrapper (perf record runs the command). */
  target?: () => number | undefined;
  /** Runs before the first signal is sent (the node profiler has its processes write their profiles). */
  beforeSignal?: () => Promise<void>;
}

/**
 * Starts `command args` with stdio inherited. Rejects with exit code 127 and
 * one line when it cannot be started. While it runs, SIGINT and SIGTERM sent
 * to pyro go to the child instead of ending pyro, which then writes what was
 * recorded.
 */
export async function startChild(
  command: string,
  args: readonly string[],
  o: StartOptions = {},
): Promise<RunningChild> {
  const child: ChildProcess = spawn(command, args, { stdio: 'inherit', env: o.env ?? process.env });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ENOENT'
          ? 'command not found'
          : e.code === 'EACCES'
            ? 'permission denied (is it executable?)'
            : e.message;
      reject(new PyroError(`${command}: ${why}`, 127));
    });
  });
  let ready: Promise<void> | undefined;
  const kill = async (signal: NodeJS.Signals) => {
    ready ??= o.beforeSignal?.() ?? Promise.resolve();
    await ready;
    const target = o.target?.();
    try {
      if (target) process.kill(target, signal);
      else child.kill(signal);
    } catch {
      // Already gone.
    }
  };
  const forward = (signal: NodeJS.Signals) => void kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const ended = new Promise<ChildEnd>((resolve) => {
    child.once('exit', (code, signal) => {
      process.removeListener('SIGINT', forward);
      process.removeListener('SIGTERM', forward);
      if (signal) resolve({ exitCode: 128 + (constants.signals[signal] ?? 0), signal });
      else resolve({ exitCode: code ?? 0 });
    });
  });
  return { pid: child.pid as number, ended, kill };
}

/**
 * Waits for the child to exit, sending it SIGTERM after `durationMs` when
 * given; says whether that ended it.
 */
export async function runFor(
  child: RunningChild,
  durationMs: number | undefined,
): Promise<{ end: ChildEnd; stoppedAtDuration: boolean }> {
  let stoppedAtDuration = false;
  const timer =
    durationMs === undefined
      ? undefined
      : setTimeout(() => {
          stoppedAtDuration = true;
          void child.kill('SIGTERM');
        }, durationMs);
  const end = await child.ended;
  if (timer) clearTimeout(timer);
  return { end, stoppedAtDuration };
}

/** The first child process of `pid` (Linux /proc), if any. */
export function firstChildOf(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    const first = Number(text.split(/\s+/)[0]);
    return first > 0 ? first : undefined;
  } catch {
    return undefined;
  }
}

/** Fails with exit code 127, as a shell does, when `command` is not an executable file or on PATH. */
export function checkCommand(command: string): void {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir || '.', command));
  for (const path of candidates) {
    try {
      accessSync(path, fsConstants.X_OK);
      if (statSync(path).isFile()) return;
    } catch {
      // Not this one.
    }
  }
  throw new PyroError(
    command.includes('/') ? `${command}: no such executable file` : `${command}: command not found`,
    127,
  );
}
