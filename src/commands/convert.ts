import { Args } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { filterFlags, granularityFlag, inputFlags, outputFlags, selectorFlags } from '../cli/flags.js';

export default class Convert extends PyroCommand {
  static override summary = 'Convert profiles between formats (several inputs are merged).';
  static override description =
    `Reads any format pyro detects and writes folded stacks, pprof, speedscope JSON, a V8 .cpuprofile (for Chrome DevTools) or Pyroscope's flamebearer JSON. ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> convert perf.script.txt --to folded > out.folded',
    '<%= config.bin %> convert cpu.pb.gz -o cpu.folded',
    '<%= config.bin %> convert a.folded b.folded -o merged.pb.gz',
    'perf script | <%= config.bin %> convert - --all -o perf.folded',
    '<%= config.bin %> convert profile.cpuprofile -o profile.speedscope.json',
  ];
  static override args = {
    inputs: Args.string({ description: 'profile files ("-" for stdin) or series selectors', required: true }),
  };
  static override strict = false;
  static override flags = {
    ...outputFlags,
    ...inputFlags,
    ...selectorFlags,
    ...filterFlags,
    ...granularityFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Convert);
    const writer = this.outputWriter(flags);
    const profile = await this.readInputs(argv as string[], flags);
    await this.writeProfile(profile, writer, flags);
  }
}
