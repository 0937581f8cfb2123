import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { foldedLines } from '../src/core/formats/folded.js';
import { writeSpeedscope } from '../src/core/formats/speedscope.js';
import { ProfileBuilder } from '../src/core/model/builder.js';
import type { Profile } from '../src/core/model/profile.js';
import { corpus, pyro, ROOT, readBytes, readFile } from './helpers.js';

const DIR = 'speedscope-samples/speedscope';
type Json = Record<string, unknown>;

const schema = JSON.parse(
  readFileSync(join(ROOT, 'node_modules/speedscope/dist/release/file-format-schema.json'), 'utf8'),
);
const validate = new Ajv({ strict: false }).compile(schema);

/** Folded lines of a sampled speedscope profile, straight from its JSON. */
function expectedSampled(json: Json, index: number): string[] {
  const names = ((json.shared as Json).frames as { name: string }[]).map((f) => f.name);
  const p = (json.profiles as Json[])[index] as { samples: number[][]; weights: number[] };
  const sums = new Map<string, number>();
  p.samples.forEach((stack, i) => {
    const key = stack.map((f) => names[f]).join(';');
    sums.set(key, (sums.get(key) ?? 0) + (p.weights[i] as number));
  });
  return [...sums].map(([k, v]) => `${k} ${v}`).sort();
}

function allFolded(p: Profile): string[][] {
  return p.valueTypes.map((_, i) => foldedLines(p, i));
}

describe('speedscope reader', () => {
  it('reads a sampled profile to the stacks and weights of its JSON', async () => {
    const path = corpus(DIR, '0.1.2/simple-sampled.speedscope.json');
    const p = await readFile(path);
    expect(p.format).toBe('speedscope');
    expect(p.valueTypes).toEqual([{ type: 'time', unit: 'seconds' }]);
    expect(foldedLines(p, 0)).toEqual(expectedSampled(JSON.parse(readFileSync(path, 'utf8')), 0));
  });

  it('reads an evented profile as the time spent on each stack (the same profile as the sampled one)', async () => {
    const sampled = await readFile(corpus(DIR, '0.1.2/simple-sampled.speedscope.json'));
    for (const name of ['simple.speedscope.json', 'simple-no-pretty-print.speedscope.json']) {
      const p = await readFile(corpus(DIR, '0.0.1', name));
      expect(p.valueTypes).toEqual([{ type: 'samples', unit: 'count' }]);
      expect(foldedLines(p, 0), name).toEqual(foldedLines(sampled, 0));
    }
  });

  it('merges profiles of one unit into one value type, labelled by profile name', async () => {
    const path = corpus(DIR, '0.6.0/two-sampled.speedscope.json');
    const json = JSON.parse(readFileSync(path, 'utf8'));
    const p = await readFile(path);
    expect(p.valueTypes).toEqual([{ type: 'time', unit: 'seconds' }]);
    for (const [i, name] of ['one', 'two'].entries()) {
      const id = p.labelSets.findIndex((s) => s.length === 1 && s[0]?.[0] === 'profile' && s[0][1] === name);
      expect(id, name).toBeGreaterThan(0);
      expect(foldedLines(p, 0, p.tries[id])).toEqual(expectedSampled(json, i));
    }
    const weights = json.profiles.flatMap((q: { weights: number[] }) => q.weights);
    expect(p.totals()).toEqual([weights.reduce((a: number, b: number) => a + b, 0)]);
    expect(p.labels.name).toBe('Two Samples');
  });

  it('makes one value type per unit where profiles differ in unit', async () => {
    const doc = {
      $schema: 'https://www.speedscope.app/file-format-schema.json',
      shared: { frames: [{ name: 'main' }, { name: 'alloc', file: 'a.c', line: 3 }] },
      activeProfileIndex: 1,
      profiles: [
        {
          type: 'sampled',
          name: 'cpu',
          unit: 'milliseconds',
          startValue: 0,
          endValue: 5,
          samples: [[0, 1]],
          weights: [5],
        },
        {
          type: 'sampled',
          name: 'heap',
          unit: 'bytes',
          startValue: 0,
          endValue: 64,
          samples: [[0, 1], [0]],
          weights: [64, 8],
        },
      ],
    };
    const p = await readBytes('input', JSON.stringify(doc));
    expect(p.valueTypes).toEqual([
      { type: 'time', unit: 'milliseconds' },
      { type: 'memory', unit: 'bytes' },
    ]);
    expect(p.defaultValue).toBe(1);
    expect(allFolded(p)).toEqual([['main;alloc 5'], ['main 8', 'main;alloc 64']]);
    const alloc = [...Array(p.frames.size).keys()].find((f) => p.frames.nameOf(f) === 'alloc') as number;
    expect([p.frames.fileOf(alloc), p.frames.line[alloc]]).toEqual(['a.c', 3]);
  });

  it('is detected by content, without a file name', async () => {
    for (const name of ['0.0.1/simple-no-pretty-print.speedscope.json', '0.6.0/two-sampled.speedscope.json']) {
      expect((await readBytes('input', readFileSync(corpus(DIR, name)))).format, name).toBe('speedscope');
    }
  });

  it('rejects the invalid samples with one line naming the event', () => {
    const cases: [string, string][] = [
      ['incomplete-trace.json', 'profiles[0]: frame 0 ("A") is still open after the last event'],
      [
        'out-of-order-events.json',
        'profiles[0].events[6]: closes frame 1 ("B") but the innermost open frame is 0 ("A")',
      ],
    ];
    for (const [name, message] of cases) {
      const path = corpus(DIR, 'invalid', name);
      const r = pyro(['info', path]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`pyro: ${path}: ${message}\n`);
    }
  });

  it('names the field of a bad frame index', async () => {
    const doc = {
      $schema: 'https://www.speedscope.app/file-format-schema.json',
      shared: { frames: [{ name: 'a' }] },
      profiles: [
        { type: 'sampled', name: 'p', unit: 'none', startValue: 0, endValue: 1, samples: [[0, 4]], weights: [1] },
      ],
    };
    await expect(readBytes('input', JSON.stringify(doc))).rejects.toThrow(
      'input: profiles[0].samples[0][1]: 4 is not a frame index (shared.frames has 1)',
    );
  });
});

