// One flame graph on a canvas: only the frames at least MIN_PX wide are laid
// out, from the zoomed node down, so a trie of millions of nodes draws in a
// few milliseconds. The drawn rectangles are kept for hit testing.
import { type ColorFor, colorizer, PALETTES, type PaletteName } from '../core/render/palette.js';
import type { Graph } from './data.js';

/** Search matches, as flamegraph.pl marks them. */
const MATCH_COLOR = 'rgb(230,0,230)';

const ROW = 17;
// Narrower frames would not show: they are left out (their width stays in their parent's).
const MIN_PX = 1;
const FONT = '12px ui-monospace, Menlo, Consolas, monospace';

/** What every flame view of a page shares: names, their order and colours, the search. */
export interface Names {
  strings: string[];
  /** Per frame, its name's index in strings. */
  nameOf: Int32Array;
  /** Per frame, its rank among frames sorted by name (siblings are drawn in this order, as flamegraph.pl). */
  rank: Int32Array;
  palette: string;
  /** Per name index, whether the search matches it (undefined: no search). */
  match?: Uint8Array;
}

export interface DrawnRect {
  node: number;
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export class FlameView {
  readonly canvas: HTMLCanvasElement;
  graph: Graph;
  zoom = 0;
  onZoom: (node: number) => void = () => {};
  onHover: (node: number, ev: MouseEvent) => void = () => {};
  private readonly ctx: CanvasRenderingContext2D;
  private sorted = new Map<number, Int32Array>();
  private colors: (string | undefined)[] = [];
  private palette = '';
  private colorFor: ColorFor | undefined;
  // Drawn rectangles: x and width in CSS pixels, depth, node; `faded` for the zoomed node's ancestors.
  private rx = new Float64Array(1024);
  private rw = new Float64Array(1024);
  private rd = new Int32Array(1024);
  private rn = new Int32Array(1024);
  private count = 0;
  private chainLength = 0;
  private maxDepth = 0;

  constructor(
    parent: HTMLElement,
    graph: Graph,
    private readonly names: Names,
    public inverted: boolean,
  ) {
    this.graph = graph;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'flame';
    parent.appendChild(this.canvas);
    this.ctx = this.canvas.getContext('2d', { alpha: false }) as CanvasRenderingContext2D;
    this.canvas.addEventListener('mousemove', (ev) => this.onHover(this.hit(ev), ev));
    this.canvas.addEventListener('mouseleave', (ev) => this.onHover(-1, ev));
    this.canvas.addEventListener('click', (ev) => {
      const n = this.hit(ev);
      if (n >= 0) this.zoomTo(n);
    });
  }

  /** A new graph, perhaps with new names (the full profile after the preview): caches are reset. */
  setGraph(graph: Graph, zoom = 0): void {
    this.graph = graph;
    this.sorted.clear();
    this.colors = [];
    this.zoom = zoom < graph.size && graph.total[zoom] !== 0 ? zoom : 0;
  }

  zoomTo(node: number): void {
    this.zoom = node;
    this.draw();
    this.onZoom(node);
  }

  /** Children with a non-zero total, in name order. */
  private children(n: number): Int32Array {
    let c = this.sorted.get(n);
    if (c) return c;
    const g = this.graph;
    const kids: number[] = [];
    const end = n + (g.subtree[n] as number);
    for (let c = n + 1; c < end; c += g.subtree[c] as number) if (g.total[c] !== 0) kids.push(c);
    const rank = this.names.rank;
    c = Int32Array.from(kids).sort(
      (a, b) => (rank[g.frame[a] as number] as number) - (rank[g.frame[b] as number] as number),
    );
    this.sorted.set(n, c);
    return c;
  }

  private push(node: number, x: number, w: number, depth: number): void {
    const i = this.count++;
    if (i >= this.rx.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.rx = grow(this.rx);
      this.rw = grow(this.rw);
      this.rd = grow(this.rd);
      this.rn = grow(this.rn);
    }
    this.rx[i] = x;
    this.rw[i] = w;
    this.rd[i] = depth;
    this.rn[i] = node;
    if (depth > this.maxDepth) this.maxDepth = depth;
  }

  private layout(width: number): void {
    const g = this.graph;
    this.count = 0;
    this.maxDepth = 0;
    const chain: number[] = [];
    for (let n = this.zoom; n >= 0; n = g.parent[n] as number) chain.push(n);
    chain.reverse();
    chain.forEach((n, d) => {
      this.push(n, 0, width, d);
    });
    this.chainLength = chain.length;
    const zt = g.total[this.zoom] as number;
    if (zt <= 0) return;
    const scale = width / zt;
    const start = g.start;
    const x0 = start ? (start[this.zoom] as number) : 0;
    // Depth first; (node, x, depth) triples.
    const stack: number[] = [this.zoom, 0, chain.length - 1];
    while (stack.length > 0) {
      const depth = stack.pop() as number;
      let x = stack.pop() as number;
      const n = stack.pop() as number;
      for (const c of this.children(n)) {
        if (start) x = ((start[c] as number) - x0) * scale;
        const w = (g.total[c] as number) * scale;
        if (w >= MIN_PX) {
          this.push(c, x, w, depth + 1);
          stack.push(c, x, depth + 1);
        }
        x += w;
      }
    }
  }

  nameOfNode(n: number): string {
    if (n === 0) return this.graph.rootName;
    return this.names.strings[this.names.nameOf[this.graph.frame[n] as number] as number] ?? '';
  }

  private colorOfNode(n: number): string {
    if (n === 0) return 'rgb(200,200,200)';
    const id = this.names.nameOf[this.graph.frame[n] as number] as number;
    if (this.names.match?.[id]) return MATCH_COLOR;
    if (!this.colorFor || this.palette !== this.names.palette) {
      this.colors = [];
      this.palette = this.names.palette;
      const palette = (PALETTES as readonly string[]).includes(this.palette) ? (this.palette as PaletteName) : 'hot';
      // Colours from a hash of the name: the same function, the same colour, in every redraw and graph.
      this.colorFor = colorizer({ palette, hash: true });
    }
    let c = this.colors[id];
    if (c === undefined) c = this.colors[id] = this.colorFor(this.names.strings[id] ?? '');
    return c;
  }

  private y(depth: number): number {
    return this.inverted ? depth * ROW : (this.maxDepth - depth) * ROW;
  }

  draw(): void {
    const box = this.canvas.parentElement as HTMLElement;
    const css = getComputedStyle(box);
    const width = Math.max(
      100,
      box.clientWidth - Number.parseFloat(css.paddingLeft) - Number.parseFloat(css.paddingRight),
    );
    this.layout(width);
    const height = (this.maxDepth + 1) * ROW;
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    const charW = ctx.measureText('m').width;
    for (let i = 0; i < this.count; i++) {
      const n = this.rn[i] as number;
      const x = this.rx[i] as number;
      const w = this.rw[i] as number;
      const y = this.y(this.rd[i] as number);
      ctx.globalAlpha = i < this.chainLength - 1 ? 0.55 : 1;
      ctx.fillStyle = this.colorOfNode(n);
      ctx.fillRect(x, y, Math.max(w - (w > 2 ? 1 : 0), MIN_PX), ROW - 1);
      const fits = Math.floor((w - 6) / charW);
      if (fits < 3) continue;
      const name = this.nameOfNode(n);
      ctx.fillStyle = '#000';
      ctx.fillText(name.length > fits ? `${name.slice(0, fits - 2)}..` : name, x + 3, y + ROW / 2);
    }
    ctx.globalAlpha = 1;
  }

  /** The node under the mouse, or -1. */
  private hit(ev: MouseEvent): number {
    const box = this.canvas.getBoundingClientRect();
    const x = ev.clientX - box.left;
    const y = ev.clientY - box.top;
    const depth = this.inverted ? Math.floor(y / ROW) : this.maxDepth - Math.floor(y / ROW);
    for (let i = 0; i < this.count; i++) {
      if (this.rd[i] !== depth) continue;
      const rx = this.rx[i] as number;
      if (x >= rx && x < rx + (this.rw[i] as number)) return this.rn[i] as number;
    }
    return -1;
  }

  /** The drawn rectangles (CSS pixels relative to the canvas), for tests and tools. */
  rects(filter?: (name: string, node: number) => boolean): DrawnRect[] {
    const out: DrawnRect[] = [];
    for (let i = 0; i < this.count; i++) {
      const node = this.rn[i] as number;
      const name = this.nameOfNode(node);
      if (filter && !filter(name, node)) continue;
      const x = this.rx[i] as number;
      out.push({ node, name, x, y: this.y(this.rd[i] as number), width: this.rw[i] as number, height: ROW - 1 });
    }
    return out;
  }

  get width(): number {
    return this.canvas.clientWidth;
  }
}
