import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpus, pyro, readBytes, readFile } from './helpers.js';

interface CostNode {
  id: number;
  ticks: number;
  alloc: number;
  entries: number;
  children: CostNode[];
}

describe('GHC JSON profile reader (+RTS -pj)', () => {
  const file = corpus('speedscope-samples', 'haskell', 'simple.prof');

  it('reads every tick (as CPU time), allocated byte and entry of the corpus profile, under its cost-centre stack', async () => {
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      tick_interval: number;
      cost_centres: { id: number; label: string; module: string }[];
      profile: CostNode;
    };
    const sums = [0, 0, 0];
    const walk = (n: CostNode) => {
      sums[0] += n.ticks * json.tick_interval;
      sums[1] += n.alloc;
      sums[2] += n.entries;
      for (const c of n.children) walk(c);
    };
    walk(json.profile);
    const p = await readFile(file);
    expect(p.format).toBe('ghc-prof');
    expect(p.valueTypes.map((v) => v.type)).toEqual(['cpu', 'alloc_space', 'entries']);
    expect(p.totals()).toEqual(sums);
    expect(p.labels.program).toBe('binary-trees');
    // Frames are Module.label, with the file and line of their source location.
    const names = Array.from({ length: p.frames.size }, (_, f) => p.frames.nameOf(f));
    expect(names).toContain('Main.make');
    const make = names.indexOf('Main.make');
    expect(p.frames.fileOf(make)).toBe('src/Main.hs');
    expect(p.frames.line[make]).toBe(61);
    expect(pyro(['top', file, '--limit', '3']).stdout).toMatch(/Main\./);
  });

  it('names a cost centre the table does not list, in one line', async () => {
    const bad =
      '{"tick_interval":1000,"cost_centres":[{"id":1,"label":"main","module":"Main"}],"profile":{"id":1,"ticks":1,"children":[{"id":7,"ticks":2,"children":[]}]}}';
    await expect(readBytes('bad.prof', bad)).rejects.toThrow(/bad\.prof: .*profile\.children\[0\]\.id.*cost centre 7/);
  });
});
