import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  Function as PprofFunction,
  Profile as PprofProfile,
  type ProfileInput,
  StringTable,
  ValueType,
} from 'pprof-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldedLines } from '../src/core/formats/folded.js';
import { readPprofBytes } from '../src/core/formats/pprof/read.js';
import { pprof } from '../src/core/formats/pprof.js';
import type { Source } from '../src/core/io/source.js';
import { ProfileBuilder } from '../src/core/model/builder.js';
import type { Profile } from '../src/core/model/profile.js';
import { corpus, pyro, ROOT, readBytes, readFile, requirePeer, tempDir } from './helpers.js';

const SIMPLE = corpus('speedscope-samples/pprof/simple.prof');
const GO_ENV = { ...process.env, GO111MODULE: 'off' };

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { env: GO_ENV, cwd, maxBuffer: 1 << 28, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.toString('utf8');
}

/** `go tool pprof -top` rows: function (without pprof's "(inline)" marks) -> flat%. */
function goTop(file: string, extra: string[] = []): { type: string; flat: Map<string, number> } {
  const out = run('go', ['tool', 'pprof', '-top', '-nodecount=100', ...extra, file]);
  const flat = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^\s*\S+\s+([\d.]+)%\s+[\d.]+%\s+\S+\s+[\d.]+%\s+(.+?)(?: \((?:partial-)?inline\))?$/.exec(line);
    if (m) flat.set(m[2] as string, (flat.get(m[2] as string) ?? 0) + Number(m[1]));
  }
  return { type: /^Type: (.*)$/m.exec(out)?.[1] ?? '', flat };
}

/** `go tool pprof -raw`: the header lines, the sample types, and per type the sum over samples. */
function goRaw(file: string): { header: string[]; types: string[]; totals: number[]; samples: number } {
  const lines = run('go', ['tool', 'pprof', '-raw', file]).split('\n');
  const at = lines.indexOf('Samples:');
  const types = (lines[at + 1] as string).trim().split(/\s+/);
  const totals = types.map(() => 0);
  let samples = 0;
  for (let i = at + 2; i < lines.length && !lines[i]?.startsWith('Locations'); i++) {
    const m = /^\s+(-?\d+(?:\s+-?\d+)*):/.exec(lines[i] as string);
    if (!m) continue;
    samples++;
    (m[1] as string)
      .trim()
      .split(/\s+/)
      .forEach((v, t) => {
        totals[t] = (totals[t] as number) + Number(v);
      });
  }
  return { header: lines.slice(0, at), types, totals, samples };
}

/** Sample types as -raw lists them, without its mark of the default. */
function plainTypes(types: string[]): string[] {
  return types.map((t) => t.replace('[dflt]', ''));
}

/** An uncompressed profile.proto built with pprof-format, strings given as strings. */
function synth(
  p: Omit<ProfileInput, 'stringTable' | 'sampleType' | 'function' | 'defaultSampleType'> & {
    types: [string, string][];
    functions?: { id: number; name: string; file?: string }[];
    defaultType?: string;
    strings?: (st: StringTable) => void;
  },
): Buffer {
  const st = new StringTable();
  p.strings?.(st);
  const out = new PprofProfile({
    ...p,
    stringTable: st,
    sampleType: p.types.map(([type, unit]) => new ValueType({ type: st.dedup(type), unit: st.dedup(unit) })),
    function: (p.functions ?? []).map(
      (f) => new PprofFunction({ id: f.id, name: st.dedup(f.name), filename: st.dedup(f.file ?? '') }),
    ),
    defaultSampleType: p.defaultType ? st.dedup(p.defaultType) : 0,
  });
  return Buffer.from(out.encode());
}

/** The frames of a profile by name, with their file, line and module. */
function frameInfo(p: Profile, name: string): { file: string; line: number; module: string }[] {
  const out = [];
  for (let f = 0; f < p.frames.size; f++) {
    if (p.frames.nameOf(f) === name) {
      out.push({ file: p.frames.fileOf(f), line: p.frames.line[f] as number, module: p.frames.moduleOf(f) });
    }
  }
  return out;
}

function reread(p: Profile, name = 'out.pb.gz'): Promise<Profile> {
  return readBytes(name, pprof.write?.(p, {}) as Buffer);
}

