import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { foldedLines } from '../src/core/formats/folded.js';
import type { Profile } from '../src/core/model/profile.js';
import { corpus, pyro, readBytes, readFile, tempDir } from './helpers.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface Node {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * The folded stacks of a .cpuprofile computed straight from its JSON, by the
 * documented conventions: "(root)" dropped, unnamed functions named
 * "(anonymous) file:line" (1-based), a sample worth the time until the next
 * one (the last: until endTime). Assumes samples in time order.
 */
function expectedFolded(json: CpuProfile): { samples: string[]; cpu: string[] } {
  const byId = new Map(json.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of json.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const name = (cf: CallFrame) => {
    if (cf.functionName) return cf.functionName;
    return cf.url ? `(anonymous) ${cf.url.split('/').pop()}:${cf.lineNumber + 1}` : '(anonymous)';
  };
  const stackOf = (id: number) => {
    const names: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      const cf = (byId.get(cur) as Node).callFrame;
      if (cf.functionName !== '(root)') names.unshift(name(cf));
    }
    return names.join(';');
  };
  const counts = new Map<string, number>();
  const times = new Map<string, number>();
  let t = json.startTime;
  const stamps = json.timeDeltas.map((d) => {
    t += d;
    return t;
  });
  json.samples.forEach((id, i) => {
    const key = stackOf(id);
    const next = i + 1 < stamps.length ? (stamps[i + 1] as number) : json.endTime;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    times.set(key, (times.get(key) ?? 0) + next - (stamps[i] as number));
  });
  const lines = (m: Map<string, number>) => [...m].map(([k, v]) => `${k} ${v}`).sort();
  return { samples: lines(counts), cpu: lines(times) };
}

