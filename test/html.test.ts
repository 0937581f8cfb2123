// The HTML flamegraph (src/core/render/html.ts + the viewer in src/viewer/):
// read back in Node, and driven in a real headless Chromium.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldedLines } from '../src/core/formats/folded.js';
import type { Profile } from '../src/core/model/profile.js';
import type { StackTrie } from '../src/core/model/trie.js';
import { EMBED_MARKER, type EmbedHeader } from '../src/core/render/embed.js';
import { renderHtml } from '../src/core/render/html.js';
import { decodeTrie } from '../src/core/store/codec.js';
import { corpus, ROOT, readBytes, readFile, requirePeer } from './helpers.js';

const TMP = join(ROOT, 'test', '.tmp');
mkdirSync(TMP, { recursive: true });

const FLAMES = corpus('folded', 'base', 'flames.txt');
const SPEEDSCOPE = corpus('speedscope-samples', 'speedscope', '0.6.0', 'two-sampled.speedscope.json');
const CPUPROFILE = join(ROOT, 'examples', 'app.cpuprofile');

describe('renderHtml, read back', () => {
  for (const file of [FLAMES, SPEEDSCOPE, CPUPROFILE]) {
    it(`carries ${file.slice(file.lastIndexOf('/') + 1)} whole`, async () => {
      const p = await readFile(file);
      const html = renderHtml(p, { valueIndex: p.defaultValue });
      // The options, the preview and the viewer come first, so that the browser runs the viewer
      // before it parses the payload, which comes last.
      const order = ['id="pyro-options"', 'id="pyro-preview"', '<script>', EMBED_MARKER].map((m) => html.indexOf(m));
      expect(order[0]).toBeGreaterThan(0);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      const back = await readBytes('page.html', html);
      expect(back.format).toBe(p.format);
      for (let v = 0; v < p.nTypes; v++) expect(foldedLines(back, v)).toEqual(foldedLines(p, v));
    });
  }

  it('keeps any name: markup, quotes, </script>, UTF-8, control characters', async () => {
    const names = ['a</script><script>alert(1)</script>', '<!--x', 'b&amp;"q\'', 'é漢😀', 'c\u0001\u001fd', '\u2028e'];
    const text = `${names.slice(0, 3).join(';')} 3\n${names.slice(3).join(';')} 5\nroot;${names[0]} 2\n`;
    const p = await readBytes('odd.folded', text);
    // The marker in the title (in the <title> and in JSON), before the payload in the page: readers
    // take the first one in the file.
    const html = renderHtml(p, { valueIndex: 0, title: `</script><b>t</b>${EMBED_MARKER}`, subtitle: '<!-- s' });
    // Four script elements (options, preview, viewer, profile) and nothing else closes one.
    expect(html.match(/<\/script/gi)).toHaveLength(4);
    expect(html.split(EMBED_MARKER)).toHaveLength(2);
    expect(html).not.toContain('<!--');
    expect(html).toContain('<title>&lt;/script&gt;&lt;b&gt;t&lt;/b&gt;data:');
    const back = await readBytes('odd.html', html);
    expect(foldedLines(back, 0)).toEqual(foldedLines(p, 0));
  });
});

// --- the profile's own numbers, computed here from the trie --------------------------------------

const nameOf = (p: Profile, trie: StackTrie, n: number) => p.frames.nameOf(trie.frame[n] as number);

/** Total of the outermost nodes whose name passes `match`. */
function outermostTotal(p: Profile, v: number, match: (name: string) => boolean): number {
  const trie = p.trie();
  const walk = (n: number): number => {
    if (n > 0 && match(nameOf(p, trie, n))) return trie.totalOf(n, v);
    let s = 0;
    for (const c of trie.children(n)) s += walk(c);
    return s;
  };
  return walk(0);
}

/** Per function: self, and total counted once per stack. */
function functionTable(p: Profile, v: number): Map<string, { self: number; total: number }> {
  const trie = p.trie();
  const out = new Map<string, { self: number; total: number }>();
  const on = new Set<string>();
  const walk = (n: number) => {
    const name = nameOf(p, trie, n);
    const row = out.get(name) ?? { self: 0, total: 0 };
    out.set(name, row);
    row.self += trie.selfOf(n, v);
    const outer = !on.has(name);
    if (outer) row.total += trie.totalOf(n, v);
    on.add(name);
    for (const c of trie.children(n)) walk(c);
    if (outer) on.delete(name);
  };
  for (const c of trie.children(0)) walk(c);
  return out;
}