/** A source that hands out `raw` in chunks of `size` bytes, as a slow pipe would. */
function chunkedSource(name: string, raw: Buffer, size: number): Source {
  return {
    name,
    path: undefined,
    head: raw.subarray(0, 64 * 1024),
    complete: false,
    async *chunks() {
      for (let i = 0; i < raw.length; i += size) yield Buffer.from(raw.subarray(i, i + size));
    },
    bytes: async () => raw,
  };
}

/** The top-level sample fields (2) of a profile.proto, and every other field, in order. */
function splitSamples(raw: Buffer): { samples: Buffer; rest: Buffer } {
  const samples: Buffer[] = [];
  const rest: Buffer[] = [];
  const varint = (at: number): [number, number] => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = raw[at++] as number;
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return [v, at];
    }
  };
  let pos = 0;
  while (pos < raw.length) {
    const start = pos;
    const [tag, afterTag] = varint(pos);
    const wt = tag & 7;
    if (wt === 0) pos = varint(afterTag)[1];
    else if (wt === 2) {
      const [len, afterLen] = varint(afterTag);
      pos = afterLen + len;
    } else pos = afterTag + (wt === 1 ? 8 : 4);
    (tag >>> 3 === 2 ? samples : rest).push(raw.subarray(start, pos));
  }
  return { samples: Buffer.concat(samples), rest: Buffer.concat(rest) };
}

