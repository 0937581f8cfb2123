import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { foldedLines } from '../src/core/formats/folded.js';
import type { Profile } from '../src/core/model/profile.js';
import { reverseStacks } from '../src/core/model/reverse.js';
import { layoutFlame } from '../src/core/render/layout.js';
import { PALETTES, type PaletteName } from '../src/core/render/palette.js';
import { renderSvg, SVG_DEFAULTS, svgGraphWidth } from '../src/core/render/svg.js';
import { formatValue } from '../src/core/units.js';
import { corpus, pyro, ROOT, readBytes, readFile, requirePeer, tempDir } from './helpers.js';

const FLAMES = corpus('folded', 'base', 'flames.txt');
const APP = join(ROOT, 'examples', 'app.cpuprofile');
const GRAPH = svgGraphWidth();

/** Every corpus input the issue names: folded/ and perf-script/ (FlameGraph's and inferno's captures). */
function corpusInputs(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) {
        if (e.name !== 'results') walk(join(dir, e.name));
      } else if (e.name.endsWith('.txt')) files.push(join(dir, e.name));
    }
  };
  walk(corpus('folded'));
  walk(corpus('perf-script', 'flamegraph'));
  walk(corpus('perf-script', 'inferno'));
  return files.sort();
}

interface SvgFrame {
  name: string;
  title: string;
  x: number;
  y: number;
  width: number;
  fill: string;
  text: string;
}

function svgFrames(svg: string): SvgFrame[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    textNodeName: '#text',
    trimValues: false,
  });
  const doc = parser.parse(svg);
  const gs = doc.svg.g.g;
  const list = gs === undefined ? [] : Array.isArray(gs) ? gs : [gs];
  return list.map((g: Record<string, Record<string, string> | string>) => {
    const title = String(g.title);
    const rect = g.rect as Record<string, string>;
    const text = g.text as Record<string, string> | string;
    return {
      title,
      name: title.replace(/ \([^()]*\)$/, ''),
      x: Number(rect.x),
      y: Number(rect.y),
      width: Number(rect.width),
      fill: rect.fill as string,
      text: typeof text === 'object' ? String(text['#text'] ?? '') : '',
    };
  });
}

/** The trie's nodes at least `min` wide, as "a;b;c" -> total. */
function expectedStacks(p: Profile, v: number, min: number): Map<string, number> {
  const t = p.trie();
  const out = new Map<string, number>([['', t.totalOf(0, v)]]);
  const keep = new Uint8Array(t.size);
  keep[0] = 1;
  for (let n = 1; n < t.size; n++) {
    const w = t.totalOf(n, v);
    if (!keep[t.parent[n] as number] || w === 0 || w < min) continue;
    keep[n] = 1;
    out.set(
      t
        .stackOf(n)
        .map((f) => p.frames.nameOf(f))
        .join(';'),
      w,
    );
  }
  return out;
}

/**
 * Where each stack's frame starts, in value units: after its parent's start and
 * every sibling before it by name (narrow ones included, left out or not).
 */
function expectedStarts(p: Profile, v: number): Map<string, number> {
  const t = p.trie();
  const out = new Map<string, number>([['', 0]]);
  const walk = (n: number, path: string, x: number) => {
    const kids = t
      .children(n)
      .filter((c) => t.totalOf(c, v) !== 0)
      .sort((a, b) => {
        const x1 = p.frames.nameOf(t.frame[a] as number);
        const y1 = p.frames.nameOf(t.frame[b] as number);
        return x1 < y1 ? -1 : x1 > y1 ? 1 : (t.frame[a] as number) - (t.frame[b] as number);
      });
    let at = x;
    for (const c of kids) {
      const name = p.frames.nameOf(t.frame[c] as number);
      const child = path === '' ? name : `${path};${name}`;
      out.set(child, at);
      walk(c, child, at);
      at += t.totalOf(c, v);
    }
  };
  walk(0, '', 0);
  return out;
}

