import { Args } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { filterFlags, granularityFlag, outputFlags, rangeFlags, storeFlag } from '../cli/flags.js';

export default class Export extends PyroCommand {
  static override summary = 'Write the merge of the stored profiles a selector matches as pprof, folded or speedscope.';
  static override description =
    `The profiles of every matching series in [--from, --until) are merged (as \`pyro top\` reads them) and written in one format. ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> export \'api.cpu{env="prod"}\' --from now-1h -o api.pb.gz',
    "<%= config.bin %> export 'api{}' --to folded > api.folded",
    '<%= config.bin %> export \'{version="1.3"}\' --from 2024-05-01 --to speedscope -o v1.3.speedscope.json',
  ];
  static override args = { selector: Args.string({ description: 'the series to export', required: true }) };
  static override flags = {
    ...outputFlags,
    ...rangeFlags,
    ...storeFlag,
    ...filterFlags,
    ...granularityFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Export);
    const writer = this.outputWriter(flags);
    const profile = await this.readInputs([args.selector], flags, { selectorsOnly: true });
    await this.writeProfile(profile, writer, flags);
  }
}
