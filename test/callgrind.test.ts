import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PyroError } from '../src/core/errors.js';
import { CallGraph, callStacks } from '../src/core/formats/callgrind/graph.js';
import { foldedLines } from '../src/core/formats/folded.js';
import { detectFormat } from '../src/core/formats/index.js';
import { sourceFromBuffer } from '../src/core/io/source.js';
import type { Profile } from '../src/core/model/profile.js';
import { functionValues } from '../src/core/report/top.js';
import { corpus, pyro, readBytes, readFile, requirePeer, tempDir } from './helpers.js';

const SAMPLES = corpus('speedscope-samples', 'callgrind');

/** The profile's stacks as sorted folded lines of value type t. */
const folded = (p: Profile, t = 0) => foldedLines(p, t);

/** The sum of the self cost lines per event, the way the format defines the total (no calls= costs). */
function selfSums(text: string): number[] {
  const sums: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('calls=')) {
      i++;
      continue;
    }
    if (!/^[0-9+*-]/.test(line)) continue;
    // One position (positions: line) in these files, then the costs.
    line
      .trim()
      .split(/\s+/)
      .slice(1)
      .forEach((v, c) => {
        sums[c] = (sums[c] ?? 0) + (/^\d+$/.test(v) ? Number(v) : Number.NaN);
      });
  }
  return sums;
}

describe('callgrind reader: speedscope sample files', () => {
  // The extended example of callgrind's manual: main (self 20) calls func1 once
  // (400) and func2 three times (400); func1 (self 100) calls func2 twice (300); func2 has self 700.
  const MANUAL = ['main 20', 'main;func1 100', 'main;func1;func2 300', 'main;func2 400'];

  it('reads every file, detected without its name, with the totals of its cost lines', async () => {
    const names = readdirSync(SAMPLES).sort();
    expect(names.length).toBe(5);
    for (const name of names) {
      const bytes = readFileSync(join(SAMPLES, name));
      expect(detectFormat(await sourceFromBuffer('stdin', bytes)).id, name).toBe('callgrind');
      const p = await readBytes('stdin', bytes);
      expect(p.format).toBe('callgrind');
      expect(p.warnings, name).toEqual([]);
      if (name !== 'callgrind.subposition-compression.log') {
        expect(p.totals(), name).toEqual(selfSums(bytes.toString('utf8')));
      }
    }
  });

  it('the manual example, its name-compressed and subposition-compressed forms give the same stacks', async () => {
    for (const name of ['example', 'name-compression', 'subposition-compression']) {
      const p = await readFile(join(SAMPLES, `callgrind.${name}.log`));
      expect(p.valueTypes, name).toEqual([{ type: 'Instructions', unit: 'count' }]);
      expect(p.totals(), name).toEqual([820]);
      expect(folded(p), name).toEqual(MANUAL);
    }
  });

  it('frames keep their file and the line calls= gives as the target', async () => {
    const p = await readFile(join(SAMPLES, 'callgrind.name-compression.log'));
    const frames = [...Array(p.frames.size).keys()].map(
      (f) => `${p.frames.nameOf(f)} ${p.frames.fileOf(f)}:${p.frames.line[f]}`,
    );
    // main is never called: its line is its lowest cost line's.
    expect(frames.sort()).toEqual(['func1 file1.c:50', 'func2 file2.c:20', 'main file1.c:16']);
  });

  it('several events: one value type each, in the order of events:', async () => {
    const p = await readFile(join(SAMPLES, 'callgrind.multiple-event-types.log'));
    expect(p.valueTypes).toEqual([
      { type: 'Time_(10ns)', unit: 'count' },
      { type: 'Memory_(bytes)', unit: 'count' },
    ]);
    expect(p.totals()).toEqual([820, 38000]);
    expect(folded(p, 0)).toEqual(MANUAL);
    // Memory: main self 15000, calls func1 (20000) and func2 (3000); func1 self 15000, calls func2 (5000).
    expect(folded(p, 1)).toEqual(['main 15000', 'main;func1 15000', 'main;func1;func2 5000', 'main;func2 3000']);
    expect(p.labels).toEqual({ program: '/var/www/html/index.php', creator: 'xdebug 3.0.2 (PHP 7.4.14)' });
  });

  it('cfi/cfl and cfn hold for one call only: gamma after beta.c is alpha.c:gamma', async () => {
    const p = await readFile(join(SAMPLES, 'callgrind.cfn-reset.log'));
    expect(p.totals()).toEqual([40]);
    const files = [...Array(p.frames.size).keys()].map((f) => `${p.frames.fileOf(f)}:${p.frames.nameOf(f)}`);
    expect(files.sort()).toEqual(['alpha.c:alpha', 'alpha.c:delta', 'alpha.c:gamma', 'beta.c:beta']);
    // gamma (self 10) is called from alpha and delta with 10 each: its self is split evenly.
    expect(folded(p)).toEqual(['alpha 10', 'alpha;beta 10', 'alpha;delta 10', 'alpha;delta;gamma 5', 'alpha;gamma 5']);
  });
});

