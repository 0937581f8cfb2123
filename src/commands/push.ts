import { existsSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { PyroCommand } from '../cli/base.js';
import { labelPairs, rangeFlags, remoteFlags, remoteOptions, storeFlag } from '../cli/flags.js';
import { PyroError } from '../core/errors.js';
import { checkApp, chooseApp } from '../core/ingest.js';
import { loadFile } from '../core/input.js';
import { withStore } from '../core/query/open.js';
import { parseSelector } from '../core/query/selector.js';
import { parseRange } from '../core/query/time.js';
import { type Protocol, pushProfile, type Remote } from '../core/remote/client.js';
import { type SendReport, sendStored } from '../core/remote/sync.js';

export interface PushReport {
  remote: string;
  files: { file: string; app: string; ok: boolean; error?: string }[];
  selectors: (SendReport & { selector: string })[];
}

export const pushFlags = {
  ...remoteFlags,
  url: Flags.string({
    description: 'the Pyroscope (or pyro server) to send to, e.g. http://localhost:4040',
    env: 'PYRO_REMOTE_URL',
    required: true,
    helpGroup: 'REMOTE',
  }),
  protocol: Flags.string({
    description:
      "ingest: the /ingest API (pprof form; OG Pyroscope, Grafana Pyroscope, pyro server); connect: Grafana Pyroscope's Push",
    options: ['ingest', 'connect'],
    default: 'ingest',
    helpGroup: 'REMOTE',
  }),
  retries: Flags.integer({
    description: 'retries of a profile on 5xx and network errors (with backoff)',
    default: 5,
    min: 0,
  }),
  ...storeFlag,
};

export default class Push extends PyroCommand {
  static override summary = 'Send profiles (files, or stored series) to a Pyroscope server.';
  static override description =
    "Each FILE (any format pyro reads) is sent as one profile, its app from --app, else the profile's service_name, else the file name. Each SELECTOR sends every stored profile of the matching series in [--from, --until), with its own time and labels; what the remote acknowledges is remembered for `pyro sync`. Exit codes: 0 everything sent, 1 an error or a profile refused, 2 usage error.";
  static override examples = [
    '<%= config.bin %> push cpu.pb.gz --url http://localhost:4040 --app api --label env=prod',
    '<%= config.bin %> push \'api.cpu{env="prod"}\' --from now-1h --url https://pyroscope.example.com --token "$TOKEN"',
    '<%= config.bin %> push profile.folded --url http://localhost:4040 --protocol connect --tenant-id team-a',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = { inputs: Args.string({ description: 'profile files or series selectors', required: true }) };
  static override flags = {
    app: Flags.string({ description: 'the app (service_name) of the files sent' }),
    label: Flags.string({ description: 'a label k=v for the files sent (repeatable)', multiple: true }),
    ...pushFlags,
    ...rangeFlags,
  };

  async run(): Promise<PushReport> {
    const { argv, flags } = await this.parse(Push);
    if (flags.app !== undefined) checkApp(flags.app);
    const labels = labelPairs(flags.label, '--label');
    const remote = remoteOptions(flags) as Remote;
    const protocol = flags.protocol as Protocol;
    const report: PushReport = { remote: remote.url, files: [], selectors: [] };
    const quiet = this.jsonEnabled();
    for (const input of argv as string[]) {
      if (input === '-' || existsSync(input) || !/[{}]|^[A-Za-z0-9_.:-]+$/.test(input)) {
        const profile = await loadFile(input, {});
        const [app] = chooseApp(input, profile, flags.app);
        try {
          await pushProfile(remote, profile, { app, labels }, protocol);
          report.files.push({ file: input, app, ok: true });
          if (!quiet) process.stderr.write(`pyro: sent ${input} as ${app} to ${remote.url}\n`);
        } catch (e) {
          if (!(e instanceof PyroError)) throw e;
          report.files.push({ file: input, app, ok: false, error: e.message });
          process.stderr.write(`pyro: ${input}: ${e.message}\n`);
        }
        continue;
      }
      const selector = parseSelector(input);
      const range = parseRange(flags.from, flags.until, Date.now());
      const sent = await withStore(flags.store, (store) =>
        sendStored(store, remote, selector, range, {
          protocol,
          retries: flags.retries,
          onlyUnacknowledged: false,
          concurrency: 4,
        }),
      );
      report.selectors.push({ selector: input, ...sent });
      if (!quiet) printSendReport(input, sent);
    }
    const failed = report.files.some((f) => !f.ok) || report.selectors.some((s) => s.refused.length > 0 || s.stopped);
    if (failed) process.exitCode = 1;
    return report;
  }
}

/** The outcome of sending stored profiles, on stderr. */
export function printSendReport(what: string, r: SendReport): void {
  process.stderr.write(`pyro: ${what}: sent ${r.sent} profile${r.sent === 1 ? '' : 's'} to ${r.remote}\n`);
  for (const x of r.refused) process.stderr.write(`pyro: ${x.series} (profile ${x.id}) refused: ${x.error}\n`);
  if (r.stopped) process.stderr.write(`pyro: stopped: ${r.stopped}; run it again to send the rest\n`);
}
