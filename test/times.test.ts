// Samples in time order: what readers keep when asked (keepTimes), the flame
// chart drawn from them, the store's timeline of a range, and the timeline an
// HTML page carries.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { foldedLines } from '../src/core/formats/folded.js';
import type { Profile } from '../src/core/model/profile.js';
import { parseSelector } from '../src/core/query/selector.js';
import { EMBED_MARKER, type EmbedHeader, embedProfile } from '../src/core/render/embed.js';
import { layoutFlameChart, rectName } from '../src/core/render/layout.js';
import { Store } from '../src/core/store/store.js';
import { pyro, ROOT, readBytes, readFile, tempDir } from './helpers.js';
import { randomProfile } from './store-helpers.js';

const APP = join(ROOT, 'examples', 'app.cpuprofile');

/** A .cpuprofile whose samples run through the stacks given, one per sample, 1 ms apart. */
function cpuprofile(stacks: string[][]): string {
  const nodes: { id: number; callFrame: object; children: number[] }[] = [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [] },
  ];
  const ids = new Map<string, number>();
  const samples = stacks.map((stack) => {
    let parent = 1;
    let path = '';
    for (const name of stack) {
      path += `;${name}`;
      let id = ids.get(path);
      if (id === undefined) {
        id = nodes.length + 1;
        ids.set(path, id);
        nodes.push({ id, callFrame: { functionName: name, url: '', lineNumber: -1 }, children: [] });
        nodes[parent - 1]?.children.push(id);
      }
      parent = id;
    }
    return parent;
  });
  return JSON.stringify({
    nodes,
    startTime: 0,
    endTime: stacks.length * 1000,
    samples,
    timeDeltas: samples.map(() => 1000),
  });
}

/** The flame chart by brute force: per depth, runs of consecutive samples sharing the stack up to that depth. */
function expectedChart(stacks: string[][]): string[] {
  const out: string[] = [];
  const depth = Math.max(...stacks.map((s) => s.length));
  for (let d = 1; d <= depth; d++) {
    let i = 0;
    while (i < stacks.length) {
      const s = stacks[i] as string[];
      if (s.length < d) {
        i++;
        continue;
      }
      const prefix = s.slice(0, d).join(';');
      let j = i;
      while (j < stacks.length && (stacks[j] as string[]).slice(0, d).join(';') === prefix) j++;
      out.push(`${d} ${prefix} ${i} ${j - i}`);
      i = j;
    }
  }
  return out.sort();
}

function chartRects(p: Profile, valueIndex: number): string[] {
  const l = layoutFlameChart(p, { valueIndex });
  const names = (r: number): string[] => (r <= 0 ? [] : [...names(l.parent[r] as number), rectName(l, r)]);
  const out: string[] = [];
  for (let r = 1; r < l.count; r++) {
    out.push(`${l.depth[r]} ${names(r).join(';')} ${l.start[r]} ${l.width[r]}`);
  }
  return out.sort();
}