const read = (text: string) => readBytes('test.callgrind', text);

async function rejects(text: string, pattern: RegExp): Promise<void> {
  const e = await read(text).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, `expected an error matching ${pattern}`).toBeInstanceOf(PyroError);
  expect((e as Error).message).toMatch(/^test\.callgrind: /);
  expect((e as Error).message).toMatch(pattern);
}

describe('callgrind reader: hand-written cases', () => {
  const HEAD = '# callgrind format\nevents: Ir\n';

  it('name compression: ids per kind (file, function, object), defined once and used later', async () => {
    const p = await read(
      `${HEAD}ob=(1) /bin/app\nfl=(1) a.c\nfn=(1) main\n1 5\ncfl=(2) b.c\ncfn=(2) work\ncalls=1 10\n1 30\n` +
        // fn=(2) is the function "work" defined by cfn=; fl=(2) the file b.c defined by cfl=.
        `fl=(2)\nfn=(2)\n10 30\n` +
        // (1) as a file and (1) as a function are different names.
        `fl=(1)\nfn=(1)\n2 1\n`,
    );
    expect(folded(p)).toEqual(['main 6', 'main;work 30']);
    const frames = [...Array(p.frames.size).keys()].map(
      (f) => `${p.frames.moduleOf(f)} ${p.frames.fileOf(f)} ${p.frames.nameOf(f)}`,
    );
    expect(frames.sort()).toEqual(['/bin/app a.c main', '/bin/app b.c work']);
  });

  it('a name that starts with "(" and no digit is a name, not an id', async () => {
    const p = await read(`${HEAD}fn=(below main)\n1 3\ncfn=(9) main\ncalls=1 1\n1 2\nfn=(9)\n1 2\n`);
    expect(folded(p)).toEqual(['(below main) 3', '(below main);main 2']);
  });

  it('cfn= without calls= changes nothing; the next calls= needs its own cfn=', async () => {
    await rejects(
      `${HEAD}fn=a\n1 1\ncfn=b\ncalls=1 1\n1 1\ncalls=1 1\n1 1\n`,
      /line 8: "calls=" without a "cfn=" line/,
    );
    const p = await read(`${HEAD}fn=a\n1 1\ncfn=b\n2 4\n`);
    expect(folded(p)).toEqual(['a 5']);
  });

  it("cob and cfi default to the caller's object and current file (fi= included), for one call", async () => {
    const p = await read(
      `${HEAD}ob=app\nfl=a.c\nfn=main\n1 1\nfi=inl.h\ncfn=helper\ncalls=1 5\n7 2\n` +
        `cob=libc\ncfi=s.c\ncfn=strlen\ncalls=1 3\n8 3\nfe=a.c\ncfn=local\ncalls=1 9\n9 4\n` +
        `fl=inl.h\nfn=helper\n5 2\nob=libc\nfl=s.c\nfn=strlen\n3 3\nob=app\nfl=a.c\nfn=local\n9 4\n`,
    );
    const frames = [...Array(p.frames.size).keys()].map(
      (f) => `${p.frames.moduleOf(f)}|${p.frames.fileOf(f)}|${p.frames.nameOf(f)}|${p.frames.line[f]}`,
    );
    expect(frames.sort()).toEqual(['app|a.c|local|9', 'app|a.c|main|1', 'app|inl.h|helper|5', 'libc|s.c|strlen|3']);
    expect(folded(p)).toEqual(['main 1', 'main;helper 2', 'main;local 4', 'main;strlen 3']);
  });

  it('positions: instr line, hex addresses, "+n", "-n" and "*" relative to the last cost line', async () => {
    const p = await read(
      '# callgrind format\npositions: instr line\nevents: Ir Dr\n' +
        'fl=x.c\nfn=f\n0x1000 10 1 1\n+4 * 2\n-2 +1 3 1\n* * 4\n' +
        // The target of calls= is relative to the last cost line and does not move it.
        'cfn=g\ncalls=2 +0x10 +20\n* * 10 5\n+1 -1 5\n' +
        'fn=g\n0x1012 31 10 5\n',
    );
    expect(p.valueTypes.map((v) => v.type)).toEqual(['Ir', 'Dr']);
    expect(p.totals()).toEqual([25, 7]);
    expect(folded(p, 0)).toEqual(['f 15', 'f;g 10']);
    expect(folded(p, 1)).toEqual(['f 2', 'f;g 5']);
    const g = [...Array(p.frames.size).keys()].find((f) => p.frames.nameOf(f) === 'g') as number;
    expect(p.frames.line[g]).toBe(31);
  });

  it('jump= and jcnd= lines and the position line after them change neither costs nor positions', async () => {
    const p = await read(`${HEAD}fn=f\n10 1\njump=3 +5\n-5\n+1 2\njcnd=1/4 -3\n-8\n* 3\n`);
    expect(p.totals()).toEqual([6]);
    // The lowest line of f is 10: the jump sources (lines 5 and 2) are not cost lines, and '+1' is 11.
    expect(p.frames.line[0]).toBe(10);
  });

  it('fewer costs than events are zeros; comments, blank lines and CRLF are fine', async () => {
    const p = await read('# callgrind format\r\nevents: A B C\r\n\r\n# a comment\r\nfn=f\r\n1 5\r\n2 1 2 3\r\n');
    expect(p.totals()).toEqual([6, 2, 3]);
  });

  it('recursion: a function calling itself, and a cycle through two, count each self cost once', async () => {
    // fact calls itself: the recursive calls' inclusive cost (450) is inside the outer call's (100).
    const direct = await read(
      `${HEAD}fn=main\n1 1\ncfn=fact\ncalls=1 1\n1 100\nfn=fact\n1 100\ncfn=fact\ncalls=9 1\n1 450\n`,
    );
    expect(folded(direct)).toEqual(['main 1', 'main;fact 100']);
    // a -> b -> a -> b ...: a is not entered again under b.
    const mutual = await read(
      `${HEAD}fn=main\n1 1\ncfn=a\ncalls=1 1\n1 100\nfn=a\n1 50\ncfn=b\ncalls=5 1\n1 250\nfn=b\n1 50\ncfn=a\ncalls=4 1\n1 200\n`,
    );
    expect(mutual.totals()).toEqual([101]);
    expect(folded(mutual).map((l) => l.replace(/ .*/, ''))).toEqual(['main', 'main;a', 'main;a;b']);
    const { total } = functionValues(mutual, 0);
    expect(total[mutual.strings.intern('a')]).toBe(100);
  });

  it('a function its callers pass no cost of one event is a root for that event', async () => {
    const p = await read('# callgrind format\nevents: A B\nfn=main\n1 1 1\ncfn=f\ncalls=1 1\n1 10 0\nfn=f\n1 10 3\n');
    expect(p.totals()).toEqual([11, 4]);
    expect(folded(p, 0)).toEqual(['main 1', 'main;f 10']);
    expect(folded(p, 1)).toEqual(['f 3', 'main 1']);
  });

  it('a function both called and run at the top gets the rest of its inclusive cost as a root', async () => {
    const p = await read(`${HEAD}fn=a\n1 1\ncfn=b\ncalls=1 1\n1 4\nfn=b\n1 10\n`);
    expect(folded(p)).toEqual(['a 1', 'a;b 4', 'b 6']);
  });

  it('several parts: summed per value type, totals: checked, a new event in a later part', async () => {
    const text =
      `# callgrind format\nversion: 1\ncreator: test\npid: 7\ncmd: ./app --x\npart: 1\n\nevents: Ir\nsummary: 30\n\n` +
      `fn=(1) main\n1 10\ncfn=(2) f\ncalls=1 5\n1 20\nfn=(2)\n5 20\n\ntotals: 30\n\n` +
      `part: 2\n\nevents: Ir Dr\nsummary: 5 3\n\nfn=(1)\n1 0 0\ncfn=(2)\ncalls=1 5\n1 5 3\nfn=(2)\n5 5 3\n\ntotals: 5 3\n`;
    const p = await read(text);
    expect(p.warnings).toEqual([]);
    expect(p.valueTypes.map((v) => v.type)).toEqual(['Ir', 'Dr']);
    expect(p.totals()).toEqual([35, 3]);
    expect(folded(p)).toEqual(['main 10', 'main;f 25']);
    expect(p.labels.program).toBe('./app --x');
    // A totals: line that disagrees is a warning, not an error.
    const off = await read(text.replace('totals: 30', 'totals: 31'));
    expect(off.warnings).toEqual([
      'test.callgrind: line 19: totals: says 31 Ir, but the cost lines of this part add up to 30',
    ]);
  });

  it('threads (parts with thread:) are labelled', async () => {
    const p = await read(`${HEAD}thread: 1\nfn=main\n1 10\n\nthread: 2\nevents: Ir\nfn=worker\n1 5\nfn=main\n1 1\n`);
    expect(p.labelSets.slice(1)).toEqual([[['thread', '1']], [['thread', '2']]]);
    expect(p.totals()).toEqual([16]);
    expect(folded(p)).toEqual(['main 11', 'worker 5']);
  });

  it("costs relative to the previous cost line (speedscope's sample files) read as the absolute ones", async () => {
    const p = await read(`${HEAD}fn=f\n1 20\n* +5\n* *\n+1 -10\n`);
    expect(p.totals()).toEqual([20 + 25 + 25 + 15]);
  });

  it('malformed input: one error naming the source and line', async () => {
    await rejects('# callgrind format\nfn=main\n1 2\n', /line 3: a cost line before the "events:" line/);
    await rejects(`${HEAD}1 2\n`, /line 3: a cost line before any "fn=" line/);
    await rejects(`${HEAD}fn=(3)\n`, /line 3: name \(3\) is used before a line defines it/);
    await rejects(`${HEAD}fn=(3 main\n`, /line 3: .*expected "\(number\)"/);
    await rejects(`${HEAD}fn=a\n1 2 3\n`, /line 4: "1 2 3": more costs than the 1 events/);
    await rejects(`${HEAD}fn=a\n1 2x\n`, /line 4: "1 2x" is not a cost line: bad cost/);
    await rejects(`${HEAD}fn=a\n1 -5\n`, /line 4: .*bad cost/);
    await rejects(`${HEAD}fn=a\n1 ${'9'.repeat(400)}\n`, /line 4: .*bad cost/);
    await rejects(`${HEAD}fn=a\nx 2\n`, /line 4: "x 2" is not a callgrind line/);
    await rejects(`${HEAD}fn=a\ncfn=b\ncalls=1 1\nfn=c\n`, /line 6: expected the cost line of the "calls=" on line 5/);
    await rejects(`${HEAD}fn=a\ncfn=b\ncalls=1 1\n`, /line 5: "calls=" at the end of the input/);
    await rejects(`${HEAD}fn=a\ncfn=b\ncalls=x 1\n1 1\n`, /line 5: .*expected "calls=COUNT TARGET-POSITION"/);
    await rejects('# callgrind format\nversion: 2\nevents: Ir\n', /line 2: callgrind format version 2/);
    await rejects('# callgrind format\ncmd: x\n', /no "events:" line/);
    await rejects(HEAD, /no cost lines/);
  });
});

