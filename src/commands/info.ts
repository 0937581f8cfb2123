import { Args } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { inputFlags, loadOptions, selectorFlags } from '../cli/flags.js';
import { loadOne } from '../core/input.js';
import { describeProfile, type ProfileInfo } from '../core/report/info.js';

export default class Info extends PyroCommand {
  static override summary = 'Describe profiles: format, value types, totals, samples, stacks, frames, labels.';
  static override description = `Each input is described on its own (not merged). ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> info cpu.pb.gz',
    '<%= config.bin %> info perf.script.txt profile.cpuprofile --json',
    '<%= config.bin %> info \'myapp{version="1.3"}\' --from 2024-05-01 --until 2024-05-02',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {
    inputs: Args.string({ description: 'profile files ("-" for stdin) or series selectors', required: true }),
  };
  static override flags = { ...inputFlags, ...selectorFlags };

  async run(): Promise<ProfileInfo[]> {
    const { argv, flags } = await this.parse(Info);
    const out: ProfileInfo[] = [];
    for (const input of argv as string[]) {
      const profile = await loadOne(input, loadOptions(flags));
      if (!this.jsonEnabled()) this.printWarnings(profile);
      out.push(describeProfile(input, profile));
    }
    if (!this.jsonEnabled()) for (const info of out) this.log(renderInfo(info, this.colors()));
    return out;
  }
}

function renderInfo(i: ProfileInfo, c: ReturnType<Info['colors']>): string {
  const rows: [string, string][] = [
    ['format', i.format],
    ['value types', i.valueTypes.map((v) => `${v.type}/${v.unit}${v.default ? ' (default)' : ''}`).join(', ')],
    ['totals', i.valueTypes.map((v) => `${v.type}=${v.formatted}`).join(', ')],
    ['samples', String(i.samples)],
  ];
  if (i.period) rows.push(['period', `${i.period.value} ${i.period.type}/${i.period.unit}`]);
  if (i.startTime) rows.push(['start', i.startTime]);
  if (i.durationMs !== null) rows.push(['duration', `${(i.durationMs / 1000).toFixed(3)}s`]);
  rows.push(['stacks', `${i.distinctStacks} distinct, max depth ${i.maxDepth}`]);
  rows.push(['frames', `${i.distinctFrames} distinct`]);
  const labels = Object.entries(i.labels);
  if (labels.length > 0) rows.push(['labels', labels.map(([k, v]) => `${k}=${v}`).join(', ')]);
  const sl = Object.entries(i.sampleLabels);
  if (sl.length > 0)
    rows.push(['sample labels', sl.map(([k, v]) => `${k} (${v.length} value${v.length === 1 ? '' : 's'})`).join(', ')]);
  const width = Math.max(...rows.map((r) => r[0].length));
  return [c.bold(i.input), ...rows.map(([k, v]) => `  ${c.dim(k.padEnd(width))}  ${v}`)].join('\n');
}
