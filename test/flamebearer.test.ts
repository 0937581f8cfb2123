import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toFlamebearer } from '../src/core/formats/flamebearer.js';
import { foldedLines } from '../src/core/formats/folded.js';
import { corpus, pyro, readBytes, readFile, tempDir } from './helpers.js';

describe("Pyroscope's flamebearer JSON", () => {
  it("lays blocks out per level, x as the gap since the previous block, children after their parent's self", async () => {
    const p = await readBytes('t.folded', 'main;parse;lex 30\nmain;parse 10\nmain;render 40\nother 5\n');
    const fb = toFlamebearer(p, 0);
    const name = (i: number) => fb.flamebearer.names[i];
    const decode = (level: number[]) => {
      const out: string[] = [];
      for (let i = 0; i < level.length; i += 4)
        out.push(`${level[i]},${level[i + 1]},${level[i + 2]},${name(level[i + 3] as number)}`);
      return out;
    };
    expect(fb.flamebearer.levels.map(decode)).toEqual([
      ['0,85,0,total'],
      ['0,80,0,main', '0,5,5,other'],
      ['0,40,10,parse', '0,40,40,render'],
      // lex starts after parse's self (10), at x 10: a gap of 10 since the level's last block (none) ended at 0.
      ['10,30,30,lex'],
    ]);
    expect(fb.flamebearer.numTicks).toBe(85);
    expect(fb.flamebearer.maxSelf).toBe(40);
    expect(fb.metadata).toMatchObject({ format: 'single', units: 'samples' });
  });

  it('writes and reads back the same stacks (convert --to flamebearer), for any corpus profile', async () => {
    const dir = tempDir();
    for (const file of [corpus('folded', 'base', 'flames.txt'), corpus('speedscope-samples', 'pprof', 'simple.prof')]) {
      const out = join(dir, 'p.flamebearer.json');
      const r = pyro(['convert', file, '-o', out]);
      expect(r.status, r.stderr).toBe(0);
      const orig = await readFile(file);
      const back = await readFile(out);
      expect(back.format).toBe('flamebearer');
      expect(foldedLines(back, 0)).toEqual(foldedLines(orig, orig.defaultValue));
      expect(JSON.parse(readFileSync(out, 'utf8')).version).toBe(1);
    }
  });

  it('names a block that lies under no block of the level above, in one line', async () => {
    const bad = JSON.stringify({
      version: 1,
      flamebearer: {
        names: ['total', 'a'],
        levels: [
          [0, 5, 0, 0],
          [7, 1, 1, 1],
        ],
        numTicks: 5,
        maxSelf: 1,
      },
      metadata: { format: 'single', units: 'samples', sampleRate: 100, spyName: 'x' },
    });
    await expect(readBytes('bad.json', bad)).rejects.toThrow(
      /bad\.json: .*flamebearer\.levels\[1\]\[0\].*under no block/,
    );
  });
});
