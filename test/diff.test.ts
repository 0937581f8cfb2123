import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { type DiffRow, diffProfiles, diffTable, normalizeName } from '../src/core/diff/diff.js';
import { foldedDiffChunks, foldedDiffOfSortedFiles } from '../src/core/diff/folded-diff.js';
import { addRangeSums, type FunctionSums, splitFiles, sumFoldedRanges } from '../src/core/diff/folded-sums.js';
import { tQuantile, welch } from '../src/core/diff/stats.js';
import { foldedLines, parseFoldedColumns } from '../src/core/formats/folded.js';
import { sourceFromBuffer } from '../src/core/io/source.js';
import { functionValues } from '../src/core/report/top.js';
import { corpus, pyro, ROOT, readBytes, readFile, requirePeer, tempDir } from './helpers.js';

const DIFF = (f: string) => corpus('diff-folded', f);
const sortedLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('pyro diff --to folded-diff', () => {
  // The corpus's results are inferno's diff-folded output, printed in hash order: the lines are
  // compared sorted (pyro prints them depth first, siblings by name: sorted, for these names), every byte of every line equal.
  for (const [name, base, extra] of [
    ['default', 'before.txt', []],
    ['normalize', 'before.txt', ['--normalize']],
    ['strip_hex', 'before.txt', ['--strip-hex']],
    ['fractionals', 'before_fractionals.txt', []],
  ] as const) {
    it(`gives difffolded's lines for the ${name} case`, () => {
      const r = pyro(['diff', DIFF(base), DIFF('after.txt'), '--to', 'folded-diff', ...extra]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.split('\n').filter(Boolean)).toEqual(sortedLines(r.stdout));
      expect(sortedLines(r.stdout)).toEqual(sortedLines(readFileSync(DIFF(`results/${name}.txt`), 'utf8')));
    });
  }
});

