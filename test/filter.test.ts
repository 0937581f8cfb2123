import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PyroError } from '../src/core/errors.js';
import { foldedLines } from '../src/core/formats/folded.js';
import { ProfileBuilder } from '../src/core/model/builder.js';
import { applyFilters, type FilterOptions, type Granularity, hasFilters } from '../src/core/model/filter.js';
import type { Profile } from '../src/core/model/profile.js';
import { pyro } from './helpers.js';

// Property tests of applyFilters against a brute-force reference that works
// on the plain list of samples, with pprof's meanings (google/pprof
// doc/README.md and the help of its driver; the order is pprof's
// applyFocus: focus/ignore/hide/show, then tags, then prune_from, then the
// granularity):
//   focus      keeps a sample when one of its frames matches
//   ignore     drops a sample when one of its frames matches (ignore wins over focus)
//   hide       removes the matching frames; show keeps only the matching frames;
//              a sample left with no frame is dropped
//   prune-from cuts the stack below the deepest (remaining) matching frame, which stays
//   tags       every key=value / != / =~ / !~ must hold (sample label, else profile label)
//   collapse-recursion  consecutive equal frames become one
//   granularity         frames regrouped by function, line, file or module

interface Frame {
  name: string;
  file: string;
  line: number;
  module: string;
}
interface Sample {
  stack: Frame[];
  values: [number, number];
  labels: [string, string][];
}
interface Input {
  samples: Sample[];
  profileLabels: Record<string, string>;
}

const NAMES = ['main', 'a', 'b', 'c', 'ab', 'd'];
const PATTERNS = ['a', 'b', '^c$', 'ma', 'd|b', 'x\\.go', 'ab'];
const TAGS = ['thread=t1', 'thread!=t1', 'thread=~t[12]', 'thread!~t2', 'kind=z', 'kind!=x', 'kind=~x|z', 'kind!~y'];

const frameArb: fc.Arbitrary<Frame> = fc.record({
  name: fc.constantFrom(...NAMES),
  file: fc.constantFrom('', 'x.go', 'y.go'),
  line: fc.constantFrom(0, 1, 2),
  module: fc.constantFrom('', 'libm', 'app'),
});

const sampleArb: fc.Arbitrary<Sample> = fc.record({
  stack: fc.array(frameArb, { maxLength: 10 }),
  values: fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 3 })),
  labels: fc
    .record({ thread: fc.constantFrom(undefined, 't1', 't2', 't3'), kind: fc.constantFrom(undefined, 'x', 'y') })
    .map((r) => Object.entries(r).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, v]]))),
});

const inputArb: fc.Arbitrary<Input> = fc.record({
  samples: fc.array(sampleArb, { maxLength: 40 }),
  profileLabels: fc.constantFrom<Record<string, string>>({}, { kind: 'z' }, { thread: 't2' }),
});

const patternsArb = fc.array(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 2 });

function build(input: Input): Profile {
  const b = new ProfileBuilder(
    [
      { type: 'samples', unit: 'count' },
      { type: 'extra', unit: 'count' },
    ],
    'test',
  );
  b.profile.labels = { ...input.profileLabels };
  const ids: number[] = [];
  for (const s of input.samples) {
    ids.length = 0;
    for (const f of s.stack) ids.push(b.frameAt(f.name, f.file, f.line, f.module));
    b.addStack(ids, ids.length, s.values, b.profile.labelSetId(s.labels));
  }
  return b.finish();
}

const anyMatch = (patterns: string[] | undefined, s: string) => (patterns ?? []).some((p) => new RegExp(p).test(s));

function tagHolds(spec: string, labels: [string, string][], profileLabels: Record<string, string>): boolean {
  const m = /^(\w+)(=~|!~|!=|=)(.*)$/.exec(spec) as RegExpExecArray;
  const [, key, op, value] = m as unknown as [string, string, string, string];
  const own = labels.find((l) => l[0] === key);
  const v = own ? own[1] : profileLabels[key];
  const full = new RegExp(`^(?:${value})$`);
  if (op === '=') return v === value;
  if (op === '!=') return v !== value;
  if (op === '=~') return v !== undefined && full.test(v);
  return v === undefined || !full.test(v);
}

function groupKey(f: Frame, g: Granularity): string {
  switch (g) {
    case 'frame':
      return `${f.name}\u0000${f.file}\u0000${f.line}\u0000${f.module}`;
    case 'function':
      return f.name;
    case 'line':
      return f.file ? `${f.name} ${f.file}${f.line > 0 ? `:${f.line}` : ''}` : f.name;
    case 'file':
      return f.file || f.name;
    case 'module':
      return f.module || '[unknown]';
  }
}

/** The reference: filters applied to each sample, then aggregated into folded lines (per value type). */
function reference(input: Input, o: FilterOptions): { lines: string[][]; totals: number[] } {
  const g = o.granularity ?? 'frame';
  const sums = [new Map<string, number>(), new Map<string, number>()];
  const totals = [0, 0];
  for (const s of input.samples) {
    if (!(o.tags ?? []).every((t) => tagHolds(t, s.labels, input.profileLabels))) continue;
    if (o.focus && !s.stack.some((f) => anyMatch(o.focus, f.name))) continue;
    if (s.stack.some((f) => anyMatch(o.ignore, f.name))) continue;
    let stack = s.stack.filter((f) => !anyMatch(o.hide, f.name) && (!o.show || anyMatch(o.show, f.name)));
    if (s.stack.length > 0 && stack.length === 0) continue;
    if (o.pruneFrom) {
      let cut = -1;
      stack.forEach((f, i) => {
        if (anyMatch(o.pruneFrom, f.name)) cut = i;
      });
      if (cut >= 0) stack = stack.slice(0, cut + 1);
    }
    let keys = stack.map((f) => groupKey(f, g));
    if (o.collapseRecursion) keys = keys.filter((k, i) => i === 0 || k !== keys[i - 1]);
    const shown = keys.map((k) => (g === 'frame' ? k.split('\u0000')[0] : k)).join(';');
    for (let t = 0; t < 2; t++) {
      const v = s.values[t] as number;
      totals[t] += v;
      if (keys.length > 0 && v !== 0) sums[t]?.set(shown, (sums[t]?.get(shown) ?? 0) + v);
    }
  }
  const lines = sums.map((m) => [...m.keys()].sort().map((k) => `${k} ${m.get(k)}`));
  return { lines, totals };
}

