// A flamegraph as text, for CI logs and terminals: the call tree with a bar per
// frame, widest children first, cut to the terminal's width. Colour (the
// palette's, as 24-bit ANSI) only when asked, i.e. on a TTY without NO_COLOR.
import { formatValue } from '../units.js';
import { type FlameLayout, rectName, rectSelf } from './layout.js';
import { type ColorOptions, colorizer } from './palette.js';

export interface TextOptions extends ColorOptions {
  /** Columns to fit (the terminal's width; 100 in logs). */
  columns?: number;
  color?: boolean;
  title?: string;
  /** Frames below this share of the whole (0..1) are left out; the layout's own cut applies first. */
  minShare?: number;
  /** A flame chart's layout: children in time order, self = what the children leave. */
  chart?: boolean;
}

const BAR = 24;

export function renderText(layout: FlameLayout, o: TextOptions): string {
  const columns = Math.max(40, o.columns ?? 100);
  const color = o.color ? colorizer({ ...o, hash: true }) : undefined;
  const vt = layout.profile.valueTypes[layout.valueIndex] ?? { type: 'samples', unit: 'count' };
  const total = layout.total;
  const min = (o.minShare ?? 0) * total;
  // Children per rectangle, widest first.
  const children: number[][] = Array.from({ length: layout.count }, () => []);
  for (let r = 1; r < layout.count; r++) children[layout.parent[r] as number]?.push(r);
  if (!o.chart)
    for (const list of children) list.sort((a, b) => (layout.width[b] as number) - (layout.width[a] as number));
  const selfOf = (r: number) =>
    o.chart
      ? (layout.width[r] as number) - (children[r] ?? []).reduce((a, c) => a + (layout.width[c] as number), 0)
      : rectSelf(layout, r);

  const lines: string[] = [];
  const head = `${o.title ?? 'Flame graph'}: ${vt.type} (${vt.unit}), total ${formatValue(total, vt.unit)}`;
  lines.push(head.slice(0, columns));
  lines.push(`${'total'.padStart(8)} ${'self'.padStart(8)}  ${'share'.padEnd(BAR)}  name`);
  let omitted = 0;
  const walk = (r: number, prefix: string, last: boolean, depth: number) => {
    const value = layout.width[r] as number;
    const share = total > 0 ? value / total : 0;
    const cells = Math.round(share * BAR * 8);
    const bar = (FULL.repeat(Math.floor(cells / 8)) + (PARTS[cells % 8] ?? '')).padEnd(BAR);
    const name = rectName(layout, r);
    const branch = depth === 0 ? '' : `${prefix}${last ? '└─ ' : '├─ '}`;
    const fixed = `${pct(share).padStart(8)} ${pct(total > 0 ? selfOf(r) / total : 0).padStart(8)}  `;
    const room = columns - fixed.length - BAR - 2 - branch.length;
    const shown = room >= 4 && name.length > room ? `${name.slice(0, room - 2)}..` : name;
    const paint = color ? (s: string) => ansi(color(name), s) : (s: string) => s;
    lines.push(`${fixed}${paint(bar)}  ${branch}${shown}`);
    const kids = children[r] ?? [];
    const shownKids = kids.filter((c) => (layout.width[c] as number) >= min);
    omitted += kids.length - shownKids.length;
    const next = depth === 0 ? '' : `${prefix}${last ? '   ' : '│  '}`;
    shownKids.forEach((c, i) => {
      walk(c, next, i === shownKids.length - 1, depth + 1);
    });
  };
  if (total > 0) walk(0, '', true, 0);
  else lines.push('(no samples)');
  const left = omitted + layout.omitted;
  if (left > 0) lines.push(`(${left} narrower frame${left === 1 ? '' : 's'} left out)`);
  return `${lines.join('\n')}\n`;
}

const FULL = '█';
const PARTS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function ansi(rgb: string, s: string): string {
  const m = /rgb\((\d+),(\d+),(\d+)\)/.exec(rgb);
  if (!m) return s;
  return `\u001b[38;2;${m[1]};${m[2]};${m[3]}m${s}\u001b[39m`;
}
