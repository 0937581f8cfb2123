// The HTML flamegraph viewer (bundled into dist/viewer.js, inlined by
// src/core/render/html.ts): draws a flame graph on a canvas, with a table of
// functions, a sandwich view, a regular-expression search and, when the
// profile has one, a timeline to brush. It runs before the browser has parsed
// the profile embedded at the end of the page: it draws the page's preview
// first (flame graph, tooltips, zoom and search over the frames at least a
// pixel wide), then decodes the full profile once the document is parsed and
// switches to it, keeping the zoom, search and view. State for tests and tools
// is on window.pyroViewer (`loaded`: 'preview', then 'full'); performance
// marks time the start-up (pyro-start, -built, -first-frame, -first-paint,
// then -text, -base64, -inflated, -decoded, -graph, -full) and each search
// (the measure pyro-search).

import type { ValueType } from '../core/model/profile.js';
import type { Preview } from '../core/render/html.js';
import { formatNumber, formatValue } from '../core/units.js';
import {
  bucketTotals,
  type Data,
  decode,
  functionTotals,
  type Graph,
  mainGraph,
  matchedTotal,
  previewGraph,
  samePath,
  sandwich,
} from './data.js';
import { type DrawnRect, FlameView, type Names } from './flame.js';
import { CSS } from './style.js';

interface Options {
  title: string;
  subtitle?: string;
  valueIndex: number;
  inverted: boolean;
  countName?: string;
  nameType: string;
  palette: string;
}

type View = 'flame' | 'table' | 'sandwich';
type SortKey = 'name' | 'self' | 'total';

performance.mark('pyro-start');

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

const pct = (v: number, of: number) => (of > 0 ? `${((100 * v) / of).toFixed(2)}%` : '0%');

const json = (id: string): unknown => JSON.parse(document.getElementById(id)?.textContent ?? 'null');

async function main(): Promise<void> {
  const options = (json('pyro-options') ?? {}) as Options;
  const preview = json('pyro-preview') as Preview | null;
  if (!preview) throw new Error('the page has no preview (not an HTML flamegraph written by pyro?)');
  const viewer = new Viewer(preview, options);
  // The payload follows this script in the page: it is there once the document is parsed.
  if (document.readyState === 'loading')
    await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
  await viewer.loadFull();
}

class Viewer {
  /** The full profile, once decoded (until then the views show the preview). */
  private data: Data | undefined;
  private readonly valueTypes: ValueType[];
  private readonly names: Names;
  /** Per frame of the names' tables: name, file, module (string indexes), line. */
  private frameInfo: ArrayLike<number>;
  private graph: Graph;
  private valueIndex: number;
  private range: [number, number] | undefined;
  private view: View = 'flame';
  private pattern = '';
  private regex: RegExp | undefined;
  private matched = 0;
  private stats: ReturnType<typeof functionTotals> | undefined;
  private sort: { key: SortKey; desc: boolean } = { key: 'total', desc: true };
  private tableShown: { name: string; self: number; total: number }[] = [];
  private sandwichName = -1;
  private sandwichGraphs: { callers: Graph; callees: Graph } | undefined;
  /** The function of the frame last clicked, for the sandwich button. */
  private selectedName = -1;
  private readonly flame: FlameView;
  private readonly callers: FlameView;
  private readonly callees: FlameView;
  private readonly dom: Record<string, HTMLElement> = {};