/** Rebuilds the stacks from the SVG's geometry: a frame's parent is the frame one row below that spans it. */
function svgStacks(frames: SvgFrame[], frameHeight = SVG_DEFAULTS.frameHeight): Map<string, SvgFrame> {
  const byRow = new Map<number, SvgFrame[]>();
  for (const f of frames) byRow.set(f.y, [...(byRow.get(f.y) ?? []), f]);
  const bottom = Math.max(...frames.map((f) => f.y));
  const out = new Map<string, SvgFrame>();
  const pathOf = new Map<SvgFrame, string>();
  for (const f of [...frames].sort((a, b) => b.y - a.y)) {
    let path = '';
    if (f.y !== bottom) {
      // The frame below that overlaps it most (positions are rounded to a tenth of a pixel).
      const overlap = (p: SvgFrame) => Math.min(p.x + p.width, f.x + f.width) - Math.max(p.x, f.x);
      const below = (byRow.get(f.y + frameHeight) ?? [])
        .filter((p) => p.x <= f.x + 0.1 && f.x + f.width <= p.x + p.width + 0.2)
        .sort((a, b) => overlap(b) - overlap(a))[0];
      expect(below, `no parent under ${f.title}`).toBeDefined();
      const parentPath = pathOf.get(below as SvgFrame) as string;
      path = parentPath === '' ? f.name : `${parentPath};${f.name}`;
    }
    pathOf.set(f, path);
    out.set(path, f);
  }
  return out;
}

/** A value as the title shows it: "1,234 samples" for counts, else in its unit. */
function amount(v: number, unit: string): string {
  if (unit === 'count') return `${String(Math.round(v * 100) / 100).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} samples`;
  return formatValue(v, unit);
}

function svgOf(
  p: Profile,
  extra: Partial<Parameters<typeof renderSvg>[1]> = {},
  minShare = SVG_DEFAULTS.minWidthPx / GRAPH,
) {
  const layout = layoutFlame(p, { valueIndex: p.defaultValue, minShare });
  return { layout, svg: renderSvg(layout, { palette: 'hot', deterministic: true, ...extra }) };
}

