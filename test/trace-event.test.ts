import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldedLines } from '../src/core/formats/folded.js';
import type { Profile } from '../src/core/model/profile.js';
import { corpus, pyro, readBytes, readFile, tempDir } from './helpers.js';

type Json = Record<string, unknown>;
const SAMPLES = 'speedscope-samples/trace-event';

/**
 * The folded stacks of a Hermes trace computed from its JSON, per thread, by
 * the documented conventions: frames root first along "parent", "fn(url:l:c)"
 * named fn, weight as the count, cpu the time to the thread's next sample.
 */
function expectedHermes(json: Json): Map<string, { samples: string[]; cpu: string[] }> {
  const frames = json.stackFrames as Record<string, { name: string; parent?: number }>;
  const samples = [...(json.samples as Json[])].sort((a, b) => Number(a.ts) - Number(b.ts));
  const stackOf = (sf: unknown) => {
    const names: string[] = [];
    for (let id = sf; id !== undefined; id = frames[String(id)]?.parent) {
      names.unshift((frames[String(id)] as { name: string }).name.replace(/\(.+:\d+:\d+\)$/, ''));
    }
    return names.join(';');
  };
  const out = new Map<string, { counts: Map<string, number>; times: Map<string, number> }>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  samples.forEach((s, i) => {
    const tid = String(s.tid);
    if (!out.has(tid)) out.set(tid, { counts: new Map(), times: new Map() });
    const t = out.get(tid) as { counts: Map<string, number>; times: Map<string, number> };
    const next = samples.slice(i + 1).find((o) => o.tid === s.tid);
    add(t.counts, stackOf(s.sf), Number(s.weight));
    add(t.times, stackOf(s.sf), next ? Number(next.ts) - Number(s.ts) : 0);
  });
  const lines = (m: Map<string, number>) =>
    [...m]
      .filter(([, v]) => v !== 0)
      .map(([k, v]) => `${k} ${v}`)
      .sort();
  return new Map([...out].map(([tid, t]) => [tid, { samples: lines(t.counts), cpu: lines(t.times) }]));
}

/** The trie of each tid label. */
function byTid(p: Profile): Map<string, number> {
  const out = new Map<string, number>();
  p.tries.forEach((t, id) => {
    const tid = p.labelSets[id]?.find(([k]) => k === 'tid')?.[1];
    if (t && tid !== undefined) out.set(tid, id);
  });
  return out;
}

describe('trace-event reader: Hermes samples + stackFrames', () => {
  for (const name of ['simple-with-samples.json', 'multi-thread-with-samples.json']) {
    it(`reads ${name} to the stacks its JSON gives, per thread`, async () => {
      const path = corpus(SAMPLES, name);
      const json = JSON.parse(readFileSync(path, 'utf8')) as Json;
      const p = await readFile(path);
      expect(p.format).toBe('trace-event');
      const expected = expectedHermes(json);
      const tids = byTid(p);
      expect([...tids.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [tid, e] of expected) {
        const trie = p.tries[tids.get(tid) as number];
        expect(foldedLines(p, 0, trie), `tid ${tid}`).toEqual(e.samples);
        expect(foldedLines(p, 1, trie), `tid ${tid}`).toEqual(e.cpu);
      }
      expect(p.sampleCount).toBe((json.samples as unknown[]).length);
    });
  }

  it('takes file and line from Hermes frame names, and names the thread', async () => {
    const p = await readFile(corpus(SAMPLES, 'simple-with-samples.json'));
    const f = [...Array(p.frames.size).keys()].find((i) => p.frames.nameOf(i) === 'function2') as number;
    expect(p.frames.fileOf(f)).toMatch(/^http:\/\/localhost:8081\/index\.bundle\?platform=android/);
    expect(p.frames.line[f]).toBe(418874);
    expect(p.labelSets.flat()).toContainEqual(['thread', 'mqt_js']);
  });

  it('is detected by content, without a file name', async () => {
    const bytes = readFileSync(corpus(SAMPLES, 'multi-thread-with-samples.json'));
    expect((await readBytes('input', bytes)).format).toBe('trace-event');
  });
});

/** Two functions busy-looping 2:1 under node --cpu-prof, with V8's profile also streamed to a trace. */
const SCRIPT = ['two', 'one']
  .map(
    (name, i) =>
      `function ${name}() { let x = 0; const end = Date.now() + ${[40, 20][i]}; ` +
      'while (Date.now() < end) for (let i = 0; i < 1000; i++) x = (x * 31 + i) | 0; return x; }\n',
  )
  .join('')
  .concat('const stop = Date.now() + 600;\nwhile (Date.now() < stop) { two(); one(); }\n');

function traceOfNode(): { trace: string; cpuprofile: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'script.js'), SCRIPT);
  const r = spawnSync(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--trace-event-categories',
      'disabled-by-default-v8.cpu_profiler',
      '--trace-event-file-pattern',
      join(dir, 'trace.json'),
      'script.js',
    ],
    { cwd: dir, timeout: 60_000 },
  );
  expect(r.status, r.stderr.toString()).toBe(0);
  const cpuprofile = readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) as string;
  return { trace: join(dir, 'trace.json'), cpuprofile: join(dir, cpuprofile) };
}

