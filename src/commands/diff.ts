import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { PyroCommand } from '../cli/base.js';
import { filterFlags, filterOptions, inputFlags, loadOptions, selectorFlags } from '../cli/flags.js';
import { plainTable } from '../cli/table.js';
import {
  addIntervals,
  type DiffRow,
  type DiffTable,
  diffOfColumns,
  diffProfiles,
  diffTable,
  diffTableOfSums,
  functionShares,
  type GateOffence,
  gateOffences,
  type Diff as ProfileDiff,
  parseGateRule,
} from '../core/diff/diff.js';
import { foldedDiffChunks, foldedDiffOfSortedFiles } from '../core/diff/folded-diff.js';
import type { FunctionSums } from '../core/diff/folded-sums.js';
import { renderDiffHtml, renderDiffSvg, startDiffGraph } from '../core/diff/graph.js';
import { EXIT, PyroError } from '../core/errors.js';
import { parseFoldedColumns } from '../core/formats/folded.js';
import { plainFileFormat } from '../core/formats/index.js';
import { loadStoredRuns } from '../core/input.js';
import { openSource } from '../core/io/source.js';
import { hasFilters } from '../core/model/filter.js';
import { mergeProfiles } from '../core/model/merge.js';
import { type Profile, SAMPLES } from '../core/model/profile.js';
import { svgGraphWidth } from '../core/render/svg.js';
import { formatValue } from '../core/units.js';

export default class Diff extends PyroCommand {
  static override summary =
    'What changed between two profiles (or sets of them): a table, difffolded output, a CI gate.';
  static override description =
    'BASE and NEW are files in any format pyro reads or store selectors (with --from/--until); --base and --new, repeated, give several inputs a side (merged; each a run of the statistical test of --fail-on), as does one store selector a side (its stored profiles are the runs). By default each side is compared as shares of its own total, so a longer run is not a regression; --absolute compares raw values. Exit codes: 0 success (and no --fail-on rule crossed), 1 error, 2 usage error, 3 a --fail-on rule crossed.';
  static override examples = [
    '<%= config.bin %> diff before.pb.gz after.pb.gz',
    '<%= config.bin %> diff --base run1.cpuprofile --base run2.cpuprofile --new pr.cpuprofile --format markdown',
    '<%= config.bin %> diff --base \'api{version="1.2"}\' --new \'api{version="1.3"}\' --from now-7d',
    "<%= config.bin %> diff before.folded after.folded --fail-on 'self>2%' --fail-on 'fn:parseJSON self>0.5%'",
    '<%= config.bin %> diff before.folded after.folded --to folded-diff --normalize',
    '<%= config.bin %> diff old.svg new.svg --ignore-lines --json',
    '<%= config.bin %> diff before.pb.gz after.pb.gz -o diff.svg',
  ];
  static override enableJsonFlag = true;
  static override strict = false;
  static override args = {
    inputs: Args.string({ description: 'BASE NEW (or use --base and --new)' }),
  };
  static override flags = {
    base: Flags.string({ description: 'a base input (repeat for several)', multiple: true }),
    new: Flags.string({ description: 'a new input (repeat for several)', multiple: true }),
    absolute: Flags.boolean({ description: 'compare raw values, not shares of each side' }),
    'strip-hex': Flags.boolean({ description: 'match frames without their addresses and hex numbers (0x... )' }),
    'ignore-lines': Flags.boolean({ description: 'match frames without line and column numbers (fn (file.js:12:7))' }),
    limit: Flags.integer({ char: 'n', description: 'rows to show (0 = all)', default: 20, min: 0 }),
    sort: Flags.string({
      description: 'order by the change of self or of total',
      options: ['self', 'total'],
      default: 'self',
    }),
    format: Flags.string({ description: 'table or markdown', options: ['table', 'markdown'], default: 'table' }),
    to: Flags.string({ description: "folded-diff: difffolded.pl's two-column output", options: ['folded-diff'] }),
    normalize: Flags.boolean({ description: 'folded-diff: scale the base counts to the new total (difffolded.pl -n)' }),
    output: Flags.string({
      char: 'o',
      description:
        'write to this file instead of stdout; a .svg gets the differential flamegraph, a .html it and the table',
    }),
    negate: Flags.boolean({ description: 'differential flamegraph: widths by the base side' }),
    confidence: Flags.string({
      description: 'with several profiles a side: the confidence of the test that tells a change from noise',
      default: '0.99',
    }),
    'min-samples': Flags.integer({
      description: 'a function counts for --fail-on only with at least this value on a side (in the value unit)',
      default: 0,
      min: 0,
    }),
    'fail-on': Flags.string({
      description: 'exit 3 when a function grows past this: [fn:NAME ]self>N% or total>N% (percentage points)',
      multiple: true,
    }),
    ...inputFlags,
    ...selectorFlags,
    ...filterFlags,
  };

