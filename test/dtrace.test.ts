import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dtrace, fixRustSymbol } from '../src/core/formats/dtrace.js';
import { foldedLines } from '../src/core/formats/folded.js';
import { detectFormat, FORMATS, readProfile } from '../src/core/formats/index.js';
import type { Source } from '../src/core/io/source.js';
import { sourceFromBuffer } from '../src/core/io/source.js';
import { corpus, pyro, readBytes, readFile } from './helpers.js';

const dir = (...p: string[]) => corpus('dtrace', ...p);
const expected = (name: string) => readFileSync(dir('results', name), 'utf8');

// The pairs and options of inferno's tests/collapse-dtrace.rs.
const DEFAULT_PAIRS: [input: string, result: string][] = [
  ['example-dtrace-stacks.txt', 'dtrace-example.txt'],
  ['java.txt', 'java.txt'],
  ['hex-addresses.txt', 'hex-addresses.txt'],
  ['stack-ustack.txt', 'stack-ustack.txt'],
  ['scope_with_no_argument_list.txt', 'scope_with_no_argument_list.txt'],
  ['rust-names.txt', 'rust-names.txt'],
];

describe('dtrace reader: corpus', () => {
  for (const [input, result] of DEFAULT_PAIRS) {
    it(`pyro convert --to folded ${input} equals results/${result}`, () => {
      const r = pyro(['convert', '--to', 'folded', dir(input)]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(expected(result));
    });
  }

  it('keeps offsets (but the leaf one) with includeOffset', async () => {
    const p = await readFile(dir('example-dtrace-stacks.txt'), { dtrace: { includeOffset: true } });
    expect(`${foldedLines(p, 0).join('\n')}\n`).toBe(expected('dtrace-example-offsets.txt'));
  });

  it('pyro convert --include-offset equals results/dtrace-example-offsets.txt', () => {
    const r = pyro(['convert', '--include-offset', dir('example-dtrace-stacks.txt')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('dtrace-example-offsets.txt'));
  });

  it("removes only the leaf's own offset, not its caller's when the leaf has none (FlameGraph issue 202)", async () => {
    // stackcollapse.pl strips the last "+..." of the joined stack, which eats
    // "+0x96;genunix`segvn_fault" when the leaf has no offset (results/*.orig
    // keeps that output); inferno fixed it, and so does pyro.
    const p = await readFile(dir('flamegraph-bug.txt'), { dtrace: { includeOffset: true } });
    expect(`${foldedLines(p, 0).join('\n')}\n`).toBe(expected('flamegraph-bug.txt'));
  });

  it('totals are the sum of the count lines', async () => {
    const text = readFileSync(dir('example-dtrace-stacks.txt'), 'utf8');
    const sum = text
      .split('\n')
      .slice(3)
      .filter((l) => /^\s*\d+\s*$/.test(l))
      .reduce((s, l) => s + Number(l), 0);
    const p = await readFile(dir('example-dtrace-stacks.txt'));
    expect(p.totals()).toEqual([sum]);
    expect(p.format).toBe('dtrace');
  });

  it('reads a file of header lines only as an empty profile, with a warning', () => {
    const r = pyro(['convert', '--to', 'folded', dir('only-header-lines.txt')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/only-header-lines\.txt: no stacks/);
  });
});

describe('dtrace reader: frames', () => {
  const read = async (body: string) => foldedLines(await readBytes('t', `CPU ID FUNCTION:NAME\n\n${body}`), 0);

  it('folds leaf-first frames, drops offsets, sums equal stacks', async () => {
    const body = '  m`leaf+0x1\n  m`main+0x2\n  3\n\n  m`leaf+0x9\n  m`main\n  2\n\n  m`main+0x4\n  1\n';
    expect(await read(body)).toEqual(['m`main 1', 'm`main;m`leaf 5']);
  });

  it('drops C++ argument lists (from the last ( or < after the first ::), keeps the scope', async () => {
    const body = [
      '  a.so`ns::Cls::f(int, char const*)+0x10',
      '  a.so`ns::g<blargh>(const char*)[__1cJTestClass2t6Mpkc_v_]+0x1',
      '  a.so`plain(int)+0x2',
      '  1',
    ].join('\n');
    expect(await read(body)).toEqual(['a.so`plain(int);a.so`ns::g<blargh>;a.so`ns::Cls::f 1']);
  });

  it("splits Java's inlined a->b into a;b_[i], drops the L of class names, turns ';' into ':'", async () => {
    const body = '  j`Lcom/A;::run->Lcom/B;::go\n  j`main\n  1\n';
    expect(await read(body)).toEqual(['j`main;j`Lcom/A:::run;com/B:::go_[i] 1']);
  });

  it('names an empty frame "-"', async () => {
    expect(await read('  +0x12\n  m`main\n  1\n')).toEqual(['m`main;- 1']);
  });

  it('fixes partially demangled Rust names (rustc-demangle legacy rules)', () => {
    expect(fixRustSymbol('std::sys::unix::fs::File::open::hb90e1c1c787080f0')).toBe('std::sys::unix::fs::File::open');
    expect(
      fixRustSymbol(
        '_$LT$std..fs..ReadDir$u20$as$u20$core..iter..traits..iterator..Iterator$GT$::next::hc14f1750ca79129b',
      ),
    ).toBe('<std::fs::ReadDir as core::iter::traits::iterator::Iterator>::next');
    expect(fixRustSymbol('rg::search_parallel::_$u7b$$u7b$closure$u7d$$u7d$::h6e849b55a66fcd85')).toBe(
      'rg::search_parallel::_{{closure}}',
    );
    expect(fixRustSymbol('std::sys::unix::fs::File::open')).toBeUndefined();
    expect(fixRustSymbol('_ZN3std2rt19lang_start_internal17h540c897fe52ba9c5E')).toBeUndefined();
  });

  it('reports a stack without its count line as bad input, naming the line', async () => {
    await expect(readBytes('cut.txt', 'CPU ID\n\n  m`a\n  1\n\n  m`b+0x1\n  m`main\n')).rejects.toThrow(
      /^cut\.txt: line 6: .*middle of a stack/,
    );
  });

  it('skips an empty stack with a warning', async () => {
    const p = await readBytes('t', 'CPU ID FUNCTION:NAME\n\n  7\n\n  m`a\n  1\n');
    expect(foldedLines(p, 0)).toEqual(['m`a 1']);
    expect(p.warnings.join('\n')).toMatch(/skipped 1 count with an empty stack/);
  });

  it('reads CRLF input and input cut into tiny chunks to the same stacks', async () => {
    const bytes = readFileSync(dir('hex-addresses.txt'));
    const want = expected('hex-addresses.txt').trimEnd().split('\n');
    const crlf = await readBytes('crlf', bytes.toString('utf8').replaceAll('\n', '\r\n'));
    expect(foldedLines(crlf, 0)).toEqual(want);
    const whole = await sourceFromBuffer('chunks', bytes);
    const chunked: Source = {
      ...whole,
      complete: false,
      chunks: async function* () {
        for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
      },
    };
    expect(foldedLines(await readProfile(chunked, {}, 'dtrace'), 0)).toEqual(want);
  });
});

describe('dtrace detection', () => {
  it('detects every corpus input by content, without a file name', async () => {
    for (const [input] of [...DEFAULT_PAIRS, ['flamegraph-bug.txt'], ['only-header-lines.txt']]) {
      const source = await sourceFromBuffer('stdin', readFileSync(dir(input as string)));
      expect(detectFormat(source).id, input).toBe('dtrace');
    }
    const r = pyro(['convert', '--to', 'folded', '-'], { input: readFileSync(dir('java.txt')) });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('java.txt'));
  });

  it('detects DTrace output without its header', async () => {
    const body = readFileSync(dir('java.txt'), 'utf8').split('\n').slice(2).join('\n');
    expect(dtrace.detect(Buffer.from(body), true)).toBe('yes');
  });

  it('does not claim folded stacks (even of DTrace frames) or perf script', () => {
    const txt = (d: string) =>
      readdirSync(corpus(d), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.txt'))
        .map((f) => corpus(d, f));
    const notDtrace = [
      ...txt('dtrace/results'),
      ...txt('folded'),
      ...txt('perf-script'),
      ...txt('speedscope-samples/stackcollapse'),
      ...txt('speedscope-samples/linux-perf'),
    ];
    expect(notDtrace.length).toBeGreaterThan(100);
    for (const path of notDtrace) {
      const head = readFileSync(path).subarray(0, 65536);
      expect(dtrace.detect(head, head.length < 65536), path).toBe('no');
    }
  });

  it('is in the format list, before folded stacks', () => {
    const ids = FORMATS.map((f) => f.id);
    expect(ids.indexOf('dtrace')).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf('dtrace')).toBeLessThan(ids.indexOf('folded'));
  });
});
