// The differential flamegraph: the diff's trie drawn by the flamegraph
// renderers, coloured by the change of each frame's share (red: grew, blue:
// shrank, the more saturated the larger the change), with frames that
// vanished drawn too: each frame is as wide as the larger of its two sides,
// the base scaled to the new side's total (to the base's with `negate`).
import type { Profile } from '../model/profile.js';
import { embedProfileAsync } from '../render/embed.js';
import { type FlameLayout, layoutFlame } from '../render/layout.js';
import { escapeXml, renderSvg, renderSvgEmbedding, type SvgOptions } from '../render/svg.js';
import { combineSides, type Diff, type DiffRow, type DiffTable } from './diff.js';

export interface DiffGraphOptions {
  /** Widths by the base side (the new one scaled to it). */
  negate?: boolean;
  /** Raw values instead of shares: no scaling between the sides. */
  absolute?: boolean;
  minShare?: number;
}

/** A profile of three columns: width (the larger side), base and new, the sides scaled to one total. */
export function diffGraphProfile(d: Diff, o: DiffGraphOptions = {}): Profile {
  const [bScale, nScale] = o.absolute
    ? [1, 1]
    : o.negate
      ? [1, d.newTotal > 0 ? d.baseTotal / d.newTotal : 0]
      : [d.baseTotal > 0 ? d.newTotal / d.baseTotal : 0, 1];
  const unit = d.valueType.unit;
  const out = combineSides(
    d,
    [
      { type: 'width', unit },
      { type: 'base', unit },
      { type: 'new', unit },
    ],
    1,
    2,
  );
  const trie = out.trie();
  for (let n = 0; n < trie.size; n++) {
    const b = trie.selfOf(n, 1) * bScale;
    const v = trie.selfOf(n, 2) * nScale;
    trie.self[n * 3 + 1] = b;
    trie.self[n * 3 + 2] = v;
    trie.addSelf(n, 0, Math.max(b, v));
  }
  out.invalidate();
  return out;
}

export async function renderDiffSvg(d: Diff, o: DiffGraphOptions & Omit<SvgOptions, 'palette'>): Promise<string> {
  const p = diffGraphProfile(d, o);
  // Compressed on the thread pool while the graph is laid out and drawn.
  const embedded = o.embed === false ? undefined : embedProfileAsync(p);
  const layout = layoutFlame(p, { valueIndex: 0, minShare: o.minShare });
  const { change, largest } = changes(layout);
  const unitText = o.absolute ? '' : ' (shares)';
  const options: SvgOptions = {
    ...o,
    palette: 'hot',
    title: o.title ?? 'Differential Flame Graph',
    subtitle: [o.subtitle, `red: grew, blue: shrank, width: the larger side${unitText}`].filter(Boolean).join('; '),
    fillOf: (r) => fill((change[r] as number) / (largest || 1)),
    detailOf: (r) => detail(layout, r, o.absolute ?? false),
  };
  return embedded ? renderSvgEmbedding(layout, options, embedded) : renderSvg(layout, options);
}

/** Per rectangle, new total minus base total; and the largest change in size. */
function changes(layout: FlameLayout): { change: Float64Array; largest: number } {
  const t = layout.trie;
  const change = new Float64Array(layout.count);
  let largest = 0;
  for (let r = 0; r < layout.count; r++) {
    const n = layout.node[r] as number;
    const c = t.totalOf(n, 2) - t.totalOf(n, 1);
    change[r] = c;
    if (r > 0 && Math.abs(c) > largest) largest = Math.abs(c);
  }
  return { change, largest };
}

/** White for no change, towards red for growth and blue for shrinkage. */
function fill(ratio: number): string {
  const s = Math.min(1, Math.abs(ratio));
  const c = Math.round(235 * (1 - s));
  if (ratio > 0) return `rgb(255,${c},${c})`;
  if (ratio < 0) return `rgb(${c},${c},255)`;
  return 'rgb(235,235,235)';
}

function detail(layout: FlameLayout, r: number, absolute: boolean): string {
  const t = layout.trie;
  const n = layout.node[r] as number;
  const whole = t.totalOf(0, 2) || 1;
  const base = t.totalOf(n, 1);
  const next = t.totalOf(n, 2);
  if (absolute) return `base ${round(base)}, new ${round(next)}, ${next >= base ? '+' : ''}${round(next - base)}`;
  const pct = (v: number) => (100 * v) / whole;
  const delta = pct(next) - pct(base);
  return `base ${pct(base).toFixed(2)}%, new ${pct(next).toFixed(2)}%, ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} points`;
}

function round(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * The differential page: the differential SVG (its own script: zoom, search)
 * with the table of changes beside it, in one file that pyro reads back (the
 * SVG carries the profile).
 */
export async function renderDiffHtml(
  d: Diff,
  table: DiffTable,
  o: DiffGraphOptions & Omit<SvgOptions, 'palette'>,
): Promise<string> {
  const svg = (await renderDiffSvg(d, o)).replace(/^<\?xml[^>]*>\s*<!DOCTYPE[^>]*>\s*/, '');
  const pct = (v: number) => (table.absolute ? String(Math.round(v * 100) / 100) : `${v.toFixed(2)}%`);
  const signed = (v: number) => `${v > 0 ? '+' : ''}${table.absolute ? Math.round(v * 100) / 100 : v.toFixed(2)}`;
  const row = (r: DiffRow) =>
    `<tr class="${r.selfDelta > 0 ? 'up' : r.selfDelta < 0 ? 'down' : ''}"><td>${pct(r.selfBase)}</td><td>${pct(r.selfNew)}</td><td>${signed(r.selfDelta)}</td>` +
    `<td>${pct(r.totalBase)}</td><td>${pct(r.totalNew)}</td><td>${signed(r.totalDelta)}</td>` +
    `<td class="name">${escapeXml(r.name)}${r.status === 'changed' ? '' : ` <b>${r.status}</b>`}</td></tr>`;
  return [
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Differential flame graph</title>',
    '<style>body{font:13px system-ui,sans-serif;margin:12px;display:flex;gap:16px;align-items:flex-start}',
    'table{border-collapse:collapse}td,th{padding:2px 6px;text-align:right;border-bottom:1px solid #ddd}',
    'td.name{text-align:left;font-family:monospace}tr.up td:nth-child(3){color:#c00}tr.down td:nth-child(3){color:#00c}</style>',
    '</head><body>',
    `<div>${svg}</div>`,
    `<div><p>${escapeXml(`${table.rows.length} of ${table.functions} functions by change (${table.absolute ? 'raw values' : 'shares, deltas in points'})`)}</p>`,
    '<table><thead><tr><th>self base</th><th>self new</th><th>Δ self</th><th>total base</th><th>total new</th><th>Δ total</th><th>function</th></tr></thead><tbody>',
    table.rows.map(row).join('\n'),
    '</tbody></table></div>',
    // Inline, the SVG's onload does not fire: start its script here.
    '<script>init();</script></body></html>\n',
  ].join('');
}