/** Direct callers and callees of a function's outermost calls, by name. */
function sandwichOf(p: Profile, v: number, fn: string) {
  const trie = p.trie();
  const callers = new Map<string, number>();
  const callees = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, x: number) => m.set(k, (m.get(k) ?? 0) + x);
  const walk = (n: number) => {
    if (n > 0 && nameOf(p, trie, n) === fn) {
      const parent = trie.parent[n] as number;
      if (parent > 0) add(callers, nameOf(p, trie, parent), trie.totalOf(n, v));
      for (const c of trie.children(n)) add(callees, nameOf(p, trie, c), trie.totalOf(c, v));
      return;
    }
    for (const c of trie.children(n)) walk(c);
  };
  walk(0);
  return { callers, callees };
}

const byName = (rows: { name: string; total: number }[]) => {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.name, (m.get(r.name) ?? 0) + r.total);
  return m;
};

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// --- a timeline payload built by hand (the lead's writer adds it to embed.ts later) --------------

interface Entry {
  bucket: number;
  values: number[];
}

function varint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/**
 * The page with a timeline of `buckets` buckets added to its embedded profile: each
 * trie node's self values go to bucket (node * 7 + trie) % buckets.
 */
function withTimeline(html: string, buckets: number): { html: string; entries: Entry[] } {
  const at = html.indexOf(EMBED_MARKER) + EMBED_MARKER.length;
  const end = html.indexOf('<', at);
  const raw = gunzipSync(Buffer.from(html.slice(at, end), 'base64'));
  const h = raw.readUInt32LE(0);
  const header = JSON.parse(raw.toString('utf8', 4, 4 + h)) as EmbedHeader & { timeline?: unknown };
  let pos = 4 + h;
  const bytes: number[] = [];
  const entries: Entry[] = [];
  header.tries.forEach((t, ti) => {
    const d = decodeTrie(raw.subarray(pos, pos + t.bytes));
    pos += t.bytes;
    for (let n = 0; n < d.size; n++) {
      const values = Array.from(d.self.subarray(n * d.nTypes, (n + 1) * d.nTypes));
      if (values.every((x) => x === 0)) continue;
      const bucket = (n * 7 + ti) % buckets;
      entries.push({ bucket, values });
      varint(bytes, bucket);
      varint(bytes, ti);
      varint(bytes, n);
      for (const x of values) varint(bytes, x);
    }
  });
  header.timeline = { start: Date.UTC(2024, 0, 1), step: 1000, buckets, kind: 1, bytes: bytes.length };
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const payload = gzipSync(Buffer.concat([len, json, raw.subarray(4 + h, pos), Buffer.from(bytes)])).toString('base64');
  return { html: html.slice(0, at) + payload + html.slice(end), entries };
}

/** The profile's stacks spread over two label sets, so that the viewer merges tries. */
function splitLabels(p: Profile): Profile {
  const q = p.emptyLike();
  const sets = [q.labelSetId([]), q.labelSetId([['half', 'b']])];
  const trie = p.trie();
  for (let n = 1; n < trie.size; n++) {
    if (trie.selfOf(n, 0) === 0) continue;
    const stack = trie.stackOf(n);
    const dst = q.trieFor(sets[n % 2] as number);
    const leaf = dst.insert(stack, 0, stack.length);
    for (let t = 0; t < p.nTypes; t++) dst.addSelf(leaf, t, trie.selfOf(n, t));
  }
  q.invalidate();
  return q;
}

// --- in Chromium ----------------------------------------------------------------------------------

type ViewerState = {
  loaded: 'preview' | 'full';
  view: string;
  total: number;
  range: [number, number] | null;
  zoom: { node: number; name: string; rect: { x: number; width: number } | null; canvasWidth: number };
  crumbs: string;
  search: { pattern: string; matched: number; text: string };
  table: { name: string; self: number; total: number }[];
  sandwich: {
    name: string;
    total: number;
    callers: { name: string; total: number }[];
    callees: { name: string; total: number }[];
  } | null;
};
type Rect = { node: number; name: string; x: number; y: number; width: number; height: number };
type Api = {
  ready: boolean;
  loaded: 'preview' | 'full';
  state(): ViewerState;
  search(p: string): void;
  rects(view: string, name?: string): Rect[];
  highlighted(): number;
};