describe('SVG flamegraphs', () => {
  it('every corpus input gives valid XML whose frames are the trie, to the pixel, siblings sorted by name', async () => {
    const inputs = corpusInputs();
    expect(inputs.length).toBeGreaterThan(25);
    for (const file of inputs) {
      if (file.endsWith('empty.txt') || file.endsWith('no-events.txt')) {
        await expect(readFile(file)).rejects.toThrow(/empty input/);
        continue;
      }
      const p = await readFile(file);
      const v = p.defaultValue;
      const { layout, svg } = svgOf(p);
      expect(XMLValidator.validate(svg), file).toBe(true);
      const frames = svgFrames(svg);
      const total = p.trie().totalOf(0, v);
      if (total === 0) {
        expect(frames, file).toEqual([]);
        continue;
      }
      const min = (SVG_DEFAULTS.minWidthPx / GRAPH) * total;
      const want = expectedStacks(p, v, min);
      const got = svgStacks(frames);
      const starts = expectedStarts(p, v);
      const missing = [...want.keys()].filter((k) => !got.has(k));
      const extra = [...got.keys()].filter((k) => !want.has(k));
      expect({ missing, extra }, file).toEqual({ missing: [], extra: [] });
      // Each frame: its title says its total and share; its width is its total over the whole times the graph's width.
      const unit = (p.valueTypes[v] as { unit: string }).unit;
      for (const [stack, value] of want) {
        const f = got.get(stack) as SvgFrame;
        expect(f.title, `${file}: ${stack}`).toBe(
          `${stack === '' ? 'all' : f.name} (${amount(value, unit)}, ${((100 * value) / total).toFixed(2)}%)`,
        );
        expect(Math.abs(f.width - (value / total) * GRAPH), `${file}: ${stack}`).toBeLessThanOrEqual(0.0501);
        expect(
          Math.abs(f.x - SVG_DEFAULTS.xpad - ((starts.get(stack) as number) / total) * GRAPH),
          `${file}: x of ${stack}`,
        ).toBeLessThanOrEqual(0.0501);
      }
      // Siblings left to right in name order.
      const stacks = got;
      const parentOf = new Map<string, string[]>();
      for (const path of stacks.keys()) {
        if (path === '') continue;
        const cut = path.lastIndexOf(';');
        const parent = cut < 0 ? '' : path.slice(0, cut);
        parentOf.set(parent, [...(parentOf.get(parent) ?? []), path.slice(cut + 1)]);
      }
      for (const [, names] of parentOf) {
        expect(names, file).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }
      // What is left out is every other frame with a value.
      const t = p.trie();
      let withValue = 0;
      for (let n = 1; n < t.size; n++) if (t.totalOf(n, v) !== 0) withValue++;
      expect(layout.omitted, file).toBe(withValue - (want.size - 1));
    }
  });

  it('escapes any frame name into valid XML, and reads the names back from the file', async () => {
    const names = [
      'a<b>&c',
      `"quoted" 'single'`,
      'ünïcødé ✓ 漢字',
      'ctl\u0001\u001fx',
      'lone\ud800surrogate',
      ']]>',
      'tab\there',
    ];
    const folded = names.map((n, i) => `main;${n} ${i + 1}`).join('\n');
    const p = await readBytes('odd.folded', Buffer.from(folded));
    const { svg } = svgOf(p);
    expect(XMLValidator.validate(svg)).toBe(true);
    const titles = svgFrames(svg).map((f) => f.name);
    expect(titles).toContain('a<b>&c');
    expect(titles).toContain(`"quoted" 'single'`);
    expect(titles).toContain('ünïcødé ✓ 漢字');
    expect(titles).toContain('ctl\ufffd\ufffdx');
    expect(titles).toContain('lone\ufffdsurrogate');
    // The embedded profile keeps the names exactly.
    const dir = tempDir();
    writeFileSync(join(dir, 'odd.svg'), svg);
    expect(foldedLines(await readFile(join(dir, 'odd.svg')), 0)).toEqual(foldedLines(p, 0));
  });

  it('any pyro command reads an SVG it wrote back as the same profile', () => {
    const dir = tempDir();
    for (const input of [FLAMES, APP]) {
      const svg = join(dir, 'graph.svg');
      const r = pyro(['flamegraph', input, '-o', svg]);
      expect(r.status, r.stderr).toBe(0);
      expect(pyro(['top', svg, '--json']).stdout).toBe(pyro(['top', input, '--json']).stdout);
      expect(pyro(['convert', svg, '--to', 'folded']).stdout).toBe(pyro(['convert', input, '--to', 'folded']).stdout);
    }
    // --no-embed: the same picture, a smaller file, and pyro says it cannot read it back.
    const bare = join(dir, 'bare.svg');
    expect(pyro(['flamegraph', FLAMES, '-o', bare, '--no-embed', '--deterministic']).status).toBe(0);
    const withProfile = join(dir, 'full.svg');
    expect(pyro(['flamegraph', FLAMES, '-o', withProfile, '--deterministic']).status).toBe(0);
    expect(svgFrames(readFileSync(bare, 'utf8'))).toEqual(svgFrames(readFileSync(withProfile, 'utf8')));
    expect(readFileSync(bare).length).toBeLessThan(readFileSync(withProfile).length);
    expect(pyro(['top', bare]).stderr).toMatch(/without a profile inside/);
    writeFileSync(join(dir, 'other.svg'), '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>');
    const r = pyro(['top', join(dir, 'other.svg')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/other\.svg: an SVG or HTML file without a profile inside/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--min-width leaves out narrower frames and counts them in the subtitle', async () => {
    const p = await readFile(FLAMES);
    const total = p.trie().totalOf(0, 0);
    for (const [spec, share] of [
      ['2%', 0.02],
      ['30', 30 / GRAPH],
    ] as const) {
      const dir = tempDir();
      const out = join(dir, 'g.svg');
      expect(pyro(['flamegraph', FLAMES, '-o', out, '--min-width', spec]).status).toBe(0);
      const svg = readFileSync(out, 'utf8');
      const want = expectedStacks(p, 0, share * total);
      expect(svgStacks(svgFrames(svg)).size).toBe(want.size);
      const left = p.trie().size - want.size; // every frame of the folded input has a value
      expect(svg).toMatch(
        new RegExp(`${left} frames narrower than ${spec.replace('%', '%').replace(/^30$/, '30 px')} left out`),
      );
    }
    const bad = pyro(['flamegraph', FLAMES, '--min-width', 'wide', '-o', join(tempDir(), 'x.svg')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^pyro: --min-width wide: expected pixels/);
  });

  it('--deterministic gives the same bytes; --hash gives a name the same colour in different graphs', async () => {
    const dir = tempDir();
    const a = join(dir, 'a.svg');
    const b = join(dir, 'b.svg');
    pyro(['flamegraph', FLAMES, '-o', a, '--deterministic']);
    pyro(['flamegraph', FLAMES, '-o', b, '--deterministic']);
    expect(readFileSync(a)).toEqual(readFileSync(b));
    const p1 = await readFile(FLAMES);
    const p2 = await readBytes('small.folded', Buffer.from('GraphQL;u8::CopyToLowered 5\nother;Samples 3\n'));
    const colours = (p: Profile) =>
      new Map(svgFrames(svgOf(p, { hash: true, deterministic: false }).svg).map((f) => [f.name, f.fill]));
    const c1 = colours(p1);
    const c2 = colours(p2);
    for (const name of ['GraphQL', 'u8::CopyToLowered', 'Samples']) expect(c2.get(name), name).toBe(c1.get(name));
  });

  it('every palette draws; language palettes colour by the kind of frame', async () => {
    const p = await readBytes(
      'kinds.folded',
      Buffer.from(
        [
          'main;do_syscall_64_[k] 1',
          'main;Interpreter_[j] 1',
          'main;inlined_[i] 1',
          'main;java/util/HashMap.get 1',
          'main;(garbage collector) 1',
          'main;handler /app/server.js:12 1',
        ].join('\n'),
      ),
    );
    for (const palette of PALETTES) {
      const { svg } = svgOf(p, { palette: palette as PaletteName });
      expect(XMLValidator.validate(svg), palette).toBe(true);
    }
    const fill = (palette: PaletteName, name: string) => {
      const f = svgFrames(svgOf(p, { palette }).svg).find((x) => x.name === name) as SvgFrame;
      return (/rgb\((\d+),(\d+),(\d+)\)/.exec(f.fill) as RegExpExecArray).slice(1).map(Number) as [
        number,
        number,
        number,
      ];
    };
    const [kr, kg, kb] = fill('java', 'do_syscall_64_[k]'); // kernel: orange
    expect(kr > kg && kg > kb).toBe(true);
    const [jr, jg, jb] = fill('java', 'Interpreter_[j]'); // JIT: green
    expect(jg > jr && jg > jb).toBe(true);
    const [ir, ig, ib] = fill('java', 'inlined_[i]'); // inlined: aqua
    expect(ig > ir && ib > ir).toBe(true);
    const [hr, hg, hb] = fill('java', 'java/util/HashMap.get'); // Java code: green
    expect(hg > hr && hg > hb).toBe(true);
    const [gr, gg, gb] = fill('js', '(garbage collector)'); // V8's own: purple
    expect(gr > gg && gb > gg).toBe(true);
    const [sr, sg, sb] = fill('js', 'handler /app/server.js:12'); // JavaScript: green
    expect(sg > sr && sg > sb).toBe(true);
  });

  it('--inverted puts the root at the top; --reverse roots the graph at the functions with self time', async () => {
    const dir = tempDir();
    const out = join(dir, 'i.svg');
    expect(pyro(['flamegraph', APP, '-o', out, '--inverted']).status).toBe(0);
    const frames = svgFrames(readFileSync(out, 'utf8'));
    const root = frames.find((f) => f.name === 'all') as SvgFrame;
    expect(root.y).toBe(Math.min(...frames.map((f) => f.y)));
    expect(readFileSync(out, 'utf8')).toMatch(/<text id="title"[^>]*>Icicle Graph</);

    const p = await readFile(APP);
    const r = reverseStacks(p);
    const t = p.trie();
    const self = new Map<string, number>();
    for (let n = 1; n < t.size; n++) {
      const name = p.frames.nameOf(t.frame[n] as number);
      self.set(name, (self.get(name) ?? 0) + t.selfOf(n, p.defaultValue));
    }
    const rt = r.trie();
    const roots = new Map<string, number>();
    for (const c of rt.children(0)) roots.set(r.frames.nameOf(rt.frame[c] as number), rt.totalOf(c, r.defaultValue));
    expect(roots).toEqual(new Map([...self].filter(([, v]) => v !== 0)));
    expect(rt.totalOf(0, 0)).toBe(t.totalOf(0, 0));
  });

  it('the SVG zooms on a click and searches with its own script, in a real browser', async () => {
    if (!requirePeer('chromium')) return;
    const { chromium } = await import('playwright-core');
    const p = await readFile(FLAMES);
    const { svg } = svgOf(p);
    const dir = tempDir();
    const file = join(dir, 'flames.svg');
    writeFileSync(file, svg);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(`file://${file}`);
      // Search: the matched share is the union of the matching frames' widths.
      await page.evaluate(() => (window as unknown as { search: (s: string) => void }).search('^Samples$'));
      const matched = await page.locator('#matched').textContent();
      const t = p.trie();
      let covered = 0;
      for (let n = 1; n < t.size; n++) {
        if (p.frames.nameOf(t.frame[n] as number) !== 'Samples') continue;
        let outer = true;
        for (let m = t.parent[n] as number; m > 0; m = t.parent[m] as number) {
          if (p.frames.nameOf(t.frame[m] as number) === 'Samples') outer = false;
        }
        if (outer) covered += t.totalOf(n, 0);
      }
      expect(matched).toBe(`Matched: ${((100 * covered) / t.totalOf(0, 0)).toFixed(1)}%`);
      // Zoom: click a frame; it then spans the whole graph.
      const target = page.locator('#frames > g', { hasText: 'Integer_encode_all' }).first();
      await target.locator('rect').click({ force: true });
      const w = Number(await target.locator('rect').getAttribute('width'));
      expect(w).toBeCloseTo(GRAPH, 0);
      expect(await page.locator('#unzoom').getAttribute('class')).not.toMatch(/hide/);
      await page.locator('#unzoom').click();
      expect(Number(await target.locator('rect').getAttribute('width'))).toBeLessThan(GRAPH / 2);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('text flamegraphs', () => {
  it('prints a tree with bars that fits the width, without colour off a terminal', () => {
    const r = pyro(['flamegraph', FLAMES, '--format', 'text']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Flame graph: samples \(count\), total 598400/);
    expect(lines.some((l) => /100\.0%.*█+\s+all$/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('└─ GraphQL'))).toBe(true);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(100);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    const all = pyro(['flamegraph', FLAMES, '--format', 'text', '--min-width', '0%']);
    expect(all.stdout.split('\n').length).toBeGreaterThan(lines.length);
  });

  it('refuses an -o whose extension says nothing, and a bad --bg-colors, in one line', () => {
    const r = pyro(['flamegraph', FLAMES, '-o', join(tempDir(), 'graph.png')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^pyro: -o .*graph\.png: cannot tell the format from the extension/);
    const bg = pyro(['flamegraph', FLAMES, '--bg-colors', 'nope!', '-o', join(tempDir(), 'graph.svg')]);
    expect(bg.status).toBe(2);
    expect(bg.stderr).toMatch(/^pyro: --bg-colors nope!: expected yellow/);
  });
});
