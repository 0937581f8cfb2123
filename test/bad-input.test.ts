import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PyroError } from '../src/core/errors.js';
import { writeFlamebearer } from '../src/core/formats/flamebearer.js';
import { foldedLines } from '../src/core/formats/folded.js';
import { FORMATS, readProfile } from '../src/core/formats/index.js';
import { writePyroscopeTree, writePyroscopeTrie } from '../src/core/formats/pyroscope-binary.js';
import { openSource, sourceFromBuffer } from '../src/core/io/source.js';
import type { Profile } from '../src/core/model/profile.js';
import { renderHtml } from '../src/core/render/html.js';
import { layoutFlame } from '../src/core/render/layout.js';
import { renderSvg } from '../src/core/render/svg.js';
import { corpus, ROOT, tempDir } from './helpers.js';

// Bad input through the real CLI: one line on stderr naming the file, a
// non-zero exit, no stack trace, in bounded time. Then a fuzz loop per reader:
// a mutated valid input is read or rejected with a PyroError, never a crash.

const dir = tempDir('pyro-bad-input-');
const COMMANDS = [['info'], ['convert']];
const LIMIT_MS = 30_000;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    timeout: LIMIT_MS,
    maxBuffer: 1 << 26,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Both commands reject the file with one line naming it (and matching `detail`, if given). */
function expectRejected(path: string, detail?: RegExp, flags: string[] = []): void {
  for (const cmd of COMMANDS) {
    const r = run([...cmd, ...flags, path]);
    const what = `pyro ${[...cmd, ...flags].join(' ')} ${path}`;
    expect(r.signal, `${what}: killed after ${LIMIT_MS} ms`).toBeNull();
    expect(r.status, `${what}: exit status; stderr: ${r.stderr}`).not.toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, `${what}: stderr`).toHaveLength(1);
    const line = lines[0] as string;
    expect(line, what).toContain(path);
    expect(line, what).toMatch(/^pyro: /);
    expect(line, what).not.toMatch(/internal error/);
    expect(r.stderr, what).not.toMatch(/^ {4}at /m);
    if (detail) expect(line, what).toMatch(detail);
    expect(r.stdout, `${what}: stdout`).toBe('');
  }
}