describe('folded-diff of sorted folded files, merged line by line', () => {
  const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const sortedFile = (dir: string, name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, `${text.split('\n').filter(Boolean).sort(byBytes).join('\n')}\n`);
    return path;
  };

  for (const [name, base, extra] of [
    ['default', 'before.txt', []],
    ['normalize', 'before.txt', ['--normalize']],
    ['fractionals', 'before_fractionals.txt', []],
  ] as const) {
    it(`gives difffolded's lines for the ${name} case, in the files' order`, () => {
      const dir = tempDir();
      const b = sortedFile(dir, 'before.txt', readFileSync(DIFF(base), 'utf8'));
      const a = sortedFile(dir, 'after.txt', readFileSync(DIFF('after.txt'), 'utf8'));
      const r = pyro(['diff', b, a, '--to', 'folded-diff', ...extra]);
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.split('\n').filter(Boolean);
      expect(lines).toEqual(sortedLines(readFileSync(DIFF(`results/${name}.txt`), 'utf8')));
      expect(lines.map((l) => l.slice(0, l.lastIndexOf(' ', l.lastIndexOf(' ') - 1)))).toEqual(
        lines.map((l) => l.slice(0, l.lastIndexOf(' ', l.lastIndexOf(' ') - 1))).sort(byBytes),
      );
    });
  }

  it('gives the lines of the two profiles merged in a trie, for any sorted input; an unsorted one is read into profiles', async () => {
    // Names that are prefixes of one another, with ';' sorting after '.', ' ' and digits; equal lines; zeros and fractions; invalid lines.
    const frame = fc.constantFrom('a', 'ab', 'a.b', 'a b', 'a1', 'b');
    const line = fc.oneof(
      {
        weight: 9,
        arbitrary: fc
          .tuple(fc.array(frame, { minLength: 1, maxLength: 5 }), fc.constantFrom(0, 1, 2, 7, 0.5, 1.5))
          .map(([st, c]) => `${st.join(';')} ${c}`),
      },
      { weight: 1, arbitrary: fc.constantFrom('no count here', '   ', 'a;b x') },
    );
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 30 }),
        fc.array(line, { maxLength: 30 }),
        fc.boolean(),
        async (bl, nl, normalize) => {
          const b = sortedFile(dir, 'b.folded', `a 1\n${bl.join('\n')}`);
          const n = sortedFile(dir, 'n.folded', `b 1\n${nl.join('\n')}`);
          const chunks: Buffer[] = [];
          const warnings = await foldedDiffOfSortedFiles(b, n, { normalize }, (c) => {
            chunks.push(Buffer.from(c));
          });
          expect(warnings).toBeDefined();
          const merged = foldedDiffChunks(diffProfiles(await readFile(b), await readFile(n)), { normalize });
          expect(sortedLines(Buffer.concat(chunks).toString())).toEqual(sortedLines(Buffer.concat(merged).toString()));
        },
      ),
      { numRuns: 200 },
    );
    writeFileSync(join(dir, 'unsorted.folded'), 'b;a 1\na;b 2\n');
    let wrote = false;
    const r = await foldedDiffOfSortedFiles(join(dir, 'unsorted.folded'), join(dir, 'n.folded'), {}, () => {
      wrote = true;
    });
    expect(r).toBeUndefined();
    expect(wrote).toBe(false);
  });

  it('takes the profiles path for names that are not UTF-8, for an output that is an input, and checks its flags first', () => {
    const dir = tempDir();
    const b = join(dir, 'b.folded');
    const n = join(dir, 'n.folded');
    writeFileSync(b, Buffer.from('main;\xe8 1\nmain;\xe9 2\n', 'latin1'));
    writeFileSync(n, Buffer.from('main;\xe9 5\n', 'latin1'));
    const r = pyro(['diff', b, n, '--to', 'folded-diff']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('main;\ufffd 3 5\n');
    // Written over its base: the base is read whole first (about 9 MB, more than one read).
    const lines = Array.from(
      { length: 200000 },
      (_, i) => `main;work${String(i).padStart(6, '0')};leaf_of_some_length 1`,
    );
    writeFileSync(b, `${lines.join('\n')}\n`);
    writeFileSync(n, `${lines.map((l) => l.replace(/ 1$/, ' 2')).join('\n')}\n`);
    const over = pyro(['diff', b, n, '--to', 'folded-diff', '-o', b]);
    expect(over.status, over.stderr).toBe(0);
    const out = readFileSync(b, 'utf8').split('\n').filter(Boolean);
    expect(out).toHaveLength(200000);
    expect(out.every((l) => l.endsWith(' 1 2'))).toBe(true);
    const bad = pyro(['diff', n, n, '--to', 'folded-diff', '--confidence', '7']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--confidence 7/);
  });

  it('warns of invalid lines as the folded reader does', () => {
    const dir = tempDir();
    const b = sortedFile(dir, 'b.folded', 'a;b 1\nbroken line\nc 2');
    const n = sortedFile(dir, 'n.folded', 'a;b 3');
    const r = pyro(['diff', b, n, '--to', 'folded-diff']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('a;b 1 3\nc 2 0\n');
    expect(r.stderr).toMatch(/b\.folded: skipped 1 invalid line \(the first is line 2/);
  });
});

describe('the diff table', () => {
  it('is the same when the two sides are summed on two threads, or read on two (inputs of 16 MB or more)', async () => {
    const dir = tempDir();
    // Two sides of about 9 MB each, deep enough to carry totals and child lists back from the thread.
    const side = (seed: number, name: string) => {
      let x = seed;
      const lines: string[] = [];
      for (let i = 0; i < 90000; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const depth = 4 + (x % 12);
        const frames = Array.from({ length: depth }, (_, j) => `pkg${(x >>> (j % 16)) % 7}.fn${(x >>> j) % 97}_${j}`);
        lines.push(`${frames.join(';')} ${1 + (x % 9)}`);
      }
      const path = join(dir, name);
      writeFileSync(path, `${lines.join('\n')}\n`);
      return path;
    };
    const base = side(1, 'base.folded');
    const next = side(2, 'new.folded');
    expect(statSync(base).size + statSync(next).size).toBeGreaterThan(16e6);
    const r = pyro(['diff', base, next, '--json', '--limit', '0']);
    expect(r.status, r.stderr).toBe(0);
    const want = diffTable(diffProfiles(await readFile(base), await readFile(next)), { limit: 0 });
    const got = JSON.parse(r.stdout) as typeof want;
    expect(got.rows.length).toBe(want.rows.length);
    expect(got.rows.map((x) => [x.name, x.base, x.new])).toEqual(want.rows.map((x) => [x.name, x.base, x.new]));
    // With --value, each side is read into a profile, the base on a worker thread: the same table.
    const read = pyro(['diff', base, next, '--json', '--limit', '0', '--value', 'samples']);
    expect(read.status, read.stderr).toBe(0);
    expect((JSON.parse(read.stdout) as typeof want).rows).toEqual(got.rows);
  });

  it('sums folded files cut into ranges at line starts to what their tries give, invalid lines numbered in the whole file', async () => {
    const names = ['f', 'f1', 'g', 'main', 'x;y'];
    const line = fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .tuple(
            fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 7 }),
            fc.integer({ min: 0, max: 50 }),
            fc.boolean(),
          )
          .map(([fs, n, half]) => `${fs.join(';')} ${half ? n + 0.5 : n}`),
      },
      { weight: 1, arbitrary: fc.constantFrom('', '  ', 'not a line', 'main;f', 'main;f x') },
    );
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        async (lines, parts, crlf) => {
          fc.pre(lines.some((l) => /\d$/.test(l) && l.includes(' ')));
          const path = join(dir, 'side.folded');
          writeFileSync(path, lines.join(crlf ? '\r\n' : '\n'));
          const ranges = splitFiles([path], [statSync(path).size], parts);
          // Whole lines, in order, covering the file.
          expect(ranges.map((r) => r.start)).toEqual([0, ...ranges.slice(0, -1).map((r) => r.end)]);
          const { sums, warnings } = addRangeSums([path], (await sumFoldedRanges(ranges)).reverse());
          const profile = await readFile(path);
          const fv = functionValues(profile, 0);
          const want = new Map<string, [number, number]>();
          for (let id = 0; id < profile.strings.size; id++)
            if (fv.seen[id]) want.set(profile.strings.get(id), [fv.self[id] as number, fv.total[id] as number]);
          const s = sums[0] as FunctionSums;
          const got = new Map(s.names.map((n, i) => [n, [s.self[i] as number, s.total[i] as number]]));
          expect(got).toEqual(want);
          expect(s.whole).toBe(profile.trie().columnTotal(0));
          expect(warnings).toEqual(profile.warnings);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('numbers a line too long to read in the whole file when the file is cut into ranges', async () => {
    const dir = tempDir();
    const path = join(dir, 'long.folded');
    // 2.2 MB of lines, then the long one: it starts in the third range or later.
    const before = Array.from({ length: 250000 }, (_, i) => `main;f${i % 7} 1`).join('\n');
    writeFileSync(path, `${before}\nmain;${'x'.repeat(5 << 20)} 1\nmain;g 2\n`);
    const ranges = splitFiles([path], [statSync(path).size], 8);
    expect(ranges.filter((r) => r.end <= 2.25e6).length).toBeGreaterThan(1);
    const parts = await sumFoldedRanges(ranges);
    expect(() => addRangeSums([path], parts)).toThrow(/long\.folded: line 250001: longer than 4 MiB/);
  });

  it('warns of invalid lines on stderr, and not with --json; --to with -o writes what --to asks for', () => {
    const dir = tempDir();
    const b = join(dir, 'b.folded');
    const n = join(dir, 'n.folded');
    writeFileSync(b, 'main;a 1\nbroken\nmain;b 2\n');
    writeFileSync(n, 'main;b 3\nmain;a 1\n');
    const r = pyro(['diff', b, n]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/b\.folded: skipped 1 invalid line \(the first is line 2/);
    const j = pyro(['diff', b, n, '--json']);
    expect(j.status).toBe(0);
    expect(j.stderr).toBe('');
    // Unsorted, so not merged from the files: read into a trie, and still folded-diff lines, not a graph.
    const out = join(dir, 'out.svg');
    expect(pyro(['diff', b, n, '--to', 'folded-diff', '-o', out]).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('main;a 1 1\nmain;b 2 3\n');
  });

  it('reads two folded files in step into one trie of a column per side, sorted or not', async () => {
    const stack = fc
      .tuple(
        fc.array(fc.constantFrom('f', 'f1', 'g', 'main'), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 9 }),
      )
      .map(([fs, n]) => `${fs.join(';')} ${n}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(stack, { maxLength: 40 }),
        fc.array(stack, { maxLength: 40 }),
        fc.boolean(),
        async (a, b, sort) => {
          fc.pre(a.length + b.length > 0);
          const [ta, tb] = [a, b].map((l) => `${(sort ? sortedLines(l.join('\n')) : l).join('\n')}\n`);
          const { profile, warnings } = await parseFoldedColumns(
            [await sourceFromBuffer('a', ta as string), await sourceFromBuffer('b', tb as string)],
            ['width', 'base', 'new'].map((type) => ({ type, unit: 'count' })),
            [1, 2],
          );
          expect(warnings).toEqual([]);
          const alone = async (t: string) => (t.trim() ? foldedLines(await readBytes('x.folded', t), 0) : []);
          const column = (c: number) => foldedLines(profile, c).filter((l) => !/ 0$/.test(l));
          expect(column(1)).toEqual(await alone(ta as string));
          expect(column(2)).toEqual(await alone(tb as string));
          expect(column(0)).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  /** Per function over folded lines: self and total (a stack counted once per function). */
  function brute(lines: string[]): { self: Map<string, number>; total: Map<string, number>; sum: number } {
    const self = new Map<string, number>();
    const total = new Map<string, number>();
    let sum = 0;
    for (const l of lines) {
      const cut = l.lastIndexOf(' ');
      const frames = l.slice(0, cut).split(';');
      const v = Number(l.slice(cut + 1));
      sum += v;
      const leaf = frames[frames.length - 1] as string;
      self.set(leaf, (self.get(leaf) ?? 0) + v);
      for (const f of new Set(frames)) total.set(f, (total.get(f) ?? 0) + v);
    }
    return { self, total, sum };
  }

  it('compares shares of each side by default, raw values with --absolute, and marks new and vanished functions', async () => {
    const before = ['main;parse;lex 30', 'main;parse 10', 'main;render 40', 'main;old 20'];
    const after = ['main;parse;lex 90', 'main;parse 10', 'main;render 80', 'main;fresh 20'];
    const d = diffProfiles(
      await readBytes('b.folded', before.join('\n')),
      await readBytes('a.folded', after.join('\n')),
    );
    const b = brute(before);
    const a = brute(after);
    const rows = diffTable(d, { limit: 0 }).rows;
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const name of new Set([...b.total.keys(), ...a.total.keys()])) {
      const r = byName.get(name) as DiffRow;
      expect(r.selfBase).toBeCloseTo((100 * (b.self.get(name) ?? 0)) / b.sum, 9);
      expect(r.selfNew).toBeCloseTo((100 * (a.self.get(name) ?? 0)) / a.sum, 9);
      expect(r.totalBase).toBeCloseTo((100 * (b.total.get(name) ?? 0)) / b.sum, 9);
      expect(r.totalNew).toBeCloseTo((100 * (a.total.get(name) ?? 0)) / a.sum, 9);
      expect(r.selfDelta).toBeCloseTo(r.selfNew - r.selfBase, 9);
    }
    expect(byName.get('fresh')?.status).toBe('new');
    expect(byName.get('old')?.status).toBe('vanished');
    expect(byName.get('lex')?.status).toBe('changed');
    // Largest absolute change of self share first.
    const keys = rows.map((r) => Math.abs(r.selfDelta));
    expect(keys).toEqual([...keys].sort((x, y) => y - x));
    // lex doubled its share (30% -> 45%), render stayed at 40%.
    expect(byName.get('lex')?.selfDelta).toBeCloseTo(15, 9);
    expect(byName.get('render')?.selfDelta).toBeCloseTo(0, 9);
    const raw = new Map(diffTable(d, { absolute: true, limit: 0 }).rows.map((r) => [r.name, r]));
    expect(raw.get('render')?.selfDelta).toBe(40);
    expect(raw.get('lex')?.relative).toBe(2);
  });

  it('matches frames across builds with --ignore-lines and --strip-hex', async () => {
    expect(normalizeName('handler (/app/server.js:12:7)', { ignoreLines: true })).toBe('handler (/app/server.js)');
    expect(normalizeName('main.go:42', { ignoreLines: true })).toBe('main.go');
    expect(normalizeName('[unknown] 0x7f3a2c', { stripHex: true })).toBe('[unknown] 0x...');
    const base = await readBytes('b.folded', 'main;handler (/app/server.js:12:7) 10\n');
    const next = await readBytes('a.folded', 'main;handler (/app/server.js:40:3) 10\n');
    const moved = diffTable(diffProfiles(base, next), { limit: 0 }).rows;
    expect(moved.find((r) => r.name.startsWith('handler'))?.status).toBe('vanished');
    const matched = diffTable(diffProfiles(base, next, { ignoreLines: true }), { limit: 0 }).rows;
    expect(matched.map((r) => [r.name, r.status])).toContainEqual(['handler (/app/server.js)', 'changed']);
  });

  it('reads any input on each side, several merged, and says when the value types do not meet', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'b1.folded'), 'main;a 10\n');
    writeFileSync(join(dir, 'b2.folded'), 'main;b 10\n');
    writeFileSync(join(dir, 'n.folded'), 'main;a 5\nmain;b 15\n');
    const r = pyro([
      'diff',
      '--base',
      join(dir, 'b1.folded'),
      '--base',
      join(dir, 'b2.folded'),
      '--new',
      join(dir, 'n.folded'),
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const t = JSON.parse(r.stdout) as { baseTotal: number; newTotal: number; rows: DiffRow[] };
    expect([t.baseTotal, t.newTotal]).toEqual([20, 20]);
    expect(t.rows.find((x) => x.name === 'b')?.selfDelta).toBeCloseTo(25, 9);
    const p = await readFile(corpus('speedscope-samples', 'pprof', 'simple.prof'));
    const q = await readBytes('f.folded', 'main 1\n');
    expect(() => diffProfiles(p, q)).toThrow(/the new side has no .* values/);
    const usage = pyro(['diff', join(dir, 'n.folded')]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^pyro: /);
  });
});

describe('the differential flamegraph', () => {
  it('draws both sides in one SVG: red for growth, blue for shrinkage, vanished frames too, both shares in the titles', () => {
    const out = join(tempDir(), 'diff.svg');
    const r = pyro(['diff', DIFF('before.txt'), DIFF('after.txt'), '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expect(XMLValidator.validate(svg)).toBe(true);
    const frames = [...svg.matchAll(/<g><title>([^<]*)<\/title><rect [^>]*fill="rgb\((\d+),(\d+),(\d+)\)"/g)].map(
      (m) => ({
        title: m[1] as string,
        rgb: [Number(m[2]), Number(m[3]), Number(m[4])],
      }),
    );
    const find = (name: string) => frames.find((f) => f.title.startsWith(`${name} (`));
    // Only in the new build: red, 0% before, 15% (12 of 80) after.
    const fresh = find('__fget_light_[k]');
    expect(fresh?.title).toBe('__fget_light_[k] (base 0.00%, new 15.00%, +15.00 points)');
    expect((fresh?.rgb[0] ?? 0) > (fresh?.rgb[2] ?? 0)).toBe(true);
    // Only in the base: still drawn, blue.
    const gone = find('0x234f2abc');
    expect(gone?.title).toBe('0x234f2abc (base 1.54%, new 0.00%, -1.54 points)');
    expect((gone?.rgb[2] ?? 0) > (gone?.rgb[0] ?? 0)).toBe(true);
    // Plain folded files are read in step into one trie; others (here gzipped) as two profiles merged: one graph.
    const dir = tempDir();
    const gz = (f: string) => {
      const path = join(dir, `${f}.gz`);
      writeFileSync(path, gzipSync(readFileSync(DIFF(f))));
      return path;
    };
    const merged = join(dir, 'merged.svg');
    expect(pyro(['diff', gz('before.txt'), gz('after.txt'), '-o', merged]).status).toBe(0);
    const drawn = (text: string) => text.slice(text.indexOf('<g id="frames">'));
    expect(drawn(readFileSync(merged, 'utf8'))).toBe(drawn(svg));
    // The profile inside is the same too: both sides' values and samples.
    const inside = (file: string) => {
      const [i] = JSON.parse(pyro(['info', file, '--json']).stdout) as { samples: number; valueTypes: unknown[] }[];
      return i;
    };
    expect(inside(merged)).toEqual({ ...inside(out), input: merged });
  });

  it('writes the differential page: the graph with the table beside it, working in a browser, read back by pyro', async () => {
    const dir = tempDir();
    const page = join(dir, 'diff.html');
    const r = pyro(['diff', DIFF('before.txt'), DIFF('after.txt'), '-o', page]);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html).toMatch(/<svg [^>]*>/);
    expect(html).toMatch(/<td class="name">__fget_light_\[k\] <b>new<\/b><\/td>/);
    // The page carries the diff's profile: the base and new values as read (the widths are drawn from them).
    const info = JSON.parse(pyro(['info', page, '--json']).stdout) as {
      format: string;
      valueTypes: { type: string; total: number }[];
    }[];
    expect(info[0]?.format).toBe('diff');
    expect(info[0]?.valueTypes.map((v) => v.type)).toEqual(['base', 'new']);
    const sum = (file: string) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .reduce((n, l) => n + (Number(l.split(' ').pop()) || 0), 0);
    expect(info[0]?.valueTypes.map((v) => v.total)).toEqual([sum(DIFF('before.txt')), sum(DIFF('after.txt'))]);
    if (!requirePeer('chromium')) return;
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const p = await browser.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      await p.goto(`file://${page}`);
      const target = p.locator('#frames > g', { hasText: 'write' }).first();
      await target.locator('rect').click({ force: true });
      expect(Number(await target.locator('rect').getAttribute('width'))).toBeCloseTo(1180, 0);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('the CI gate', () => {
  const dir = tempDir();
  const before = join(dir, 'before.folded');
  const after = join(dir, 'after.folded');
  writeFileSync(before, 'main;parse 50\nmain;render 50\n');
  writeFileSync(after, 'main;parse 58\nmain;render 42\nmain;fresh 0.5\n');

  it('exits 3 when a function crosses --fail-on, offenders first in the text and in the JSON', () => {
    const r = pyro(['diff', before, after, '--fail-on', 'self>5%']);
    expect(r.status).toBe(3);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^1 function crossed --fail-on/);
    expect(lines[1]).toMatch(/^\s+parse: self>5%/);
    const j = pyro(['diff', before, after, '--fail-on', 'self>5%', '--json']);
    expect(j.status).toBe(3);
    const out = JSON.parse(j.stdout) as { failed: { rule: string; row: DiffRow }[] };
    expect(out.failed.map((f) => f.row.name)).toEqual(['parse']);
  });

  it('exits 0 when nothing crosses, applies fn: rules to one function, and rejects a bad rule in one line', () => {
    expect(pyro(['diff', before, after, '--fail-on', 'self>10%']).status).toBe(0);
    expect(pyro(['diff', before, after, '--fail-on', 'fn:render self>1%']).status).toBe(0);
    expect(pyro(['diff', before, after, '--fail-on', 'fn:parse total>5%']).status).toBe(3);
    const bad = pyro(['diff', before, after, '--fail-on', 'self>>2']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--fail-on self>>2: expected/);
  });

  it('writes a markdown table for a job summary', () => {
    const r = pyro(['diff', before, after, '--format', 'markdown', '--fail-on', 'self>5%']);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^\*\*1 function crossed --fail-on\*\*/);
    expect(r.stdout).toMatch(/\| self base \| self new \| Δ self \|/);
    expect(r.stdout).toMatch(/\| `fresh` \*\*new\*\* \|/);
  });
});

describe("Welch's test", () => {
  it('has the t quantiles of the tables, and an interval around the difference of the means', () => {
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228, 3);
    expect(tQuantile(0.995, 4)).toBeCloseTo(4.604, 3);
    expect(tQuantile(0.95, 1)).toBeCloseTo(6.314, 3);
    expect(tQuantile(0.975, 1e6)).toBeCloseTo(1.96, 2);
    // Two samples of 5: means 10 and 12, variances 2.5 each; df = 8, se = 1.
    const c = welch([8, 9, 10, 11, 12], [10, 11, 12, 13, 14], 0.95);
    expect(c.delta).toBe(2);
    expect(c.low).toBeCloseTo(2 - 2.306, 3);
    expect(c.high).toBeCloseTo(2 + 2.306, 3);
    expect(c.significant).toBe(false);
    expect(welch([1, 1.1, 0.9], [3, 3.1, 2.9], 0.99).significant).toBe(true);
  });
});

describe('the gate on real recordings', () => {
  // Runs of 1.5 s: shorter ones leave start-up's share (noisy on a busy machine) too large beside a change of 3 points.
  it('passes runs of the same program, fails a function that does 20% more work, and marks a new one', () => {
    const dir = tempDir();
    const app = join(ROOT, 'examples', 'app.js');
    const record = (name: string, args: string[]) => {
      const r = spawnSync(process.execPath, [
        '--cpu-prof',
        '--cpu-prof-dir',
        dir,
        '--cpu-prof-name',
        name,
        app,
        ...args,
      ]);
      expect(r.status, r.stderr?.toString()).toBe(0);
      return join(dir, name);
    };
    // Five runs a side: with three, the test's interval is too wide to see the change when the machine is busy.
    const runs = (prefix: string, args: string[]) =>
      [1, 2, 3, 4, 5].map((i) => record(`${prefix}${i}.cpuprofile`, args));
    const base = runs('base', ['1500', '1']);
    const same = runs('same', ['1500', '1']);
    const changed = runs('changed', ['1500', '1.2', '1']);
    const sides = (b: string[], n: string[]) => [...b.flatMap((f) => ['--base', f]), ...n.flatMap((f) => ['--new', f])];
    const quiet = pyro(['diff', ...sides(base, same), '--fail-on', 'total>2%', '--json']);
    expect(quiet.status, quiet.stdout + quiet.stderr).toBe(0);
    const loud = pyro(['diff', ...sides(base, changed), '--fail-on', 'total>2%', '--json', '--limit', '0']);
    expect(loud.status, loud.stdout + loud.stderr).toBe(3);
    const out = JSON.parse(loud.stdout) as { failed: { row: DiffRow }[]; rows: DiffRow[] };
    expect(out.failed.map((f) => f.row.name)).toContain('checksum');
    const checksum = out.rows.find((r) => r.name === 'checksum') as DiffRow;
    expect(checksum.totalChange?.significant).toBe(true);
    expect(checksum.totalChange?.low).toBeGreaterThan(0);
    expect(out.rows.find((r) => r.name === 'compress')?.status).toBe('new');
    // The text says which interval each change has.
    const text = pyro(['diff', ...sides(base, changed), '--sort', 'total']);
    expect(text.stdout).toMatch(/interval/);
    // The same runs in the store: a selector a side gives its stored profiles as the runs of the test.
    const store = join(dir, 'store');
    for (const [build, files] of [
      ['base', base],
      ['same', same],
      ['changed', changed],
    ] as const) {
      const r = pyro(['ingest', ...files, '--app', 'app', '--label', `build=${build}`, '--store', store]);
      expect(r.status, r.stderr).toBe(0);
    }
    const selectors = (b: string, n: string) => ['--base', `app{build="${b}"}`, '--new', `app{build="${n}"}`];
    const storedQuiet = pyro([
      'diff',
      ...selectors('base', 'same'),
      '--store',
      store,
      '--fail-on',
      'total>2%',
      '--json',
    ]);
    expect(storedQuiet.status, storedQuiet.stdout + storedQuiet.stderr).toBe(0);
    const storedLoud = pyro([
      'diff',
      ...selectors('base', 'changed'),
      '--store',
      store,
      '--fail-on',
      'total>2%',
      '--json',
      '--limit',
      '0',
    ]);
    expect(storedLoud.status, storedLoud.stderr).toBe(3);
    const viaStore = JSON.parse(storedLoud.stdout) as { failed: { row: DiffRow }[]; rows: DiffRow[] };
    expect(viaStore.failed.map((f) => f.row.name)).toContain('checksum');
    // The same intervals as from the files: the runs are the same profiles.
    const fromStore = viaStore.rows.find((r) => r.name === 'checksum')?.totalChange;
    expect(fromStore?.low).toBeCloseTo(checksum.totalChange?.low as number, 6);
    expect(fromStore?.high).toBeCloseTo(checksum.totalChange?.high as number, 6);
  });
});
