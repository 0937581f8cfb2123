import { createInterface } from 'node:readline/promises';
import { Args, Flags } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { rangeFlags, storeFlag } from '../cli/flags.js';
import { PyroError } from '../core/errors.js';
import { withStore } from '../core/query/open.js';
import { parseSelector } from '../core/query/selector.js';
import { parseRange, span } from '../core/query/time.js';

export default class Rm extends PyroCommand {
  static override summary = 'Remove stored profiles of the series a selector matches.';
  static override description =
    `Asks for confirmation on a terminal; elsewhere (scripts, CI) it needs --yes. Use '{}' for every series. ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> rm \'api{version="1.2"}\'',
    "<%= config.bin %> rm 'api{}' --until now-7d --yes",
    '<%= config.bin %> rm \'{env="ci"}\' --from 2024-05-01 --until 2024-05-02 --yes --json',
  ];
  static override enableJsonFlag = true;
  static override args = { selector: Args.string({ description: 'the series to remove from', required: true }) };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation' }),
    ...rangeFlags,
    ...storeFlag,
  };

  async run(): Promise<{ profiles: number }> {
    const { args, flags } = await this.parse(Rm);
    const selector = parseSelector(args.selector);
    const range = parseRange(flags.from, flags.until, Date.now());
    const r = await withStore(flags.store, async (store, dir) => {
      const series = store.series(selector);
      if (series.length === 0) return { profiles: 0 };
      if (!flags.yes) {
        if (!process.stdin.isTTY || !process.stderr.isTTY)
          throw new PyroError(`rm: not removing without confirmation; run it on a terminal or pass --yes`, 2);
        const question = `remove the profiles of ${series.length} series in ${dir}${span(flags)} (${series
          .slice(0, 5)
          .map((s) => s.name)
          .join(', ')}${series.length > 5 ? ', ...' : ''})? [y/N] `;
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(question);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) return undefined;
      }
      return store.remove(selector, range);
    });
    if (!r) {
      process.stderr.write('pyro: nothing removed\n');
      return { profiles: 0 };
    }
    if (!this.jsonEnabled()) {
      if (r.profiles === 0)
        process.stderr.write(`pyro: no stored profile matches ${args.selector}${span(flags)}; see \`pyro series\`\n`);
      else this.log(`removed ${r.profiles} profile${r.profiles === 1 ? '' : 's'}`);
    }
    return r;
  }
}
