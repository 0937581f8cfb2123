import { spawn } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { render } from 'ink-testing-library';
import { createElement as h, useEffect } from 'react';
import { describe, expect, it } from 'vitest';
import { foldedLines } from '../src/core/formats/folded.js';
import { ProfileBuilder } from '../src/core/model/builder.js';
import type { Profile, ValueType } from '../src/core/model/profile.js';
import { rectName } from '../src/core/render/layout.js';
import { sandwich } from '../src/core/render/sandwich.js';
import { App } from '../src/core/render/tui/app.js';
import { flameSource, visibleRows } from '../src/core/render/tui/view.js';
import { formatValue } from '../src/core/units.js';
import { corpus, ROOT, readFile, requirePeer } from './helpers.js';

// The sandwich against a brute force over the samples; the terminal flamegraph
// through ink-testing-library (keys in, frames out, numbers checked against the
// trie), and once on a real pseudo-terminal.

const SAMPLES: ValueType = { type: 'samples', unit: 'count' };
const CPU: ValueType = { type: 'cpu', unit: 'nanoseconds' };

interface Sample {
  /** [name, from another file] per frame: frames of one name with different ids are one function. */
  stack: [string, boolean][];
  values: [number, number];
}

const sampleArb: fc.Arbitrary<Sample> = fc.record({
  stack: fc.array(fc.tuple(fc.constantFrom('main', 'a', 'b', 'c'), fc.boolean()), { maxLength: 12 }),
  values: fc.tuple(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 50, noNaN: true })),
});

