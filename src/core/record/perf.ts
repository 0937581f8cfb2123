// The perf profiler: `perf record -F RATE -g` runs the command (perf passes
// its exit status on), then `perf script` turns perf.data into stacks through
// the perf.data reader. Node.js processes under it get --perf-basic-prof, so
// that their JavaScript frames have names (perf script reads /tmp/perf-PID.map).
// Continuous mode lets perf switch output files every interval.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PyroError } from '../errors.js';
import { loadFile } from '../input.js';
import { renameFrames } from '../model/merge.js';
import type { Profile } from '../model/profile.js';
import { nodeOptions, waitFor } from './node.js';
import { PartCollector } from './parts.js';
import { firstChildOf, runFor, startChild } from './process.js';
import type { AttachOptions, Profiler, Recording, RecordOptions } from './types.js';

/** Fails with what to do when perf is missing or the kernel forbids it. */
export function checkPerf(): void {
  const r = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  if (r.error) {
    throw new PyroError(
      'the perf profiler needs Linux perf, which is not installed: apt-get install linux-perf (Debian), linux-tools-generic (Ubuntu) or perf (Fedora); or use --profiler node for Node.js',
    );
  }
  let level = Number.NaN;
  try {
    level = Number(readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8').trim());
  } catch {
    // Not Linux, or no perf events at all: perf itself will say.
  }
  if (level > 2 && process.getuid?.() !== 0) {
    throw new PyroError(
      `perf is not allowed to sample: kernel.perf_event_paranoid is ${level}; allow it with "sudo sysctl kernel.perf_event_paranoid=1" (or run as root)`,
    );
  }
}

function callGraphArgs(callGraph: 'fp' | 'dwarf'): string[] {
  return callGraph === 'dwarf' ? ['--call-graph', 'dwarf'] : ['-g'];
}

/** perf's files in the work directory: perf.data, and perf.data.<local time, to 1/100 s> per switch in continuous mode. */
const SWITCHED = /^perf\.data\.(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2,3})$/;

/** The JIT symbol maps Node.js wrote (/tmp/perf-PID.map), to remove the ones a recording made. */
function perfMaps(): Set<string> {
  try {
    return new Set(readdirSync(tmpdir()).filter((n) => /^perf-\d+\.map$/.test(n)));
  } catch {
    return new Set();
  }
}

export const perfProfiler: Profiler = {
  name: 'perf',

  async record(o: RecordOptions): Promise<Recording> {
    if (o.kind !== 'cpu') throw new PyroError(`--kind ${o.kind} needs the node profiler (--profiler node)`, 2);
    checkPerf();
    const out = join(o.workDir, 'perf.data');
    const args = ['record', '-q', '-F', String(Math.round(o.rateHz)), ...callGraphArgs(o.callGraph), '-o', out];
    if (o.continuous) args.push(`--switch-output=${Math.max(1, Math.round(o.continuous.intervalMs / 1000))}s`);
    args.push('--', o.command, ...o.args);
    // Named JavaScript frames, the interpreted ones included (without it they all read InterpreterEntryTrampoline).
    const env = {
      ...process.env,
      NODE_OPTIONS: nodeOptions(process.env.NODE_OPTIONS, '--perf-basic-prof', '--interpreted-frames-native-stack'),
    };
    const mapsBefore = perfMaps();
    const started = Date.now();
    // Each switched file covers from the previous switch (or the start) to its own time stamp.
    let from = started;
    const parts = new PartCollector(
      o.workDir,
      {
        isPart: (n) => SWITCHED.test(n),
        read: async (path, name) => {
          const m = SWITCHED.exec(name) as RegExpExecArray;
          const f = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
          const fraction = (m[7] as string).length === 2 ? f[6] * 10 : f[6];
          const until = new Date(f[0], f[1] - 1, f[2], f[3], f[4], f[5], fraction).getTime();
          const p = await readPerf(path, o.perProcess);
          p.startTime = from;
          p.duration = Math.max(1, until - from);
          from = until;
          rmSync(path, { force: true });
          return p;
        },
      },
      o.continuous?.onProfile,
    );
    // perf runs the command: signals go to the command, and perf writes its data when the command ends.
    const child = await startChild('perf', args, { env, target: () => firstChildOf(child.pid) });
    if (o.continuous) parts.watch();
    const { end, stoppedAtDuration } = await runFor(child, o.durationMs);
    const endedAt = Date.now();
    try {
      let profile = await parts.finish();
      if (!o.continuous) {
        try {
          if (o.rawOutput) copyFileSync(out, o.rawOutput);
          profile = await readPerf(out, o.perProcess);
          profile.startTime = started;
          profile.duration = endedAt - started;
        } catch (e) {
          // No perf.data: perf itself failed (its message is on stderr already) or the command did not start.
          if (!(e instanceof PyroError)) throw e;
          if (end.exitCode === 127 || end.exitCode === 255)
            throw new PyroError(`${o.command}: perf could not run it`, 127);
          throw e;
        }
      }
      return { profile, end, stoppedAtDuration };
    } finally {
      for (const m of perfMaps()) if (!mapsBefore.has(m)) rmSync(join(tmpdir(), m), { force: true });
    }
  },

  async attach(pid: number, o: AttachOptions): Promise<Profile> {
    if (o.kind !== 'cpu') throw new PyroError(`--kind ${o.kind} needs the node profiler (--profiler node)`, 2);
    checkPerf();
    const out = join(o.workDir, 'perf.data');
    const args = [
      'record',
      '-q',
      '-F',
      String(Math.round(o.rateHz)),
      ...callGraphArgs(o.callGraph),
      '-p',
      String(pid),
      '-o',
      out,
    ];
    const started = Date.now();
    const child = await startChild('perf', args);
    await Promise.race([waitFor(o.durationMs), child.ended]);
    await child.kill('SIGINT');
    const end = await child.ended;
    const endedAt = Date.now();
    const p = await readPerf(out, false).catch((e) => {
      throw e instanceof PyroError && end.exitCode !== 0
        ? new PyroError(`--pid ${pid}: perf record failed (its message is above)`)
        : e;
    });
    p.startTime = started;
    p.duration = endedAt - started;
    return p;
  },
};

async function readPerf(path: string, perProcess: boolean): Promise<Profile> {
  return renameFrames(await loadFile(path, { inputFormat: 'perf-data', perf: { pid: perProcess } }), v8FrameName);
}

/**
 * A JavaScript frame as Node.js names it in its perf map ("JS:*parse
 * file:///app/x.js:12:7", "LazyCompile:~parse /app/x.js:12", "Builtin:JsonParse")
 * without the code kind, the tier marker and the file:// scheme, so that
 * recordings by perf and by the node profiler name a function alike: "parse /app/x.js:12:7".
 */
export function v8FrameName(name: string): string {
  const m =
    /^(?:JS|LazyCompile|Function|Script|Eval|Builtin|RegExp|InterpretedFunction|BytecodeHandler):[*~^+]?(.*)$/.exec(
      name,
    );
  if (!m) return name;
  const rest = (m[1] as string).replace(' file://', ' ');
  return rest === '' || rest.startsWith(' ') ? `(anonymous)${rest}` : rest;
}