const state = (page: Page) => page.evaluate(() => (window as unknown as { pyroViewer: Api }).pyroViewer.state());
const rects = (page: Page, view: string, name?: string) =>
  page.evaluate(([v, n]) => (window as unknown as { pyroViewer: Api }).pyroViewer.rects(v as string, n), [view, name]);

describe.skipIf(!requirePeer('chromium'))('the HTML viewer in Chromium', () => {
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /**
   * Opens a page from a file, recording console errors and any request other than the page itself;
   * returns once the full profile is shown.
   */
  async function open(html: string, name: string): Promise<Page> {
    const file = join(TMP, `${name}.html`);
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${name}: console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${name}: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) problems.push(`${name}: request ${r.url()}`);
    });
    await page.goto(url);
    await loaded(page, 'full');
    expect(problems).toEqual([]);
    return page;
  }

  const loaded = (page: Page, what: 'preview' | 'full') =>
    page.waitForFunction((w) => {
      const v = (window as unknown as { pyroViewer?: Api }).pyroViewer;
      return (v?.ready && (w === 'preview' || v.loaded === 'full')) || document.getElementById('pyro-error') !== null;
    }, what);

  async function clickRect(page: Page, canvas: string, r: Rect) {
    // Scrolled to, as the mouse only reaches what is in the viewport.
    await page.evaluate(
      ([sel, y]) =>
        window.scrollTo(
          0,
          (document.querySelector(sel as string) as Element).getBoundingClientRect().top +
            window.scrollY +
            (y as number) -
            100,
        ),
      [canvas, r.y] as const,
    );
    const box = await page.locator(canvas).boundingBox();
    if (!box) throw new Error(`${canvas} not shown`);
    await page.mouse.click(box.x + r.x + r.width / 2, box.y + r.y + r.height / 2);
  }

  it('loads with no console error and no request, searches, zooms', async () => {
    const p = await readFile(FLAMES);
    const page = await open(renderHtml(p, { valueIndex: 0, title: 'flames.txt', subtitle: 'corpus' }), 'flames');
    const s0 = await state(page);
    expect(s0.total).toBe(p.totals()[0]);
    expect(s0.zoom.node).toBe(0);

    // A regular expression matching two functions, one of which may sit under the other.
    const table = [...functionTable(p, 0).entries()].sort((a, b) => b[1].total - a[1].total);
    const picks = [table[3]?.[0], table[6]?.[0]] as string[];
    const pattern = `^(${picks.map(escapeRegex).join('|')})$`;
    const re = new RegExp(pattern);
    await page.fill('#search', pattern);
    const s1 = await state(page);
    const expected = outermostTotal(p, 0, (n) => re.test(n));
    expect(s1.search.matched).toBe(expected);
    expect(s1.search.text).toBe(`Matched: ${((100 * expected) / (p.totals()[0] as number)).toFixed(2)}%`);
    const matchedRects = await page.evaluate(() => (window as unknown as { pyroViewer: Api }).pyroViewer.highlighted());
    expect(matchedRects).toBeGreaterThan(0);
    // The highlight colour is on the canvas, where a matched frame is drawn.
    const hit = (await rects(page, 'flame', picks[0])).sort((a, b) => b.width - a.width)[0] as Rect;
    const pixel = await page.evaluate(
      ([x, y]) => {
        const c = document.getElementById('flame') as HTMLCanvasElement;
        const dpr = window.devicePixelRatio || 1;
        return Array.from(
          (c.getContext('2d') as CanvasRenderingContext2D).getImageData(
            Math.round((x as number) * dpr),
            Math.round((y as number) * dpr),
            1,
            1,
          ).data,
        );
      },
      [hit.x + 1, hit.y + 2],
    );
    expect(pixel.slice(0, 3)).toEqual([230, 0, 230]);
    await page.screenshot({ path: join(TMP, 'html-flames-search.png'), fullPage: true });

    // Click a frame that is neither tiny nor full width: it fills the width.
    const candidates = (await rects(page, 'flame')).filter(
      (r) => r.node > 0 && r.width > 0.05 * s1.zoom.canvasWidth && r.width < 0.9 * s1.zoom.canvasWidth,
    );
    const target = candidates[0] as Rect;
    await clickRect(page, '#flame', target);
    const s2 = await state(page);
    expect(s2.zoom.node).toBe(target.node);
    expect(s2.zoom.name).toBe(target.name);
    expect(s2.zoom.rect?.x).toBe(0);
    expect(s2.zoom.rect?.width).toBe(s2.zoom.canvasWidth);
    expect(s2.crumbs.endsWith(target.name)).toBe(true);
    await page.screenshot({ path: join(TMP, 'html-flames-zoomed.png'), fullPage: true });
    // Breadcrumbs go back to the root.
    await page.click('#crumbs a >> nth=0');
    expect((await state(page)).zoom.node).toBe(0);
    expect(problems).toEqual([]);
  });

  it('sorts the table by self and by total, and shows the sandwich of a function', async () => {
    const p = await readFile(CPUPROFILE);
    const v = p.defaultValue;
    const page = await open(renderHtml(p, { valueIndex: v, palette: 'mem' }), 'app');
    const expected = functionTable(p, v);
    await page.click('#view-table');
    await page.click('th[data-sort=self]');
    let rows = (await state(page)).table;
    expect(rows.length).toBe(expected.size);
    for (const r of rows) expect(r).toEqual({ name: r.name, ...expected.get(r.name) });
    expect(rows.map((r) => r.self)).toEqual([...expected.values()].map((x) => x.self).sort((a, b) => b - a));
    await page.click('th[data-sort=total]');
    rows = (await state(page)).table;
    expect(rows.map((r) => r.total)).toEqual([...expected.values()].map((x) => x.total).sort((a, b) => b - a));
    await page.screenshot({ path: join(TMP, 'html-app-table.png'), fullPage: true });

    // A function with both callers and callees: open its sandwich from its table row.
    const fn = [...expected.keys()].find((name) => {
      const s = sandwichOf(p, v, name);
      return s.callers.size > 0 && s.callees.size > 1;
    }) as string;
    await page.fill('#search', `^${escapeRegex(fn)}$`);
    await page.click('#functions tbody tr >> nth=0');
    const sw = (await state(page)).sandwich;
    const want = sandwichOf(p, v, fn);
    expect(sw?.name).toBe(fn);
    expect(sw?.total).toBe(expected.get(fn)?.total);
    expect(byName(sw?.callers ?? [])).toEqual(want.callers);
    expect(byName(sw?.callees ?? [])).toEqual(want.callees);
    await page.screenshot({ path: join(TMP, 'html-app-sandwich.png'), fullPage: true });

    // Tooltips speak the profile's unit (microseconds here, shown as ms or s).
    await page.click('#view-flame');
    await page.fill('#search', '');
    const r = (await rects(page, 'flame')).find((x) => x.node > 0) as Rect;
    const box = await page.locator('#flame').boundingBox();
    await page.mouse.move((box?.x ?? 0) + r.x + 2, (box?.y ?? 0) + r.y + 4);
    const tip = await page.locator('.tip').textContent();
    expect(tip).toContain(r.name);
    expect(tip).toMatch(/Total: [\d.]+(ms|s) \(/);
    expect(problems).toEqual([]);
  });

  it('narrows the graph to the timeline range brushed', async () => {
    const p = splitLabels(await readFile(FLAMES));
    expect(p.tries.filter(Boolean)).toHaveLength(2);
    const BUCKETS = 40;
    const { html, entries } = withTimeline(renderHtml(p, { valueIndex: 0 }), BUCKETS);
    const page = await open(html, 'flames-timeline');
    expect((await state(page)).total).toBe(p.totals()[0]);
    const box = await page.locator('#timeline').boundingBox();
    if (!box) throw new Error('no timeline');
    // From the middle of bucket 10 to the middle of bucket 24, away from the edges that pixel rounding could move.
    const x1 = box.x + (box.width * 10.5) / BUCKETS;
    const x2 = box.x + (box.width * 24.5) / BUCKETS;
    await page.mouse.move(x1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move((x1 + x2) / 2, box.y + box.height / 2, { steps: 3 });
    await page.mouse.move(x2, box.y + box.height / 2, { steps: 3 });
    await page.mouse.up();
    const s = await state(page);
    const [a, b] = [10, 24];
    expect(s.range).toEqual([a, b]);
    const sum = entries
      .filter((e) => e.bucket >= a && e.bucket <= b)
      .reduce((acc, e) => acc + (e.values[0] as number), 0);
    expect(sum).toBeLessThan(p.totals()[0] as number);
    expect(s.total).toBe(sum);
    // The table follows the range: its functions' self values add up to the range's total.
    await page.click('#view-table');
    const rows = (await state(page)).table;
    expect(rows.reduce((acc, r) => acc + r.self, 0)).toBe(sum);
    await page.click('#view-flame');
    await page.screenshot({ path: join(TMP, 'html-flames-timeline.png'), fullPage: true });
    await page.dblclick('#timeline');
    expect((await state(page)).total).toBe(p.totals()[0]);
    expect(problems).toEqual([]);
  });
  it('draws the preview before the payload arrives, then switches to the exact full profile', async () => {
    const file = corpus('perf-script', 'inferno', 'results', 'example-perf-stacks-collapsed.txt');
    const p = await readFile(file);
    const total = p.totals()[0] as number;
    const html = renderHtml(p, { valueIndex: 0 });
    // Served in two parts, the payload held back until the preview has been checked: what a
    // browser sees of a large page whose end is still loading (or being parsed).
    const cut = html.indexOf('<script type="application/x-pyro-profile"');
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.write(html.slice(0, cut));
      held.then(() => res.end(html.slice(cut)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('pageerror', (e) => problems.push(`preview: ${e.message}`));
    try {
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { waitUntil: 'commit' });
      await loaded(page, 'preview');
      const s0 = await state(page);
      expect(s0.loaded).toBe('preview');
      expect(s0.total).toBe(total);
      const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => m.name));
      expect(marks).toContain('pyro-first-frame');
      expect(marks).not.toContain('pyro-full');
      expect(await page.locator('#status').textContent()).toMatch(/Loading the full profile/);
      expect(await page.locator('#view-table').isDisabled()).toBe(true);
      const previewRects = await rects(page, 'flame');

      // The preview leaves out frames under 1/1200 of the total: a function's outermost matches
      // among the frames kept, where some of its calls are too narrow to be kept.
      const min = total / 1200;
      const trie = p.trie();
      const kept = (name: string) => {
        const walk = (n: number): number => {
          if (n > 0 && trie.totalOf(n, 0) < min) return 0;
          if (n > 0 && nameOf(p, trie, n) === name) return trie.totalOf(n, 0);
          let sum = 0;
          for (const c of trie.children(n)) sum += walk(c);
          return sum;
        };
        return walk(0);
      };
      const fn = [...functionTable(p, 0).keys()].find((name) => {
        const k = kept(name);
        return k > 0 && k < outermostTotal(p, 0, (n) => n === name);
      }) as string;
      expect(fn).toBeDefined();
      const exact = outermostTotal(p, 0, (n) => n === fn);
      const pattern = `^${escapeRegex(fn)}$`;
      await page.fill('#search', pattern);
      const s1 = await state(page);
      expect(s1.search.matched).toBe(kept(fn));
      expect(Math.abs((100 * (s1.search.matched - exact)) / total)).toBeLessThan(0.5);
      expect(s1.search.text).toBe(`Matched: ~${((100 * kept(fn)) / total).toFixed(2)}%`);
      // Tooltips and zoom work on the preview.
      const target = (await rects(page, 'flame')).find(
        (r) => r.node > 0 && r.width > 0.1 * s1.zoom.canvasWidth && r.width < 0.9 * s1.zoom.canvasWidth,
      ) as Rect;
      await clickRect(page, '#flame', target);
      const s2 = await state(page);
      expect(s2.zoom.name).toBe(target.name);
      expect(await page.locator('.tip').textContent()).toContain(target.name);

      release();
      await loaded(page, 'full');
      const s3 = await state(page);
      expect(s3.loaded).toBe('full');
      // The search and zoom carry over, now on every frame: the exact figure.
      expect(s3.search.pattern).toBe(pattern);
      expect(s3.search.matched).toBe(exact);
      expect(s3.search.text).toBe(`Matched: ${((100 * exact) / total).toFixed(2)}%`);
      expect(s3.zoom.name).toBe(target.name);
      expect(s3.zoom.rect?.width).toBe(s3.zoom.canvasWidth);
      expect(s3.crumbs).toBe(s2.crumbs);
      expect(await page.locator('#status').count()).toBe(0);
      // Every frame of the preview is where the full graph draws it (the frames left out leave gaps).
      await page.click('#crumbs a >> nth=0');
      const fullRects = await rects(page, 'flame');
      const at = (r: Rect) => `${r.name} ${r.x.toFixed(3)} ${r.width.toFixed(3)}`;
      const drawn = new Set(fullRects.map(at));
      expect(previewRects.filter((r) => !drawn.has(at(r)))).toEqual([]);
      await page.click('#view-table');
      expect((await state(page)).table.map((r) => r.name)).toEqual([fn]);
      expect(problems).toEqual([]);
    } finally {
      release();
      await page.close();
      server.close();
    }
  });
});