function write(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A small seeded generator (mulberry32), so that every run sees the same bytes. */
function randomBytes(seed: number, size: number): Buffer {
  let a = seed >>> 0;
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

const cut = (bytes: Buffer, fraction: number) => bytes.subarray(0, Math.floor(bytes.length * fraction));

describe('bad input through the CLI', () => {
  for (const seed of [1, 2, 3]) {
    for (const size of [1, 100, 5000, 100_000]) {
      it(`random bytes (seed ${seed}, ${size} bytes)`, () => {
        expectRejected(write(`random-${seed}-${size}.bin`, randomBytes(seed, size)));
      });
    }
  }

  it('random bytes after a gzip header', () => {
    expectRejected(write('random.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), randomBytes(9, 3000)])));
  });

  it('a truncated gzip of a folded file', () => {
    const gz = gzipSync(readFileSync(corpus('folded/base/flames.txt')));
    expectRejected(write('cut.folded.gz', cut(gz, 0.5)), /gzip/);
  });

  it('a truncated gzip of a pprof profile', () => {
    const gz = readFileSync(corpus('speedscope-samples/pprof/simple.prof'));
    expect(gz[0]).toBe(0x1f);
    expectRejected(write('cut.pb.gz', cut(gz, 0.6)), /gzip/);
  });

  it('an empty file', () => {
    expectRejected(write('empty.txt', ''), /empty/);
  });

  it('a missing file', () => {
    expectRejected(join(dir, 'does-not-exist.folded'), /no such file/);
  });

  it('a directory', () => {
    const sub = join(dir, 'a-directory');
    mkdirSync(sub, { recursive: true });
    expectRejected(sub, /not a regular file/);
  });

  it('a folded line with a bad count', () => {
    const path = write('bad-count.folded', 'main;work 12x\n');
    expectRejected(path);
    expectRejected(path, /line 1/, ['--input-format', 'folded']);
  });

  it('a 10 MB line', () => {
    const long = Buffer.alloc(10 * 1024 * 1024, 'a;');
    const path = write('long-line.folded', Buffer.concat([Buffer.from('main;a 1\n'), long, Buffer.from(' 1\n')]));
    expectRejected(path, /line 2/);
  });

  it('invalid JSON whose error snippet spans lines (still one line)', () => {
    const bytes = readFileSync(corpus('speedscope-samples/speedscope/0.0.1/simple.speedscope.json'));
    expectRejected(write('bad.speedscope.json', Buffer.concat([Buffer.from('{\n"x": e\n'), bytes.subarray(1)])));
  });

  it('a truncated .cpuprofile', () => {
    const bytes = readFileSync(corpus('speedscope-samples/Chrome/65/simple.cpuprofile'));
    expectRejected(write('cut.cpuprofile', cut(bytes, 0.5)));
  });

  it('a truncated speedscope file', () => {
    const bytes = readFileSync(corpus('speedscope-samples/speedscope/0.0.1/simple.speedscope.json'));
    expectRejected(write('cut.speedscope.json', cut(bytes, 0.5)));
  });

  it('a truncated trace-event file (object form; and the array form cut inside its first event)', () => {
    const object = readFileSync(corpus('speedscope-samples/trace-event/simple-object.json'));
    expectRejected(write('cut-object.json', cut(object, 0.5)));
    // The array form may lack its closing "]" (the spec allows it), so cut inside the first event.
    const array = readFileSync(corpus('speedscope-samples/trace-event/simple.json'));
    const firstEvent = array.indexOf('{');
    expectRejected(write('cut-array.json', array.subarray(0, firstEvent + 12)));
  });

  it('a truncated perf script (cut inside a frame line)', () => {
    const text = readFileSync(corpus('speedscope-samples/linux-perf/simple.linux-perf.txt'), 'utf8');
    const frame = text.indexOf('\n\t', text.length / 2);
    expectRejected(write('cut.perf.txt', text.slice(0, frame + 6)));
  });

  it('a truncated callgrind profile (cut after a calls= line)', () => {
    const text = readFileSync(corpus('speedscope-samples/callgrind/callgrind.name-compression.log'), 'utf8');
    const calls = text.indexOf('\ncalls=', text.length / 2);
    expectRejected(write('cut.callgrind', text.slice(0, text.indexOf('\n', calls + 1) + 1)), /line \d+: "calls="/);
  });

  it('a truncated DTrace aggregation (cut inside a stack)', () => {
    const text = readFileSync(corpus('dtrace/hex-addresses.txt'), 'utf8');
    expectRejected(write('cut.dtrace.txt', text.slice(0, text.indexOf('`', text.length / 2) + 3)), /line \d+/);
  });
});

// A valid input of each format that has a reader, to mutate. perf.data is
// read by running `perf script` and then the perf script reader (fuzzed
// here): mutating it would fuzz perf, not pyro.
const SAMPLES: Record<string, string[]> = {
  pprof: ['speedscope-samples/pprof/simple.prof'],
  jfr: ['speedscope-samples/java-flight-recorder/heavy.jfr'],
  speedscope: [
    'speedscope-samples/speedscope/0.6.0/two-sampled.speedscope.json',
    'speedscope-samples/speedscope/0.0.1/simple.speedscope.json',
  ],
  cpuprofile: ['speedscope-samples/Chrome/65/simple.cpuprofile', 'speedscope-samples/node/10.11.0/example.cpuprofile'],
  'ghc-prof': ['speedscope-samples/haskell/simple.prof'],
  heapprofile: [
    'speedscope-samples/Chrome/69/Heap-20181005T144546.heapprofile',
    'speedscope-samples/node/10.11.0/Heap-20181003T105432.heapprofile',
  ],
  'trace-event': [
    'speedscope-samples/trace-event/simple-with-samples.json',
    'speedscope-samples/trace-event/multi-thread-with-samples.json',
  ],
  'perf-script': ['speedscope-samples/linux-perf/simple.linux-perf.txt', 'perf-script/inferno/java-inline.txt'],
  dtrace: ['dtrace/java.txt', 'dtrace/scope_with_no_argument_list.txt'],
  folded: ['speedscope-samples/stackcollapse/simple.txt'],
  callgrind: [
    'speedscope-samples/callgrind/callgrind.name-compression.log',
    'speedscope-samples/callgrind/callgrind.multiple-event-types.log',
  ],
};
/** Formats whose samples pyro writes itself: its SVG and HTML flamegraphs of a corpus profile. */
const GENERATED: Record<string, () => Promise<Buffer[]>> = {
  'pyro-graph': async () => {
    const p = await readProfile(await openSource(corpus('speedscope-samples/stackcollapse/simple.txt')));
    const layout = layoutFlame(p, { valueIndex: 0 });
    return [Buffer.from(renderSvg(layout, { palette: 'hot' })), Buffer.from(renderHtml(p, { valueIndex: 0 }))];
  },
  flamebearer: async () => {
    const p = await readProfile(await openSource(corpus('speedscope-samples/stackcollapse/simple.txt')));
    return [writeFlamebearer(p, {})];
  },
  'pyroscope-trie': async () => [
    writePyroscopeTrie(await readProfile(await openSource(corpus('folded/base/flames.txt'))), {}),
  ],
  'pyroscope-tree': async () => [
    writePyroscopeTree(await readProfile(await openSource(corpus('folded/base/flames.txt'))), {}),
  ],
  // One stack a line: the folded sample without its counts.
  'pyroscope-lines': async () => [
    Buffer.from(readFileSync(corpus('speedscope-samples/stackcollapse/simple.txt'), 'utf8').replace(/ \d+$/gm, '')),
  ],
};
const NOT_FUZZED = new Set(['perf-data']);

type Mutation =
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; from: number; len: number; to: number }
  | { kind: 'delete'; from: number; len: number }
  | { kind: 'insert'; at: number; text: string };

const TOKENS = [
  '-1',
  '1e308',
  'NaN',
  '99999999999999999999',
  '"',
  '{',
  '[',
  ']',
  'null',
  '\n',
  '0x',
  ';',
  '`',
  '\u0000',
];
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    from: fc.nat(),
    len: fc.integer({ min: 1, max: 200 }),
    to: fc.nat(),
  }),
  fc.record({ kind: fc.constant('delete' as const), from: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...TOKENS) }),
);

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let b = input;
  for (const m of mutations) {
    const n = b.length;
    if (n === 0) break;
    if (m.kind === 'flip') {
      b = Buffer.from(b);
      b[m.at % n] = (b[m.at % n] as number) ^ m.xor;
    } else if (m.kind === 'truncate') {
      b = b.subarray(0, m.at % n);
    } else if (m.kind === 'duplicate') {
      const from = m.from % n;
      const to = m.to % n;
      b = Buffer.concat([b.subarray(0, to), b.subarray(from, from + m.len), b.subarray(to)]);
    } else if (m.kind === 'delete') {
      const from = m.from % n;
      b = Buffer.concat([b.subarray(0, from), b.subarray(from + m.len)]);
    } else {
      const at = m.at % n;
      b = Buffer.concat([b.subarray(0, at), Buffer.from(m.text), b.subarray(at)]);
    }
  }
  return b;
}

