import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { EXIT_CODES_HELP, PyroCommand } from '../cli/base.js';
import { filterFlags, inputFlags, selectorFlags } from '../cli/flags.js';
import { loadTui } from '../cli/load-tui.js';
import { PyroError } from '../core/errors.js';
import { resolveValue } from '../core/model/filter.js';
import { reverseStacks } from '../core/model/reverse.js';
import { embedProfileAsync } from '../core/render/embed.js';
import { renderHtml } from '../core/render/html.js';
import { layoutFlame, layoutFlameChart } from '../core/render/layout.js';
import { PALETTES, type PaletteName } from '../core/render/palette.js';
import { renderSvg, renderSvgEmbedding, SVG_DEFAULTS, type SvgOptions, svgGraphWidth } from '../core/render/svg.js';
import { renderText } from '../core/render/text.js';

const FORMATS = ['svg', 'html', 'text', 'tui'] as const;
type GraphFormat = (typeof FORMATS)[number];
const BY_EXTENSION: Record<string, GraphFormat> = { '.svg': 'svg', '.html': 'html', '.htm': 'html', '.txt': 'text' };

export default class Flamegraph extends PyroCommand {
  static override summary = 'Draw a flamegraph: an interactive SVG, a one-file HTML viewer, text, or in the terminal.';
  static override description =
    `Any input pyro reads (several are merged), or a store selector with --from/--until. The format comes from --format, else from the extension of -o (.svg, .html, .txt), else the interactive terminal view when stdout is a terminal and SVG when it is not. The SVG and HTML files carry the profile inside: every pyro command reads them back (pyro top old.svg). ${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> flamegraph perf.script.txt -o cpu.svg',
    '<%= config.bin %> flamegraph cpu.pb.gz -o cpu.html',
    '<%= config.bin %> flamegraph stacks.folded --format text --min-width 1%',
    '<%= config.bin %> flamegraph \'api{env="prod"}\' --from now-1h -o api.svg --palette js --hash',
    '<%= config.bin %> flamegraph app.cpuprofile --reverse --inverted -o callers.svg',
    '<%= config.bin %> flamegraph app.cpuprofile --flame-chart -o timeline.svg',
    '<%= config.bin %> flamegraph app.cpuprofile',
  ];
  static override strict = false;
  static override args = {
    inputs: Args.string({ description: 'profile files ("-" for stdin) or series selectors', required: true }),
  };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'write to this file (format from its extension)' }),
    format: Flags.string({ description: 'svg, html, text or tui', options: [...FORMATS] }),
    reverse: Flags.boolean({
      description: 'reverse the stacks: the functions with self time at the root, callers above',
    }),
    inverted: Flags.boolean({ description: 'icicle graph: the root at the top' }),
    'min-width': Flags.string({
      description: `leave out frames narrower than this: pixels (default ${SVG_DEFAULTS.minWidthPx}) or a percentage ("0.5%")`,
    }),
    title: Flags.string({ description: 'the title (default "Flame Graph", "Icicle Graph" with --inverted)' }),
    subtitle: Flags.string({ description: 'a second line under the title' }),
    'count-name': Flags.string({ description: 'what the values count, in tooltips (default: from the unit)' }),
    'name-type': Flags.string({ description: 'the word before a name in the details line', default: 'Function:' }),
    palette: Flags.string({
      description: 'colours (default: mem for values in bytes, else hot)',
      options: [...PALETTES],
      helpGroup: 'SVG',
    }),
    hash: Flags.boolean({
      description: 'colour by a hash of the name: the same name, the same colour',
      helpGroup: 'SVG',
    }),
    deterministic: Flags.boolean({ description: 'the same input gives the same bytes', helpGroup: 'SVG' }),
    embed: Flags.boolean({
      description: 'carry the profile inside, so that pyro reads the file back (--no-embed: a smaller file)',
      default: true,
      allowNo: true,
      helpGroup: 'SVG',
    }),
    'flame-chart': Flags.boolean({
      description:
        'time order instead of merged and sorted (inputs that keep it: .cpuprofile, perf script, speedscope)',
      exclusive: ['reverse'],
    }),
    width: Flags.integer({
      description: 'image width in pixels',
      default: SVG_DEFAULTS.width,
      min: 100,
      helpGroup: 'SVG',
    }),
    'frame-height': Flags.integer({
      description: 'frame height in pixels',
      default: SVG_DEFAULTS.frameHeight,
      min: 4,
      helpGroup: 'SVG',
    }),
    'font-size': Flags.integer({ description: 'font size', default: SVG_DEFAULTS.fontSize, min: 4, helpGroup: 'SVG' }),
    'font-type': Flags.string({ description: 'font family', default: SVG_DEFAULTS.fontType, helpGroup: 'SVG' }),
    'bg-colors': Flags.string({
      description: 'background: yellow, blue, green, grey, or "#rrggbb[,#rrggbb]" (top to bottom)',
      helpGroup: 'SVG',
    }),
    ...inputFlags,
    ...selectorFlags,
    ...filterFlags,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Flamegraph);
    const format = this.formatOf(flags.format, flags.output);
    const chart = flags['flame-chart'];
    let profile = await this.readInputs(argv as string[], flags, { keepTimes: chart || format === 'html' });
    if (chart && !profile.times) {
      throw new PyroError(
        `--flame-chart needs the samples in time order: ${argv.length > 1 ? 'one input' : 'an input'} that keeps them (.cpuprofile, perf script, perf.data, speedscope, trace events, JFR), without filters`,
      );
    }
    if (chart && profile.times) {
      const sets = new Set(profile.times.labelSet.subarray(0, profile.times.count));
      if (sets.size > 1) {
        const names = [...sets]
          .slice(0, 4)
          .map((l) => (profile.labelSets[l] ?? []).map(([k, v]) => `${k}=${v}`).join(','));
        throw new PyroError(
          `--flame-chart draws one timeline, and this input has ${sets.size} (${names.join('; ')}${sets.size > 4 ? '; ...' : ''}): draw it without --flame-chart, or give one thread's profile`,
        );
      }
    }
    if (flags.reverse) profile = reverseStacks(profile);
    const valueIndex = resolveValue(profile, flags.value);
    const minWidth = parseMinWidth(flags['min-width']);
    const graphWidth = svgGraphWidth(flags.width);
    const minShare = minWidth.percent !== undefined ? minWidth.percent / 100 : minWidth.px / graphWidth;
    const palette = (flags.palette ??
      (profile.valueTypes[valueIndex]?.unit === 'bytes' ? 'mem' : 'hot')) as PaletteName;
    const colors = { palette, hash: flags.hash, deterministic: flags.deterministic };
    const layoutFor = (share: number) =>
      chart
        ? layoutFlameChart(profile, { valueIndex, minShare: share })
        : layoutFlame(profile, { valueIndex, minShare: share });
    let out: string;
    switch (format) {
      case 'svg': {
        // The profile inside is compressed on the thread pool while the graph is laid out and drawn.
        const embedded = flags.embed === false ? undefined : embedProfileAsync(profile);
        const options: SvgOptions = {
          ...colors,
          title: flags.title ?? (chart ? 'Flame Chart' : undefined),
          subtitle: flags.subtitle,
          inverted: flags.inverted,
          width: flags.width,
          frameHeight: flags['frame-height'],
          fontSize: flags['font-size'],
          fontType: flags['font-type'],
          countName: flags['count-name'],
          nameType: flags['name-type'],
          bgColors: flags['bg-colors'],
          minWidthText: minWidth.text,
          embed: flags.embed,
        };
        const layout = layoutFor(minShare);
        out = embedded ? await renderSvgEmbedding(layout, options, embedded) : renderSvg(layout, options);
        break;
      }
      case 'text': {
        const tty = !flags.output && process.stdout.isTTY;
        out = renderText(layoutFor(flags['min-width'] === undefined ? 0.005 : minShare), {
          ...colors,
          columns: tty ? process.stdout.columns : 100,
          color: tty && this.colors().level > 0,
          title: flags.title ?? (chart ? 'Flame chart' : undefined),
          chart,
        });
        break;
      }
      case 'html':
        out = renderHtml(profile, {
          valueIndex,
          title: flags.title,
          subtitle: flags.subtitle,
          inverted: flags.inverted,
          countName: flags['count-name'],
          nameType: flags['name-type'],
          palette,
        });
        break;
      case 'tui': {
        const { runTui } = await loadTui();
        await runTui(profile, { valueIndex, inverted: flags.inverted, title: flags.title });
        return;
      }
    }
    if (flags.output) {
      writeFileSync(flags.output, out);
      process.stderr.write(`pyro: wrote ${flags.output}\n`);
    } else await this.writeOut(out);
  }

  private formatOf(flag: string | undefined, output: string | undefined): GraphFormat {
    if (flag) return flag as GraphFormat;
    if (output) {
      const byExt = BY_EXTENSION[extname(output).toLowerCase()];
      if (!byExt) {
        throw new PyroError(
          `-o ${output}: cannot tell the format from the extension; name it .svg, .html or .txt, or pass --format`,
          2,
        );
      }
      return byExt;
    }
    return process.stdout.isTTY ? 'tui' : 'svg';
  }
}

/** "--min-width": pixels ("0.1", "2px") or a percentage ("0.5%"). */
function parseMinWidth(spec: string | undefined): { px: number; percent?: number; text: string } {
  if (spec === undefined) return { px: SVG_DEFAULTS.minWidthPx, text: `${SVG_DEFAULTS.minWidthPx} px` };
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%|px)?\s*$/.exec(spec);
  if (!m) throw new PyroError(`--min-width ${spec}: expected pixels (0.1, 2px) or a percentage (0.5%)`, 2);
  const n = Number(m[1]);
  if (m[2] === '%') return { px: 0, percent: n, text: `${n}%` };
  return { px: n, text: `${n} px` };
}
