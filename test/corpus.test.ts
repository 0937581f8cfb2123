// Every file of speedscope's sample profiles: the ones in a format pyro reads
// parse to a non-empty profile with sane totals; the others (formats pyro does
// not read, invalid files) give one clear line on stderr and a non-zero exit.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpus, pyro, readFile } from './helpers.js';

const ROOT_DIR = corpus('speedscope-samples');

function files(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    })
    .sort();
}

/** What pyro should do with a file, by where it is in the collection. */
function expectation(rel: string): { read: string } | { error: RegExp } {
  const [dir] = rel.split('/');
  if (rel.endsWith('.heapprofile')) return { read: 'heapprofile' };
  if (rel.endsWith('.cpuprofile')) return { read: 'cpuprofile' };
  switch (dir) {
    case 'speedscope':
      return rel.startsWith('speedscope/invalid/') ? { error: /profiles\[0\]/ } : { read: 'speedscope' };
    case 'trace-event':
      return { read: 'trace-event' };
    case 'pprof':
      return { read: 'pprof' };
    case 'linux-perf':
      return { read: 'perf-script' };
    case 'stackcollapse':
      return { read: 'folded' };
    case 'java-flight-recorder':
      return { read: 'jfr' };
    case 'callgrind':
      return { read: 'callgrind' };
    case 'haskell':
      return { read: 'ghc-prof' };
    default:
      throw new Error(`${rel}: no expectation for this file: add one`);
  }
}

describe('speedscope sample profiles', () => {
  const all = files(ROOT_DIR);

  it('has the collection in place', () => {
    expect(all.length).toBeGreaterThan(50);
  });

  for (const path of all) {
    const rel = relative(ROOT_DIR, path);
    const want = expectation(rel);
    if ('read' in want) {
      it(`reads ${rel} (${want.read})`, async () => {
        const p = await readFile(path);
        expect(p.format).toBe(want.read);
        expect(p.sampleCount).toBeGreaterThan(0);
        const totals = p.totals();
        expect(totals.length).toBe(p.valueTypes.length);
        for (const t of totals) {
          expect(Number.isFinite(t)).toBe(true);
          expect(t).toBeGreaterThanOrEqual(0);
        }
        expect(totals[p.defaultValue]).toBeGreaterThan(0);
        expect(p.trie().size).toBeGreaterThan(1);
      });
    } else {
      it(`rejects ${rel} in one line`, () => {
        const r = pyro(['info', path]);
        expect(r.status).not.toBe(0);
        expect(r.stdout).toBe('');
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(new RegExp(`^pyro: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
        expect(lines[0]).toMatch(want.error);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      });
    }
  }
});