  async run(): Promise<(DiffTable & { failed: GateOffence[] }) | undefined> {
    const { argv, flags } = await this.parse(Diff);
    const positional = argv as string[];
    const baseInputs = [...(flags.base ?? [])];
    const newInputs = [...(flags.new ?? [])];
    if (positional.length > 0) {
      if (baseInputs.length > 0 || newInputs.length > 0 || positional.length !== 2) {
        throw new PyroError('give BASE NEW, or --base and --new (repeated), not both', 2);
      }
      baseInputs.push(positional[0] as string);
      newInputs.push(positional[1] as string);
    }
    if (baseInputs.length === 0 || newInputs.length === 0) {
      throw new PyroError('pyro diff needs a base and a new side: pyro diff BASE NEW', 2);
    }
    const rules = (flags['fail-on'] ?? []).map(parseGateRule);
    const confidence = Number(flags.confidence);
    if (!(confidence > 0 && confidence < 1))
      throw new PyroError(`--confidence ${flags.confidence}: expected a number between 0 and 1`, 2);
    if (flags.to === 'folded-diff' && (await this.sortedFoldedDiff(baseInputs, newInputs, flags))) return undefined;
    const sort = flags.sort as 'self' | 'total';
    // --to's output goes to -o whatever its name.
    const graph = !flags.to && flags.output && /\.(svg|html?)$/i.test(flags.output) ? flags.output : undefined;
    let all = graph || flags.to ? undefined : await this.foldedTable(baseInputs, newInputs, flags);
    let d = graph ? await this.foldedSides(baseInputs, newInputs, flags) : undefined;
    let repeated = false;
    const graphOptions = { negate: flags.negate, absolute: flags.absolute, minShare: 0.1 / svgGraphWidth() };
    // Started before the table: the graph's embedded profile is compressed on other threads meanwhile.
    let drawing = d && startDiffGraph(d, graphOptions);
    if (d) all = diffTable(d, { absolute: flags.absolute, sort, limit: 0 });
    else if (!all) {
      // Several inputs a side, or a store selector a side with several stored profiles: each run read
      // alone too, for the test of each change over the runs.
      const stored = flags.absolute ? undefined : await this.storedRuns(baseInputs, newInputs, flags);
      repeated = stored !== undefined || (baseInputs.length >= 2 && newInputs.length >= 2 && !flags.absolute);
      let baseRuns: Profile[];
      let newRuns: Profile[];
      if (stored) [baseRuns, newRuns] = stored;
      else {
        // Each run alone when there are several a side (for the test), one after another; else each side at once.
        const groups = repeated ? [...baseInputs, ...newInputs].map((i) => [i]) : [baseInputs, newInputs];
        const read = await this.readGroups(groups, flags, !repeated);
        baseRuns = repeated ? read.slice(0, baseInputs.length) : [read[0] as Profile];
        newRuns = repeated ? read.slice(baseInputs.length) : [read[1] as Profile];
      }
      d = diffProfiles(mergeProfiles(baseRuns), mergeProfiles(newRuns), {
        value: flags.value,
        stripHex: flags['strip-hex'],
        ignoreLines: flags['ignore-lines'],
      });
      if (flags.to === 'folded-diff') {
        await this.writeChunks(foldedDiffChunks(d, { normalize: flags.normalize }), flags.output);
        // The table only for --json: it reads both sides once more.
        return this.jsonEnabled() ? { ...diffTable(d, { limit: 0 }), failed: [] } : undefined;
      }
      if (graph) drawing = startDiffGraph(d, graphOptions);
      all = diffTable(d, { absolute: flags.absolute, sort, limit: 0 });
      const names = { stripHex: flags['strip-hex'], ignoreLines: flags['ignore-lines'] };
      if (repeated) {
        const valueType = d.valueType;
        const shares = (runs: Profile[]) => runs.map((p) => functionShares(p, valueType, names));
        addIntervals(all.rows, shares(baseRuns), shares(newRuns), confidence);
      }
    }
    if (!repeated && rules.length > 0 && !this.jsonEnabled()) {
      process.stderr.write(
        'pyro: one profile a side: noise cannot be told from change, so --fail-on uses its thresholds alone (give two runs or more a side with --base and --new for a test)\n',
      );
    }
    const failed = gateOffences(all.rows, rules, flags['min-samples']);
    const table = { ...all, rows: flags.limit > 0 ? all.rows.slice(0, flags.limit) : all.rows };
    if (graph && drawing) {
      writeFileSync(
        graph,
        graph.endsWith('.svg') ? await renderDiffSvg(drawing) : await renderDiffHtml(drawing, table),
      );
      process.stderr.write(`pyro: wrote ${graph}\n`);
    }
    if (!this.jsonEnabled()) {
      const text = flags.format === 'markdown' ? markdown(table, failed) : this.text(table, failed);
      if (flags.output && !graph) writeFileSync(flags.output, text);
      else this.log(text.trimEnd());
    }
    if (failed.length > 0) process.exitCode = EXIT.gate;
    return { ...table, failed };
  }

