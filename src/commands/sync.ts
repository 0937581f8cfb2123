import { Args, Flags } from '@oclif/core';
import { PyroCommand } from '../cli/base.js';
import { rangeFlags, remoteOptions } from '../cli/flags.js';
import { withStore } from '../core/query/open.js';
import { parseSelector } from '../core/query/selector.js';
import { parseRange } from '../core/query/time.js';
import type { Protocol, Remote } from '../core/remote/client.js';
import { type SendReport, sendStored } from '../core/remote/sync.js';
import { printSendReport, pushFlags } from './push.js';

export default class Sync extends PyroCommand {
  static override summary = 'Send every stored profile a Pyroscope server has not acknowledged yet.';
  static override description =
    'What the remote acknowledges (2xx) is remembered in the store, per remote URL and tenant, profile by profile: a sync that is killed resumes where it stopped, and no acknowledged profile is sent twice. 5xx, 429 and network errors are retried with backoff (--retries); a profile the remote refuses (4xx) is reported and left for the next run. Exit codes: 0 everything sent, 1 an error or a profile refused or the remote unreachable, 2 usage error.';
  static override examples = [
    '<%= config.bin %> sync --url http://pyroscope:4040',
    '<%= config.bin %> sync \'api{env="prod"}\' --url https://pyroscope.example.com --token "$TOKEN" --protocol connect',
    'PYRO_REMOTE_URL=http://pyroscope:4040 <%= config.bin %> sync --from now-1d --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    selector: Args.string({ description: 'the series to send (default: every series)', default: '{}' }),
  };
  static override flags = {
    ...pushFlags,
    ...rangeFlags,
    concurrency: Flags.integer({ description: 'profiles in flight at once', default: 4, min: 1, max: 64 }),
  };

  async run(): Promise<SendReport> {
    const { args, flags } = await this.parse(Sync);
    const selector = parseSelector(args.selector);
    const range = parseRange(flags.from, flags.until, Date.now());
    const remote = remoteOptions(flags) as Remote;
    const quiet = this.jsonEnabled();
    const report = await withStore(flags.store, (store) =>
      sendStored(store, remote, selector, range, {
        protocol: flags.protocol as Protocol,
        retries: flags.retries,
        onlyUnacknowledged: true,
        concurrency: flags.concurrency,
        onRetry: (p, attempt, e) => {
          if (!quiet) process.stderr.write(`pyro: ${p.name}: retry ${attempt} after: ${e.message}\n`);
        },
      }),
    );
    if (!quiet) printSendReport(args.selector, report);
    if (report.refused.length > 0 || report.stopped) process.exitCode = 1;
    return report;
  }
}
