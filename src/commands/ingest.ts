import { statSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { inputFlags, labelPairs, loadOptions, storeFlag } from '../cli/flags.js';
import { checkApp, type IngestOutcome, ingestFiles } from '../core/ingest.js';
import { withStore } from '../core/query/open.js';
import { parseTime } from '../core/query/time.js';
import type { Aggregation } from '../core/store/types.js';

export interface IngestReport {
  store: string;
  files: IngestOutcome[];
}

export default class Ingest extends PyroCommand {
  static override summary = 'Store profiles in the local store, in series by app, profile type and labels.';
  static override description =
    `Reads any format convert reads. The app is --app, else the profile's service_name label, else the file name up to its first dot. The time is the profile's own where it has one, else --at, else now. Each file is one transaction: a bad file is reported in one line and the others still go in. ${EXIT_CODES_HELP} Exit 1 also when any file failed.`;
  static override examples = [
    '<%= config.bin %> ingest cpu.pb.gz --app api --label env=prod --label version=1.2',
    '<%= config.bin %> ingest profiles/*.cpuprofile --app web --at 2024-05-01T12:00:00Z',
    'perf script | <%= config.bin %> ingest - --app db --label host=db1',
    '<%= config.bin %> ingest cpu.pb.gz --store ./profiles --json',
    '<%= config.bin %> ingest heap-*.pb.gz --app api --aggregation average',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = { files: Args.string({ description: 'profile files ("-" for stdin)', required: true }) };
  static override flags = {
    app: Flags.string({ description: 'the app (service_name) of the series (default: from the file name)' }),
    label: Flags.string({ description: 'a label k=v for the stored profiles (repeatable)', multiple: true }),
    at: Flags.string({ description: 'the time of profiles that have none of their own (default: now)' }),
    aggregation: Flags.string({
      description:
        "how the series merge over time: sum (CPU, allocations) or average (gauges); default: average for in-use memory and goroutines (inuse_space, inuse_objects, goroutine, goroutines) whatever the file's format, sum for the rest",
      options: ['sum', 'average'],
    }),
    ...storeFlag,
    ...inputFlags,
  };

  async run(): Promise<IngestReport> {
    const { argv, flags } = await this.parse(Ingest);
    const files = argv as string[];
    if (flags.app !== undefined) checkApp(flags.app);
    const labels = labelPairs(flags.label, '--label');
    const at = flags.at === undefined ? undefined : parseTime(flags.at, Date.now(), '--at');
    const size = files.reduce((n, f) => n + (f === '-' ? 0 : (statSync(f, { throwIfNoEntry: false })?.size ?? 0)), 0);
    // One file: a bar of bytes read (over 32 MB); many or large files: a bar of files.
    const bytes = this.progress('reading');
    const bar = this.counter('ingesting', files.length, files.length > 1 && (files.length >= 20 || size > 32e6));
    const quiet = this.jsonEnabled();
    const notes = new Set<string>();
    const report = await withStore(flags.store, async (store, dir) => {
      try {
        const outcomes = await ingestFiles(store, files, {
          app: flags.app,
          labels,
          at,
          aggregation: flags.aggregation as Aggregation | undefined,
          load: { ...loadOptions(flags), onProgress: files.length === 1 ? bytes.onProgress : undefined },
          onFile: (o, profile) => {
            bar.tick();
            for (const w of profile?.warnings ?? []) notes.add(`warning: ${named(o.file, w)}`);
            if (o.appFrom === 'file name') notes.add(`app "${o.app}" from the file name (choose it with --app)`);
            if (!o.ok) notes.add(named(o.file, o.error ?? ''));
          },
        });
        return { store: dir, files: outcomes };
      } finally {
        bar.done();
        bytes.done();
      }
    });
    const failed = report.files.filter((o) => !o.ok).length;
    if (failed > 0) process.exitCode = 1;
    if (quiet) return report;
    for (const n of notes) process.stderr.write(`pyro: ${n}\n`);
    const series = [...new Set(report.files.flatMap((o) => o.series?.map((s) => s.name) ?? []))];
    const shown = series.slice(0, 5).join(', ') + (series.length > 5 ? `, ... (${series.length - 5} more)` : '');
    const ok = report.files.length - failed;
    if (ok > 0)
      this.log(`stored ${ok} of ${files.length} file${files.length === 1 ? '' : 's'} in ${report.store}: ${shown}`);
    if (failed > 0) process.stderr.write(`pyro: ${failed} file${failed === 1 ? '' : 's'} failed (see above)\n`);
    return report;
  }
}

/** A message that names its file (readers' messages mostly do already). */
function named(file: string, message: string): string {
  return message.startsWith(file) ? message : `${file}: ${message}`;
}