  /**
   * The table of one plain folded file a side, from sums per function made
   * without their tries (on two threads for large files); undefined when that
   * does not apply: other inputs, filters, --value or name options.
   */
  private async foldedTable(
    baseInputs: string[],
    newInputs: string[],
    flags: Record<string, unknown>,
  ): Promise<DiffTable | undefined> {
    const paths = await this.plainFoldedPair(baseInputs, newInputs, flags);
    if (!paths) return undefined;
    const [base, next] = (await this.sumFolded(paths)) as [FunctionSums, FunctionSums];
    return diffTableOfSums(base, next, SAMPLES, {
      absolute: flags.absolute as boolean,
      sort: flags.sort as 'self' | 'total',
      limit: 0,
    });
  }

  /**
   * One plain folded file a side read into one profile of three columns (for
   * the differential graph: no merge of two tries); undefined when that does
   * not apply (as foldedTable).
   */
  private async foldedSides(
    baseInputs: string[],
    newInputs: string[],
    flags: Record<string, unknown>,
  ): Promise<ProfileDiff | undefined> {
    const paths = await this.plainFoldedPair(baseInputs, newInputs, flags);
    if (!paths) return undefined;
    const sources = await Promise.all(paths.map((p) => openSource(p)));
    const { profile, warnings } = await parseFoldedColumns(
      sources,
      ['width', 'base', 'new'].map((type) => ({ type, unit: SAMPLES.unit })),
      [1, 2],
    );
    if (!this.jsonEnabled()) for (const w of warnings) process.stderr.write(`pyro: warning: ${w}\n`);
    return diffOfColumns(profile, SAMPLES);
  }

