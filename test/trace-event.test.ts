import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

describe('trace-event reader: what it does not read', () => {
  it('says in one line that duration events (B/E/X) are not supported yet, partial arrays included', () => {
    for (const name of [
      'simple.json',
      'simple-object.json',
      'simple-partial.json',
      'simple-partial-trailing-comma.json',
    ]) {
      const path = corpus(SAMPLES, name);
      const r = pyro(['info', path]);
      expect(r.status, name).toBe(1);
      expect(r.stderr).toBe(`pyro: ${path}: trace-event JSON with only duration events (B/E/X) is not supported yet\n`);
    }
  });

  it('says so when a trace has no samples at all', async () => {
    await expect(
      readBytes('input', '{"traceEvents": [{"ph": "M", "name": "thread_name", "pid": 1, "tid": 1}]}'),
    ).rejects.toThrow(/no CPU samples in this trace/);
  });

  it('names the field of a broken chunk', async () => {
    const trace = {
      traceEvents: [
        { ph: 'P', name: 'Profile', id: '0x1', pid: 1, tid: 2, ts: 0, args: { data: { startTime: 0 } } },
        {
          ph: 'P',
          name: 'ProfileChunk',
          id: '0x1',
          pid: 1,
          tid: 3,
          ts: 1,
          args: {
            data: {
              cpuProfile: { nodes: [{ id: 1, callFrame: { functionName: '(root)' } }], samples: [7] },
              timeDeltas: [1],
            },
          },
        },
      ],
    };
    await expect(readBytes('input', JSON.stringify(trace))).rejects.toThrow(
      'input: profile 0x1 (pid 1, tid 2): samples[0]: no node has id 7',
    );
  });
});