  constructor(
    private readonly preview: Preview,
    private readonly options: Options,
  ) {
    this.valueTypes = preview.valueTypes;
    this.valueIndex = preview.valueIndex;
    const nameOf = Int32Array.from(preview.ids, (_, f) => preview.frames[f * 4] as number);
    this.names = {
      strings: preview.strings,
      nameOf,
      rank: frameRanks(preview.strings, nameOf),
      palette: options.palette || 'hot',
    };
    this.frameInfo = preview.frames;
    this.graph = previewGraph(preview);
    this.build();
    this.flame = new FlameView(this.dom.flame as HTMLElement, this.graph, this.names, options.inverted);
    this.flame.canvas.id = 'flame';
    this.callers = new FlameView(this.dom.callers as HTMLElement, this.graph, this.names, false);
    this.callers.canvas.id = 'callers';
    this.callees = new FlameView(this.dom.callees as HTMLElement, this.graph, this.names, true);
    this.callees.canvas.id = 'callees';
    for (const v of [this.flame, this.callers, this.callees]) {
      v.onHover = (n, ev) => this.tip(v, n, ev);
      v.onZoom = () => this.crumbs();
    }
    this.flame.onZoom = () => {
      this.selectName();
      this.crumbs();
    };
    performance.mark('pyro-built');
    this.flame.draw();
    performance.mark('pyro-first-frame');
    // Called as the browser renders the next frame, the one that shows the canvas.
    requestAnimationFrame(() => performance.mark('pyro-first-paint'));
    this.crumbs();
    window.addEventListener('resize', () => this.redraw());
    document.addEventListener('keydown', (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === 'f') {
        ev.preventDefault();
        (this.dom.search as HTMLInputElement).focus();
      } else if (ev.key === 'Escape' && this.view === 'flame' && this.flame.zoom !== 0) {
        this.flame.zoomTo(this.graph.parent[this.flame.zoom] as number);
      }
    });
    window.pyroViewer = this.api();
  }

  /** Decodes the profile embedded in the page, then shows it instead of the preview. */
  async loadFull(): Promise<void> {
    const text = document.getElementById('pyro-profile')?.textContent;
    if (text === undefined) throw new Error('the page has no embedded profile');
    performance.mark('pyro-text');
    const data = await decode(text.slice(text.indexOf(',') + 1).trim());
    performance.mark('pyro-decoded');
    const { strings, frames } = data.header;
    const before = this.graph;
    this.data = data;
    this.names.strings = strings;
    this.names.nameOf = data.nameOf;
    this.names.rank = frameRanks(strings, data.nameOf);
    this.frameInfo = frames;
    this.graph = mainGraph(data, this.valueIndex);
    performance.mark('pyro-graph');
    this.flame.setGraph(this.graph, samePath(before, this.preview.ids, this.flame.zoom, this.graph));
    this.selectName();
    const d = this.dom;
    for (const id of ['view-table', 'view-sandwich', 'value']) {
      d[id]?.removeAttribute('disabled');
      d[id]?.removeAttribute('title');
    }
    (d.status as HTMLElement).remove();
    if (data.timeline) {
      d.timelineCanvas = el('canvas', { id: 'timeline' });
      d.timelineInfo = el('div', { class: 'timeline-info', id: 'timeline-info' });
      (d.crumbs as HTMLElement).before(el('div', { class: 'timeline' }, d.timelineCanvas), d.timelineInfo);
      this.brush(d.timelineCanvas as HTMLCanvasElement);
      this.drawTimeline();
    }
    this.applySearch();
    this.redraw();
    window.pyroViewer.loaded = 'full';
    performance.mark('pyro-full');
  }

  /** The function of the zoomed frame, for the sandwich button. */
  private selectName(): void {
    const n = this.flame.zoom;
    this.selectedName = n > 0 ? (this.names.nameOf[this.graph.frame[n] as number] as number) : -1;
  }

  private build(): void {
    const o = this.options;
    const style = el('style');
    style.textContent = CSS;
    document.head.appendChild(style);
    const d = this.dom;
    // Table, sandwich and other value types need the full profile: disabled until it is decoded.
    const later = { disabled: '', title: 'once the full profile is loaded' };
    const button = (label: string, onclick: () => void, id: string, attrs: Record<string, string> = {}) => {
      const b = el('button', { type: 'button', id, ...attrs }, label);
      b.addEventListener('click', onclick);
      d[id] = b;
      return b;
    };
    const search = el('input', { type: 'search', id: 'search', placeholder: 'Search (regular expression), Ctrl-F' });
    search.addEventListener('input', () => this.setSearch(search.value));
    d.search = search;
    d.matched = el('span', { class: 'matched', id: 'matched' });
    const inverted = el('input', { type: 'checkbox', id: 'inverted' });
    inverted.checked = o.inverted;
    inverted.addEventListener('change', () => {
      this.flame.inverted = inverted.checked;
      this.redraw();
    });
    const bar = el(
      'div',
      { class: 'bar' },
      button('Flame graph', () => this.show('flame'), 'view-flame'),
      button('Table', () => this.show('table'), 'view-table', later),
      button('Sandwich', () => this.openSandwich(this.selectedName), 'view-sandwich', later),
      el('label', {}, inverted, ' icicle'),
    );
    if (this.valueTypes.length > 1) {
      const select = el('select', { id: 'value', ...later });
      d.value = select;
      this.valueTypes.forEach((t, i) => {
        const opt = el('option', { value: String(i) }, `${t.type} (${t.unit})`);
        if (i === this.valueIndex) opt.selected = true;
        select.appendChild(opt);
      });
      select.addEventListener('change', () => {
        this.valueIndex = Number(select.value);
        this.rebuild();
      });
      bar.appendChild(select);
    }
    d.status = el(
      'span',
      { class: 'status', id: 'status' },
      'Loading the full profile… (frames under a pixel wide not shown yet)',
    );
    bar.append(
      search,
      d.matched,
      button('Reset zoom', () => this.resetZoom(), 'reset'),
      d.status,
    );
    const title = el('header', {}, el('h1', {}, o.title));
    if (o.subtitle) title.appendChild(el('div', { class: 'subtitle' }, o.subtitle));
    d.crumbs = el('div', { class: 'crumbs', id: 'crumbs' });
    d.flame = el('div', { class: 'view', id: 'flame-view' });
    d.tableView = el('div', { class: 'view hidden', id: 'table-view' });
    d.callers = el('div');
    d.callees = el('div');
    d.sandwichTitle = el('h2');
    d.sandwichView = el(
      'div',
      { class: 'view sandwich hidden', id: 'sandwich-view' },
      d.sandwichTitle,
      el('h2', {}, 'Callers'),
      d.callers,
      el('h2', {}, 'Callees'),
      d.callees,
    );
    d.tip = el('div', { class: 'tip' });
    document.body.append(title, bar, d.crumbs, d.flame, d.tableView, d.sandwichView, d.tip);
    this.markView();
  }

  private unit(): { unit: string; countName: string } {
    const t = this.valueTypes[this.valueIndex] ?? { type: 'samples', unit: 'count' };
    const countName = this.options.countName ?? (t.unit === 'count' || t.unit === '' ? t.type || 'samples' : t.unit);
    return { unit: t.unit, countName };
  }

  /** A value in the profile's unit: time and bytes scaled, counts with the count name. */
  private fmt(v: number): string {
    const { unit, countName } = this.unit();
    const s = formatValue(v, unit);
    return s === formatNumber(v) ? `${v.toLocaleString('en-US')} ${countName}` : s;
  }

  /** After a change of value type or time range (both come with the full profile). */
  private rebuild(): void {
    if (!this.data) return;
    this.graph = mainGraph(this.data, this.valueIndex, this.range);
    this.flame.setGraph(this.graph, this.flame.zoom);
    this.stats = undefined;
    this.sandwichGraphs = undefined;
    this.applySearch();
    this.redraw();
    this.drawTimeline();
  }

  private redraw(): void {
    if (this.view === 'flame') this.flame.draw();
    else if (this.view === 'table') this.renderTable();
    else this.renderSandwich();
    this.crumbs();
  }

  private show(view: View): void {
    this.view = view;
    this.markView();
    this.redraw();
  }

  private markView(): void {
    const d = this.dom;
    d.flame?.classList.toggle('hidden', this.view !== 'flame');
    d.tableView?.classList.toggle('hidden', this.view !== 'table');
    d.sandwichView?.classList.toggle('hidden', this.view !== 'sandwich');
    for (const v of ['flame', 'table', 'sandwich']) d[`view-${v}`]?.classList.toggle('on', this.view === v);
  }

  private resetZoom(): void {
    if (this.view === 'sandwich') {
      this.callers.zoomTo(0);
      this.callees.zoomTo(0);
    } else this.flame.zoomTo(0);
  }

  private setSearch(pattern: string): void {
    const t0 = performance.now();
    this.pattern = pattern;
    this.applySearch();
    this.redraw();
    performance.measure('pyro-search', { start: t0, end: performance.now() });
  }

  private applySearch(): void {
    const d = this.dom.matched as HTMLElement;
    d.classList.remove('bad');
    this.regex = undefined;
    this.names.match = undefined;
    this.matched = 0;
    d.textContent = '';
    if (this.pattern === '') return;
    try {
      this.regex = new RegExp(this.pattern);
    } catch {
      d.textContent = 'not a regular expression';
      d.classList.add('bad');
      return;
    }
    const { strings, nameOf } = this.names;
    const match = new Uint8Array(strings.length);
    const isName = new Uint8Array(strings.length);
    for (const id of nameOf) isName[id] = 1;
    for (let i = 0; i < strings.length; i++) if (isName[i] && this.regex.test(strings[i] as string)) match[i] = 1;
    this.names.match = match;
    // On the preview, the outermost matches among its frames: exact but for the frames under a pixel
    // wide it leaves out (a match only there is missed), hence the "~"; on the full profile, exact.
    this.matched = matchedTotal(this.graph, nameOf, match);
    d.textContent = `Matched: ${this.data ? '' : '~'}${pct(this.matched, this.graph.total[0] as number)}`;
  }

  private crumbs(): void {
    const c = this.dom.crumbs as HTMLElement;
    c.textContent = '';
    if (this.view !== 'flame') return;
    const chain: number[] = [];
    for (let n = this.flame.zoom; n >= 0; n = this.graph.parent[n] as number) chain.push(n);
    chain.reverse();
    chain.forEach((n, i) => {
      if (i > 0) c.append(' › ');
      const a = el('a', {}, this.flame.nameOfNode(n));
      a.addEventListener('click', () => this.flame.zoomTo(n));
      c.append(a);
    });
  }

  private tip(v: FlameView, n: number, ev: MouseEvent): void {
    const t = this.dom.tip as HTMLElement;
    if (n < 0) {
      t.style.display = 'none';
      return;
    }
    const g = v.graph;
    const all = g.total[0] as number;
    const total = g.total[n] as number;
    const self = g.self[n] as number;
    t.textContent = '';
    t.append(el('b', {}, `${this.options.nameType} `), v.nameOfNode(n));
    const f = n > 0 ? (g.frame[n] as number) : -1;
    const file = f >= 0 ? this.names.strings[this.frameInfo[f * 4 + 1] as number] : '';
    if (file) {
      const line = this.frameInfo[f * 4 + 3] as number;
      t.append(el('br'), `${file}${line ? `:${line}` : ''}`);
    }
    t.append(
      el('br'),
      `Total: ${this.fmt(total)} (${pct(total, all)})`,
      el('br'),
      `Self: ${this.fmt(self)} (${pct(self, all)})`,
    );
    t.style.display = 'block';
    const x = Math.min(ev.clientX + 12, window.innerWidth - t.offsetWidth - 4);
    const y = ev.clientY + 16 + t.offsetHeight > window.innerHeight ? ev.clientY - t.offsetHeight - 8 : ev.clientY + 16;
    t.style.left = `${Math.max(0, x)}px`;
    t.style.top = `${y}px`;
  }

  private functionStats() {
    this.stats ??= functionTotals(this.graph, this.names.nameOf, this.names.strings.length);
    return this.stats;
  }

  private renderTable(): void {
    const s = this.functionStats();
    const strings = this.names.strings;
    const ids: number[] = [];
    for (let i = 0; i < strings.length; i++) {
      if (!s.seen[i]) continue;
      if (this.regex && !this.regex.test(strings[i] as string)) continue;
      ids.push(i);
    }
    const { key, desc } = this.sort;
    const sign = desc ? -1 : 1;
    ids.sort((a, b) => {
      const x =
        key === 'name' ? (strings[a] as string) : key === 'self' ? (s.self[a] as number) : (s.total[a] as number);
      const y =
        key === 'name' ? (strings[b] as string) : key === 'self' ? (s.self[b] as number) : (s.total[b] as number);
      return x < y ? -sign : x > y ? sign : a - b;
    });
    const LIMIT = 1000;
    const all = this.graph.total[0] as number;
    this.tableShown = ids.slice(0, LIMIT).map((i) => ({
      name: strings[i] as string,
      self: s.self[i] as number,
      total: s.total[i] as number,
    }));
    const head = el('tr');
    const th = (label: string, k: SortKey) => {
      const arrow = this.sort.key === k ? (this.sort.desc ? ' ▼' : ' ▲') : '';
      const cell = el('th', { 'data-sort': k }, label + arrow);
      cell.addEventListener('click', () => {
        this.sort = { key: k, desc: this.sort.key === k ? !this.sort.desc : k !== 'name' };
        this.renderTable();
      });
      return cell;
    };
    head.append(
      th('Function', 'name'),
      th('Self', 'self'),
      el('th', {}, 'Self %'),
      th('Total', 'total'),
      el('th', {}, 'Total %'),
    );
    const body = el('tbody');
    ids.slice(0, LIMIT).forEach((i, r) => {
      const row = this.tableShown[r] as { name: string; self: number; total: number };
      const tr = el(
        'tr',
        this.names.match?.[i] ? { class: 'match' } : {},
        el('td', {}, row.name),
        el('td', {}, this.fmt(row.self)),
        el('td', {}, pct(row.self, all)),
        el('td', {}, this.fmt(row.total)),
        el('td', {}, pct(row.total, all)),
      );
      tr.addEventListener('click', () => this.openSandwich(i));
      body.appendChild(tr);
    });
    const wrap = this.dom.tableView as HTMLElement;
    wrap.textContent = '';
    wrap.append(el('table', { class: 'functions', id: 'functions' }, el('thead', {}, head), body));
    if (ids.length > LIMIT)
      wrap.append(el('div', { class: 'more' }, `${ids.length - LIMIT} more functions (search to narrow)`));
  }

  private openSandwich(name: number): void {
    if (name < 0) {
      // No frame chosen yet: the function with the most self.
      const s = this.functionStats();
      let best = -1;
      for (let i = 0; i < s.self.length; i++)
        if (s.seen[i] && (best < 0 || (s.self[i] as number) > (s.self[best] as number))) best = i;
      name = best;
    }
    if (name !== this.sandwichName) this.sandwichGraphs = undefined;
    this.sandwichName = name;
    this.show('sandwich');
  }

  private renderSandwich(): void {
    const name = this.sandwichName;
    const { strings, nameOf } = this.names;
    const label = strings[name] ?? '';
    if (!this.sandwichGraphs && name >= 0) {
      this.sandwichGraphs = sandwich(this.graph, nameOf, strings.length, name, label);
      this.callers.setGraph(this.sandwichGraphs.callers);
      this.callees.setGraph(this.sandwichGraphs.callees);
    }
    const total = this.sandwichGraphs?.callees.total[0] ?? 0;
    (this.dom.sandwichTitle as HTMLElement).textContent =
      `${label}: ${this.fmt(total)} (${pct(total, this.graph.total[0] as number)})`;
    this.callers.draw();
    this.callees.draw();
  }

  // --- timeline ---------------------------------------------------------------

  private drawTimeline(): void {
    const t = this.data?.timeline;
    const c = this.dom.timelineCanvas as HTMLCanvasElement | undefined;
    if (!t || !c) return;
    const width = c.clientWidth;
    const height = c.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    const ctx = c.getContext('2d') as CanvasRenderingContext2D;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const totals = bucketTotals(t, this.valueTypes.length, this.valueIndex);
    let max = 0;
    for (const v of totals) if (v > max) max = v;
    const bw = width / t.buckets;
    const [a, b] = this.range ?? [0, t.buckets - 1];
    for (let i = 0; i < t.buckets; i++) {
      const h = max > 0 ? ((totals[i] as number) / max) * (height - 4) : 0;
      ctx.fillStyle = i >= a && i <= b ? '#d2502a' : '#d9c3bb';
      ctx.fillRect(i * bw, height - h, Math.max(1, bw - (bw > 3 ? 1 : 0)), h);
    }
    if (this.range) {
      ctx.fillStyle = 'rgba(40,90,200,0.12)';
      ctx.fillRect(a * bw, 0, (b - a + 1) * bw, height);
    }
    const time = (i: number) => new Date(t.start + i * t.step).toISOString().replace('T', ' ').replace('Z', '');
    let sum = 0;
    for (let i = a; i <= b; i++) sum += totals[i] as number;
    (this.dom.timelineInfo as HTMLElement).textContent = this.range
      ? `Selected ${time(a)} – ${time(b + 1)}: ${this.fmt(sum)} (double-click the timeline to select everything)`
      : `${time(0)} – ${time(t.buckets)}: drag over the timeline to select a range`;
  }

  private brush(c: HTMLCanvasElement): void {
    const t = this.data?.timeline as NonNullable<Data['timeline']>;
    const bucketAt = (ev: MouseEvent) => {
      const box = c.getBoundingClientRect();
      return Math.max(0, Math.min(t.buckets - 1, Math.floor(((ev.clientX - box.left) / box.width) * t.buckets)));
    };
    let from = -1;
    c.addEventListener('mousedown', (ev) => {
      from = bucketAt(ev);
      ev.preventDefault();
    });
    window.addEventListener('mousemove', (ev) => {
      if (from < 0) return;
      const to = bucketAt(ev);
      this.range = [Math.min(from, to), Math.max(from, to)];
      this.drawTimeline();
    });
    window.addEventListener('mouseup', (ev) => {
      if (from < 0) return;
      const to = bucketAt(ev);
      this.range = [Math.min(from, to), Math.max(from, to)];
      from = -1;
      this.rebuild();
    });
    c.addEventListener('dblclick', () => {
      this.range = undefined;
      this.rebuild();
    });
  }

  // --- state for tests and tools ---------------------------------------------

  private api() {
    const directs = (g: Graph) => {
      const out: { name: string; total: number }[] = [];
      for (let c = 1; c < g.size; c += g.subtree[c] as number)
        out.push({
          name: this.names.strings[this.names.nameOf[g.frame[c] as number] as number] as string,
          total: g.total[c] as number,
        });
      return out.sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : 1));
    };
    const views: Record<string, FlameView> = { flame: this.flame, callers: this.callers, callees: this.callees };
    return {
      ready: true,
      /** 'preview' until the full profile is decoded and shown, then 'full'. */
      loaded: 'preview' as 'preview' | 'full',
      state: () => {
        const zoomRect = this.flame.rects((_, n) => n === this.flame.zoom).pop();
        const sw = this.sandwichGraphs;
        return {
          loaded: this.data ? 'full' : 'preview',
          view: this.view,
          valueIndex: this.valueIndex,
          inverted: this.flame.inverted,
          total: this.graph.total[0] as number,
          range: this.range ?? null,
          zoom: {
            node: this.flame.zoom,
            name: this.flame.nameOfNode(this.flame.zoom),
            rect: zoomRect ?? null,
            canvasWidth: this.flame.width,
          },
          crumbs: (this.dom.crumbs as HTMLElement).textContent,
          search: { pattern: this.pattern, matched: this.matched, text: (this.dom.matched as HTMLElement).textContent },
          sort: this.sort,
          table: this.tableShown,
          sandwich:
            sw && this.sandwichName >= 0
              ? {
                  name: this.names.strings[this.sandwichName],
                  total: sw.callees.total[0],
                  callers: directs(sw.callers),
                  callees: directs(sw.callees),
                }
              : null,
        };
      },
      search: (pattern: string) => {
        const input = this.dom.search as HTMLInputElement;
        input.value = pattern;
        this.setSearch(pattern);
      },
      rects: (view: string, name?: string): DrawnRect[] =>
        (views[view] as FlameView).rects(name === undefined ? undefined : (n) => n === name),
      highlighted: (): number =>
        this.flame.rects(
          (_, n) => n > 0 && this.names.match?.[this.names.nameOf[this.graph.frame[n] as number] as number] === 1,
        ).length,
    };
  }
}

/** Per frame, its rank when frames are sorted by name (then id). */
function frameRanks(strings: string[], nameOf: Int32Array): Int32Array {
  const ids = Array.from(nameOf.keys());
  ids.sort((a, b) => {
    const x = strings[nameOf[a] as number] as string;
    const y = strings[nameOf[b] as number] as string;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const rank = new Int32Array(nameOf.length);
  ids.forEach((id, i) => {
    rank[id] = i;
  });
  return rank;
}

declare global {
  interface Window {
    pyroViewer: ReturnType<Viewer['api']>;
  }
}

main().catch((e: Error) => {
  const msg = document.createElement('pre');
  msg.id = 'pyro-error';
  msg.textContent = `pyro viewer: ${e.message}`;
  document.body.appendChild(msg);
  console.error(e);
});
