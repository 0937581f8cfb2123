import { Args } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { filterFlags, granularityFlag, inputFlags, selectorFlags } from '../cli/flags.js';
import { plainTable } from '../cli/table.js';
import { PyroError } from '../core/errors.js';
import { resolveValue } from '../core/model/filter.js';
import { type PeekReport, peek } from '../core/report/peek.js';
import { formatValue } from '../core/units.js';

export default class Peek extends PyroCommand {
  static override summary = 'Callers and callees of the functions matching REGEX, as `go tool pprof -peek` shows them.';
  static override description =
    `For each matching function: its callers above it and its callees below it, with the value along each edge and its share of the function's total. ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> peek "json\\.Unmarshal" cpu.pb.gz',
    '<%= config.bin %> peek "^parse" perf.script.txt --json',
    '<%= config.bin %> peek "^parse" \'myapp{}\' --from 2h',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {
    regex: Args.string({ description: 'regular expression on function names', required: true }),
    inputs: Args.string({ description: 'profile files ("-" for stdin) or series selectors', required: true }),
  };
  static override flags = { ...inputFlags, ...selectorFlags, ...filterFlags, ...granularityFlag };

  async run(): Promise<PeekReport> {
    const { args, argv, flags } = await this.parse(Peek);
    const inputs = (argv as string[]).slice(1);
    const profile = await this.readInputs(inputs, flags);
    const report = peek(profile, args.regex, resolveValue(profile, flags.value));
    if (report.entries.length === 0)
      throw new PyroError(`peek: no function matches ${args.regex}; try \`pyro top\` to see the names`);
    if (!this.jsonEnabled()) {
      const c = this.colors();
      const u = report.valueType.unit;
      const f = (v: number) => formatValue(v, u);
      const p = (v: number) => `${v.toFixed(2)}%`;
      const rows: string[][] = [];
      for (const e of report.entries) {
        if (rows.length > 0) rows.push(['', '', '', '', '']);
        for (const r of e.callers) rows.push(['', '', f(r.value), p(r.percent), `    ${r.name}`]);
        rows.push([f(e.self), p(e.selfPercent), f(e.total), p(e.totalPercent), c.bold(`| ${e.name}`)]);
        for (const r of e.callees) rows.push(['', '', f(r.value), p(r.percent), `    ${r.name}`]);
      }
      this.log(
        plainTable(
          ['self', 'self%', 'total', 'share', 'callers / function / callees'].map((h) => c.dim(h)),
          rows,
        ),
      );
    }
    return report;
  }
}
