// The geometry of the terminal flamegraph: a flame layout (computed once per
// profile) cut to the columns of the terminal for one zoom. Only the frames at
// least one column wide are visited, skipping whole subtrees of narrower ones,
// so a keystroke costs the size of the screen, not of the profile.
import type { Profile } from '../../model/profile.js';
import { type FlameLayout, layoutFlame, rectName } from '../layout.js';

/** A laid-out profile and what every view of it reuses. */
export interface FlameSource {
  readonly layout: FlameLayout;
  /** Per rectangle, its first child (-1: none); a rectangle's children are numbered one after the other. */
  readonly firstKid: Int32Array;
  readonly kids: Int32Array;
  /** The last cut, kept: a keystroke that moves the selection cuts the same again. */
  cut?: { zoom: number; cols: number; rows: Rows };
}

/** A frame on screen: its rectangle, first column and width in columns. */
export interface Block {
  readonly rect: number;
  readonly x: number;
  readonly w: number;
}

/** The visible frames of one zoom, per depth, left to right. */
export interface Rows {
  readonly byDepth: Block[][];
  /** Rectangle → its index in its depth's row. */
  readonly index: Map<number, number>;
}

export function flameSource(profile: Profile, valueIndex: number): FlameSource {
  const layout = layoutFlame(profile, { valueIndex });
  const firstKid = new Int32Array(layout.count).fill(-1);
  const kids = new Int32Array(layout.count);
  for (let r = 1; r < layout.count; r++) {
    const p = layout.parent[r] as number;
    if ((firstKid[p] as number) < 0) firstKid[p] = r;
    kids[p] += 1;
  }
  return { layout, firstKid, kids };
}

/**
 * The frames drawn when `zoom` spans `cols` columns: its ancestors across the
 * whole width (as flamegraph.pl draws them), its descendants scaled, those
 * narrower than a column left out with everything above them.
 */
export function visibleRows(src: FlameSource, zoom: number, cols: number): Rows {
  const c = src.cut;
  if (c && c.zoom === zoom && c.cols === cols) return c.rows;
  const { depth, parent, start, width } = src.layout;
  const byDepth: Block[][] = [];
  const index = new Map<number, number>();
  const add = (rect: number, x: number, w: number) => {
    const d = depth[rect] as number;
    while (byDepth.length <= d) byDepth.push([]);
    const row = byDepth[d] as Block[];
    index.set(rect, row.length);
    row.push({ rect, x, w });
  };
  const zw = width[zoom] as number;
  if (zw > 0 && cols > 0) {
    for (let a = zoom; a >= 0; a = parent[a] as number) add(a, 0, cols);
    const scale = cols / zw;
    const x0 = start[zoom] as number;
    // Breadth first: each depth's row fills left to right, as parents are taken left to right.
    const queue = [zoom];
    for (let q = 0; q < queue.length; q++) {
      const r = queue[q] as number;
      const first = src.firstKid[r] as number;
      for (let k = first; k >= 0 && k < first + (src.kids[r] as number); k++) {
        const s = start[k] as number;
        const w = width[k] as number;
        const left = Math.round((s - x0) * scale);
        const right = Math.round((s + w - x0) * scale);
        if (w * scale < 1 || right <= left) continue;
        add(k, left, right - left);
        queue.push(k);
      }
    }
  }
  const rows = { byDepth, index };
  src.cut = { zoom, cols, rows };
  return rows;
}

/** `rect` if it is on screen, else its nearest ancestor that is. */
export function visibleAncestor(src: FlameSource, rows: Rows, rect: number): number {
  let r = rect;
  while (r > 0 && !rows.index.has(r)) r = src.layout.parent[r] as number;
  return r;
}

/** The frame beside `rect` at the same depth (dir -1: left, 1: right), or `rect` at an edge. */
export function sideways(src: FlameSource, rows: Rows, rect: number, dir: -1 | 1): number {
  const row = rows.byDepth[src.layout.depth[rect] as number];
  const i = rows.index.get(rect);
  if (!row || i === undefined) return rect;
  return row[i + dir]?.rect ?? rect;
}

/** The widest child of `rect` on screen (the leftmost of equals), or `rect` if none is. */
export function widestChild(src: FlameSource, rows: Rows, rect: number): number {
  const row = rows.byDepth[(src.layout.depth[rect] as number) + 1] ?? [];
  let best: Block | undefined;
  for (const b of row) if (src.layout.parent[b.rect] === rect && (!best || b.w > best.w)) best = b;
  return best?.rect ?? rect;
}

/** Per frame id, whether its name matches. */
export function matchFrames(profile: Profile, re: RegExp): Uint8Array {
  const frames = profile.frames;
  const out = new Uint8Array(frames.size);
  for (let f = 0; f < frames.size; f++) if (re.test(frames.nameOf(f))) out[f] = 1;
  return out;
}

/** The value of the samples with a matching frame on their stack (each counted once, at its outermost match). */
export function matchedTotal(profile: Profile, valueIndex: number, match: Uint8Array): number {
  const trie = profile.trie();
  const { parent, frame } = trie;
  const total = trie.total;
  const k = trie.nTypes;
  const inside = new Uint8Array(trie.size);
  let sum = 0;
  for (let n = 1; n < trie.size; n++) {
    if (inside[parent[n] as number] === 1) inside[n] = 1;
    else if (match[frame[n] as number] === 1) {
      inside[n] = 1;
      sum += total[n * k + valueIndex] as number;
    }
  }
  return sum;
}

/** Whether a rectangle's frame matched (never the root). */
export function rectMatches(src: FlameSource, rect: number, match: Uint8Array | undefined): boolean {
  if (!match || rect === 0) return false;
  const l = src.layout;
  return match[l.trie.frame[l.node[rect] as number] as number] === 1;
}

/** A frame's name made safe for the terminal: control characters shown as '?'. */
export function displayName(src: FlameSource, rect: number): string {
  return rectName(src.layout, rect).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** `text` in exactly `w` columns: padded, or cut with ".." (nothing under three columns), as flamegraph.pl does. */
export function fitText(text: string, w: number): string {
  if (w <= 0) return '';
  const chars = Array.from(text);
  if (chars.length <= w) return text + ' '.repeat(w - chars.length);
  if (w < 3) return ' '.repeat(w);
  return `${chars.slice(0, w - 2).join('')}..`;
}

/** A warm colour from a name (flamegraph.pl's "hot" palette), the same for the same name. */
export function hotColor(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  const v1 = (h >>> 0) / 0xffffffff;
  const v2 = Math.imul(h, 2654435761) >>> 0;
  const r = 205 + Math.floor(50 * v1);
  const g = Math.floor(230 * ((v2 % 1000) / 1000));
  const b = Math.floor((55 * ((v2 >>> 10) % 1000)) / 1000);
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
