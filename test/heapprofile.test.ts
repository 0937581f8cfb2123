import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpus, pyro, ROOT, readBytes, readFile, tempDir } from './helpers.js';

interface HeapNode {
  callFrame: { functionName: string };
  selfSize: number;
  children: HeapNode[];
}

describe('V8 heap profile reader', () => {
  it('reads the corpus profile (Node.js 10): every byte of selfSize, under its stack', async () => {
    const file = corpus('speedscope-samples', 'node', '10.11.0', 'Heap-20181003T105432.heapprofile');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
    let bytes = 0;
    let nodes = 0;
    const walk = (n: HeapNode) => {
      bytes += n.selfSize;
      if (n.selfSize > 0) nodes++;
      for (const c of n.children) walk(c);
    };
    walk(json.head);
    const p = await readFile(file);
    expect(p.format).toBe('heapprofile');
    expect(p.valueTypes.map((v) => `${v.type}/${v.unit}`)).toEqual(['inuse_space/bytes', 'inuse_objects/count']);
    expect(p.valueTypes[p.defaultValue]?.type).toBe('inuse_space');
    expect(p.totals()[0]).toBe(bytes);
    expect(bytes).toBeGreaterThan(0);
    expect(nodes).toBeGreaterThan(0);
    // The CLI shows bytes in their units.
    expect(pyro(['top', file, '--limit', '3']).stdout).toMatch(/\d(\.\d+)?(kB|MB|B)\b/);
  });

  it("puts every node's bytes under its own stack, from below the root to the node", async () => {
    const file = corpus('speedscope-samples', 'node', '10.11.0', 'Heap-20181003T105432.heapprofile');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { head: HeapNode };
    const expected = new Map<string, number>();
    const walk = (n: HeapNode, stack: string[]) => {
      if (n.selfSize > 0) expected.set(stack.join(';'), (expected.get(stack.join(';')) ?? 0) + n.selfSize);
      for (const c of n.children) walk(c, [...stack, c.callFrame.functionName || '(anonymous)']);
    };
    walk(json.head, []);
    const r = pyro(['convert', file, '--to', 'folded']);
    expect(r.status, r.stderr).toBe(0);
    const got = new Map<string, number>();
    for (const line of r.stdout.trim().split('\n')) {
      const cut = line.lastIndexOf(' ');
      // pyro names anonymous functions by their place: "(anonymous) file.js:12".
      const names = line
        .slice(0, cut)
        .split(';')
        .map((f) => f.replace(/^\(anonymous\) .*$/, '(anonymous)'));
      got.set(names.join(';'), (got.get(names.join(';')) ?? 0) + Number(line.slice(cut + 1)));
    }
    expect(got).toEqual(expected);
  });

  it('gives each function of a real `node --heap-prof` run its share of the live bytes, and the objects', async () => {
    const dir = tempDir();
    const app = join(ROOT, 'test', 'fixtures', 'record', 'keep.cjs');
    // A sample per 32 kB (node's default is 512 kB): enough samples for the 75% share to be clear of noise.
    const r = spawnSync(process.execPath, [
      '--expose-gc',
      '--heap-prof',
      '--heap-prof-interval',
      '32768',
      '--heap-prof-dir',
      dir,
      app,
    ]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const file = join(dir, readdirSync(dir).find((n) => n.endsWith('.heapprofile')) as string);
    const p = await readFile(file);
    const t = p.trie();
    const total = (fn: string, v: number) => {
      let sum = 0;
      for (let n = 1; n < t.size; n++) if (p.frames.nameOf(t.frame[n] as number) === fn) sum += t.totalOf(n, v);
      return sum;
    };
    const share = (100 * total('big', 0)) / (total('big', 0) + total('small', 0));
    expect(Math.abs(share - 75)).toBeLessThan(10);
    expect(total('big', 1)).toBeGreaterThan(total('small', 1));
    expect(p.sampleCount).toBeGreaterThan(0);
  });

  it('is detected by content, and says which field is wrong in one line', async () => {
    const cpu = corpus('speedscope-samples', 'node', '10.11.0', 'example.cpuprofile');
    expect((await readFile(cpu)).format).toBe('cpuprofile');
    const bad = '{"head":{"callFrame":{"functionName":"(root)"},"selfSize":"many","children":[]}}';
    await expect(readBytes('bad.heapprofile', bad)).rejects.toThrow(/bad\.heapprofile: .*head\.selfSize/);
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.heapprofile'), bad);
    const r = pyro(['top', join(dir, 'bad.heapprofile')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('heap profiles in flamegraphs', () => {
  it('use the mem palette by default (values in bytes), hot for CPU', () => {
    const dir = tempDir();
    const heap = corpus('speedscope-samples', 'node', '10.11.0', 'Heap-20181003T105432.heapprofile');
    const cpu = corpus('speedscope-samples', 'node', '10.11.0', 'example.cpuprofile');
    const fills = (file: string, out: string) => {
      expect(pyro(['flamegraph', file, '-o', out]).status).toBe(0);
      return [...readFileSync(out, 'utf8').matchAll(/fill="rgb\((\d+),(\d+),(\d+)\)"/g)].map((m) =>
        m.slice(1).map(Number),
      );
    };
    // mem: no red at all; hot: red at least 205.
    const mem = fills(heap, join(dir, 'heap.svg'));
    expect(mem.length).toBeGreaterThan(3);
    expect(mem.every(([r]) => r === 0)).toBe(true);
    expect(fills(cpu, join(dir, 'cpu.svg')).every(([r]) => (r as number) >= 205)).toBe(true);
  });
});
