import { Args, Flags } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { filterFlags, granularityFlag, inputFlags, selectorFlags } from '../cli/flags.js';
import { plainTable } from '../cli/table.js';
import { resolveValue } from '../core/model/filter.js';
import { type StackTable, type TopTable, topStacks, topTable } from '../core/report/top.js';
import { formatValue } from '../core/units.js';

export default class Top extends PyroCommand {
  static override summary = 'The functions that take the most, as `go tool pprof -top` lists them.';
  static override description =
    `Columns: self, self%, sum% (running total of self%), total (the function and its callees), total%. Several inputs are merged. ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> top cpu.pb.gz',
    '<%= config.bin %> top perf.script.txt --limit 50 --sort total',
    '<%= config.bin %> top heap.pb.gz --value alloc_space --focus "json\\."',
    '<%= config.bin %> top cpu.pb.gz --granularity line',
    '<%= config.bin %> top --stacks out.folded --limit 5',
    '<%= config.bin %> top cpu.pb.gz --json | jq ".rows[0]"',
    '<%= config.bin %> top \'myapp.cpu{env="prod"}\' --from now-1h',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {
    inputs: Args.string({ description: 'profile files ("-" for stdin) or series selectors', required: true }),
  };
  static override flags = {
    limit: Flags.integer({ char: 'n', description: 'rows to show (0 = all)', default: 20, min: 0 }),
    sort: Flags.string({ description: 'order by self or total', options: ['self', 'total'], default: 'self' }),
    stacks: Flags.boolean({ description: 'list the heaviest whole stacks (leaf first) instead of functions' }),
    ...inputFlags,
    ...selectorFlags,
    ...filterFlags,
    ...granularityFlag,
  };

  async run(): Promise<TopTable | StackTable> {
    const { argv, flags } = await this.parse(Top);
    const profile = await this.readInputs(argv as string[], flags);
    const options = {
      valueIndex: resolveValue(profile, flags.value),
      sort: flags.sort as 'self' | 'total',
      limit: flags.limit,
    };
    const c = this.colors();
    if (flags.stacks) {
      const table = topStacks(profile, options);
      if (!this.jsonEnabled()) {
        const u = table.valueType.unit;
        this.log(
          c.dim(
            `${table.rows.length} of ${table.stacks} stacks, total ${formatValue(table.total, u)} (${table.valueType.type})`,
          ),
        );
        for (const r of table.rows) {
          this.log(`${c.bold(formatValue(r.value, u))} ${r.percent.toFixed(2)}%`);
          for (const f of r.frames) this.log(`    ${f}`);
        }
      }
      return table;
    }
    const table = topTable(profile, options);
    if (!this.jsonEnabled()) {
      const u = table.valueType.unit;
      const f = (v: number) => formatValue(v, u);
      const p = (v: number) => `${v.toFixed(2)}%`;
      this.log(
        c.dim(
          `Showing ${table.rows.length} of ${table.functions} functions, total ${f(table.total)} (${table.valueType.type})`,
        ),
      );
      this.log(
        plainTable(
          ['self', 'self%', 'sum%', 'total', 'total%', 'name'].map((h) => c.dim(h)),
          table.rows.map((r) => [f(r.self), p(r.selfPercent), p(r.sumPercent), f(r.total), p(r.totalPercent), r.name]),
        ),
      );
    }
    return table;
  }
}
