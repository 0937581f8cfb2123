import { Args } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { storeFlag } from '../cli/flags.js';
import { plainTable } from '../cli/table.js';
import { withStore } from '../core/query/open.js';
import { parseSelector } from '../core/query/selector.js';
import { iso } from '../core/query/time.js';
import type { SeriesInfo } from '../core/store/types.js';
import { formatValue } from '../core/units.js';

export default class Series extends PyroCommand {
  static override summary = 'List the stored series: labels, profile counts, time span and totals.';
  static override description =
    `A series is an app, a profile type and a set of labels. SELECTOR is Pyroscope's syntax: app.type{name="v", name!="v", name=~"regex", name!~"regex"}; the app and the type may be left out. ${EXIT_CODES_HELP}`;
  static override aliases = ['ls'];
  static override examples = [
    '<%= config.bin %> series',
    '<%= config.bin %> series \'myapp{env="prod"}\'',
    '<%= config.bin %> ls \'{version=~"1\\..*"}\' --json',
  ];
  static override enableJsonFlag = true;
  static override args = { selector: Args.string({ description: 'series selector (default: every series)' }) };
  static override flags = { ...storeFlag };

  async run(): Promise<SeriesInfo[]> {
    const { args, flags } = await this.parse(Series);
    const selector = args.selector === undefined ? undefined : parseSelector(args.selector);
    const [list, dir] = await withStore(flags.store, (store, d) => [store.series(selector), d] as const);
    if (this.jsonEnabled()) return list;
    if (list.length === 0) {
      const what =
        args.selector === undefined ? `the store ${dir} is empty` : `no series in ${dir} match ${args.selector}`;
      process.stderr.write(`pyro: ${what}; ingest profiles with \`pyro ingest FILE --app NAME\`\n`);
      return list;
    }
    const c = this.colors();
    this.log(
      plainTable(
        ['series', 'profiles', 'from', 'until', 'total'].map((h) => c.dim(h)),
        list.map((s) => [
          s.aggregation === 'average' ? `${s.name} (average)` : s.name,
          String(s.profiles),
          iso(s.from),
          iso(s.until),
          formatValue(s.total, s.type.unit),
        ]),
        ['left', 'right', 'left', 'left', 'right'],
      ),
    );
    return list;
  }
}