describe('speedscope writer', () => {
  it('writes a cpuprofile as one sampled profile per value type, valid against the schema, read back equal', async () => {
    const p = await readFile(corpus('speedscope-samples/Chrome/65/sucrase.cpuprofile'));
    const out = writeSpeedscope(p, {});
    const json = JSON.parse(out.toString('utf8'));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.profiles.map((q: Json) => [q.name, q.unit])).toEqual([
      ['samples', 'none'],
      ['cpu', 'microseconds'],
    ]);
    expect(json.activeProfileIndex).toBe(p.defaultValue);
    // Frames keep their file and line.
    const withFile = json.shared.frames.filter((f: Json) => f.file && (f.line as number) > 0);
    expect(withFile.length).toBeGreaterThan(0);
    // Each sampled profile's folded lines, from the JSON written, are the value type's.
    for (let t = 0; t < p.nTypes; t++) expect(expectedSampled(json, t)).toEqual(foldedLines(p, t));
    const back = await readBytes('input', out);
    expect(back.valueTypes).toEqual(p.valueTypes);
    expect(allFolded(back)).toEqual(allFolded(p));
  });

  it('round-trips value types that share a unit (a heap profile)', async () => {
    const b = new ProfileBuilder(
      [
        { type: 'alloc_objects', unit: 'count' },
        { type: 'alloc_space', unit: 'bytes' },
        { type: 'inuse_space', unit: 'bytes' },
      ],
      'test',
    );
    b.addStack([b.frameAt('main', 'main.go', 10), b.frameAt('alloc', 'alloc.go', 3)], 2, [2, 128, 64]);
    b.addStack([b.frameAt('main', 'main.go', 10)], 1, [1, 16, 0]);
    const p = b.finish();
    const out = writeSpeedscope(p, { valueIndex: 1 });
    const json = JSON.parse(out.toString('utf8'));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.activeProfileIndex).toBe(1);
    const back = await readBytes('input', out);
    expect(back.valueTypes).toEqual(p.valueTypes);
    expect(allFolded(back)).toEqual([['main 1', 'main;alloc 2'], ['main 16', 'main;alloc 128'], ['main;alloc 64']]);
  });

  it('is what `pyro convert --to speedscope` writes', () => {
    const input = corpus('speedscope-samples/Chrome/65/simple.cpuprofile');
    const r = pyro(['convert', '--to', 'speedscope', input]);
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    const folded = pyro(['convert', input]).stdout.trim().split('\n');
    expect(expectedSampled(json, 1)).toEqual(folded);
  });
});
