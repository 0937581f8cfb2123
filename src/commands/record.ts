import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Flags } from '@oclif/core';
import { PyroCommand } from '../cli/base.js';
import { labelPairs, storeFlag } from '../cli/flags.js';
import { PyroError } from '../core/errors.js';
import { appFromFileName, checkApp } from '../core/ingest.js';
import type { Profile } from '../core/model/profile.js';
import { renderForPath } from '../core/output.js';
import { withStore } from '../core/query/open.js';
import { durationFlag, iso } from '../core/query/time.js';
import { attachProcess, chooseProfiler, type ProfilerChoice, recordCommand } from '../core/record/index.js';
import { checkCommand } from '../core/record/process.js';
import type { RecordKind } from '../core/record/types.js';
import { topTable } from '../core/report/top.js';
import { averagedTypes } from '../core/store/aggregation.js';
import type { ProfileStore } from '../core/store/types.js';
import { formatValue } from '../core/units.js';

export interface RecordReport {
  profiler: 'node' | 'perf';
  kind: RecordKind;
  command: string[];
  pid?: number;
  exitCode: number;
  signal?: string;
  samples: number;
  durationMs: number;
  top: { name: string; selfPercent: number; totalPercent: number }[];
  stored?: { app: string; store: string; profiles: number; query: string };
  output?: string;
}