function build(samples: Sample[]): Profile {
  const b = new ProfileBuilder([SAMPLES, CPU], 'test');
  for (const s of samples) {
    const ids = s.stack.map(([name, other]) => (other ? b.frameAt(name, 'other.c', 7) : b.frame(name)));
    b.addStack(ids, ids.length, s.values);
  }
  return b.finish();
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Folded lines as a map, to compare with a brute force up to rounding. */
function expectFolded(lines: string[], want: Map<string, number>): void {
  const got = new Map(lines.map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
  const keys = [...want].filter(([, v]) => v !== 0).map(([k]) => k);
  expect([...got.keys()].sort()).toEqual(keys.sort());
  for (const [k, v] of got) expect(close(v, want.get(k) as number), `${k}: ${v} vs ${want.get(k)}`).toBe(true);
}

describe('sandwich', () => {
  it('equals a brute force over the samples: callers reversed, callees merged, outermost occurrence only', () => {
    fc.assert(
      fc.property(
        fc.array(sampleArb, { maxLength: 40 }),
        fc.constantFrom('main', 'a', 'b', 'c', 'absent'),
        fc.constantFrom(0, 1),
        (samples, target, vi) => {
          const p = build(samples);
          const { callers, callees } = sandwich(p, vi, target);
          const up = new Map<string, number>();
          const down = new Map<string, number>();
          let total = 0;
          for (const s of samples) {
            const names = s.stack.map(([n]) => n);
            const i = names.indexOf(target);
            const v = s.values[vi];
            if (i < 0 || v === 0) continue;
            total += v;
            const u = names
              .slice(0, i + 1)
              .reverse()
              .join(';');
            up.set(u, (up.get(u) ?? 0) + v);
            const d = names.slice(i).join(';');
            down.set(d, (down.get(d) ?? 0) + v);
          }
          expect(callers.valueTypes).toEqual([p.valueTypes[vi]]);
          expect(callees.valueTypes).toEqual([p.valueTypes[vi]]);
          expectFolded(foldedLines(callers, 0), up);
          expectFolded(foldedLines(callees, 0), down);
          expect(close(callers.totals()[0] as number, total)).toBe(true);
          expect(close(callees.totals()[0] as number, total)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the cut of a layout to the terminal', () => {
  it('shows exactly the frames at least one column wide under the zoom, and the zoom’s ancestors', () => {
    const stackArb = fc.array(fc.constantFrom('main', 'a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(stackArb, fc.integer({ min: 1, max: 1000 })), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 200 }),
        fc.nat(),
        (stacks, cols, pick) => {
          const b = new ProfileBuilder([SAMPLES], 'test');
          for (const [stack, v] of stacks) {
            const ids = stack.map((n) => b.frame(n));
            b.addStack(ids, ids.length, [v]);
          }
          const src = flameSource(b.finish(), 0);
          const l = src.layout;
          const zoom = pick % l.count;
          const rows = visibleRows(src, zoom, cols);
          const scale = cols / (l.width[zoom] as number);
          const x = (r: number) => Math.round(((l.start[r] as number) - (l.start[zoom] as number)) * scale);
          const right = (r: number) =>
            Math.round(((l.start[r] as number) + (l.width[r] as number) - (l.start[zoom] as number)) * scale);
          const wide = (r: number) => (l.width[r] as number) * scale >= 1 && right(r) > x(r);
          for (let r = 0; r < l.count; r++) {
            // Brute force: walk up from r to the zoom or the root.
            let a = r;
            let shown = true;
            while (a !== zoom && a > 0) {
              if (!wide(a)) shown = false;
              a = l.parent[a] as number;
            }
            const isAncestor = (() => {
              for (let z = zoom; z >= 0; z = l.parent[z] as number) if (z === r) return true;
              return false;
            })();
            const want = isAncestor || (a === zoom && shown);
            expect(rows.index.has(r), `rect ${r} (${rectName(l, r)})`).toBe(want);
            if (!want) continue;
            const block = rows.byDepth[l.depth[r] as number]?.[rows.index.get(r) as number];
            if (isAncestor) expect(block).toEqual({ rect: r, x: 0, w: cols });
            else expect(block).toEqual({ rect: r, x: x(r), w: right(r) - x(r) });
          }
          // Each row left to right, without overlaps.
          for (const row of rows.byDepth)
            for (let i = 1; i < row.length; i++)
              expect((row[i] as { x: number }).x).toBeGreaterThanOrEqual((row[i - 1]?.x ?? 0) + (row[i - 1]?.w ?? 0));
        },
      ),
      { numRuns: 200 },
    );
  });
});

// The terminal flamegraph, without colours (ink-testing-library's output is not a TTY): frames are
// told apart by '|', the selection is in '[ ]', search matches start with '*'. 100 columns.
const COLS = 100;
const STACKS: [string, number][] = [
  ['main;parse;readLine', 50e6],
  ['main;parse;tokenize', 30e6],
  ['main;render;draw', 15e6],
  ['main;render', 5e6],
  ['idle', 10e6],
  ['main;parse;readLine;parse;x', 5e6],
];

function cpuProfile(): Profile {
  const b = new ProfileBuilder([SAMPLES, CPU], 'test');
  for (const [stack, v] of STACKS) {
    const ids = stack.split(';').map((n) => b.frame(n));
    b.addStack(ids, ids.length, [1, v]);
  }
  return b.finish();
}

/** The trie node of a stack given by names, root first. */
function nodeOf(p: Profile, path: string): number {
  const t = p.trie();
  let n = 0;
  for (const name of path.split(';')) {
    const c = t.children(n).find((k) => p.frames.nameOf(t.frame[k] as number) === name);
    if (c === undefined) throw new Error(`no ${path}`);
    n = c;
  }
  return n;
}

const pct = (v: number, total: number) => `${((100 * v) / total).toFixed(2)}%`;

/** The status line the viewer must show for the frame at `path`, from the trie. */
function statusFor(p: Profile, path: string): string {
  const t = p.trie();
  const n = nodeOf(p, path);
  const total = t.totalOf(0, 1);
  const name = path.split(';').pop() as string;
  const self = t.selfOf(n, 1);
  const all = t.totalOf(n, 1);
  return `${name}  self ${formatValue(self, 'nanoseconds')} (${pct(self, total)})  total ${formatValue(all, 'nanoseconds')} (${pct(all, total)})`;
}

/** Whether the viewer is mounted: its parent's effect is cleaned up when Ink unmounts the tree. */
const life = { mounted: false };
function Probe({ profile }: { profile: Profile }) {
  useEffect(() => {
    life.mounted = true;
    return () => {
      life.mounted = false;
    };
  }, []);
  return h(App, { profile, valueIndex: 1, color: false });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(profile: Profile, props: Record<string, unknown> = {}) {
  const ui = render(h(App, { profile, valueIndex: 1, color: false, ...props }));
  const lines = () => (ui.lastFrame() ?? '').split('\n');
  return {
    ui,
    lines,
    status: () => lines().at(-2) ?? '',
    selected: () => lines().find((l) => l.includes('[')) ?? '',
    /** Types keys, one chunk each (a lone Esc waits for the parser to tell it from a sequence). */
    press: async (...keys: string[]) => {
      for (const k of keys) {
        ui.stdin.write(k);
        await sleep(k === '\u001B' ? 150 : 20);
      }
    },
  };
}

const UP = '\u001B[A';
const DOWN = '\u001B[B';
const RIGHT = '\u001B[C';
const LEFT = '\u001B[D';

describe('the terminal flamegraph', () => {
  it('shows the root and the widest frames first, the root selected', async () => {
    const p = await readFile(corpus('folded', 'base', 'flames.txt'));
    const { lines, status, selected } = start(p, { valueIndex: 0 });
    await sleep(20);
    const t = p.trie();
    expect(selected()).toBe(`[all${' '.repeat(COLS - 5)}]`);
    expect(status()).toMatch(new RegExp(`^all  self 0 \\(0\\.00%\\)  total ${t.totalOf(0, 0)} \\(100\\.00%\\)`));
    // Flame graph: the root is the last row of the graph, its children's row just above it.
    const graph = lines().slice(1, -2);
    expect(graph.at(-1)).toBe(selected());
    const kids = t.children(0).sort((a, b) => t.totalOf(b, 0) - t.totalOf(a, 0));
    const widest = kids[0] as number;
    const name = p.frames.nameOf(t.frame[widest] as number);
    const cols = Math.round((t.totalOf(widest, 0) / t.totalOf(0, 0)) * COLS);
    expect(graph.at(-2)).toContain(`|${name.slice(0, Math.min(name.length, cols - 3))}`);
    // Every row is at most the width of the terminal.
    for (const l of lines()) expect(l.length).toBeLessThanOrEqual(COLS);
  });

  it('scrolls a graph deeper than the terminal to keep the selection on screen', async () => {
    // 40 levels (ink-testing-library's terminal has 24 rows), with a narrower branch at each level.
    const b = new ProfileBuilder([SAMPLES], 'test');
    const deep = Array.from({ length: 40 }, (_, i) => b.frame(`level${i}`));
    const side = b.frame('side');
    b.addStack(deep, deep.length, [1000]);
    for (let d = 1; d <= 40; d++) {
      const ids = [...deep.slice(0, d - 1), side];
      b.addStack(ids, ids.length, [1]);
    }
    const v = start(b.finish(), { valueIndex: 0 });
    await sleep(20);
    for (let i = 0; i < 40; i++) {
      await v.press(UP);
      expect(v.lines().length).toBeLessThan(24);
      expect(v.status()).toMatch(new RegExp(`^level${i}  self`));
      expect(v.selected()).toMatch(new RegExp(`^ *\\[level${i}[ \\]]`));
    }
    for (let i = 38; i >= 0; i--) {
      await v.press(DOWN);
      expect(v.selected()).toMatch(new RegExp(`^ *\\[level${i}[ \\]]`));
    }
  });

  it('draws an icicle with --inverted: the root on top, ↓ toward the leaves', async () => {
    const p = cpuProfile();
    const v = start(p, { inverted: true });
    await sleep(20);
    expect(v.lines()[1]).toBe(v.selected());
    expect(v.selected()).toMatch(/^\[all/);
    await v.press(DOWN, DOWN);
    expect(v.status()).toBe(statusFor(p, 'main;parse'));
    expect(v.lines()[2]).toMatch(/^\|idle +\|main/);
    expect(v.lines()[3]).toMatch(/^ +\[parse +\]\|render/);
    await v.press(UP);
    expect(v.status()).toBe(statusFor(p, 'main'));
  });

  it('moves with the arrows, zooms with Enter, goes back with Backspace and Esc', async () => {
    const p = cpuProfile();
    const v = start(p);
    await sleep(20);
    await v.press(UP);
    expect(v.status()).toBe(statusFor(p, 'main'));
    await v.press(UP); // the widest child: parse (85ms) rather than render (20ms)
    expect(v.status()).toBe(statusFor(p, 'main;parse'));
    await v.press(RIGHT);
    expect(v.status()).toBe(statusFor(p, 'main;render'));
    const narrow = v.selected().trimEnd();
    expect(narrow).toMatch(/\[render *\]$/);
    expect(narrow.length - narrow.indexOf('[')).toBe(Math.round((20 / 115) * COLS));
    await v.press(LEFT, DOWN);
    expect(v.status()).toBe(statusFor(p, 'main'));
    await v.press(UP, RIGHT, '\r');
    // Zoomed: render spans the whole width, its child draw is scaled to it.
    expect(v.lines()[0]).toContain('zoomed on render');
    expect(v.selected()).toBe(`[render${' '.repeat(COLS - 8)}]`);
    expect(v.lines().find((l) => l.startsWith('|draw'))?.length).toBeLessThanOrEqual(Math.round((15 / 20) * COLS));
    expect(v.status()).toBe(statusFor(p, 'main;render'));
    await v.press('\u007F'); // what a terminal's Backspace sends
    expect(v.lines()[0]).not.toContain('zoomed');
    expect(v.selected().trimEnd()).toBe(narrow);
    // Zoom twice, back twice with Esc.
    await v.press(DOWN, '\r', UP, '\r');
    expect(v.lines()[0]).toContain('zoomed on parse');
    await v.press('\u001B');
    expect(v.lines()[0]).toContain('zoomed on main');
    await v.press('\u001B');
    expect(v.lines()[0]).not.toContain('zoomed');
    expect(v.status()).toBe(statusFor(p, 'main;parse'));
  });

  it('searches with a regular expression: matches marked, the matched share from the trie', async () => {
    const p = cpuProfile();
    const v = start(p);
    await sleep(20);
    await v.press('/', 'read|tok');
    expect(v.lines().at(-1)).toBe('search (regex): /read|tok_');
    await v.press('\r');
    // Brute force: every stack with a matching frame, once.
    const t = p.trie();
    let matched = 0;
    for (let n = 1; n < t.size; n++) {
      if (t.stackOf(n).some((f) => /read|tok/.test(p.frames.nameOf(f)))) matched += t.selfOf(n, 1);
    }
    expect(v.status()).toContain(
      `/read|tok/ matched ${formatValue(matched, 'nanoseconds')} (${pct(matched, t.totalOf(0, 1))})`,
    );
    const marked = v.lines().join('\n').match(/\*\w+/g);
    expect(marked?.sort()).toEqual(['*readLine', '*tokenize']);
    // 'q' in the search is a letter; an invalid expression is reported.
    await v.press('/', 'q(', '\r');
    expect(v.status()).toMatch(/^not a regular expression/);
    await v.press('/', '\r');
    expect(v.status()).toMatch(/^all {2}self 0 \(0\.00%\) {2}total 115ms \(100\.00%\)$/);
  });

  it('shows the sandwich of the selected function with s, counting a recursive one once', async () => {
    const p = cpuProfile();
    const v = start(p);
    await sleep(20);
    await v.press(UP, UP, 's'); // parse, which calls itself under readLine
    const text = v.lines();
    const callersAt = text.findIndex((l) => l.includes('callers of parse'));
    const calleesAt = text.findIndex((l) => l.includes('callees of parse'));
    expect(callersAt).toBeGreaterThan(0);
    expect(calleesAt).toBeGreaterThan(callersAt);
    // Callers above the function (flame graph), callees below it (icicle).
    const callers = text.slice(callersAt + 1, calleesAt);
    expect(callers.map((l) => l.match(/^[|[](\w+)/)?.[1])).toEqual(['main', 'parse']);
    const callees = text.slice(calleesAt + 1, -2).join('\n');
    for (const name of ['parse', 'readLine', 'tokenize', 'x']) expect(callees).toContain(name);
    // The function's total: its outermost occurrences only (85ms, not 90ms).
    const t = p.trie();
    const outer = t.totalOf(nodeOf(p, 'main;parse'), 1);
    expect(v.status()).toContain(`total ${formatValue(outer, 'nanoseconds')} (${pct(outer, t.totalOf(0, 1))})`);
    await v.press(UP); // in the callers' half, ↑ goes to the caller
    expect(v.status()).toMatch(new RegExp(`^main  calls parse: ${formatValue(outer, 'nanoseconds')} `));
    await v.press(DOWN, '\t', UP); // into the callees' half: ↑ goes to the parent, which is the function itself there
    expect(v.lines().find((l) => l.includes('callees of'))).toMatch(/^▸/);
    await v.press(DOWN);
    expect(v.status()).toMatch(/^readLine {2}self 50ms .* total 55ms/);
    await v.press('s');
    expect(v.lines().some((l) => l.includes('callers of'))).toBe(false);
    expect(v.status()).toBe(statusFor(p, 'main;parse'));
  });

  it('redraws on resize and quits with q (the app unmounts)', async () => {
    const ui = render(h(Probe, { profile: cpuProfile() }));
    await sleep(20);
    expect(life.mounted).toBe(true);
    Object.defineProperty(ui.stdout, 'columns', { value: 60, configurable: true });
    ui.stdout.emit('resize');
    await sleep(20);
    expect((ui.lastFrame() ?? '').split('\n').find((l) => l.includes('['))).toBe(`[all${' '.repeat(60 - 5)}]`);
    ui.stdin.write('q');
    await sleep(20);
    expect(life.mounted).toBe(false);
  });

  it('runs on a real terminal: loaded as pyro loads it, keys in, frames out, colours unless NO_COLOR', async () => {
    if (!requirePeer('script')) return;
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const node = `'${process.execPath}' '${join(ROOT, 'test', 'fixtures', 'tui-run.mjs')}'`;
        // Without CI in the environment: Ink draws only the last frame when it thinks it runs in CI.
        const { CI: _ci, ...rest } = process.env;
        const child = spawn('script', ['-qec', `stty cols 100 rows 30 && ${node}`, '/dev/null'], {
          env: { ...rest, TERM: 'xterm-256color', NO_COLOR: '', ...env },
        });
        let out = '';
        let typed = false;
        const timer = setTimeout(() => {
          child.kill();
          reject(new Error(`no exit; output:\n${out}`));
        }, 30_000);
        child.stdout.on('data', async (d: Buffer) => {
          out += d.toString('utf8');
          // Keys once the first frame is drawn (before, the terminal is not yet raw).
          if (typed || !out.includes('total 105ms')) return;
          typed = true;
          await sleep(300);
          for (const k of [UP, '\r', '\u007F', '/', 'draw', '\r', 's', 'q']) {
            child.stdin.write(k);
            await sleep(150);
          }
        });
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, out });
        });
      });
    const plain = (s: string) => s.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '');
    const coloured = await run({});
    expect(coloured.code, coloured.out).toBe(0);
    const text = plain(coloured.out);
    expect(text).toContain('pty test');
    for (const name of ['main', 'parse', 'readLine', 'tokenize', 'render', 'idle']) expect(text).toContain(name);
    expect(text).toContain('zoomed on main');
    expect(text).toContain(`/draw/ matched 15ms (${pct(15, 105)})`); // the fixture's draw over its total
    expect(text).toContain('callers of main');
    expect(text).toContain('tui done');
    // Backgrounds (chalk's 256-colour or true-colour codes) and the alternate screen, left at the end.
    expect(coloured.out).toMatch(/\u001B\[48;[25];/);
    expect(coloured.out).toContain('\u001B[?1049h');
    expect(coloured.out.lastIndexOf('\u001B[?1049l')).toBeGreaterThan(coloured.out.lastIndexOf('callers of main'));
    const bare = await run({ NO_COLOR: '1' });
    expect(bare.code, bare.out).toBe(0);
    expect(bare.out).not.toMatch(/\u001B\[(4[0-7]|48;)/);
    expect(plain(bare.out)).toContain('[all');
  });
});