/** A profile a command can work with: finite totals, writable as folded lines. */
function expectSane(p: Profile): void {
  expect(p.valueTypes.length).toBeGreaterThan(0);
  expect(p.defaultValue).toBeGreaterThanOrEqual(0);
  expect(p.defaultValue).toBeLessThan(p.valueTypes.length);
  expect(Number.isInteger(p.sampleCount) && p.sampleCount >= 0).toBe(true);
  for (const t of p.totals()) expect(Number.isFinite(t), `total ${t}`).toBe(true);
  for (const line of foldedLines(p, p.defaultValue)) {
    expect(Number.isFinite(Number(line.slice(line.lastIndexOf(' ') + 1))), line).toBe(true);
  }
}

const HANG_MS = 10_000;

async function readOrReject(name: string, bytes: Buffer, formatId: string | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer after ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    const p = await Promise.race([readProfile(await sourceFromBuffer(name, bytes), {}, formatId), hang]);
    expectSane(p);
  } catch (e) {
    if (!(e instanceof PyroError)) {
      const err = e as Error;
      throw new Error(
        `${formatId ?? 'detected'}: ${err.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 4).join('\n')}`,
      );
    }
    expect(e.message.length).toBeGreaterThan(0);
  } finally {
    clearTimeout(timer);
  }
}

const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20240601);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

describe('fuzz: every reader reads a mutated input or rejects it with a PyroError', () => {
  it('has a sample for every format with a reader', () => {
    const missing = FORMATS.filter((f) => f.read && !SAMPLES[f.id] && !GENERATED[f.id] && !NOT_FUZZED.has(f.id)).map(
      (f) => f.id,
    );
    expect(missing).toEqual([]);
  });

  for (const format of FORMATS.filter((f) => f.read && !NOT_FUZZED.has(f.id))) {
    it(`${format.id}`, { timeout: 300_000 }, async () => {
      const valid = (SAMPLES[format.id] ?? []).map((p) => {
        const raw = readFileSync(corpus(p));
        return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
      });
      valid.push(...((await GENERATED[format.id]?.()) ?? []));
      // Each sample reads as it is.
      for (const v of valid) expectSane(await readProfile(await sourceFromBuffer('valid', v), {}, format.id));
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: valid.length - 1 }),
          fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
          fc.boolean(),
          async (sample, mutations, detect) => {
            const bytes = mutate(valid[sample] as Buffer, mutations);
            await readOrReject(`fuzz.${format.id}`, bytes, detect ? undefined : format.id);
          },
        ),
        { numRuns: RUNS, seed: FUZZ_SEED, endOnFailure: false },
      );
    });
  }
});