describe('callgrind reader: graphs with more paths than pyro expands', () => {
  /** Layers of `width` functions, each calling every function of the next layer: width^depth paths. */
  function layered(width: number, depth: number): string {
    const lines = ['# callgrind format', 'events: Ir'];
    for (let d = 0; d < depth; d++) {
      for (let w = 0; w < width; w++) {
        // Inclusive cost of a function of layer d: self 1 plus calls to the whole next layer.
        const below = (layer: number): number => (layer >= depth ? 0 : 1 + width * below(layer + 1));
        lines.push(`fn=f${d}_${w}`, '1 1');
        if (d + 1 < depth) {
          for (let c = 0; c < width; c++) lines.push(`cfn=f${d + 1}_${c}`, 'calls=1 1', `1 ${below(d + 1)}`);
        }
      }
    }
    return `${lines.join('\n')}\n`;
  }

  it('keeps the heaviest nodes, says so, and still totals every cost line', async () => {
    // 8^9 paths: far past the node limit.
    const p = await read(layered(8, 9));
    expect(p.totals()).toEqual([72]);
    // The node limit, plus a root frame each for the functions of the layers never reached.
    expect(p.trie().size).toBeLessThanOrEqual(200_000 + 72);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(
      /^test\.callgrind: the call graph has more paths than pyro expands \(\d+ stack nodes\)/,
    );
  });

  it('a tiny node limit: functions the walk did not reach go under a caller it did reach', () => {
    const g = new CallGraph(1);
    // a (self 1) -> b (self 2) -> c (self 4), and d (self 8) that nothing calls and that calls nothing.
    g.ensureFn(3);
    g.self.set([1, 2, 4, 8]);
    const ab = g.edge(0, 1);
    const bc = g.edge(1, 2);
    g.cost[ab] = 6;
    g.cost[bc] = 4;
    const { trie, cut } = callStacks(g, 4, Int32Array.from([10, 11, 12, 13]), 3);
    // d (8/15) and a (7/15) are roots; a's call of b (6/15) is left out.
    expect(cut).toBeCloseTo(6 / 15);
    expect(trie.totalOf(0, 0)).toBe(15);
    const paths: string[] = [];
    for (let n = 1; n < trie.size; n++) {
      const path: number[] = [];
      for (let a = n; a > 0; a = trie.parent[a] as number) path.unshift(trie.frame[a] as number);
      paths.push(`${path.join(';')} ${trie.selfOf(n, 0)}`);
    }
    expect(paths.sort()).toEqual(['10 1', '10;11 2', '10;11;12 4', '13 8']);
  });
});