  /** The two paths when each side is one plain folded file and nothing asks for a profile's other paths. */
  private async plainFoldedPair(
    baseInputs: string[],
    newInputs: string[],
    flags: Record<string, unknown>,
  ): Promise<[string, string] | undefined> {
    if (baseInputs.length !== 1 || newInputs.length !== 1) return undefined;
    if (hasFilters(filterOptions(flags)) || flags.value || flags['strip-hex'] || flags['ignore-lines'] || flags.url)
      return undefined;
    const paths: [string, string] = [baseInputs[0] as string, newInputs[0] as string];
    const inputFormat = flags['input-format'] as string | undefined;
    for (const p of paths) if (plainFileFormat(p, inputFormat) !== 'folded') return undefined;
    return paths;
  }

  /** When each side is one store selector with two stored profiles or more: the runs of each (filtered). */
  private async storedRuns(
    baseInputs: string[],
    newInputs: string[],
    flags: Record<string, unknown>,
  ): Promise<[Profile[], Profile[]] | undefined> {
    if (baseInputs.length !== 1 || newInputs.length !== 1) return undefined;
    const options = loadOptions(flags);
    const base = await loadStoredRuns(baseInputs[0] as string, options);
    if (!base || base.length < 2) return undefined;
    const next = await loadStoredRuns(newInputs[0] as string, options);
    if (!next || next.length < 2) return undefined;
    return [base.map((p) => this.filtered(p, flags)), next.map((p) => this.filtered(p, flags))];
  }

  /**
   * --to folded-diff of two folded files with sorted stacks, merged line by line
   * without reading them into profiles; false (nothing written) when that does
   * not apply: other inputs, filters, name options, --json.
   */
  private async sortedFoldedDiff(
    baseInputs: string[],
    newInputs: string[],
    flags: Record<string, unknown>,
  ): Promise<boolean> {
    const file = (f: string | undefined) =>
      f !== undefined && f !== '-' && statSync(f, { throwIfNoEntry: false })?.isFile();
    if (baseInputs.length !== 1 || newInputs.length !== 1 || !file(baseInputs[0]) || !file(newInputs[0])) return false;
    // The inputs are read while the output is written: an output that is an input goes the other way.
    const out = flags.output ? statSync(flags.output as string, { throwIfNoEntry: false }) : undefined;
    const same = (f: string) => {
      const st = statSync(f);
      return out !== undefined && st.dev === out.dev && st.ino === out.ino;
    };
    if (same(baseInputs[0] as string) || same(newInputs[0] as string)) return false;
    if (
      this.jsonEnabled() ||
      hasFilters(filterOptions(flags)) ||
      flags.value ||
      flags['strip-hex'] ||
      flags['ignore-lines']
    )
      return false;
    const output = flags.output as string | undefined;
    let fd: number | undefined;
    const warnings = await foldedDiffOfSortedFiles(
      baseInputs[0] as string,
      newInputs[0] as string,
      { normalize: Boolean(flags.normalize), inputFormat: flags['input-format'] as string | undefined },
      (chunk) => {
        if (!output) return this.writeOut(chunk);
        fd ??= openSync(output, 'w');
        writeSync(fd, chunk);
      },
    ).finally(() => fd !== undefined && closeSync(fd));
    if (!warnings) return false;
    // Nothing to write still makes the file.
    if (output && fd === undefined) writeFileSync(output, '');
    for (const w of warnings) process.stderr.write(`pyro: warning: ${w}\n`);
    return true;
  }

