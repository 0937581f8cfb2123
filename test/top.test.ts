import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peek } from '../src/core/report/peek.js';
import { topStacks, topTable } from '../src/core/report/top.js';
import { pyro, readBytes, tempDir } from './helpers.js';

// main;a;b 5 / main;a;c 3 / main;b 2 / main;a;a;b 1 (a recursive path)
const FOLDED = 'main;a;b 5\nmain;a;c 3\nmain;b 2\nmain;a;a;b 1\n';

describe('top', () => {
  it('computes self and total per function, counting recursion once', async () => {
    const p = await readBytes('t.folded', FOLDED);
    const t = topTable(p, { valueIndex: 0 });
    const byName = Object.fromEntries(t.rows.map((r) => [r.name, r]));
    expect(t.total).toBe(11);
    expect(byName.b).toMatchObject({ self: 8, total: 8 });
    expect(byName.c).toMatchObject({ self: 3, total: 3 });
    expect(byName.a).toMatchObject({ self: 0, total: 9 });
    expect(byName.main).toMatchObject({ self: 0, total: 11 });
    expect(t.rows.map((r) => r.name).slice(0, 2)).toEqual(['b', 'c']);
    expect(t.rows[1]?.sumPercent).toBeCloseTo(100, 6);
  });

  it('sorts by total and limits rows', async () => {
    const p = await readBytes('t.folded', FOLDED);
    const t = topTable(p, { valueIndex: 0, sort: 'total', limit: 2 });
    expect(t.rows.map((r) => r.name)).toEqual(['main', 'a']);
    expect(t.functions).toBe(4);
  });

  it('lists the heaviest stacks leaf first', async () => {
    const p = await readBytes('t.folded', FOLDED);
    const s = topStacks(p, { valueIndex: 0, limit: 1 });
    expect(s.rows).toEqual([{ frames: ['b', 'a', 'main'], value: 5, percent: (5 / 11) * 100 }]);
    expect(s.stacks).toBe(4);
  });

  it('prints JSON from the CLI and honours filters', () => {
    const dir = tempDir();
    const f = join(dir, 'p.folded');
    writeFileSync(f, FOLDED);
    const r = pyro(['top', f, '--json', '--focus', '^c$']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.total).toBe(3);
    expect(out.rows.map((x: { name: string }) => x.name)).toEqual(['c', 'a', 'main']);
  });

  it('prints a table without colour when NO_COLOR is set or stdout is not a TTY', () => {
    const dir = tempDir();
    const f = join(dir, 'p.folded');
    writeFileSync(f, FOLDED);
    const r = pyro(['top', f]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/\u001b\[/);
    expect(r.stdout).toMatch(/self%/);
    expect(r.stdout.split('\n').find((l) => l.endsWith(' b'))).toMatch(/\b8\s+72\.73%/);
  });
});

describe('peek', () => {
  it('gives callers and callees with the value on each edge', async () => {
    const p = await readBytes('t.folded', FOLDED);
    const r = peek(p, '^a$', 0);
    expect(r.entries).toHaveLength(1);
    const a = r.entries[0];
    expect(a).toMatchObject({ name: 'a', self: 0, total: 9 });
    expect(a?.callers.map((e) => [e.name, e.value])).toEqual([
      ['main', 9],
      ['a', 1],
    ]);
    expect(a?.callees.map((e) => [e.name, e.value])).toEqual([
      ['b', 6],
      ['c', 3],
      ['a', 1],
    ]);
  });

  it('says so when nothing matches', () => {
    const dir = tempDir();
    const f = join(dir, 'p.folded');
    writeFileSync(f, FOLDED);
    const r = pyro(['peek', 'nomatch', f]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no function matches nomatch/);
  });
});