// A real run: a C program whose main calls heavy() and light(); both call
// leaf(), heavy three times as often. Each function's inclusive Ir must be
// what callgrind_annotate --inclusive=yes says (functions keyed by file and
// name, as callgrind_annotate keys them), and the totals the summary: line.
const PROGRAM = `#include <stdio.h>
static volatile unsigned long sink;
__attribute__((noinline)) void leaf(int n) { for (int i = 0; i < n; i++) sink += i; }
__attribute__((noinline)) void light(void) { leaf(1000); }
__attribute__((noinline)) void heavy(void) { for (int i = 0; i < 3; i++) leaf(1000); sink += 1; }
int main(void) { for (int i = 0; i < 100; i++) { heavy(); light(); } printf("%lu\\n", sink); return 0; }
`;

/** callgrind_annotate's rows: "file:function" -> inclusive cost of the first event. */
function annotate(file: string): Map<string, number> {
  const r = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', '--auto=no', file], {
    cwd: '/',
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  expect(r.status, r.stderr).toBe(0);
  const rows = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    // "3,612,111 (96.66%)  /tmp/x/prog.c:main [/tmp/x/prog]"
    const m = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.+?) \[.*\]$/.exec(line);
    if (m) rows.set(m[2] as string, Number((m[1] as string).replaceAll(',', '')));
  }
  return rows;
}