describe('pprof reader', () => {
  it('reads the corpus profile: value types, default, period and times', async () => {
    const p = await readFile(SIMPLE);
    expect(p.format).toBe('pprof');
    expect(p.valueTypes).toEqual([
      { type: 'samples', unit: 'count' },
      { type: 'cpu', unit: 'nanoseconds' },
    ]);
    // No default_sample_type in the file: the last type, as go tool pprof does.
    expect(p.defaultValue).toBe(1);
    expect(p.periodType).toEqual({ type: 'cpu', unit: 'nanoseconds' });
    const [samples, cpu] = p.totals() as [number, number];
    expect(samples).toBeGreaterThan(0);
    expect(cpu).toBe(samples * p.period);
    expect(new Date(p.startTime as number).getUTCFullYear()).toBe(2018);
    expect(p.duration).toBeGreaterThan(0);
  });

  it('reads the same totals and sample count as go tool pprof -raw', async () => {
    if (!requirePeer('go')) return;
    const p = await readFile(SIMPLE);
    const raw = goRaw(SIMPLE);
    expect(raw.types).toEqual(p.valueTypes.map((v) => `${v.type}/${v.unit}`));
    expect(p.totals()).toEqual(raw.totals);
    expect(p.sampleCount).toBe(raw.samples);
  });

  it('turns the Lines of one location into frames (the last Line is the caller) and keeps file, line, module', async () => {
    const bytes = synth({
      types: [['samples', 'count']],
      functions: [
        { id: 1, name: 'inner', file: 'lib.c' },
        { id: 2, name: 'outer', file: 'lib.c' },
        { id: 3, name: 'main', file: 'app.c' },
      ],
      strings: (st) => {
        st.dedup('/usr/lib/libfoo.so');
        st.dedup('/usr/bin/app');
      },
      mapping: [
        { id: 1, filename: 1, hasFunctions: true },
        { id: 2, filename: 2, hasFunctions: true },
      ],
      location: [
        {
          id: 1,
          mappingId: 2,
          address: 0x1000,
          line: [
            { functionId: 1, line: 10 },
            { functionId: 2, line: 20 },
          ],
        },
        { id: 2, mappingId: 1, address: 0x4a3f10 },
        { id: 3, mappingId: 2, address: 0x2000, line: [{ functionId: 3, line: 5 }] },
        { id: 4, mappingId: 1, address: 0xffffffffff600000n },
      ],
      sample: [
        { locationId: [1, 3], value: [7] },
        { locationId: [2, 3], value: [3] },
        { locationId: [4, 2, 3], value: [2] },
      ],
    });
    const p = await readBytes('inline.pb', bytes);
    expect(foldedLines(p, 0)).toEqual(['main;0x4a3f10 3', 'main;0x4a3f10;0xffffffffff600000 2', 'main;outer;inner 7']);
    expect(frameInfo(p, 'inner')).toEqual([{ file: 'lib.c', line: 10, module: 'app' }]);
    expect(frameInfo(p, 'outer')).toEqual([{ file: 'lib.c', line: 20, module: 'app' }]);
    expect(frameInfo(p, '0x4a3f10')).toEqual([{ file: '', line: 0, module: 'libfoo.so' }]);
  });

  it('keeps string and numeric labels per sample as label sets', async () => {
    const bytes = synth({
      types: [['samples', 'count']],
      functions: [{ id: 1, name: 'work' }],
      location: [{ id: 1, line: [{ functionId: 1 }] }],
      strings: (st) => {
        for (const s of ['worker', 'a', 'b', 'size', 'bytes']) st.dedup(s);
      },
      sample: [
        { locationId: [1], value: [1], label: [{ key: 1, str: 2 }] },
        { locationId: [1], value: [2], label: [{ key: 1, str: 3 }] },
        { locationId: [1], value: [4], label: [{ key: 1, str: 2 }] },
        { locationId: [1], value: [8], label: [{ key: 4, num: 1024, numUnit: 5 }] },
        { locationId: [1], value: [16] },
      ],
    });
    const p = await readBytes('labels.pb', bytes);
    const byLabels = new Map<string, number>();
    p.tries.forEach((t, id) => {
      if (t) byLabels.set(JSON.stringify(p.labelSets[id]), t.totalOf(0, 0));
    });
    expect(Object.fromEntries(byLabels)).toEqual({
      '[]': 16,
      '[["worker","a"]]': 5,
      '[["worker","b"]]': 2,
      '[["size","1024 bytes"]]': 8,
    });
    expect(p.sampleCount).toBe(5);
  });

  it('reads each profile exactly, whatever was read before it (a reader thread reads many in turn)', async () => {
    /** A profile of `types` value types over `stacks` distinct stacks, some of them sampled twice. */
    const make = (types: number, stacks: number, seed: number) => {
      const b = new ProfileBuilder(
        Array.from({ length: types }, (_, t) => ({ type: `t${t}`, unit: 'count' })),
        'test',
      );
      const frames = Array.from({ length: 50 }, (_, i) => b.frame(`f${i}`));
      const stack = new Int32Array(8);
      for (let s = 0; s < stacks; s++) {
        const x = s * 7919 + seed;
        for (let d = 0; d < 8; d++) stack[d] = frames[Math.floor(x / 50 ** (d % 3)) % 50] as number;
        b.addStack(
          stack,
          2 + (x % 7),
          Array.from({ length: types }, (_, t) => 1 + ((x + t) % 5)),
        );
      }
      return b.finish();
    };
    // A small one, one with another number of types, and one whose memo grows too large to be kept.
    const sources = [make(2, 300, 1), make(3, 800, 2), make(4, 6000, 3)];
    const bodies = await Promise.all(sources.map(async (p) => gunzipOrSelf(await pprof.write(p))));
    for (const i of [0, 1, 0, 2, 1, 0, 2, 0]) {
      const p = readPprofBytes(`p${i}.pb`, bodies[i] as Buffer);
      const source = sources[i] as Profile;
      for (let t = 0; t < source.nTypes; t++) expect(foldedLines(p, t), `profile ${i}`).toEqual(foldedLines(source, t));
    }
  });

  it('reads the same profile whatever the chunk boundaries, and with the tables after the samples', async () => {
    const raw = gunzipOrSelf(readFileSync(SIMPLE));
    const whole = await readBytes('simple.pb', raw);
    // The same fields with the samples (field 2) moved to the end, after every table.
    const { samples, rest } = splitSamples(raw);
    const moved = await readBytes('moved.pb', Buffer.concat([rest, samples]));
    expect(foldedLines(moved, 0)).toEqual(foldedLines(whole, 0));
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const p = await pprof.read(chunkedSource('chunked.pb', raw, size));
      expect(foldedLines(p, 0), `chunks of ${size} bytes`).toEqual(foldedLines(whole, 0));
      expect(p.sampleCount).toBe(whole.sampleCount);
      expect(p.valueTypes).toEqual(whole.valueTypes);
    }
    await expect(pprof.read(chunkedSource('cut.pb', raw.subarray(0, raw.length - 3), 5))).rejects.toThrow(
      /^cut\.pb: .*(truncated|runs past the end)/,
    );
    // Read in place (pyro server's pushes): the same profile, the same errors.
    const inPlace = readPprofBytes('body', Buffer.concat([rest, samples]));
    expect(foldedLines(inPlace, 0)).toEqual(foldedLines(whole, 0));
    expect(inPlace.sampleCount).toBe(whole.sampleCount);
    expect(() => readPprofBytes('cut.pb', raw.subarray(0, raw.length - 3))).toThrow(
      /^cut\.pb: .*(truncated|runs past the end)/,
    );
  });

  // 400 stacks go in one by one, 30,000 (most of them distinct) in one sorted batch.
  it.each([400, 30_000])(
    "reads %i stacks that share root-side ids with the one before, whatever the ids' byte lengths",
    (count) => {
      // Ids of 1 to 4 bytes, some ending in the same byte (1 and 129 both end in 0x01), and locations of 1 or 2
      // lines: a stack that shares bytes but not whole ids with the one before must still read as itself.
      const ids = [1, 2, 3, 127, 128, 129, 255, 256, 257, 16_383, 16_384, 16_385, 2_097_153, 2_097_281];
      const functions = ids.flatMap((id) => [
        { id: 2 * id, name: `f${id}` },
        { id: 2 * id + 1, name: `f${id}_inlined` },
      ]);
      const location = ids.map((id, i) => ({
        id,
        line: i % 3 === 0 ? [{ functionId: 2 * id + 1 }, { functionId: 2 * id }] : [{ functionId: 2 * id }],
      }));
      let seed = 7;
      const random = (n: number) => {
        seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
        return Math.floor((seed / 2 ** 32) * n);
      };
      // Each stack (leaf first) keeps a random number of the previous one's root-side ids and adds new leaves.
      const sample: ProfileInput['sample'] = [];
      const expected = new Map<string, Map<string, number>>();
      let stack: number[] = [];
      for (let i = 0; i < count; i++) {
        let keep = random(8) === 0 ? random(stack.length + 1) : Math.max(0, stack.length - random(3));
        if (keep > 24) keep = random(24);
        stack = stack.slice(stack.length - keep);
        for (let n = random(3) + (i % 50 === 0 ? 0 : 1); n > 0; n--) stack.unshift(ids[random(ids.length)] as number);
        const set = random(5) === 0 ? 'b' : 'a';
        const value = 1 + random(9);
        sample.push({ locationId: [...stack], value: [value], label: [{ key: 1, str: set === 'a' ? 2 : 3 }] });
        const names = [...stack]
          .reverse()
          .flatMap((id) => (ids.indexOf(id) % 3 === 0 ? [`f${id}`, `f${id}_inlined`] : [`f${id}`]));
        if (names.length === 0) continue;
        const sums = expected.get(set) ?? new Map<string, number>();
        expected.set(set, sums);
        sums.set(names.join(';'), (sums.get(names.join(';')) ?? 0) + value);
      }
      const bytes = synth({
        types: [['samples', 'count']],
        functions,
        location,
        strings: (st) => {
          for (const x of ['set', 'a', 'b']) st.dedup(x);
        },
        sample,
      });
      const p = readPprofBytes('shared.pb', bytes);
      for (const [set, sums] of expected) {
        const id = p.labelSets.findIndex((l) => JSON.stringify(l) === JSON.stringify([['set', set]]));
        const want = [...sums].map(([k, v]) => `${k} ${v}`).sort();
        expect(foldedLines(p, 0, p.tries[id]).sort(), `set ${set}`).toEqual(want);
      }
    },
  );

  it('sums samples of the same stack wherever they come: after many distinct ones too (the memo stops looking then)', () => {
    // Functions 1..20, a location per function; stack i is four of them, by the digits of i in base 20.
    const functions = Array.from({ length: 20 }, (_, f) => ({ id: f + 1, name: `f${f + 1}` }));
    const location = functions.map((f) => ({ id: f.id, line: [{ functionId: f.id }] }));
    const stackOf = (i: number) => [0, 1, 2, 3].map((d) => 1 + (Math.floor(i / 20 ** d) % 20));
    /** A profile of these samples (stack number, value), and the folded lines its stacks sum to. */
    const profile = (samples: [number, number][]) => {
      const sums = new Map<string, number>();
      for (const [i, v] of samples) {
        const key = stackOf(i)
          .reverse()
          .map((id) => `f${id}`)
          .join(';');
        sums.set(key, (sums.get(key) ?? 0) + v);
      }
      const bytes = synth({
        types: [['samples', 'count']],
        functions,
        location,
        sample: samples.map(([i, v]) => ({ locationId: stackOf(i), value: [v] })),
      });
      return { bytes, want: [...sums].map(([k, v]) => `${k} ${v}`).sort() };
    };
    // 600 distinct stacks, then each again with another value: the first ones are all distinct.
    const late = Array.from({ length: 1200 }, (_, i): [number, number] => [i % 600, 1 + (i % 7)]);
    // Repeats from the start: grouped as they come.
    const early = Array.from({ length: 1200 }, (_, i): [number, number] => [(i * 37) % 150, 1 + (i % 5)]);
    // As `late`, with more stacks than are inserted one by one (they go in one sorted batch).
    const batch = Array.from({ length: 40_000 }, (_, i): [number, number] => [(i * 7) % 20_000, 1 + (i % 3)]);
    for (const [name, samples] of [
      ['late', late],
      ['early', early],
      ['batch', batch],
    ] as const) {
      const { bytes, want } = profile(samples);
      for (let round = 0; round < 2; round++) {
        const p = readPprofBytes(`${name}.pb`, bytes);
        expect(foldedLines(p, 0).sort(), `${name}, read ${round + 1}`).toEqual(want);
        expect(p.sampleCount).toBe(samples.length);
      }
    }
  });

  it('keeps location ids of 2^31 and more apart from small ones (ids are uint64)', () => {
    const big = 2n ** 32n + 1n;
    const bytes = synth({
      types: [['samples', 'count']],
      functions: [
        { id: 1, name: 'one' },
        { id: 2, name: 'big' },
      ],
      location: [
        { id: 1, line: [{ functionId: 1 }] },
        { id: big, line: [{ functionId: 2 }] },
      ],
      sample: [
        { locationId: [big], value: [5] },
        { locationId: [1, big], value: [2] },
      ],
    });
    expect(foldedLines(readPprofBytes('big.pb', bytes), 0).sort()).toEqual(['big 5', 'big;one 2']);
  });

  it('reads unpacked location ids and values (Go writes stacks of 1-2 locations so) and negative values', async () => {
    const packed = synth({
      types: [['samples', 'count']],
      functions: [
        { id: 1, name: 'leaf' },
        { id: 2, name: 'root' },
      ],
      location: [
        { id: 1, line: [{ functionId: 1 }] },
        { id: 2, line: [{ functionId: 2 }] },
      ],
      sample: [{ locationId: [1, 2], value: [-5] }],
    });
    // Sample {location_id: 1, location_id: 2, value: 7}, one value per field.
    const unpacked = Buffer.from([0x12, 0x06, 0x08, 0x01, 0x08, 0x02, 0x10, 0x07]);
    const p = await readBytes('u.pb', Buffer.concat([packed, unpacked]));
    expect(foldedLines(p, 0)).toEqual(['root;leaf 2']);
    expect(p.sampleCount).toBe(2);
    expect((await readBytes('n.pb', packed)).totals()).toEqual([-5]);
  });

  it('picks default_sample_type as the default value, else the last type', async () => {
    const types: [string, string][] = [
      ['alloc_objects', 'count'],
      ['alloc_space', 'bytes'],
      ['inuse_objects', 'count'],
      ['inuse_space', 'bytes'],
    ];
    const base = {
      types,
      functions: [{ id: 1, name: 'alloc' }],
      location: [{ id: 1, line: [{ functionId: 1 }] }],
      sample: [{ locationId: [1], value: [1, 2, 3, 4] }],
    };
    const chosen = await readBytes('heap.pb', synth({ ...base, defaultType: 'alloc_space' }));
    expect(chosen.valueTypes).toEqual(types.map(([type, unit]) => ({ type, unit })));
    expect(chosen.defaultValue).toBe(1);
    expect(chosen.totals()).toEqual([1, 2, 3, 4]);
    expect((await readBytes('heap.pb', synth(base))).defaultValue).toBe(3);
  });

  it('detects pprof by content, and never claims text formats', async () => {
    const bytes = readFileSync(SIMPLE);
    expect(pprof.detect(gunzipOrSelf(bytes), true)).toBe('yes');
    for (const text of [
      'main;parse;readLine 12\n',
      '\nmain;a 1\n',
      '{"nodes":[]}',
      'java 12345 [001] 1.000: cycles:\n\t7f00 main (/bin/x)\n',
      '# comment\n',
      'Z',
    ]) {
      expect(pprof.detect(Buffer.from(text), true), text).toBe('no');
    }
    const txt = readFileSync(corpus('folded/base/flames.txt'));
    expect(pprof.detect(txt.subarray(0, 65536), false)).toBe('no');
  });
});