describe('trace-event reader: Profile/ProfileChunk events (node --trace-event-categories)', () => {
  let run: { trace: string; cpuprofile: string };
  let events: Json[];
  beforeAll(() => {
    run = traceOfNode();
    events = (JSON.parse(readFileSync(run.trace, 'utf8')) as { traceEvents: Json[] }).traceEvents;
  });

  it('reads the profile streamed in chunks as node wrote it to the .cpuprofile', async () => {
    // node streams its --cpu-prof profile to the trace too (besides a second, denser one of its own).
    const p = await readFile(run.trace);
    const whole = await readFile(run.cpuprofile);
    const profileEvents = events.filter((e) => e.name === 'Profile');
    expect(profileEvents.length).toBeGreaterThanOrEqual(1);
    const perProfile = p.tries.flatMap((t) => (t ? [t] : []));
    expect(perProfile.length).toBe(profileEvents.length);
    const want = [foldedLines(whole, 0), foldedLines(whole, 1)];
    expect(perProfile.map((t) => [foldedLines(p, 0, t), foldedLines(p, 1, t)])).toContainEqual(want);
    // Labels from the Profile event (the profiled thread), not from the chunks (the profiler thread).
    const main = profileEvents[0] as Json;
    for (const set of p.labelSets.slice(1)) {
      expect(set).toContainEqual(['pid', String(main.pid)]);
      expect(set).toContainEqual(['tid', String(main.tid)]);
    }
  });

  it('reads the bare array form, in any event order, and cut off as a crashing tracer leaves it', async () => {
    const p = await readFile(run.trace);
    const lines = [foldedLines(p, 0), foldedLines(p, 1)];
    const reversed = JSON.stringify([...events].reverse());
    const a = await readBytes('input', reversed);
    expect([foldedLines(a, 0), foldedLines(a, 1)]).toEqual(lines);
    const open = `[\n${events.map((e) => JSON.stringify(e)).join(',\n')},\n  \n`;
    const b = await readBytes('input', open);
    expect([foldedLines(b, 0), foldedLines(b, 1)]).toEqual(lines);
    expect(b.duration).toBe(p.duration);
  });

  it('gives each function its share of the time in the denser profile too', async () => {
    const p = await readFile(run.trace);
    for (const trie of p.tries) {
      if (!trie) continue;
      const self = new Map<string, number>();
      for (const line of foldedLines(p, 1, trie)) {
        const sp = line.lastIndexOf(' ');
        const leaf = line.slice(0, sp).split(';').pop() as string;
        self.set(leaf, (self.get(leaf) ?? 0) + Number(line.slice(sp + 1)));
      }
      const total = trie.totalOf(0, 1);
      const two = (self.get('two') ?? 0) / total;
      const one = (self.get('one') ?? 0) / total;
      // Start-up takes a good part of a short run: the split between the two is what is known.
      expect(two + one).toBeGreaterThan(0.7);
      expect(Math.abs(two / (two + one) - 2 / 3)).toBeLessThan(0.08);
    }
    const info = JSON.parse(pyro(['info', '--json', run.trace]).stdout)[0];
    expect(info.durationMs).toBeGreaterThan(600);
  });
});

// ---- Duration events: B/E pairs and X events ----

interface TraceEvent {
  ph?: string;
  name?: string;
  ts?: number | string;
  dur?: number;
  tdur?: number;
  pid?: unknown;
  tid?: unknown;
  args?: unknown;
}

const WALL = [{ type: 'wall', unit: 'microseconds' }];

