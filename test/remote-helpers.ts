// What the tests of pyro server, push and sync share: a server as a real process, and an
// independent decoding of Pyroscope's flamebearer levels.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type RunningServer, type ServerOptions, startServer } from '../src/core/remote/server.js';
import { ROOT, tempDir } from './helpers.js';

const children: ChildProcess[] = [];

/** Kills every server spawnServer started (for afterEach). */
export function killServers(): void {
  for (const c of children.splice(0)) c.kill('SIGKILL');
}

/** Starts `pyro server --port 0` and resolves with its URL, read from its first line on stderr. */
export function spawnServer(dir: string, args: string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'run.js'), 'server', '--port', '0', '--store', dir, ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ url: m[1] as string, child });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

/** Pyroscope's flamebearer decoded from its levels: "a;b" -> self, per column (1 single, 2 double). */
export function decodeLevels(names: string[], levels: number[][], sides = 1): Map<string, number[]> {
  const width = 3 * sides + 1;
  const out = new Map<string, number[]>();
  // Blocks of the level above, with absolute x per side and their stack.
  let above: { x: number[]; total: number[]; stack: string }[] = [];
  levels.forEach((level, depth) => {
    const here: typeof above = [];
    const end = new Array(sides).fill(0);
    for (let i = 0; i < level.length; i += width) {
      const x: number[] = [];
      const total: number[] = [];
      const self: number[] = [];
      for (let s = 0; s < sides; s++) {
        x.push(end[s] + (level[i + 3 * s] as number));
        total.push(level[i + 3 * s + 1] as number);
        self.push(level[i + 3 * s + 2] as number);
        end[s] = (x[s] as number) + (total[s] as number);
      }
      const name = names[level[i + width - 1] as number] as string;
      // The parent: the block above whose span (in the side where this block is not empty) holds it.
      const s = total.findIndex((t) => t > 0);
      const parent = above.find(
        (a) => (a.x[s] as number) <= (x[s] as number) && (x[s] as number) < (a.x[s] as number) + (a.total[s] as number),
      );
      const stack = depth === 0 ? '' : parent?.stack ? `${parent.stack};${name}` : name;
      if (depth > 0 && !parent) throw new Error(`block ${name} at level ${depth} has no parent`);
      here.push({ x, total, stack });
      if (depth > 0 && self.some((v) => v !== 0)) out.set(stack, self);
    }
    above = here;
  });
  return out;
}

/** Runs the CLI without blocking this process (a server or remote in the test must keep answering). */
export function pyroAsync(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr })));
}

/**
 * pyro server in this process on a port of its own, over a new store (1 MB
 * bodies, 10 s requests), reading bodies and placing stored profiles on
 * threads as the CLI does (the built dist/ingest-worker.cjs and place-worker.cjs).
 */
export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<RunningServer & { dir: string }> {
  const dir = options.storeDir ?? tempDir('pyro-server-');
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    storeDir: dir,
    maxBody: 1 << 20,
    timeoutMs: 10_000,
    readers: { script: join(ROOT, 'dist', 'ingest-worker.cjs'), threads: 1 },
    placer: join(ROOT, 'dist', 'place-worker.cjs'),
    ...options,
  });
  return Object.assign(server, { dir });
}