  /** Bytes to a file, or to stdout. */
  private async writeChunks(chunks: Buffer[], output: string | undefined): Promise<void> {
    if (!output) {
      for (const chunk of chunks) await this.writeOut(chunk);
      return;
    }
    const fd = openSync(output, 'w');
    try {
      for (const chunk of chunks) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
  }

  private text(t: DiffTable, failed: GateOffence[]): string {
    const c = this.colors();
    const intervals = t.rows.some((r) => r.selfChange);
    const lines: string[] = [];
    if (failed.length > 0) {
      lines.push(c.red(`${failed.length} function${failed.length === 1 ? '' : 's'} crossed --fail-on:`));
      for (const f of failed) lines.push(`  ${f.row.name}: ${f.rule} (${describe(t, f.row)})`);
      lines.push('');
    }
    lines.push(c.dim(header(t)));
    lines.push(
      plainTable(
        ['self base', 'self new', 'delta', 'total base', 'total new', 'delta', 'rel']
          .concat(intervals ? ['interval'] : [], ['name'])
          .map((h) => c.dim(h)),
        t.rows.map((r) => {
          const delta = (v: number) =>
            v > 0 ? c.red(num(t, v, true)) : v < 0 ? c.blue(num(t, v, true)) : num(t, v, true);
          return [
            num(t, r.selfBase),
            num(t, r.selfNew),
            delta(r.selfDelta),
            num(t, r.totalBase),
            num(t, r.totalNew),
            delta(r.totalDelta),
            relative(r),
            ...(intervals ? [interval(t, r)] : []),
            `${r.name}${r.status === 'changed' ? '' : ` (${r.status})`}`,
          ];
        }),
      ),
    );
    return `${lines.join('\n')}\n`;
  }
}

function header(t: DiffTable): string {
  const u = t.valueType.unit;
  return `${t.rows.length} of ${t.functions} functions by change; base total ${formatValue(t.baseTotal, u)}, new total ${formatValue(t.newTotal, u)} (${t.valueType.type}; ${t.absolute ? 'raw values' : 'shares of each side, deltas in percentage points'})`;
}

function num(t: DiffTable, v: number, signed = false): string {
  const s = t.absolute ? formatValue(Math.abs(v), t.valueType.unit) : `${Math.abs(v).toFixed(2)}%`;
  return signed ? `${v > 0 ? '+' : v < 0 ? '-' : ''}${s.replace(/%$/, t.absolute ? '' : 'pp')}` : s;
}

/** The interval of the sort key's change, "[low, high]" in points, and * when it excludes 0. */
function interval(t: DiffTable, r: DiffRow): string {
  const ch = t.sortKey === 'total' ? r.totalChange : r.selfChange;
  if (!ch) return '';
  const f = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(2)}`;
  return `[${f(ch.low)}, ${f(ch.high)}]${ch.significant ? '*' : ''}`;
}

function relative(r: DiffRow): string {
  if (r.status === 'new') return 'new';
  if (r.status === 'vanished') return 'gone';
  return `${r.relative > 0 ? '+' : ''}${(r.relative * 100).toFixed(1)}%`;
}

function describe(t: DiffTable, r: DiffRow): string {
  return `self ${num(t, r.selfBase)} -> ${num(t, r.selfNew)}, total ${num(t, r.totalBase)} -> ${num(t, r.totalNew)}`;
}

/** A table for a pull request comment or a CI job summary. */
function markdown(t: DiffTable, failed: GateOffence[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/`/g, "'");
  const lines: string[] = [];
  if (failed.length > 0) {
    lines.push(`**${failed.length} function${failed.length === 1 ? '' : 's'} crossed --fail-on**`, '');
    for (const f of failed) lines.push(`- \`${esc(f.row.name)}\`: ${esc(f.rule)} (${describe(t, f.row)})`);
    lines.push('');
  }
  lines.push(header(t), '');
  lines.push('| self base | self new | Δ self | total base | total new | Δ total | relative | function |');
  lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of t.rows) {
    lines.push(
      `| ${num(t, r.selfBase)} | ${num(t, r.selfNew)} | ${num(t, r.selfDelta, true)} | ${num(t, r.totalBase)} | ${num(t, r.totalNew)} | ${num(t, r.totalDelta, true)} | ${relative(r)} | \`${esc(r.name)}\`${r.status === 'changed' ? '' : ` **${r.status}**`} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