/** The events of a corpus trace; an array cut off (no "]") is closed, as the spec allows. */
function traceEvents(name: string): TraceEvent[] {
  const text = readFileSync(corpus(SAMPLES, name), 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = JSON.parse(`${text.trimEnd().replace(/,$/, '')}]`);
  }
  return Array.isArray(json) ? json : (json as { traceEvents: TraceEvent[] }).traceEvents;
}

const IGNORED = (n: number) => `ignored ${n} end event(s) (E) with no open B event of their name on their thread`;
const UNWOUND = (n: number) =>
  `closed ${n} frame(s) at the end of an event that encloses them (their own E event missing, or X events overlapping)`;
const LEFT_OPEN = (n: number) => `closed ${n} frame(s) still open at the end, at their thread's last event`;

interface Edge {
  /** The event's index in the file. */
  i: number;
  ts: number;
  x: boolean;
  start: number;
  dur: number;
}

/**
 * The folded stacks of duration events per thread ("pid:tid" → sorted
 * "a;b value" lines) and the warnings of the repairs, by the rules
 * trace-event.ts documents, written the plain way (objects, sorts, shift and
 * splice) to check the reader's typed-array version against.
 */
function expectedDurations(events: TraceEvent[]): { folded: Map<string, string[]>; warnings: string[] } {
  const threads = new Map<string, { begins: Edge[]; ends: Edge[] }>();
  events.forEach((e, i) => {
    if (e.ph !== 'B' && e.ph !== 'E' && e.ph !== 'X') return;
    const key = `${e.pid ?? ''}:${e.tid ?? ''}`;
    if (!threads.has(key)) threads.set(key, { begins: [], ends: [] });
    const t = threads.get(key) as { begins: Edge[]; ends: Edge[] };
    const ts = Number(e.ts);
    const dur = Number(e.dur ?? e.tdur ?? 0);
    if (e.ph !== 'E') t.begins.push({ i, ts, x: e.ph === 'X', start: ts, dur });
    if (e.ph !== 'B') t.ends.push({ i, ts: e.ph === 'X' ? ts + dur : ts, x: e.ph === 'X', start: ts, dur });
  });
  const name = (i: number) => events[i]?.name ?? '';
  const key = (i: number) => `${name(i)} ${JSON.stringify(events[i]?.args)}`;
  const out = new Map<string, string[]>();
  let ignored = 0;
  let unwound = 0;
  let leftOpen = 0;
  for (const [thread, { begins, ends }] of threads) {
    // Begins: time, B before X, the longer X first, file order. Ends: time, E before X, X in their begins' order.
    begins.sort((a, b) => a.ts - b.ts || +a.x - +b.x || (a.x ? b.dur - a.dur : 0) || a.i - b.i);
    ends.sort((a, b) => a.ts - b.ts || +a.x - +b.x || (a.x ? a.start - b.start || b.dur - a.dur : 0) || a.i - b.i);
    const stack: number[] = [];
    const values = new Map<string, number>();
    let now = 0;
    while (begins.length > 0 || ends.length > 0) {
      const b = begins[0];
      const e = ends[0];
      const takeBegin =
        e === undefined ||
        (b !== undefined && (b.ts < e.ts || (b.ts === e.ts && (b.i === e.i || key(b.i) === key(e.i)))));
      const t = takeBegin ? (b as Edge).ts : (e as Edge).ts;
      if (stack.length > 0 && t > now) {
        const path = stack.map((i) => name(i) || '(unnamed)').join(';');
        values.set(path, (values.get(path) ?? 0) + t - now);
      }
      now = t;
      if (takeBegin) {
        stack.push((begins.shift() as Edge).i);
        continue;
      }
      const top = stack[stack.length - 1];
      if (top !== undefined) {
        // 2: closes the innermost frame exactly, 1: by name, 0: not.
        const level = (r: Edge) =>
          r.x
            ? r.i === top
              ? 2
              : 0
            : name(r.i) !== name(top)
              ? name(r.i) === ''
                ? 1
                : 0
              : key(r.i) === key(top)
                ? 2
                : 1;
        const same = ends.filter((r) => r.ts === t);
        const first = level(ends[0] as Edge);
        if (first < 2) {
          let k = same.findIndex((r, j) => j > 0 && level(r) === 2);
          if (k < 0 && first === 0) k = same.findIndex((r, j) => j > 0 && level(r) === 1);
          if (k > 0) [ends[0], ends[k]] = [ends[k] as Edge, ends[0] as Edge];
        }
      }
      const r = ends.shift() as Edge;
      let at: number;
      if (r.x) at = stack.lastIndexOf(r.i);
      else if (stack.length === 0) at = -1;
      else if (name(r.i) === '') at = stack.length - 1;
      else at = stack.map(name).lastIndexOf(name(r.i));
      if (at >= 0) {
        unwound += stack.length - 1 - at;
        stack.splice(at);
      } else if (!r.x) ignored++;
    }
    leftOpen += stack.length;
    out.set(
      thread,
      [...values]
        .filter(([, v]) => v !== 0)
        .map(([k, v]) => `${k} ${v}`)
        .sort(),
    );
  }
  const warnings: string[] = [];
  if (ignored > 0) warnings.push(IGNORED(ignored));
  if (unwound > 0) warnings.push(UNWOUND(unwound));
  if (leftOpen > 0) warnings.push(LEFT_OPEN(leftOpen));
  return { folded: out, warnings };
}

