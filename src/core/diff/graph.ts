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

/** How each side is scaled for widths and colours: the base to the new side's total (the new side to the base's with `negate`). */
function sideScales(d: Diff, o: DiffGraphOptions): [number, number] {
  if (o.absolute) return [1, 1];
  if (o.negate) return [1, d.newTotal > 0 ? d.baseTotal / d.newTotal : 0];
  return [d.baseTotal > 0 ? d.newTotal / d.baseTotal : 0, 1];
}

/**
 * A profile of three columns: width (the larger side, the sides scaled to one
 * total), and the raw base and new values.
 */
export function diffGraphProfile(d: Diff, o: DiffGraphOptions = {}): Profile {
  const [bScale, nScale] = sideScales(d, o);
  const unit = d.valueType.unit;
  const out =
    d.sides ??
    combineSides(
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
  const self = trie.self;
  for (let n = 0; n < trie.size; n++) {
    self[n * 3] = Math.max((self[n * 3 + 1] as number) * bScale, (self[n * 3 + 2] as number) * nScale);
  }
  trie.columnChanged(0);
  out.invalidate();
  return out;
}

/** A differential graph on its way: its profile, and the profile's embedding being compressed. */
export interface DiffGraph {
  d: Diff;
  profile: Profile;
  options: DiffGraphOptions & Omit<SvgOptions, 'palette'>;
  embedded: Promise<string> | undefined;
}

/**
 * Starts the differential graph: its profile, whose embedding is compressed on
 * the thread pool while the caller goes on (the table, the layout, drawing).
 */
export function startDiffGraph(d: Diff, o: DiffGraphOptions & Omit<SvgOptions, 'palette'>): DiffGraph {
  const profile = diffGraphProfile(d, o);
  // The profile inside: the base's and the new side's values as read (the widths are drawn from them).
  return { d, profile, options: o, embedded: o.embed === false ? undefined : embedProfileAsync(profile, [1, 2]) };
}

export async function renderDiffSvg({ d, profile: p, options: o, embedded }: DiffGraph): Promise<string> {
  const layout = layoutFlame(p, { valueIndex: 0, minShare: o.minShare });
  const scales = sideScales(d, o);
  const { change, largest } = changes(layout, scales);
  const unitText = o.absolute ? '' : ' (shares)';
  const options: SvgOptions = {
    ...o,
    palette: 'hot',
    title: o.title ?? 'Differential Flame Graph',
    subtitle: [o.subtitle, `red: grew, blue: shrank, width: the larger side${unitText}`].filter(Boolean).join('; '),
    fillOf: (r) => fill((change[r] as number) / (largest || 1)),
    detailOf: (r) => detail(layout, r, d, o.absolute ?? false),
  };
  return embedded ? renderSvgEmbedding(layout, options, embedded) : renderSvg(layout, options);
}

/** Per rectangle, new total minus base total (the sides scaled); and the largest change in size. */
function changes(layout: FlameLayout, [bScale, nScale]: [number, number]): { change: Float64Array; largest: number } {
  const t = layout.trie;
  const change = new Float64Array(layout.count);
  let largest = 0;
  for (let r = 0; r < layout.count; r++) {
    const n = layout.node[r] as number;
    const c = t.totalOf(n, 2) * nScale - t.totalOf(n, 1) * bScale;
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

function detail(layout: FlameLayout, r: number, d: Diff, absolute: boolean): string {
  const t = layout.trie;
  const n = layout.node[r] as number;
  const base = t.totalOf(n, 1);
  const next = t.totalOf(n, 2);
  if (absolute) return `base ${round(base)}, new ${round(next)}, ${next >= base ? '+' : ''}${round(next - base)}`;
  const shareBase = (100 * base) / (d.baseTotal || 1);
  const shareNew = (100 * next) / (d.newTotal || 1);
  const delta = shareNew - shareBase;
  return `base ${shareBase.toFixed(2)}%, new ${shareNew.toFixed(2)}%, ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} points`;
}

function round(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/**
 * The differential page: the differential SVG (its own script: zoom, search)
 * with the table of changes beside it, in one file that pyro reads back (the
 * SVG carries the profile).
 */
export async function renderDiffHtml(graph: DiffGraph, table: DiffTable): Promise<string> {
  const svg = (await renderDiffSvg(graph)).replace(/^<\?xml[^>]*>\s*<!DOCTYPE[^>]*>\s*/, '');
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
