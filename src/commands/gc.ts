import { Flags } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { storeFlag } from '../cli/flags.js';
import { PyroError } from '../core/errors.js';
import { withStore } from '../core/query/open.js';
import { iso, parseDuration } from '../core/query/time.js';
import { formatValue } from '../core/units.js';

export interface GcReport {
  olderThan: string;
  keepLevels: boolean;
  profiles: number;
  bytesFreed: number;
}

export default class Gc extends PyroCommand {
  static override summary = 'Drop stored profiles older than a duration and reclaim the space.';
  static override description =
    `With --keep-levels the coarse time levels (pre-merged profiles) of that period stay, so long-range queries still see it at coarse resolution. ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> gc',
    '<%= config.bin %> gc --older-than 7d --keep-levels',
    '<%= config.bin %> gc --older-than 12h --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    'older-than': Flags.string({ description: 'age of the data to drop: 30d, 12h, 2w, ...', default: '30d' }),
    'keep-levels': Flags.boolean({ description: 'keep the coarse time levels of the dropped period' }),
    ...storeFlag,
  };

  async run(): Promise<GcReport> {
    const { flags } = await this.parse(Gc);
    const age = parseDuration(flags['older-than']);
    if (age === undefined)
      throw new PyroError(`--older-than ${flags['older-than']}: expected a duration such as 30d, 12h or 2w`, 2);
    const cutoff = Date.now() - age;
    const keepLevels = flags['keep-levels'];
    const r = await withStore(flags.store, (store) => store.gc({ olderThan: cutoff, keepLevels }));
    if (!this.jsonEnabled())
      this.log(
        `removed ${r.profiles} profile${r.profiles === 1 ? '' : 's'} older than ${iso(cutoff)}, freed ${formatValue(r.bytesFreed, 'bytes')}`,
      );
    return { olderThan: iso(cutoff), keepLevels, ...r };
  }
}