/** The folded stacks of each thread's trie ("pid:tid" → lines). */
function foldedByThread(p: Profile): Map<string, string[]> {
  const out = new Map<string, string[]>();
  p.tries.forEach((t, id) => {
    if (!t) return;
    const labels = new Map(p.labelSets[id]);
    out.set(`${labels.get('pid') ?? ''}:${labels.get('tid') ?? ''}`, foldedLines(p, 0, t));
  });
  return out;
}

interface Case {
  /** What the file tests, and what speedscope does with it where it rejects or repairs it. */
  about: string;
  /** Expected by hand, per "pid:tid" (checked besides expectedDurations). */
  folded?: Record<string, string[]>;
  warnings?: string[];
  /** Read for its samples (a trace with samples is read for them alone). */
  samples?: true;
}

const SIMPLE = ['alpha 2', 'alpha;beta 3', 'alpha;beta;epsilon 4', 'alpha;beta;gamma 5'];

/** Every file of the corpus's trace-event folder. */
const CASES: Record<string, Case> = {
  'bex-interaction.json': {
    about: 'B/E pairs and X events of the same times nest as in speedscope',
    folded: {
      '0:0': ['A;B 2', 'D;C 2', 'F 1', 'F;E 1', 'G 1', 'G;H 1', 'J 1', 'J;I 1', 'K 1', 'K;L 1'],
    },
  },
  'end-event-with-empty-stack.json': {
    about: 'an E with nothing open: speedscope warns and ignores it, so does pyro',
    folded: { '0:0': ['alpha 1'] },
    warnings: [IGNORED(1)],
  },
  'end-non-top-of-stack.json': {
    about:
      'an E of a frame that is not the innermost: speedscope ignores it and keeps A and B open to the end, Z nested in them (A;B;Z); pyro closes B with A at 10, and Z is a root',
    folded: { '0:0': ['A 1', 'A;B 9', 'Z 1'] },
    warnings: [UNWOUND(1)],
  },
  'event-reordering-name-match.json': {
    about:
      'ends of one time, taken innermost first by name when args differ (speedscope warns and closes, so does pyro, silently)',
    folded: { '0:1': ['alpha 9', 'alpha;beta;gamma 1'] },
  },
  'hermes-multiple-frames.json': {
    about: 'Hermes B/E events, B events of one time opening in file order',
    folded: { '0:0': ['[root] 4', '[root];beta 1', '[root];gamma 3', '[root];gamma;beta 6'] },
  },
  'invalid-x-nesting.json': {
    about:
      'X events that overlap without nesting: speedscope keeps alpha open past its end (alpha 15 µs long, beta 10); pyro closes beta with alpha at 10 and drops its later end',
    folded: { '0:0': ['alpha 5', 'alpha;beta 5'] },
    warnings: [UNWOUND(1)],
  },
  'matching-x.json': {
    about: 'X events of equal start and duration nest in file order',
    folded: { '0:0': ['alpha 8', 'alpha;beta;gamma 1', 'alpha;gamma;beta 1'] },
  },
  'mismatched-args.json': {
    about: 'an E whose args differ from its B: speedscope warns and closes the frame, so does pyro (silently)',
    folded: { '0:0': ['A 10'] },
  },
  'mismatched-name.json': {
    about:
      "an E whose name matches nothing open: speedscope ignores it and ends alpha where it began (an empty profile); pyro ignores it and closes alpha at the thread's last event (10)",
    folded: { '0:0': ['alpha 10'] },
    warnings: [IGNORED(1), LEFT_OPEN(1)],
  },
  'multi-thread-with-samples.json': {
    about: 'samples and X events: the samples are read, the X events not (speedscope reads the samples too)',
    samples: true,
  },
  'multiprocess.json': {
    about: 'one trie per thread, labelled pid, tid, thread and process',
    folded: {
      '0:0': ['alpha 1'],
      '0:1': ['beta 1'],
      '1:0': ['gamma 1'],
      '1:1': ['delta 1'],
      '2:0': ['epsilon 1'],
      '2:1': ['phi 1'],
      '3:0': ['zeta 1'],
      '3:1': ['eta 1'],
    },
  },
  'must-retain-original-order.json': {
    about: 'B events of one time open in file order; an E before a B of another name at one time',
    folded: { '0:1': ['A 2', 'A;B 2', 'A;B;C 2', 'X 3'] },
  },
  'not-enough-end-events.json': {
    about: 'B events never ended: speedscope warns and closes them at the end, so does pyro',
    folded: { '0:0': ['A 1', 'A;A 9', 'A;A;A 1'] },
    warnings: [LEFT_OPEN(2)],
  },
  'only-begin-events.json': {
    about: 'only B events: speedscope warns and closes them at the last one, so does pyro',
    folded: { '0:0': ['A 1', 'A;B 1'] },
    warnings: [LEFT_OPEN(3)],
  },
  'out-of-order-unbalanced-name.json': {
    about:
      'unsorted, and ends in the wrong order: speedscope ignores the E of alpha and keeps alpha and beta open to 10 (alpha;beta 9); pyro closes beta with alpha at 9 and ignores the E of beta',
    folded: { '0:0': ['alpha 1', 'alpha;beta 8'] },
    warnings: [IGNORED(1), UNWOUND(1)],
  },
  'out-of-order.json': {
    about: 'events not in time order',
    folded: { '0:0': ['A 2', 'A;B 2', 'A;B;C 6'] },
  },
  'simple-hermes.json': {
    about: 'Hermes B/E events',
    folded: { '0:0': ['[root] 2', '[root];beta 12'] },
  },
  'simple-object.json': {
    about: 'the {"traceEvents"} form; an X without a name, with only tdur',
    folded: { '0:0': ['alpha 2', 'alpha;beta 8', 'alpha;beta;(unnamed) 4'] },
  },
  'simple-partial-trailing-comma.json': {
    about: 'an array cut off after a comma',
    folded: { '0:0': SIMPLE },
  },
  'simple-partial-whitespace.json': {
    about: 'an array cut off, blank lines around',
    folded: { '0:0': SIMPLE },
  },
  'simple-partial.json': { about: 'an array cut off (no "]")', folded: { '0:0': SIMPLE } },
  'simple-with-samples.json': { about: 'Hermes samples', samples: true },
  'simple.json': { about: 'B/E pairs with X events inside, one with only tdur', folded: { '0:0': SIMPLE } },
  'simultaneous-anonymous-calls.json': {
    about: 'many B and E events of one name at one time',
    folded: {
      '0:0': ['anonymous 1', 'anonymous;anonymous;anonymous 2', 'anonymous;anonymous;function1;anonymous 2'],
    },
  },
  'too-many-end-events.json': {
    about: 'E events of frames never opened: speedscope warns and ignores them, so does pyro',
    folded: { '0:0': ['alpha 2', 'alpha;beta 12'] },
    warnings: [IGNORED(2)],
  },
  'unbalanced-args.json': {
    about: "E events whose args swap the B events': speedscope warns and closes the innermost, so does pyro (silently)",
    folded: { '0:0': ['A 2', 'A;A 8'] },
  },
  'unbalanced-name.json': {
    about:
      'ends in the wrong order: speedscope ignores the E of alpha and keeps alpha and beta open to 10 (alpha;beta 9); pyro closes beta with alpha at 9 and ignores the E of beta',
    folded: { '0:0': ['alpha 1', 'alpha;beta 8'] },
    warnings: [IGNORED(1), UNWOUND(1)],
  },
  'x-events-matching-end.json': {
    about: 'X events ending together close innermost first',
    folded: {
      '0:0': ['alpha 12', 'alpha;beta 2', 'alpha;beta;gamma 2', 'alpha;gamma 2', 'alpha;gamma;beta 2'],
    },
  },
  'x-events-matching-start.json': {
    about: 'X events starting together nest the longer outside',
    folded: {
      '0:0': ['alpha 12', 'alpha;beta 2', 'alpha;beta;gamma 2', 'alpha;gamma 2', 'alpha;gamma;beta 2'],
    },
  },
  'zero-duration-events.json': {
    about: 'zero-length B/E pairs and X events (the B before its E) add nothing',
    folded: { '0:0': ['A 10'] },
  },
};

