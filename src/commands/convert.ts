import { writeFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { filterFlags, granularityFlag, inputFlags } from '../cli/flags.js';
import { PyroError } from '../core/errors.js';
import { resolveValue } from '../core/model/filter.js';
import { writerFor } from '../core/output.js';

export default class Convert extends PyroCommand {
  static override summary = 'Convert profiles between formats (several inputs are merged).';
  static override description =
    `Reads any format pyro detects and writes folded stacks, pprof or speedscope JSON. ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> convert perf.script.txt --to folded > out.folded',
    '<%= config.bin %> convert cpu.pb.gz -o cpu.folded',
    '<%= config.bin %> convert a.folded b.folded -o merged.pb.gz',
    'perf script | <%= config.bin %> convert - --all -o perf.folded',
    '<%= config.bin %> convert profile.cpuprofile -o profile.speedscope.json',
  ];
  static override args = {
    inputs: Args.string({ description: 'profile files ("-" for stdin)', required: true }),
  };
  static override strict = false;
  static override flags = {
    to: Flags.string({
      description: 'output format (default: from the extension of -o, else folded)',
      options: ['folded', 'pprof', 'speedscope'],
    }),
    output: Flags.string({ char: 'o', description: 'write to this file instead of stdout' }),
    ...inputFlags,
    ...filterFlags,
    ...granularityFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Convert);
    const writer = writerFor(flags.to, flags.output);
    if (writer.id === 'pprof' && !flags.output && process.stdout.isTTY) {
      throw new PyroError('pprof is binary: write it to a file with -o FILE.pb.gz, or pipe stdout');
    }
    const profile = await this.readInputs(argv as string[], flags);
    const data = (writer.write as NonNullable<typeof writer.write>)(profile, {
      valueIndex: resolveValue(profile, flags.value),
    });
    if (flags.output) writeFileSync(flags.output, data);
    else await this.writeOut(data);
  }
}