function readJson(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

/** Self value of each function (last frame of a stack) as a share of the total. */
function selfShares(p: Profile, valueIndex: number): Map<string, number> {
  const out = new Map<string, number>();
  const total = p.totals()[valueIndex] as number;
  for (const line of foldedLines(p, valueIndex)) {
    const sp = line.lastIndexOf(' ');
    const leaf = line.slice(0, sp).split(';').pop() as string;
    out.set(leaf, (out.get(leaf) ?? 0) + Number(line.slice(sp + 1)) / total);
  }
  return out;
}

describe('cpuprofile reader', () => {
  for (const name of ['simple.cpuprofile', 'sucrase.cpuprofile']) {
    it(`reads Chrome 65 ${name} to the stacks and times its JSON gives`, async () => {
      const path = corpus('speedscope-samples/Chrome/65', name);
      const json = readJson(path);
      const p = await readFile(path);
      const expected = expectedFolded(json);
      expect(p.valueTypes).toEqual([
        { type: 'samples', unit: 'count' },
        { type: 'cpu', unit: 'microseconds' },
      ]);
      expect(p.valueTypes[p.defaultValue]?.type).toBe('cpu');
      expect(foldedLines(p, 0)).toEqual(expected.samples);
      expect(foldedLines(p, 1)).toEqual(expected.cpu);
      expect(p.sampleCount).toBe(json.samples.length);
      expect(p.duration).toBeCloseTo((json.endTime - json.startTime) / 1000, 9);
    });
  }

  it('keeps file and 1-based line, and names anonymous functions by place', async () => {
    const path = corpus('speedscope-samples/Chrome/65/sucrase.cpuprofile');
    const json = readJson(path);
    const p = await readFile(path);
    const frames = new Map<string, { file: string; line: number }>();
    for (let f = 0; f < p.frames.size; f++) {
      frames.set(p.frames.nameOf(f), { file: p.frames.fileOf(f), line: p.frames.line[f] as number });
    }
    const named = json.nodes.find((n) => n.callFrame.functionName && n.callFrame.url) as Node;
    expect(frames.get(named.callFrame.functionName)).toEqual({
      file: named.callFrame.url,
      line: named.callFrame.lineNumber + 1,
    });
    const anon = json.nodes.find((n) => !n.callFrame.functionName && n.callFrame.url);
    if (anon) {
      const base = anon.callFrame.url.split('/').pop();
      expect(frames.has(`(anonymous) ${base}:${anon.callFrame.lineNumber + 1}`)).toBe(true);
    }
    // V8's pseudo-frames stay (at the root, where V8 puts them); "(root)" is not a frame.
    const roots = new Set(foldedLines(p, 0).map((l) => l.slice(0, l.lastIndexOf(' ')).split(';')[0]));
    expect(roots).toContain('(program)');
    expect(roots).toContain('(garbage collector)');
    expect(frames.has('(root)')).toBe(false);
  });

  it('reads the old tree form (node 10, v8-profiler) like the same profile in the current form', async () => {
    const old = await readFile(corpus('speedscope-samples/node/10.11.0/example.cpuprofile'));
    const cur = await readFile(corpus('speedscope-samples/Chrome/65/simple.cpuprofile'));
    expect(foldedLines(old, 0)).toEqual(foldedLines(cur, 0));
    // The old file has one timestamp per sample after the start time, and no usable end time.
    const json = JSON.parse(readFileSync(corpus('speedscope-samples/node/10.11.0/example.cpuprofile'), 'utf8'));
    const ts = json.timestamps as number[];
    expect(old.totals()[1]).toBe((ts[ts.length - 1] as number) - (ts[1] as number));
    expect(old.duration).toBeCloseTo(((ts[ts.length - 1] as number) - (ts[0] as number)) / 1000, 9);
  });

  it('sorts samples V8 emitted out of order before timing them (as DevTools does)', async () => {
    const node = (id: number, functionName: string, children: number[] = []) => ({
      id,
      callFrame: { functionName, url: 'x.js', lineNumber: id, columnNumber: 0, scriptId: '1' },
      hitCount: 0,
      children,
    });
    const profile = {
      nodes: [node(1, '(root)', [2, 3, 4]), node(2, 'A'), node(3, 'B'), node(4, 'C')],
      startTime: 0,
      endTime: 40,
      samples: [2, 3, 4],
      // A at 10, B at 30, C at 25: in time order A(10..25), C(25..30), B(30..40).
      timeDeltas: [10, 20, -5],
    };
    const p = await readBytes('input', JSON.stringify(profile));
    expect(foldedLines(p, 1)).toEqual(['A 15', 'B 10', 'C 5']);
    expect(foldedLines(p, 0)).toEqual(['A 1', 'B 1', 'C 1']);
  });

  it('is detected by content, without a file name', async () => {
    const bytes = readFileSync(corpus('speedscope-samples/Chrome/65/simple.cpuprofile'));
    expect((await readBytes('input', bytes)).format).toBe('cpuprofile');
    const old = readFileSync(corpus('speedscope-samples/node/10.11.0/example.cpuprofile'));
    expect((await readBytes('input', old)).format).toBe('cpuprofile');
    // A heap profile also has call frames, but is not a CPU profile.
    const heap = readFileSync(corpus('speedscope-samples/Chrome/69/Heap-20181005T144546.heapprofile'));
    expect((await readBytes('input', heap)).format).toBe('heapprofile');
  });

  it('names the line of broken JSON and the field of a broken reference, in one line', () => {
    const dir = tempDir();
    const text = readFileSync(corpus('speedscope-samples/Chrome/65/simple.cpuprofile'), 'utf8');
    const cut = join(dir, 'cut.cpuprofile');
    writeFileSync(cut, `${text.slice(0, 700).replace(/,/g, ',\n')}`);
    let r = pyro(['info', cut]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^pyro: .*cut\.cpuprofile: (line \d+: )?invalid JSON: .+\n$/);
    const bad = join(dir, 'bad.cpuprofile');
    const json = JSON.parse(text);
    json.nodes[0].children.push(99);
    writeFileSync(bad, JSON.stringify(json));
    r = pyro(['info', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`pyro: ${bad}: nodes[0].children[1]: no node has id 99\n`);
  });
});

/**
 * A script that busy-loops in three functions for 60, 30 and 10 ms in turn,
 * for about 1.2 s: integer work, checking the clock now and then (so that
 * neither the clock's own frames nor GC take the time).
 */
const SCRIPT = ['sixty', 'thirty', 'ten']
  .map(
    (name, i) =>
      `function ${name}() { let x = 0; const end = Date.now() + ${[60, 30, 10][i]}; ` +
      'while (Date.now() < end) for (let i = 0; i < 1000; i++) x = (x * 31 + i) | 0; return x; }\n',
  )
  .join('')
  .concat('const stop = Date.now() + 1200;\nwhile (Date.now() < stop) { sixty(); thirty(); ten(); }\n');

/** Runs SCRIPT under `node --cpu-prof` (and extra flags) in a temp dir; returns the dir. */
function runProfiled(extra: string[] = []): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'script.js'), SCRIPT);
  const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...extra, 'script.js'], {
    cwd: dir,
    timeout: 60_000,
  });
  expect(r.status, r.stderr?.toString()).toBe(0);
  return dir;
}