describe('trace-event reader: every file of the corpus folder', () => {
  it('has a case for each file', () => {
    expect(readdirSync(corpus(SAMPLES)).sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: ${c.about}`, async () => {
      const p = await readFile(corpus(SAMPLES, name));
      expect(p.format).toBe('trace-event');
      if (c.samples) {
        const json = JSON.parse(readFileSync(corpus(SAMPLES, name), 'utf8')) as Json;
        expect(p.valueTypes.map((v) => v.type)).toEqual(['samples', 'cpu']);
        expect(p.sampleCount).toBe((json.samples as unknown[]).length);
        return;
      }
      expect(p.valueTypes).toEqual(WALL);
      expect(p.sampleCount).toBeGreaterThan(0);
      expect(p.trie().size).toBeGreaterThan(1);
      const got = foldedByThread(p);
      const want = expectedDurations(traceEvents(name));
      expect(got).toEqual(want.folded);
      expect(p.warnings).toEqual(want.warnings);
      if (c.folded) expect(Object.fromEntries(got)).toEqual(c.folded);
      expect(p.warnings).toEqual(c.warnings ?? []);
      // Totals: each thread's time with something open, summed.
      const total = [...got.values()].flat().reduce((s, line) => s + Number(line.split(' ').pop()), 0);
      expect(p.totals()).toEqual([total]);
    });
  }
});

describe('trace-event reader: duration events', () => {
  it('labels each thread with pid, tid, and the thread and process names of the metadata events', async () => {
    const p = await readFile(corpus(SAMPLES, 'multiprocess.json'));
    const sets = p.labelSets.slice(1).map((s) => Object.fromEntries(s));
    expect(sets).toContainEqual({ pid: '0', tid: '1', thread: 'p0t1', process: 'p0' });
    expect(sets).toContainEqual({ pid: '2', tid: '0', thread: 'p2t0' });
    expect(sets).toContainEqual({ pid: '3', tid: '1', process: 'p3' });
    // Samples read from a trace get the process name too.
    const hermes = await readFile(corpus(SAMPLES, 'simple-with-samples.json'));
    expect(hermes.labelSets.flat()).toContainEqual(['process', 'hermes']);
  });

  it('filters on those labels with --tag', () => {
    const path = corpus(SAMPLES, 'multiprocess.json');
    expect(pyro(['convert', path, '--tag', 'thread=p1t1']).stdout).toBe('delta 1\n');
    expect(pyro(['convert', path, '--tag', 'process=p0']).stdout).toBe('alpha 1\nbeta 1\n');
    expect(pyro(['convert', path, '--tag', 'pid=3', '--tag', 'tid=0']).stdout).toBe('zeta 1\n');
  });

  it('is detected by content, in both forms, and reads them alike', async () => {
    const events = traceEvents('simple.json');
    const array = await readBytes('input', JSON.stringify(events));
    const object = await readBytes('input', JSON.stringify({ traceEvents: events, displayTimeUnit: 'ns' }));
    for (const p of [array, object]) {
      expect(p.format).toBe('trace-event');
      expect(foldedLines(p, 0)).toEqual(SIMPLE);
    }
  });

  it('takes file and line from the args of Hermes events', async () => {
    const p = await readFile(corpus(SAMPLES, 'simple-hermes.json'));
    const beta = [...Array(p.frames.size).keys()].find((f) => p.frames.nameOf(f) === 'beta') as number;
    expect(p.frames.fileOf(beta)).toBe(
      '/Users/example/test_project/node_modules/metro-runtime/src/polyfills/require.js',
    );
    expect(p.frames.line[beta]).toBe(54);
  });

  it('keeps the intervals in time order for flame charts (keepTimes), in ms from the first event', async () => {
    const p = await readFile(corpus(SAMPLES, 'simple.json'), { keepTimes: true });
    const times = p.times;
    if (!times) throw new Error('no times');
    const trie = p.trie();
    const rows = Array.from({ length: times.count }, (_, i) => [
      times.time[i],
      trie
        .stackOf(times.node[i] as number)
        .map((f) => p.frames.nameOf(f))
        .join(';'),
      times.values[i],
    ]);
    expect(rows).toEqual([
      [0, 'alpha', 1],
      [0.001, 'alpha;beta', 1],
      [0.002, 'alpha;beta;gamma', 5],
      [0.007, 'alpha;beta;epsilon', 4],
      [0.011, 'alpha;beta', 2],
      [0.013, 'alpha', 1],
    ]);
    expect(p.duration).toBe(0.014);
    expect(p.sampleCount).toBe(6);
  });

  it('draws a flame chart of a one-thread trace, in time order', () => {
    const r = pyro(['flamegraph', '--flame-chart', '--format', 'text', corpus(SAMPLES, 'simple.json')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Flame chart: wall \(microseconds\), total 14us\n/);
    // gamma (2 to 7) before epsilon (7 to 11): time order, not the flame graph's order by name.
    expect(r.stdout.indexOf('gamma')).toBeLessThan(r.stdout.indexOf('epsilon'));
  });

  it('refuses a flame chart of several threads in one line, naming them', () => {
    const r = pyro(['flamegraph', '--flame-chart', '--format', 'text', corpus(SAMPLES, 'multiprocess.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^pyro: --flame-chart draws one timeline, and this input has \d+ \(pid=0,process=p0,thread=p0t0,tid=0;/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // Without --flame-chart, the threads are merged into one graph.
    expect(pyro(['flamegraph', '--format', 'text', corpus(SAMPLES, 'multiprocess.json')]).status).toBe(0);
  });

  it('reads events in any order the same where no two share a time', async () => {
    // A random nesting of calls on two threads, with distinct times, then shuffled.
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const events: TraceEvent[] = [];
    for (const tid of [1, 2]) {
      let ts = tid;
      const open: string[] = [];
      for (let k = 0; k < 400; k++) {
        ts += 2 + rand(5) * 2;
        if (open.length > 0 && (rand(3) === 0 || open.length > 6)) {
          events.push({ ph: 'E', pid: 9, tid, ts, name: open.pop() });
        } else if (rand(4) === 0) {
          events.push({ ph: 'X', pid: 9, tid, ts, dur: 1, name: `x${rand(3)}` });
        } else {
          const name = `f${rand(5)}`;
          open.push(name);
          events.push({ ph: 'B', pid: 9, tid, ts, name });
        }
      }
    }
    const want = expectedDurations(events).folded;
    for (let k = events.length - 1; k > 0; k--) {
      const j = rand(k + 1);
      [events[k], events[j]] = [events[j] as TraceEvent, events[k] as TraceEvent];
    }
    const p = await readBytes('input', JSON.stringify(events));
    expect(foldedByThread(p)).toEqual(want);
    expect(expectedDurations(events).folded).toEqual(want);
  });

  it('reads any mix of B, E and X events as the plain model of its rules does (ties, bad nesting, repairs)', async () => {
    const event = fc.record(
      {
        ph: fc.constantFrom('B', 'B', 'E', 'E', 'X', 'M'),
        name: fc.constantFrom('a', 'b', ''),
        ts: fc.integer({ min: 0, max: 8 }),
        dur: fc.integer({ min: 0, max: 6 }),
        tid: fc.constantFrom(1, 2),
        args: fc.constantFrom({ x: 0 }, { x: 1 }, {}),
      },
      { requiredKeys: ['ph', 'ts', 'tid'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 40 }), async (events) => {
        const want = expectedDurations(events);
        if (want.folded.size === 0) {
          await expect(readBytes('input', JSON.stringify(events))).rejects.toThrow(/nothing to read/);
          return;
        }
        const p = await readBytes('input', JSON.stringify(events));
        expect(foldedByThread(p)).toEqual(want.folded);
        expect(p.warnings).toEqual(want.warnings);
      }),
      { numRuns: 1000, seed: 20240601 },
    );
  });

  it('of the ends of one time, takes first the one that names the innermost frame, whatever its args', async () => {
    const p = await readBytes(
      'input',
      JSON.stringify([
        { ph: 'B', name: 'a', ts: 0, tid: 1 },
        { ph: 'B', name: 'b', ts: 1, tid: 1, args: { x: 0 } },
        { ph: 'E', name: 'a', ts: 3, tid: 1 },
        { ph: 'E', name: 'b', ts: 3, tid: 1, args: { x: 1 } },
      ]),
    );
    expect(foldedLines(p, 0)).toEqual(['a 1', 'a;b 2']);
    // Nothing repaired: b is closed by its own E, then a by its.
    expect(p.warnings).toEqual([]);
  });

  it('reads traces whose events come with samples for the samples alone', async () => {
    const p = await readFile(corpus(SAMPLES, 'multi-thread-with-samples.json'));
    expect(p.valueTypes.map((v) => v.type)).toEqual(['samples', 'cpu']);
    expect(p.warnings).toEqual([]);
  });
});

describe('trace-event reader: bad input', () => {
  const read = (events: unknown) => readBytes('input', JSON.stringify(events));
  const b = (ts: unknown, extra: Json = {}) => ({ ph: 'B', pid: 1, tid: 1, name: 'a', ts, ...extra });

  it('says when a trace has neither samples nor duration events', async () => {
    await expect(
      readBytes('input', '{"traceEvents": [{"ph": "M", "name": "thread_name", "pid": 1, "tid": 1}]}'),
    ).rejects.toThrow(
      'input: nothing to read in this trace: no CPU samples (Profile/ProfileChunk events, samples with stackFrames) and no duration events (B/E/X)',
    );
  });

  it('names the event and the field of a bad value', async () => {
    await expect(read([b(0), b('soon')])).rejects.toThrow('input: [1].ts: expected a number, found "soon"');
    await expect(read({ traceEvents: [b(0), { ph: 'E', pid: 1, tid: 1 }] })).rejects.toThrow(
      'input: traceEvents[1].ts: expected a number, found nothing',
    );
    await expect(read([b(0), { ph: 'X', name: 'x', ts: 1, dur: -2 }])).rejects.toThrow(
      'input: [1].dur: not a duration: -2',
    );
    await expect(read([b(0), { ph: 'X', name: 'x', ts: 1, tdur: 'long' }])).rejects.toThrow(
      'input: [1].tdur: expected a number, found "long"',
    );
    await expect(read([b(0), b(1, { name: 7 })])).rejects.toThrow('input: [1].name: expected a string, found 7');
    await expect(read([b(0), b(1, { tid: [1] })])).rejects.toThrow('input: [1].tid: expected a number or a string');
    await expect(read([b(0), 5])).rejects.toThrow('input: [1]: expected an object, found 5');
    await expect(read([b(0), { ph: 'X', name: 'x', ts: 1e308, dur: 1e308 }])).rejects.toThrow(
      'input: [1].dur: not a duration: 1e+308',
    );
  });

  it('accepts numeric strings for ts and dur, as Hermes writes them', async () => {
    const p = await read([
      b('10'),
      { ph: 'X', pid: 1, tid: 1, name: 'x', ts: '11', dur: '2' },
      { ...b('20'), ph: 'E' },
    ]);
    expect(foldedLines(p, 0)).toEqual(['a 8', 'a;x 2']);
  });

  it('answers quickly when tens of thousands of ends match nothing or come in the wrong order', async () => {
    const n = 30_000;
    const deep: Json[] = [];
    for (let i = 0; i < n; i++) deep.push(b(i, { name: `f${i}` }));
    // Ends that match no open frame, at one time; then ends in the wrong order, at one time.
    for (let i = 0; i < n; i++) deep.push({ ph: 'E', pid: 1, tid: 1, ts: n, name: 'nothing' });
    for (let i = 0; i < n; i++) deep.push({ ph: 'E', pid: 1, tid: 1, ts: n + 1, name: `f${i}` });
    const start = performance.now();
    const p = await read(deep);
    expect(performance.now() - start).toBeLessThan(5_000);
    // Each frame opens 1 µs after its parent; all are open from n - 1 to n + 1, when the first end closes them all.
    expect(p.totals()).toEqual([n + 1]);
    expect(p.warnings).toEqual([IGNORED(2 * n - 1), UNWOUND(n - 1)]);
  });
});