function check(optsArb: fc.Arbitrary<FilterOptions>, runs = 300): void {
  fc.assert(
    fc.property(inputArb, optsArb, (input, o) => {
      const profile = build(input);
      const before = foldedLines(profile, 0);
      const out = applyFilters(profile, o);
      const want = reference(input, o);
      expect(foldedLines(out, 0)).toEqual(want.lines[0]);
      expect(foldedLines(out, 1)).toEqual(want.lines[1]);
      expect(out.totals()).toEqual(want.totals);
      // The input is not changed.
      expect(foldedLines(profile, 0)).toEqual(before);
    }),
    { numRuns: runs },
  );
}

describe('filters against a brute-force reference (pprof meanings)', () => {
  it('focus keeps samples with a matching frame', () => check(patternsArb.map((focus) => ({ focus }))));
  it('ignore drops samples with a matching frame', () => check(patternsArb.map((ignore) => ({ ignore }))));
  it('focus and ignore together: ignore wins', () => check(fc.record({ focus: patternsArb, ignore: patternsArb })));
  it('hide removes matching frames', () => check(patternsArb.map((hide) => ({ hide }))));
  it('show keeps only matching frames', () => check(patternsArb.map((show) => ({ show }))));
  it('prune-from cuts below the deepest matching frame, keeping it', () =>
    check(patternsArb.map((pruneFrom) => ({ pruneFrom }))));
  it('tag tests with = != =~ !~ on sample and profile labels', () =>
    check(fc.array(fc.constantFrom(...TAGS), { minLength: 1, maxLength: 3 }).map((tags) => ({ tags }))));
  it('collapse-recursion turns consecutive repeats into one', () => check(fc.constant({ collapseRecursion: true })));
  for (const granularity of ['function', 'line', 'file', 'module'] as const) {
    it(`granularity ${granularity}`, () => check(fc.constant({ granularity })));
  }
  it('filters combined', () =>
    check(
      fc.record(
        {
          focus: patternsArb,
          ignore: patternsArb,
          hide: patternsArb,
          show: patternsArb,
          pruneFrom: patternsArb,
          tags: fc.array(fc.constantFrom(...TAGS), { maxLength: 2 }),
          collapseRecursion: fc.boolean(),
          granularity: fc.constantFrom<Granularity>('frame', 'function', 'line', 'file', 'module'),
        },
        { requiredKeys: [] },
      ),
      1000,
    ));

  it('the doc comment example: [main, a, b, a, c]', () => {
    const main = { name: 'main', file: '', line: 0, module: '' };
    const f = (name: string) => ({ ...main, name });
    const input: Input = {
      samples: [{ stack: [main, f('a'), f('b'), f('a'), f('c')], values: [1, 0], labels: [] }],
      profileLabels: {},
    };
    const run = (o: FilterOptions) => foldedLines(applyFilters(build(input), o), 0);
    expect(run({ focus: ['^b$'] })).toEqual(['main;a;b;a;c 1']);
    expect(run({ ignore: ['^b$'] })).toEqual([]);
    expect(run({ hide: ['^a$'] })).toEqual(['main;b;c 1']);
    expect(run({ show: ['^(a|c)$'] })).toEqual(['a;a;c 1']);
    expect(run({ pruneFrom: ['^a$'] })).toEqual(['main;a;b;a 1']);
    expect(run({ hide: ['^b$'], collapseRecursion: true })).toEqual(['main;a;c 1']);
  });
});

describe('filter options', () => {
  it('no filters returns the profile itself', () => {
    const p = build({ samples: [], profileLabels: {} });
    expect(hasFilters({ granularity: 'frame', collapseRecursion: false })).toBe(false);
    expect(applyFilters(p, {})).toBe(p);
  });

  it('a bad regular expression or tag is a PyroError naming the flag', () => {
    const p = build({ samples: [], profileLabels: {} });
    expect(() => applyFilters(p, { focus: ['('] })).toThrow(PyroError);
    expect(() => applyFilters(p, { focus: ['('] })).toThrow(/--focus/);
    expect(() => applyFilters(p, { pruneFrom: ['[x'] })).toThrow(/--prune-from/);
    expect(() => applyFilters(p, { tags: ['novalue'] })).toThrow(/--tag novalue/);
    expect(() => applyFilters(p, { tags: ['k=~('] })).toThrow(PyroError);
  });

  it('through the CLI: a bad --focus is one line on stderr, exit 1', () => {
    const r = pyro(['convert', '-', '--focus', '('], { input: 'a;b 1\n' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--focus: invalid regular expression/);
  });

  it('through the CLI: --hide and --prune-from on folded input', () => {
    const r = pyro(['convert', '-', '--hide', '^b$', '--prune-from', '^c$'], {
      input: 'a;b;c;d 1\na;b;e 2\nb 4\n',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('a;c 1\na;e 2\n');
  });
});