describe('cpuprofile from node --cpu-prof (the real producer)', () => {
  it('gives each function its share of the time, and the duration', async () => {
    const dir = runProfiled();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) as string;
    const path = join(dir, file);
    const p = await readFile(path);
    const shares = selfShares(p, 1);
    const sixty = shares.get('sixty') ?? 0;
    const thirty = shares.get('thirty') ?? 0;
    const ten = shares.get('ten') ?? 0;
    // The process also spends time starting up: shares of the whole run, with room for CPU noise.
    expect(sixty).toBeGreaterThan(thirty);
    expect(thirty).toBeGreaterThan(ten);
    expect(Math.abs(sixty - 0.6)).toBeLessThan(0.08);
    expect(Math.abs(thirty - 0.3)).toBeLessThan(0.08);
    expect(Math.abs(ten - 0.1)).toBeLessThan(0.08);
    // The function frames point into the script, 1-based.
    const sixtyFrame = [...Array(p.frames.size).keys()].find((i) => p.frames.nameOf(i) === 'sixty') as number;
    expect(p.frames.fileOf(sixtyFrame)).toMatch(/script\.js$/);
    expect(p.frames.line[sixtyFrame]).toBe(1);

    const json = readJson(path);
    const info = pyro(['info', '--json', path]);
    expect(info.status).toBe(0);
    const [described] = JSON.parse(info.stdout);
    expect(described.durationMs).toBeCloseTo((json.endTime - json.startTime) / 1000, 6);
    expect(described.durationMs).toBeGreaterThan(1000);
    expect(pyro(['info', path]).stdout).toMatch(/duration\s+\d+\.\d{3}s/);
  });
});

describe('cpuprofile writer', () => {
  it('writes the same stacks and sample counts back (from folded, and from a V8 profile of time values)', async () => {
    const dir = tempDir();
    const folded = corpus('folded', 'base', 'flames.txt');
    const out = join(dir, 'f.cpuprofile');
    expect(pyro(['convert', folded, '-o', out]).status).toBe(0);
    const back = await readFile(out);
    const orig = await readFile(folded);
    expect(foldedLines(back, 0)).toEqual(foldedLines(orig, 0));
    // Chrome DevTools needs a (root) node, samples and timeDeltas that agree.
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      nodes: { id: number; callFrame: { functionName: string } }[];
      samples: number[];
      timeDeltas: number[];
    };
    expect(json.nodes[0]?.callFrame.functionName).toBe('(root)');
    expect(json.samples.length).toBe(json.timeDeltas.length);
    const ids = new Set(json.nodes.map((n) => n.id));
    expect(json.samples.every((s) => ids.has(s))).toBe(true);
    // A profile whose value is time (microseconds): ticks of the sampling interval.
    const cpu = corpus('speedscope-samples', 'node', '10.11.0', 'example.cpuprofile');
    const again = join(dir, 'again.cpuprofile');
    expect(pyro(['convert', cpu, '--value', 'cpu', '-o', again]).status).toBe(0);
    const a = await readFile(cpu);
    const b = await readFile(again);
    expect(Math.abs((b.totals()[1] as number) - (a.totals()[1] as number)) / (a.totals()[1] as number)).toBeLessThan(
      0.05,
    );
  });
});