function gunzipOrSelf(b: Buffer): Buffer {
  return b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b;
}

describe('pprof bad input', () => {
  const base = {
    types: [['samples', 'count']] as [string, string][],
    functions: [{ id: 1, name: 'f' }],
    location: [{ id: 1, line: [{ functionId: 1 }] }],
  };

  it('names a sample that refers to a missing location', async () => {
    const bytes = synth({
      ...base,
      sample: [
        { locationId: [1], value: [1] },
        { locationId: [1, 99], value: [1] },
      ],
    });
    await expect(readBytes('cpu.pb.gz', bytes)).rejects.toThrow(
      'cpu.pb.gz: sample 1 refers to location 99, which does not exist',
    );
  });

  it('names a location that refers to a missing function', async () => {
    const bytes = synth({ ...base, location: [{ id: 1, line: [{ functionId: 7 }] }], sample: [] });
    await expect(readBytes('x.pb', bytes)).rejects.toThrow(
      'x.pb: location id 1 refers to function 7, which does not exist',
    );
  });

  it('names a string index out of range', async () => {
    const bad = synth({ ...base, functions: [], sample: [] });
    // A function whose name is string 999: appended by hand (field 5, Function {id 1, name 999}).
    const fn = Buffer.from([0x2a, 0x05, 0x08, 0x01, 0x10, 0xe7, 0x07]);
    await expect(readBytes('s.pb', Buffer.concat([bad, fn]))).rejects.toThrow(
      /^s\.pb: function 0: name is string 999, but the string table has \d+ strings$/,
    );
    // And string -1 (int64 varints of negative numbers take 10 bytes).
    const negative = Buffer.from([0x2a, 0x0d, 0x08, 0x01, 0x10, ...Array(9).fill(0xff), 0x01]);
    await expect(readBytes('n.pb', Buffer.concat([bad, negative]))).rejects.toThrow(
      /^n\.pb: function 0: name is string -1, but the string table has \d+ strings$/,
    );
  });

  it('rejects a sample whose values do not match the sample types', async () => {
    const bytes = synth({ ...base, sample: [{ locationId: [1], value: [1, 2] }] });
    await expect(readBytes('v.pb', bytes)).rejects.toThrow(
      'v.pb: sample 0 has 2 values, but the profile has 1 sample types',
    );
  });

  it('rejects truncated data, compressed or not', async () => {
    const whole = readFileSync(SIMPLE);
    const raw = gunzipOrSelf(whole);
    await expect(readBytes('cut.pb', raw.subarray(0, Math.floor(raw.length / 2)))).rejects.toThrow(
      /^cut\.pb: .*(truncated|runs past the end)/,
    );
    const gz = gzipSync(raw);
    await expect(readBytes('cut.pb.gz', gz.subarray(0, gz.length - 20))).rejects.toThrow(/^cut\.pb\.gz: truncated/);
  });

  it('the CLI prints one line naming the file and exits non-zero', () => {
    const dir = tempDir();
    const bad = join(dir, 'BAD.pb');
    const raw = gunzipOrSelf(readFileSync(SIMPLE));
    writeFileSync(bad, raw.subarray(0, raw.length - 7));
    const r = pyro(['info', bad]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(bad);
    expect(lines[0]).not.toMatch(/internal error|\bat \S+:\d+/);
  });
});

describe('pprof writer', () => {
  const FOLDED = [
    'folded/base/flames.txt',
    'folded/fractional-samples/no-fractionals.txt',
    'folded/fractional-samples/tricky-stack.txt',
    'folded/grey-frames/grey-frames.txt',
    'folded/narrow-blocks/narrow-blocks.txt',
    'folded/unsorted-input/perf-vertx-stacks-01-collapsed-all-unsorted.txt',
  ];

  it('folded -> pprof -> folded is the identity', async () => {
    for (const file of FOLDED) {
      const p = await readFile(corpus(file));
      expect(foldedLines(await reread(p), 0), file).toEqual(foldedLines(p, 0));
    }
  });

  it('folded -> pprof -> folded through the CLI', () => {
    const dir = tempDir();
    const out = join(dir, 'flames.pb.gz');
    const input = corpus('folded/base/flames.txt');
    expect(pyro(['convert', input, '-o', out]).status).toBe(0);
    expect(readFileSync(out).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const back = pyro(['convert', out]);
    expect(back.status).toBe(0);
    expect(back.stdout).toBe(pyro(['convert', input]).stdout);
  });

  it('rounds fractional counts to integers, as pprof values are int64', async () => {
    const p = await readFile(corpus('folded/fractional-samples/fractional.txt'));
    const rounded = foldedLines(p, 0)
      .map((l) => {
        const i = l.lastIndexOf(' ');
        return `${l.slice(0, i)} ${Math.round(Number(l.slice(i + 1)))}`;
      })
      .filter((l) => !l.endsWith(' 0'));
    expect(rounded.some((l, i) => l !== foldedLines(p, 0)[i])).toBe(true);
    expect(foldedLines(await reread(p), 0)).toEqual(rounded);
  });

  it('keeps value types, default, period, times, labels and frames in memory', async () => {
    const p = await readFile(SIMPLE);
    const q = await reread(p);
    expect(q.valueTypes).toEqual(p.valueTypes);
    expect(q.defaultValue).toBe(p.defaultValue);
    expect(q.period).toBe(p.period);
    expect(q.periodType).toEqual(p.periodType);
    expect(q.startTime).toBeCloseTo(p.startTime as number, 3);
    expect(q.duration).toBeCloseTo(p.duration as number, 3);
    expect(q.totals()).toEqual(p.totals());
    for (let t = 0; t < p.nTypes; t++) expect(foldedLines(q, t)).toEqual(foldedLines(p, t));
    const lines = (x: Profile) =>
      Array.from(
        { length: x.frames.size },
        (_, f) => `${x.frames.nameOf(f)} ${x.frames.fileOf(f)}:${x.frames.line[f]}`,
      ).sort();
    expect(lines(q)).toEqual(lines(p));
  });
});

describe('pprof writer: sample order', () => {
  it("writes samples depth first, as pprof's own writers do: a branch left is never come back to", async () => {
    const p = await readFile(corpus('folded/unsorted-input/perf-vertx-stacks-01-collapsed-all-unsorted.txt'));
    const written = PprofProfile.decode(gunzipSync(pprof.write?.(p, {}) as Buffer));
    const stacks = written.sample.map((s) => s.locationId.map(Number).reverse());
    expect(stacks.length).toBeGreaterThan(100);
    // A prefix closes when a sample leaves it; no later sample may lie under a closed one.
    const closed = new Set<string>();
    let prev: number[] = [];
    for (const stack of stacks) {
      let l = 0;
      while (l < prev.length && l < stack.length && prev[l] === stack[l]) l++;
      for (let d = l + 1; d <= prev.length; d++) closed.add(prev.slice(0, d).join());
      for (let d = l + 1; d <= stack.length; d++) expect(closed.has(stack.slice(0, d).join())).toBe(false);
      prev = stack;
    }
  });
});

describe('pprof against the Go toolchain', () => {
  let dir = '';
  let cpu = '';
  let hogSource = '';
  const go = requirePeer('go');

  beforeAll(() => {
    if (!go) return;
    dir = tempDir('pyro-pprof-');
    const src = join(ROOT, 'test', 'fixtures-go', 'cpuhog');
    hogSource = readFileSync(join(src, 'main.go'), 'utf8');
    run('go', ['build', '-o', join(dir, 'cpuhog'), '.'], src);
    cpu = join(dir, 'cpu.pb.gz');
    run(join(dir, 'cpuhog'), [cpu, '1.5']);
  });

  it.skipIf(!go)("pyro top's self shares match go tool pprof -top's flat% within 1 point", async () => {
    const r = pyro(['top', cpu, '--json', '--limit', '0']);
    expect(r.status, r.stderr).toBe(0);
    const top = JSON.parse(r.stdout) as { rows: { name: string; selfPercent: number }[] };
    const ours = new Map(top.rows.filter((x) => x.selfPercent > 0).map((x) => [x.name, x.selfPercent]));
    const theirs = goTop(cpu).flat;
    for (const [name, pct] of theirs) if (pct === 0) theirs.delete(name);
    // hogA and hogB take most of it (hogC's own share may all land in mix, inlined into it).
    for (const f of ['main.hogA', 'main.hogB']) expect(theirs.has(f), f).toBe(true);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [name, pct] of theirs) expect(Math.abs((ours.get(name) as number) - pct), name).toBeLessThanOrEqual(1);
  });

  it.skipIf(!go)('expands the inlined call of the real profile into caller and callee frames', async () => {
    const p = await readFile(cpu);
    const lineOf = (text: string) => hogSource.split('\n').findIndex((l) => l.includes(text)) + 1;
    const mix = frameInfo(p, 'main.mix');
    expect(mix.length).toBeGreaterThan(0);
    for (const f of mix) {
      expect(f.file).toMatch(/cpuhog\/main\.go$/);
      expect(f.line).toBe(lineOf('func mix('));
      expect(f.module).toBe('cpuhog');
    }
    const trie = p.trie();
    for (let n = 1; n < trie.size; n++) {
      if (p.frames.nameOf(trie.frame[n] as number) !== 'main.mix') continue;
      const caller = trie.frame[trie.parent[n] as number] as number;
      expect(p.frames.nameOf(caller)).toBe('main.hogC');
      expect(p.frames.line[caller]).toBe(lineOf('x = mix(x)'));
    }
  });

  it.skipIf(!go)('pprof -> pprof keeps totals, flat per function, header and labels for go tool pprof', async () => {
    for (const input of [cpu, SIMPLE]) {
      const out = join(dir, 'again.pb.gz');
      const r = pyro(['convert', input, '-o', out]);
      expect(r.status, r.stderr).toBe(0);
      const a = goRaw(input);
      const b = goRaw(out);
      // pyro always writes default_sample_type (go's default, the last type, when the input had none).
      expect(plainTypes(b.types)).toEqual(plainTypes(a.types));
      expect(b.totals).toEqual(a.totals);
      // PeriodType, Period, Duration exactly; Time to within a microsecond (pyro keeps milliseconds as a
      // double, a quarter-microsecond apart at today's dates, so the printed microsecond may round either way).
      const timeOf = (h: string[]) => h.find((l) => l.startsWith('Time: '));
      const micros = (l: string | undefined) => {
        const m = /^Time: (\S+ \d\d:\d\d:\d\d)(?:\.(\d{1,9}))? ([+-]\d{4})/.exec(l ?? '');
        if (!m) return undefined;
        const seconds = Date.parse(`${(m[1] as string).replace(' ', 'T')}${m[3]}`) / 1000;
        return seconds * 1e6 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
      };
      const rest = (h: string[]) => h.filter((l) => !l.startsWith('Time: '));
      expect(rest(b.header)).toEqual(rest(a.header));
      if (timeOf(a.header) === undefined) expect(timeOf(b.header)).toBeUndefined();
      else
        expect(
          Math.abs((micros(timeOf(b.header)) as number) - (micros(timeOf(a.header)) as number)),
        ).toBeLessThanOrEqual(1);
      for (const index of plainTypes(a.types).map((t) => t.split('/')[0] as string)) {
        const ga = goTop(input, [`-sample_index=${index}`]);
        const gb = goTop(out, [`-sample_index=${index}`]);
        expect(gb.type).toBe(ga.type);
        expect(gb.flat).toEqual(ga.flat);
      }
      expect(run('go', ['tool', 'pprof', '-tags', out])).toBe(run('go', ['tool', 'pprof', '-tags', input]));
    }
    // The Go program's profile has both workers' labels (which one got more samples depends on the machine's load).
    const tags = run('go', ['tool', 'pprof', '-tags', cpu]);
    expect(tags).toMatch(/worker: Total/);
    expect(tags).toMatch(/: a\n/);
    expect(tags).toMatch(/: b\n/);
  });

  it.skipIf(!go)('writes every value type and the default for go tool pprof', async () => {
    const types: [string, string][] = [
      ['alloc_objects', 'count'],
      ['alloc_space', 'bytes'],
      ['inuse_objects', 'count'],
      ['inuse_space', 'bytes'],
    ];
    const p = await readBytes(
      'heap.pb',
      synth({
        types,
        defaultType: 'alloc_space',
        functions: [
          { id: 1, name: 'alloc', file: 'a.go' },
          { id: 2, name: 'main', file: 'm.go' },
        ],
        location: [
          { id: 1, line: [{ functionId: 1, line: 3 }] },
          { id: 2, line: [{ functionId: 2, line: 9 }] },
        ],
        sample: [
          { locationId: [1, 2], value: [1, 2048, 1, 1024] },
          { locationId: [2], value: [3, 96, 0, 0] },
        ],
      }),
    );
    const out = join(tempDir(), 'heap.pb.gz');
    writeFileSync(out, pprof.write?.(p, {}) as Buffer);
    const raw = goRaw(out);
    expect(raw.types).toEqual(types.map(([t, u]) => `${t}/${u}${t === 'alloc_space' ? '[dflt]' : ''}`));
    expect(raw.totals).toEqual(p.totals());
    expect(goTop(out).type).toBe('alloc_space');
  });
});
