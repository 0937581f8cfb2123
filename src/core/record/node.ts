// The node profiler: V8's sampling profiler in every Node.js process and
// worker thread the command starts, through a preload (NODE_OPTIONS=--require)
// that drives the built-in inspector and leaves a .cpuprofile per thread (and
// per interval in continuous mode) in the work directory. Attaching to a
// running process opens its inspector with SIGUSR1, as Node.js does, and
// drives it over its WebSocket on 127.0.0.1.
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'undici';
import { PyroError } from '../errors.js';
import { readProfile } from '../formats/index.js';
import { loadFile } from '../input.js';
import { sourceFromBuffer } from '../io/source.js';
import { applyFilters } from '../model/filter.js';
import { selectValues, withLabels } from '../model/merge.js';
import type { Profile } from '../model/profile.js';
import { PartCollector } from './parts.js';
import { runFor, startChild } from './process.js';
import type { AttachOptions, Profiler, Recording, RecordKind, RecordOptions } from './types.js';

/** Where the preload is: beside this module in the sources, beside the bundle in dist/. */
export function preloadPath(): string {
  const path = fileURLToPath(new URL('./node-preload.cjs', import.meta.url));
  if (!existsSync(path)) throw new Error(`the node profiler's preload is missing (${path}): rebuild pyro`);
  return path;
}

/** NODE_OPTIONS with more options after the user's own (paths quoted, as Node.js parses them). */
export function nodeOptions(existing: string | undefined, ...options: string[]): string {
  return [existing?.trim(), ...options].filter(Boolean).join(' ');
}

/** `<pid>-<thread>-<part>-<from>-<until>-<command>.cpuprofile` (or `.heapprofile`), as the preload names its files. */
const PART = /^(\d+)-(\d+)-(\d+)-(\d+)-(\d+)-(.*)\.(cpuprofile|heapprofile)$/;

/**
 * V8's sampler ticks on wall-clock time, marking the ticks where the thread
 * waited "(idle)": `wall` keeps them all (the time column named wall), `cpu`
 * leaves those out, so that it counts the time on the CPU.
 */
function asKind(profile: Profile, kind: RecordKind): Profile {
  if (kind === 'heap') return profile;
  if (kind === 'cpu') return applyFilters(profile, { ignore: ['^\\(idle\\)$'] });
  return selectValues(
    profile,
    profile.valueTypes.map((vt) => (vt.type === 'cpu' ? { type: 'wall', unit: vt.unit } : vt)),
    profile.valueTypes.map((_, i) => i),
  );
}

async function readPart(path: string, name: string, o: RecordOptions): Promise<Profile | undefined> {
  const m = PART.exec(name);
  if (!m) return undefined;
  let profile = asKind(await loadFile(path, { inputFormat: m[7] as string }), o.kind);
  profile.startTime = Number(m[4]);
  profile.duration = Number(m[5]) - Number(m[4]);
  if (o.perProcess) {
    const thread = m[2] === '0' ? 'main' : `worker-${m[2]}`;
    profile = withLabels(profile, [
      ['pid', m[1] as string],
      ['thread', thread],
      ['command', m[6] as string],
    ]);
  }
  return profile;
}