export default class Record extends PyroCommand {
  static override summary =
    'Profile a command until it exits (or a running process with --pid), then store it and/or write it.';
  static override description =
    `Node.js programs (node, npm, npx, or a script whose shebang runs node) are sampled by V8's profiler in every process and worker thread they start, without changing their command line; anything else by Linux perf (frame pointers; --call-graph dwarf otherwise). The command's stdin, stdout and stderr are its own; SIGINT and SIGTERM go to it, and what was recorded is still written. The profile goes into the store (app: --app, else the command's name) and/or to -o FILE (.svg, .html, .pb.gz, .folded, .speedscope.json, .cpuprofile). --continuous stores a profile every --interval while the command runs. Exit codes: the command's own (128+N when signal N ended it; 0 when --duration ended it), 127 when it cannot be started, 1 when pyro fails, 2 for a usage error.`;
  static override examples = [
    '<%= config.bin %> record -- node examples/app.js',
    '<%= config.bin %> record -o profile.svg -- node server.js --port 8080',
    '<%= config.bin %> record --profiler perf --rate 199 -o out.pb.gz -- ./build/myprog input.txt',
    "<%= config.bin %> record --continuous --interval 10s --app api --label env=dev -- npm start   # then: pyro flamegraph 'api{}' --from now-5m",
    '<%= config.bin %> record --pid 4242 --duration 30s -o live.html',
    '<%= config.bin %> record --per-process --no-store -o all.speedscope.json -- npx jest',
    '<%= config.bin %> record --kind heap -o heap.svg -- node server.js',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override flags = {
    output: Flags.string({ char: 'o', description: 'also write the profile here (format from the extension)' }),
    app: Flags.string({ description: "the app to store it under (default: the command's base name)" }),
    label: Flags.string({ description: 'a label k=v for the stored profile (repeatable)', multiple: true }),
    'no-store': Flags.boolean({ description: 'do not store the profile (write it with -o)' }),
    rate: Flags.integer({ description: 'samples per second', default: 99, min: 1, max: 100_000 }),
    duration: Flags.string({ description: 'stop after this long (e.g. 30s, 5m); the command is sent SIGTERM' }),
    kind: Flags.string({
      description:
        'what to sample: cpu (time on the CPU), or with the node profiler wall (wall-clock time, waiting included) or heap (the live heap)',
      options: ['cpu', 'wall', 'heap'],
      default: 'cpu',
    }),
    profiler: Flags.string({
      description: 'auto: node for Node.js commands, perf otherwise',
      options: ['auto', 'node', 'perf'],
      default: 'auto',
    }),
    pid: Flags.integer({
      description: 'attach to this running process instead (needs --duration, or stop with Ctrl-C)',
    }),
    'per-process': Flags.boolean({
      description:
        'keep processes and threads apart (node: labels pid, thread, command; perf: stacks rooted at comm-PID)',
    }),
    'call-graph': Flags.string({
      description: 'perf: walk stacks by frame pointers (fp) or DWARF (dwarf, for code built without them)',
      options: ['fp', 'dwarf'],
      default: 'fp',
    }),
    continuous: Flags.boolean({ description: 'store a profile every --interval while the command runs' }),
    interval: Flags.string({ description: 'continuous mode: the length of each stored profile', default: '10s' }),
    ...storeFlag,
  };

  async run(): Promise<RecordReport> {
    const { argv, flags } = await this.parse(Record);
    const command = (argv as string[]).filter((a, i) => !(i === 0 && a === '--'));
    const durationMs = flags.duration === undefined ? undefined : durationFlag(flags.duration, '--duration');
    const kind = flags.kind as RecordKind;
    const intervalMs = durationFlag(flags.interval, '--interval');
    const labels = labelPairs(flags.label, '--label');
    const choice = flags.profiler as ProfilerChoice;
    const callGraph = flags['call-graph'] as 'fp' | 'dwarf';
    if (flags['no-store'] && !flags.output && !this.jsonEnabled()) {
      throw new PyroError('--no-store without -o FILE would throw the profile away: give -o FILE', 2);
    }
    if (flags.pid !== undefined) {
      if (command.length > 0) throw new PyroError('give a command or --pid, not both', 2);
      if (flags.continuous) throw new PyroError('--continuous records a command it starts, not --pid', 2);
    } else if (command.length === 0) {
      throw new PyroError('pyro record needs a command: pyro record -- CMD ARGS... (or --pid PID)', 2);
    }
    const app = flags.app ?? appFromFileName(flags.pid !== undefined ? `pid-${flags.pid}` : (command[0] as string));
    checkApp(app);

    const run = async (store: ProfileStore | undefined, storeDir: string | undefined): Promise<RecordReport> => {
      let stored = 0;
      const keep = (p: Profile) => {
        if (!store) return;
        // A heap profile's in-use memory averages over time, as pyro ingest's (and Pyroscope's) default.
        store.ingest(p, { app, labels, averaged: averagedTypes(p.valueTypes.map((vt) => vt.type)) });
        stored++;
      };
      let profile: Profile | undefined;
      let report: Pick<RecordReport, 'profiler' | 'kind' | 'exitCode' | 'signal'>;
      const started = Date.now();
      if (flags.pid !== undefined) {
        if (durationMs === undefined && !this.jsonEnabled())
          process.stderr.write(`pyro: recording pid ${flags.pid}; Ctrl-C to stop\n`);
        if (kind === 'heap') throw new PyroError('--kind heap: --pid attaches for cpu or wall time only', 2);
        const r = await attachProcess(choice, flags.pid, { rateHz: flags.rate, durationMs, callGraph, kind });
        profile = r.profile;
        keep(profile);
        report = { profiler: r.profiler.name, kind, exitCode: 0 };
      } else {
        checkCommand(command[0] as string);
        const profiler = chooseProfiler(choice, command[0] as string);
        // perf.data is perf's own file: kept as it is, for perf report and friends.
        const rawOutput = flags.output?.toLowerCase().endsWith('.data') ? flags.output : undefined;
        if (rawOutput && (profiler.name !== 'perf' || flags.continuous)) {
          throw new PyroError(
            `-o ${flags.output}: a perf.data file comes from the perf profiler, without --continuous`,
            2,
          );
        }
        const r = await recordCommand(profiler, {
          command: command[0] as string,
          args: command.slice(1),
          rateHz: flags.rate,
          durationMs,
          kind,
          perProcess: flags['per-process'],
          callGraph,
          rawOutput,
          continuous: flags.continuous ? { intervalMs, onProfile: keep } : undefined,
        });
        profile = r.profile;
        if (profile && !flags.continuous) keep(profile);
        report = {
          profiler: profiler.name,
          kind,
          exitCode: r.stoppedAtDuration ? 0 : r.end.exitCode,
          signal: r.stoppedAtDuration ? undefined : r.end.signal,
        };
      }
      const until = Date.now();
      if (flags.output && profile && !flags.output.toLowerCase().endsWith('.data')) {
        writeFileSync(flags.output, renderForPath(profile, flags.output, command.join(' ') || `pid ${flags.pid}`));
      }
      // The profile type too: perf recordings store two (samples and the event).
      const type = profile ? `.${profile.valueTypes[profile.defaultValue]?.type}` : '';
      const query = `pyro flamegraph '${app}${type}{}' --from ${iso(started - 1000)} --until ${iso(until + 1000)}`;
      return {
        ...report,
        command,
        pid: flags.pid,
        samples: profile?.sampleCount ?? 0,
        durationMs: profile?.duration ?? until - started,
        top: profile
          ? topTable(profile, { valueIndex: profile.defaultValue, limit: 5 }).rows.map((r) => ({
              name: r.name,
              selfPercent: r.selfPercent,
              totalPercent: r.totalPercent,
            }))
          : [],
        stored: store && storeDir && stored > 0 ? { app, store: storeDir, profiles: stored, query } : undefined,
        output: flags.output && profile ? flags.output : undefined,
      };
    };
    const report = flags['no-store'] ? await run(undefined, undefined) : await withStore(flags.store, run);
    if (!this.jsonEnabled()) this.summary(report, flags.rate);
    process.exitCode = report.exitCode;
    return report;
  }

  private summary(r: RecordReport, rate: number): void {
    const c = this.colors(process.stderr);
    const lines: string[] = [];
    const what =
      r.pid !== undefined ? `pid ${r.pid}` : [basename(r.command[0] ?? ''), ...r.command.slice(1, 3)].join(' ');
    if (r.samples === 0) {
      lines.push(
        `pyro: no samples of ${what} were recorded${r.profiler === 'node' ? ' (is it a Node.js program? try --profiler perf)' : ''}`,
      );
    } else {
      lines.push(
        `pyro: ${r.samples} samples of ${what} over ${formatValue(r.durationMs, 'milliseconds')} (${r.profiler} profiler, ${r.kind === 'heap' ? 'live heap, a sample per 32 kB allocated' : `${r.kind === 'wall' ? 'wall clock, ' : ''}${rate} Hz`})`,
      );
      for (const t of r.top)
        lines.push(
          `  ${t.selfPercent.toFixed(1).padStart(5)}% self  ${t.totalPercent.toFixed(1).padStart(5)}% total  ${t.name}`,
        );
    }
    if (r.stored)
      lines.push(
        `pyro: stored in ${r.stored.store} (${r.stored.profiles} profile${r.stored.profiles === 1 ? '' : 's'}); see it with ${c.bold(r.stored.query)}`,
      );
    if (r.output)
      lines.push(`pyro: wrote ${r.output}${/\.(svg|html?)$/i.test(r.output) ? ' (open it in a browser)' : ''}`);
    if (r.signal) lines.push(`pyro: the command was ended by ${r.signal}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}
