import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldedLines, parseFolded } from '../src/core/formats/folded.js';
import { sourceFromBuffer } from '../src/core/io/source.js';
import { corpus, pyro, readBytes, readFile } from './helpers.js';

describe('folded reader', () => {
  it('reads any lines, sorted or not, whose frames are prefixes of one another, as their sums', async () => {
    // Names that are prefixes of each other make the reuse of the previous line's frames work hard.
    const frame = fc.constantFrom('a', 'ab', 'abc', 'b', 'ba', 'a b');
    const line = fc.record({
      stack: fc.array(frame, { minLength: 1, maxLength: 6 }),
      count: fc.integer({ min: 1, max: 9 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), fc.boolean(), async (lines, sort) => {
        const text = lines.map((l) => `${l.stack.join(';')} ${l.count}`);
        if (sort) text.sort();
        const want = new Map<string, number>();
        for (const l of lines) want.set(l.stack.join(';'), (want.get(l.stack.join(';')) ?? 0) + l.count);
        const p = await readBytes('p.folded', text.join('\n'));
        const got = new Map(
          foldedLines(p, 0).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
        );
        expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a large file, sorted and shuffled, to the same sums', async () => {
    // Wide nodes and a shuffled order: the reader gives up building the trie without hashing.
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const names = Array.from({ length: 300 }, (_, i) => `fn${i}`);
    const text: string[] = [];
    const want = new Map<string, number>();
    for (let i = 0; i < 30000; i++) {
      const stack = Array.from({ length: 1 + rand(8) }, () => names[rand(names.length)]).join(';');
      const count = 1 + rand(5);
      text.push(`${stack} ${count}`);
      want.set(stack, (want.get(stack) ?? 0) + count);
    }
    for (const order of [text, [...text].sort()]) {
      const p = await readBytes('big.folded', order.join('\n'));
      const got = new Map(
        foldedLines(p, 0).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
      );
      expect(got).toEqual(want);
    }
  });

  it('reads names of different bytes that decode alike (not UTF-8) as one frame', async () => {
    const p = await readBytes('l1.folded', Buffer.from('main;\xe8 1\nmain;\xe9 2\nmain;\xe8;x 4\n', 'latin1'));
    expect(foldedLines(p, 0)).toEqual(['main;\ufffd 3', 'main;\ufffd;x 4']);
  });

  it('refuses a last line longer than 4 MiB in one line, without a line break', async () => {
    const source = await sourceFromBuffer('long.folded', `${'a'.repeat(5 << 20)} 1`);
    await expect(parseFolded(source)).rejects.toThrow(/longer than 4 MiB/);
  });

  it('aggregates stacks and keeps fractional counts', async () => {
    const p = await readBytes('t.folded', 'a;b;c 3\na;b 2\na;b;c 1\na;d 1.5\n');
    expect(foldedLines(p, 0)).toEqual(['a;b 2', 'a;b;c 4', 'a;d 1.5']);
    expect(p.totals()).toEqual([7.5]);
  });

  it('reads CRLF and UTF-16 LE/BE files to the same stacks as the plain one', async () => {
    const plain = foldedLines(await readFile(corpus('speedscope-samples/stackcollapse/simple.txt')), 0);
    expect(plain.length).toBeGreaterThan(0);
    for (const name of ['simple-crlf.txt', 'simple-utf16-le.txt', 'simple-utf16-be.txt']) {
      const p = await readFile(corpus('speedscope-samples/stackcollapse', name));
      expect(foldedLines(p, 0), name).toEqual(plain);
    }
  });

  it('skips invalid lines with one counted warning', async () => {
    const p = await readFile(corpus('speedscope-samples/stackcollapse/simple-with-invalids.txt'));
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(/skipped \d+ invalid line/);
    expect(p.sampleCount).toBeGreaterThan(0);
  });

  it('merges several inputs on the command line', () => {
    const dir = corpus('folded/multiple-inputs');
    const r = pyro([
      'convert',
      `${dir}/perf-vertx-stacks-01-collapsed-all-unsorted-1.txt`,
      `${dir}/perf-vertx-stacks-01-collapsed-all-unsorted-2.txt`,
    ]);
    expect(r.status).toBe(0);
    const whole = pyro(['convert', corpus('folded/unsorted-input/perf-vertx-stacks-01-collapsed-all-unsorted.txt')]);
    expect(r.stdout).toBe(whole.stdout);
  });
});