export const nodeProfiler: Profiler = {
  name: 'node',

  async record(o: RecordOptions): Promise<Recording> {
    const env = {
      ...process.env,
      NODE_OPTIONS: nodeOptions(process.env.NODE_OPTIONS, `--require ${JSON.stringify(preloadPath())}`),
      PYRO_RECORD_DIR: o.workDir,
      PYRO_RECORD_SAMPLING_US: String(Math.max(1, Math.round(1e6 / o.rateHz))),
      PYRO_RECORD_INTERVAL_MS: o.continuous ? String(o.continuous.intervalMs) : '',
      PYRO_RECORD_KIND: o.kind,
    };
    const parts = new PartCollector(
      o.workDir,
      { isPart: (n) => PART.test(n), read: (path, name) => readPart(path, name, o) },
      o.continuous?.onProfile,
    );
    const child = await startChild(o.command, o.args, { env, beforeSignal: () => saveBeforeSignal(o.workDir) });
    if (o.continuous) parts.watch();
    const { end, stoppedAtDuration } = await runFor(child, o.durationMs);
    return { profile: await parts.finish(), end, stoppedAtDuration };
  },

  async attach(pid: number, o: AttachOptions): Promise<Profile> {
    const url = await openInspector(pid);
    const profile = await sampleOverInspector(url, o);
    const p = asKind(await readProfile(await sourceFromBuffer(`pid ${pid}`, profile), {}, 'cpuprofile'), o.kind);
    p.startTime = Date.now() - (p.duration ?? 0);
    return p;
  },
};

/**
 * Asks every profiled thread for its profile ("stop" in the work directory)
 * and waits until each that started (<pid>-<thread>.live) has written it
 * (<pid>-<thread>.saved), or 3 s.
 */
async function saveBeforeSignal(dir: string): Promise<void> {
  writeFileSync(join(dir, 'stop'), '');
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const names = new Set(readdirSync(dir));
    if ([...names].every((n) => !n.endsWith('.live') || names.has(n.replace(/\.live$/, '.saved')))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Whether a running process is Node.js (its executable is named node or nodejs). */
export function isNodeProcess(pid: number): boolean {
  try {
    return /^(node|nodejs)(\d+)?$/.test(readlinkSync(`/proc/${pid}/exe`).split('/').pop() ?? '');
  } catch {
    return false;
  }
}

/** Sends SIGUSR1 (Node.js then listens for an inspector client) and finds the WebSocket URL it serves. */
async function openInspector(pid: number): Promise<string> {
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (e) {
    throw new PyroError(`--pid ${pid}: cannot signal the process (${(e as NodeJS.ErrnoException).code})`);
  }
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    for (const port of listeningPorts(pid)) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/json/list`);
        const targets = (await res.json()) as { webSocketDebuggerUrl?: string }[];
        const ws = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
        if (ws) return ws;
      } catch {
        // Not the inspector (or not ready yet).
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new PyroError(
    `--pid ${pid}: the process did not open its inspector after SIGUSR1 (is it Node.js, started without --disable-sigusr1?)`,
  );
}

/** The TCP ports a process listens on (Linux /proc: its socket inodes matched in /proc/net/tcp). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1] as string);
      } catch {
        // Closed meanwhile.
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // State 0A is LISTEN; the local address is HEX_IP:HEX_PORT; the inode is field 9.
      if (f[3] === '0A' && inodes.has(f[9] as string))
        ports.push(Number.parseInt((f[1] as string).split(':')[1] as string, 16));
    }
  }
  return ports;
}

/** Starts the profiler over the inspector protocol, waits, and returns the .cpuprofile JSON. */
async function sampleOverInspector(url: string, o: AttachOptions): Promise<string> {
  const ws = new WebSocket(url);
  let id = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id as number);
    if (msg.error) p.reject(new PyroError(`inspector: ${msg.error.message}`));
    else p.resolve(msg.result);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const n = ++id;
      pending.set(n, { resolve, reject });
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new PyroError(`cannot connect to the inspector at ${url}`)));
  });
  try {
    await call('Profiler.enable');
    await call('Profiler.setSamplingInterval', { interval: Math.max(1, Math.round(1e6 / o.rateHz)) });
    await call('Profiler.start');
    await waitFor(o.durationMs);
    const result = (await call('Profiler.stop')) as { profile: unknown };
    return JSON.stringify(result.profile);
  } finally {
    ws.close();
  }
}

/** Resolves after `ms`, or at SIGINT/SIGTERM when no duration is given (or earlier on either). */
export function waitFor(ms: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.removeListener('SIGINT', done);
      process.removeListener('SIGTERM', done);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