/** pyro's inclusive cost of the first value type per "file:function" (summed over objects, as callgrind_annotate does). */
function inclusive(p: Profile): Map<string, number> {
  const keys = new Map<string, number>();
  const names: string[] = [];
  const keyOf = new Int32Array(p.frames.size);
  for (let f = 0; f < p.frames.size; f++) {
    const key = `${p.frames.fileOf(f) || '???'}:${p.frames.nameOf(f)}`;
    let k = keys.get(key);
    if (k === undefined) {
      k = names.length;
      names.push(key);
      keys.set(key, k);
    }
    keyOf[f] = k;
  }
  const { total, seen } = functionValues(p, 0, keyOf, names.length);
  return new Map(names.filter((_, k) => seen[k]).map((name, k) => [name, total[k] as number]));
}

describe('callgrind reader: a real valgrind run against callgrind_annotate', () => {
  const dir = tempDir('pyro-callgrind-');
  const runs: Record<string, string> = {};
  let ready = false;

  beforeAll(() => {
    if (!requirePeer('valgrind') || !requirePeer('gcc') || !requirePeer('callgrind_annotate')) return;
    writeFileSync(join(dir, 'prog.c'), PROGRAM);
    const cc = spawnSync('gcc', ['-O0', '-g', '-o', join(dir, 'prog'), join(dir, 'prog.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    // Lines only (callgrind's default), and instruction addresses too (hex, relative positions).
    for (const [name, flags] of [
      ['lines', []],
      ['instr', ['--dump-instr=yes']],
    ] as const) {
      const out = join(dir, `callgrind.${name}.out`);
      const r = spawnSync(
        'valgrind',
        ['--tool=callgrind', `--callgrind-out-file=${out}`, ...flags, join(dir, 'prog')],
        { encoding: 'utf8', timeout: 120_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      runs[name] = out;
    }
    ready = true;
  }, 180_000);

  for (const name of ['lines', 'instr']) {
    it(`${name}: totals are the summary: line, every function's inclusive Ir is callgrind_annotate's`, async () => {
      if (!ready) return;
      const file = runs[name] as string;
      const text = readFileSync(file, 'utf8');
      const summary = Number(/^summary: (\d+)$/m.exec(text)?.[1]);
      expect(summary).toBeGreaterThan(0);
      const p = await readFile(file);
      expect(p.format).toBe('callgrind');
      expect(p.warnings).toEqual([]);
      expect(p.valueTypes).toEqual([{ type: 'Ir', unit: 'count' }]);
      expect(p.totals()).toEqual([summary]);

      const want = annotate(file);
      const got = inclusive(p);
      expect(want.size).toBeGreaterThan(20);
      const program = join(dir, 'prog.c');
      for (const fn of ['main', 'heavy', 'light', 'leaf']) expect(want.has(`${program}:${fn}`), fn).toBe(true);
      const wrong: string[] = [];
      for (const [key, value] of want) {
        // callgrind names recursion levels f'2, f'3...: recursive functions are not compared.
        if (key.includes("'")) continue;
        const ours = got.get(key);
        if (ours === undefined || Math.abs(ours - value) > 1e-9 * value)
          wrong.push(`${key}: annotate ${value}, pyro ${ours}`);
      }
      expect(wrong).toEqual([]);
      // The known shape: leaf's cost splits 3:1 between heavy and light.
      const lines = foldedLines(p, 0).filter((l) => l.includes(';leaf '));
      const under = (caller: string) => {
        const line = lines.find((l) => l.includes(`;${caller};leaf `)) ?? '';
        return Number(line.slice(line.lastIndexOf(' ') + 1));
      };
      expect(under('heavy') / under('light')).toBeCloseTo(3, 2);
    });
  }

  it('pyro top on a callgrind file, through the CLI', () => {
    if (!ready) return;
    const file = runs.lines as string;
    const r = pyro(['top', file, '--json', '--limit', '0']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const table = JSON.parse(r.stdout) as { total: number; rows: { name: string; self: number; total: number }[] };
    const want = annotate(file);
    const program = join(dir, 'prog.c');
    for (const fn of ['main', 'heavy', 'light', 'leaf']) {
      const row = table.rows.find((x) => x.name === fn);
      expect(Math.abs((row?.total ?? 0) - (want.get(`${program}:${fn}`) ?? -1)), fn).toBeLessThan(1e-6);
    }
    const text = pyro(['top', file, '--limit', '3']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/\(Ir\)/);
    expect(text.stdout).toMatch(/ leaf\n/);
  });
});