describe('sample times and flame charts', () => {
  it('a .cpuprofile keeps its samples in time order when asked, and the flame chart has their runs', async () => {
    const stacks = [['a', 'b'], ['a', 'b'], ['a', 'c'], ['a'], ['d', 'e'], ['a', 'b'], ['a', 'b', 'x'], ['d']];
    const json = cpuprofile(stacks);
    expect((await readBytes('t.cpuprofile', json)).times).toBeUndefined();
    const p = await readBytes('t.cpuprofile', json, { keepTimes: true });
    expect(p.times?.count).toBe(stacks.length);
    // Value 0 counts samples: x is the sample index.
    expect(chartRects(p, 0)).toEqual(expectedChart(stacks));
    const l = layoutFlameChart(p, { valueIndex: 0 });
    expect(l.total).toBe(stacks.length);
    // The merged flamegraph is unchanged by keeping times.
    expect(foldedLines(p, 0)).toEqual(foldedLines(await readBytes('t.cpuprofile', json), 0));
  });

  it('perf script keeps the event times, sorted, and draws a flame chart through the CLI', async () => {
    const event = (time: string, frames: string[]) =>
      `app 100 ${time}: 1000 cpu-clock:\n${frames.map((f, i) => `\t${(0x1000 + i).toString(16)} ${f} (/bin/app)`).join('\n')}\n\n`;
    // Out of order on purpose: perf script can interleave CPUs.
    const text = [
      event('10.000003', ['b', 'a', 'main']),
      event('10.000001', ['a', 'main']),
      event('10.000002', ['a', 'main']),
      event('10.000004', ['c', 'main']),
    ].join('');
    const p = await readBytes('t.perf', text, { keepTimes: true });
    const times = p.times;
    expect(times?.count).toBe(4);
    expect(Array.from(times?.time.subarray(0, 4) ?? [])).toEqual(
      [0, 1, 2, 3].map((ms) => expect.closeTo(ms / 1000, 6)),
    );
    expect(chartRects(p, 0)).toEqual(
      expectedChart([
        ['app', 'main', 'a'],
        ['app', 'main', 'a'],
        ['app', 'main', 'a', 'b'],
        ['app', 'main', 'c'],
      ]),
    );
    const dir = tempDir();
    const file = join(dir, 't.perf');
    writeFileSync(file, text);
    const r = pyro(['flamegraph', file, '--flame-chart', '--format', 'text', '--value', 'samples']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Flame chart: samples/);
    const bad = pyro(['flamegraph', file, '--flame-chart', '--focus', 'a', '-o', join(dir, 'x.svg')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--flame-chart needs the samples in time order/);
  });

  it('speedscope keeps time order: evented profiles as their intervals, sampled ones in order', async () => {
    const doc = {
      $schema: 'https://www.speedscope.app/file-format-schema.json',
      shared: { frames: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
      profiles: [
        {
          type: 'evented',
          name: 'one',
          unit: 'milliseconds',
          startValue: 0,
          endValue: 6,
          events: [
            { type: 'O', frame: 0, at: 0 },
            { type: 'O', frame: 1, at: 1 },
            { type: 'C', frame: 1, at: 3 },
            { type: 'O', frame: 2, at: 3 },
            { type: 'C', frame: 2, at: 4 },
            { type: 'C', frame: 0, at: 6 },
          ],
        },
      ],
    };
    const p = await readBytes('e.speedscope.json', JSON.stringify(doc), { keepTimes: true });
    expect(chartRects(p, 0)).toEqual(['1 a 0 6', '2 a;b 1 2', '2 a;c 3 1']);
    const sampled = {
      ...doc,
      profiles: [
        {
          type: 'sampled',
          name: 's',
          unit: 'none',
          startValue: 0,
          endValue: 4,
          samples: [[0, 1], [0, 1], [2], [0]],
          weights: [1, 2, 1, 1],
        },
      ],
    };
    const q = await readBytes('s.speedscope.json', JSON.stringify(sampled), { keepTimes: true });
    expect(chartRects(q, 0)).toEqual(['1 a 0 3', '1 a 4 1', '1 c 3 1', '2 a;b 0 3']);
  });

  it('a store query in parts gives each part what a query of that part gives, and the same total', () => {
    const dir = tempDir('pyro-times-');
    const store = Store.open(dir);
    const T0 = Date.UTC(2025, 0, 1);
    for (let i = 0; i < 40; i++) store.ingest(randomProfile(i), { app: 'svc', at: T0 + i * 60_000 });
    const sel = parseSelector('svc{}');
    const range = { from: T0, until: T0 + 40 * 60_000 };
    const whole = store.query(sel, range, { buckets: 8 }) as Profile;
    const times = whole.times;
    expect(times).toBeDefined();
    const v = whole.defaultValue;
    let sum = 0;
    const perPart = new Map<number, number>();
    for (let i = 0; i < (times?.count ?? 0); i++) {
      const value = times?.values[i * (times?.nTypes ?? 1) + v] as number;
      sum += value;
      perPart.set(times?.time[i] as number, (perPart.get(times?.time[i] as number) ?? 0) + value);
    }
    expect(sum).toBeCloseTo(whole.trie().totalOf(0, v), 6);
    // The data spans 39 minutes and a bit: eight equal parts of it.
    for (const [t, value] of perPart) {
      const step = (T0 + 39 * 60_000 + 10_000 - T0) / 8;
      const part = store.query(sel, { from: t, until: Math.min(range.until, t + step) }) as Profile;
      expect(value, new Date(t).toISOString()).toBeCloseTo(part.trie().totalOf(0, part.defaultValue), 6);
    }
    store.close();
  });

  it('an HTML page carries the timeline: per bucket and stack, the sums of the samples', async () => {
    const p = await readFile(APP, { keepTimes: true });
    const base64 = embedProfile(p);
    const raw = gunzipSync(Buffer.from(base64, 'base64'));
    const h = raw.readUInt32LE(0);
    const header = JSON.parse(raw.toString('utf8', 4, 4 + h)) as EmbedHeader;
    const tl = header.timeline;
    expect(tl).toBeDefined();
    let pos = 4 + h + header.tries.reduce((a, t) => a + t.bytes, 0);
    const end = pos + (tl?.bytes ?? 0);
    expect(end).toBe(raw.length);
    const varint = () => {
      let v = 0;
      let mul = 1;
      for (;;) {
        const b = raw[pos++] as number;
        v += (b & 0x7f) * mul;
        mul *= 128;
        if (b < 0x80) return v;
      }
    };
    const k = header.valueTypes.length;
    const totals = new Array<number>(k).fill(0);
    const perBucket = new Map<number, number>();
    while (pos < end) {
      const bucket = varint();
      expect(varint()).toBe(0); // one trie
      varint(); // node
      for (let t = 0; t < k; t++) {
        const value = tl?.kind === 2 ? raw.readDoubleLE((pos += 8) - 8) : varint();
        totals[t] = (totals[t] as number) + value;
        if (t === 0) perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + value);
      }
    }
    // Every sample is in the timeline once.
    for (let t = 0; t < k; t++) expect(totals[t]).toBeCloseTo(p.trie().totalOf(0, t), 3);
    expect(Math.max(...perBucket.keys())).toBe((tl?.buckets ?? 0) - 1);
    // The page holds it too, behind the marker.
    const dir = tempDir();
    const page = join(dir, 'app.html');
    expect(pyro(['flamegraph', APP, '-o', page]).status).toBe(0);
    expect(readFileSync(page, 'utf8')).toContain(EMBED_MARKER);
  });
});
