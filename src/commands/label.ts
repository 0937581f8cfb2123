import { Args, Flags } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { labelPairs, rangeFlags, storeFlag } from '../cli/flags.js';
import { PyroError } from '../core/errors.js';
import { withStore } from '../core/query/open.js';
import { LABEL_NAME, parseSelector } from '../core/query/selector.js';
import { parseRange, span } from '../core/query/time.js';

export interface RelabelReport {
  profiles: number;
  set: Record<string, string>;
  unset: string[];
}

export default class Label extends PyroCommand {
  static override summary = 'Relabel stored profiles: they move to the series of their new labels.';
  static override description =
    `Every profile of the series SELECTOR matches in [--from, --until) gets the labels of --set and loses those of --unset; no sample is lost or counted twice. ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> label \'api{commit="4f2a9c1"}\' --set version=1.3',
    "<%= config.bin %> label 'api{}' --from 2024-05-01T00:00:00Z --until 2024-05-02T00:00:00Z --set env=staging",
    '<%= config.bin %> label \'{host=~"ci-.*"}\' --unset host --json',
  ];
  static override enableJsonFlag = true;
  static override args = { selector: Args.string({ description: 'the series to relabel', required: true }) };
  static override flags = {
    set: Flags.string({ description: 'set label k=v (repeatable)', multiple: true }),
    unset: Flags.string({ description: 'remove label k (repeatable)', multiple: true }),
    ...rangeFlags,
    ...storeFlag,
  };

  async run(): Promise<RelabelReport> {
    const { args, flags } = await this.parse(Label);
    const selector = parseSelector(args.selector);
    const range = parseRange(flags.from, flags.until, Date.now());
    const set = labelPairs(flags.set, '--set');
    const unset = flags.unset ?? [];
    for (const k of unset) if (!LABEL_NAME.test(k)) throw new PyroError(`--unset ${k}: not a label name`, 2);
    if (Object.keys(set).length === 0 && unset.length === 0)
      throw new PyroError('label: nothing to change; give --set k=v or --unset k', 2);
    const r = await withStore(flags.store, (store) => store.relabel(selector, range, set, unset));
    if (!this.jsonEnabled()) {
      if (r.profiles === 0)
        process.stderr.write(`pyro: no stored profile matches ${args.selector}${span(flags)}; see \`pyro series\`\n`);
      else this.log(`relabelled ${r.profiles} profile${r.profiles === 1 ? '' : 's'}`);
    }
    return { profiles: r.profiles, set, unset };
  }
}
