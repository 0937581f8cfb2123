import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PyroError } from '../src/core/errors.js';
import { foldedLines } from '../src/core/formats/folded.js';
import { readProfile } from '../src/core/formats/index.js';
import {
  parsePyroscopeTree,
  parsePyroscopeTrie,
  pyroscopeKeys,
  writePyroscopeTree,
  writePyroscopeTrie,
} from '../src/core/formats/pyroscope-binary.js';
import { parseLines } from '../src/core/formats/pyroscope-lines.js';
import { sourceFromBuffer } from '../src/core/io/source.js';
import { ProfileBuilder } from '../src/core/model/builder.js';
import { type Profile, SAMPLES } from '../src/core/model/profile.js';
import { CORPUS, corpus, pyro, readBytes, tempDir } from './helpers.js';

// Pyroscope's ingest bodies `trie`, `tree` and `lines`. The test vectors are
// Pyroscope's own (grafana/pyroscope v0.37.2):
// pkg/structs/transporttrie/trie_test.go, pkg/storage/tree/serialize_nodict_test.go
// and pkg/convert/parser_test.go.

/** Stacks and their values, as "a;b;c" -> value. */
function stacks(p: Profile, valueIndex = 0): Map<string, number> {
  return new Map(
    foldedLines(p, valueIndex).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
  );
}

const bytes = (s: string) => Buffer.from(s, 'latin1');
const read = async (format: string, b: Buffer | string) => readProfile(await sourceFromBuffer('body', b), {}, format);
const folded = (text: string) => readBytes('in.folded', text);

/** The one-line message a reader rejects `b` with. */
async function rejection(format: string, b: Buffer): Promise<string> {
  try {
    await read(format, b);
  } catch (e) {
    expect(e).toBeInstanceOf(PyroError);
    const message = (e as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(/^body: /);
    return message;
  }
  throw new Error(`${format}: read ${b.toString('hex')} without an error`);
}

// transporttrie/trie_test.go: Insert("abc", 1), Insert("abd", 2), Serialize.
const TRIE_EXAMPLE = bytes('\x00\x00\x01\x02ab\x00\x02\x01c\x01\x00\x01d\x02\x00');
// tree/serialize_nodict_test.go: Insert("a;b", 1), Insert("a;c", 2), SerializeTruncateNoDict(1024).
const TREE_EXAMPLE = bytes('\x00\x00\x01\x01a\x00\x02\x01b\x01\x00\x01c\x02\x00');

describe("Pyroscope's trie", () => {
  it("reads transporttrie's serialization example", async () => {
    const p = await parsePyroscopeTrie(await sourceFromBuffer('t', TRIE_EXAMPLE));
    expect(stacks(p)).toEqual(
      new Map([
        ['abc', 1],
        ['abd', 2],
      ]),
    );
    expect(p.valueTypes).toEqual([{ type: 'samples', unit: 'count' }]);
    expect(p.format).toBe('pyroscope-trie');
    expect(p.sampleCount).toBe(2);
    expect(p.warnings).toEqual([]);
  });

  it('writes it byte for byte', async () => {
    expect(writePyroscopeTrie(await folded('abc 1\nabd 2\n'), {})).toEqual(TRIE_EXAMPLE);
  });

  it("round-trips IterateRaw's test stacks, inner nodes with values included", async () => {
    const keys = [
      'foo;bar;baz',
      'foo;bar;baz;a',
      'foo;bar;baz;b',
      'foo;bar;baz;c',
      'foo;bar;bar',
      'foo;bar;qux',
      'foo;bax;bar',
      'zoo;boo',
      'zoo;bao',
    ];
    const p = await folded(keys.map((k, i) => `${k} ${i + 1}`).join('\n'));
    const trie = writePyroscopeTrie(p, {});
    // The radix trie: root, "foo;ba", "r;", "ba"..., splits at the first differing byte.
    expect(trie.subarray(0, 3)).toEqual(bytes('\x00\x00\x02'));
    expect(trie.subarray(3, 3 + 1 + 6)).toEqual(bytes('\x06foo;ba'));
    expect(stacks(await read('pyroscope-trie', trie))).toEqual(stacks(p));
  });

  it('splits keys as Tree.Insert does: empty frames between ";", none after a trailing ";", the root for ""', async () => {
    // Root "" = 1 with children "a;;b" = 2 and "c;" = 3.
    const body = bytes('\x00\x01\x02\x04a;;b\x02\x00\x02c;\x03\x00');
    const p = await read('pyroscope-trie', body);
    expect(stacks(p)).toEqual(
      new Map([
        ['a;;b', 2],
        ['c', 3],
      ]),
    );
    expect(p.trie().selfOf(0, 0)).toBe(1);
    expect(p.totals()).toEqual([6]);
  });

  it('reads nodes after the root as more children of it, as IterateRaw does, with a warning', async () => {
    const p = await read('pyroscope-trie', Buffer.concat([TRIE_EXAMPLE, TRIE_EXAMPLE]));
    expect(stacks(p)).toEqual(
      new Map([
        ['abc', 2],
        ['abd', 4],
      ]),
    );
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(/after the end of the trie/);
  });

  it('reads an empty body as no stacks (as Pyroscope does)', async () => {
    const p = await parsePyroscopeTrie(await sourceFromBuffer('t', Buffer.alloc(0)));
    expect(p.totals()).toEqual([0]);
  });

  it('takes values up to 2^53 and beyond (inexact) and writes them back', async () => {
    const p = await read('pyroscope-trie', bytes('\x00\x00\x01\x01a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00'));
    expect(p.totals()).toEqual([2 ** 64]);
    const big = await folded(`a ${2 ** 40 + 7}\n`);
    expect(stacks(await read('pyroscope-trie', writePyroscopeTrie(big, {})))).toEqual(new Map([['a', 2 ** 40 + 7]]));
  });
});

describe("Pyroscope's tree", () => {
  it('reads the SerializeNoDict example', async () => {
    const p = await parsePyroscopeTree(await sourceFromBuffer('t', TREE_EXAMPLE));
    expect(stacks(p)).toEqual(
      new Map([
        ['a;b', 1],
        ['a;c', 2],
      ]),
    );
    expect(p.valueTypes).toEqual([{ type: 'samples', unit: 'count' }]);
    expect(p.format).toBe('pyroscope-tree');
    expect(p.warnings).toEqual([]);
  });

  it('writes it byte for byte', async () => {
    expect(writePyroscopeTree(await folded('a;b 1\na;c 2\n'), {})).toEqual(TREE_EXAMPLE);
  });

  it("drops the root's self, as ParseTreeNoDict does, with a warning; ignores bytes after the tree", async () => {
    const body = Buffer.concat([bytes('\x00\x05\x01\x01a\x02\x00'), bytes('junk')]);
    const p = await read('pyroscope-tree', body);
    expect(stacks(p)).toEqual(new Map([['a', 2]]));
    expect(p.totals()).toEqual([2]);
    expect(p.warnings).toHaveLength(2);
    expect(p.warnings[0]).toMatch(/value of 5 on the root/);
    expect(p.warnings[1]).toMatch(/4 bytes after the end of the tree ignored/);
  });

  it('splits names with ";" into frames, as the keys Pyroscope makes of them are split', async () => {
    // root -> "a;b" (self 3)
    const p = await read('pyroscope-tree', bytes('\x00\x00\x01\x03a;b\x03\x00'));
    expect(stacks(p)).toEqual(new Map([['a;b', 3]]));
    expect(p.trie().size).toBe(3);
  });

  it('sums siblings of the same name', async () => {
    const p = await read('pyroscope-tree', bytes('\x00\x00\x02\x01a\x01\x00\x01a\x02\x01\x01b\x04\x00'));
    expect(stacks(p)).toEqual(
      new Map([
        ['a', 3],
        ['a;b', 4],
      ]),
    );
  });
});

describe("Pyroscope's lines", () => {
  it("reads ParseIndividualLines' example", async () => {
    const p = await parseLines(await sourceFromBuffer('l', 'foo;bar\nfoo;baz\n'));
    expect(stacks(p)).toEqual(
      new Map([
        ['foo;bar', 1],
        ['foo;baz', 1],
      ]),
    );
    expect(p.valueTypes).toEqual([{ type: 'samples', unit: 'count' }]);
    expect(p.sampleCount).toBe(2);
  });

  it('counts each line once, skips empty lines, keeps spaces, takes CRLF and a last line without a newline', async () => {
    const p = await read('pyroscope-lines', 'a;b\r\n\na;b\na;b c\n\r\nab;x\na');
    expect(stacks(p)).toEqual(
      new Map([
        ['a', 1],
        ['a;b', 2],
        ['a;b c', 1],
        ['ab;x', 1],
      ]),
    );
    expect(p.sampleCount).toBe(5);
  });

  it('reads any lines (sorted or not, frames prefixes of each other) as their counts', async () => {
    const frame = fc.constantFrom('a', 'ab', 'abc', 'b', 'ba', 'a b');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(frame, { minLength: 1, maxLength: 6 }), { maxLength: 40 }), async (lines) => {
        const want = new Map<string, number>();
        for (const l of lines) want.set(l.join(';'), (want.get(l.join(';')) ?? 0) + 1);
        const p = await read('pyroscope-lines', lines.map((l) => `${l.join(';')}\n`).join(''));
        expect(stacks(p)).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });
});

/** Every folded file of the shared corpus that reads. */
function foldedCorpus(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk(join(CORPUS, 'folded'));
  return out.sort();
}

describe('round trips', () => {
  const files = foldedCorpus();

  it('finds the folded corpus', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  for (const file of files) {
    it(`${file.slice(CORPUS.length + 1)}: folded -> trie and tree -> the same stacks (values rounded)`, async () => {
      let p: Profile;
      try {
        p = await readBytes(file, readFileSync(file));
      } catch (e) {
        expect(e).toBeInstanceOf(PyroError);
        return;
      }
      const want = new Map<string, number>();
      for (const [k, v] of stacks(p)) if (Math.round(v) > 0) want.set(k, Math.round(v));
      // A tree's keys cannot end in an empty frame: ParseTreeNoDict makes "a;" of an unnamed leaf under
      // a, and Tree.Insert adds no frame after a trailing ';'. (The trie keeps it, as "a;;".)
      const wantTree = new Map<string, number>();
      for (const [k, v] of want) {
        const key = k.endsWith(';') ? k.slice(0, -1) : k;
        wantTree.set(key, (wantTree.get(key) ?? 0) + v);
      }
      const total = [...want.values()].reduce((a, b) => a + b, 0);
      for (const [format, write, expected] of [
        ['pyroscope-trie', writePyroscopeTrie, want],
        ['pyroscope-tree', writePyroscopeTree, wantTree],
      ] as const) {
        const back = await read(format, write(p, {}));
        expect(stacks(back), format).toEqual(expected);
        expect(back.totals(), format).toEqual([total]);
        expect(back.warnings, format).toEqual([]);
      }
    });
  }

  it('random stacks, names prefixes of each other, through both formats', async () => {
    const frame = fc.constantFrom('a', 'ab', 'abc', 'b', 'ba', 'a b', 'é', 'éa', '日本');
    const line = fc.record({
      stack: fc.array(frame, { minLength: 1, maxLength: 7 }),
      count: fc.integer({ min: 1, max: 1000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), async (lines) => {
        const p = await folded(lines.map((l) => `${l.stack.join(';')} ${l.count}`).join('\n'));
        expect(stacks(await read('pyroscope-trie', writePyroscopeTrie(p, {})))).toEqual(stacks(p));
        expect(stacks(await read('pyroscope-tree', writePyroscopeTree(p, {})))).toEqual(stacks(p));
      }),
      { numRuns: 200 },
    );
  });

  it('writes the chosen value type, and only positive integers', async () => {
    const p = await readBytes('x.folded', 'a;b 2.6\na;c 0.2\nd 3\n');
    expect(stacks(await read('pyroscope-trie', writePyroscopeTrie(p, { valueIndex: 0 })))).toEqual(
      new Map([
        ['a;b', 3],
        ['d', 3],
      ]),
    );
  });

  it('an empty profile writes an empty root', async () => {
    const p = await folded('a 0\n');
    expect(writePyroscopeTrie(p, {})).toEqual(bytes('\x00\x00\x00'));
    expect(writePyroscopeTree(p, {})).toEqual(bytes('\x00\x00\x00'));
  });

  it("gives Pyroscope the keys it splits back into the stacks, in Go's byte order", () => {
    const b = new ProfileBuilder([SAMPLES], 'test');
    const add = (names: string[], v: number, line = 0) => {
      for (const n of names) b.push(b.frameAt(n, 'x.go', line));
      b.commitRootFirst(v);
    };
    add(['a'], 1);
    add(['a', ''], 2); // an empty last frame: "a;;"
    add(['a!'], 3); // '!' sorts before ';': between "a" and "a;..."
    add(['a', 'x'], 4, 1);
    add(['a', 'x'], 5, 2); // the same name on another line: one key
    add(['é'], 6); // UTF-8 bytes sort after ASCII
    add([], 7); // the root: ""
    add(['b;c'], 8); // a name with ';' is two frames to Pyroscope
    const { keys, values } = pyroscopeKeys(b.finish(), 0);
    expect(keys.map((k) => Buffer.from(k, 'latin1').toString('utf8'))).toEqual([
      '',
      'a',
      'a!',
      'a;;',
      'a;x',
      'b;c',
      'é',
    ]);
    expect(values).toEqual([7, 1, 3, 2, 9, 8, 6]);
  });
});

describe('malformed bodies: one line naming the source and the offset', () => {
  const cases: [string, string, Buffer, RegExp][] = [
    [
      'pyroscope-trie',
      'a varint cut off',
      bytes('\x00\x80'),
      /offset 1: the value of the trie node at offset 0 is a varint cut off/,
    ],
    ['pyroscope-trie', 'a node cut after its label', bytes('\x01a'), /offset 2: the value .* cut off/],
    [
      'pyroscope-trie',
      'a varint of 11 bytes',
      Buffer.from([0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1]),
      /longer than 10 bytes/,
    ],
    [
      'pyroscope-trie',
      'a varint over 64 bits',
      bytes('\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\x00'),
      /overflows 64 bits/,
    ],
    [
      'pyroscope-trie',
      'a label past the end',
      bytes('\x00\x00\x01\x09abc'),
      /offset 4: the label of the trie node at offset 3 is 9 bytes, past the end of the input \(3 bytes left\)/,
    ],
    [
      'pyroscope-trie',
      'an absurd child count',
      bytes('\x00\x00\xff\xff\xff\xff\x0f\x01a\x01\x00'),
      /offset 0: the trie node there has 4294967295 children, but only 4 bytes are left: the input is cut short or corrupt \(a node takes 3 bytes at least\)/,
    ],
    [
      'pyroscope-trie',
      'a trie cut between nodes',
      TRIE_EXAMPLE.subarray(0, 13),
      /offset 3: the trie node there has 2 children, but only 5 bytes are left: the input is cut short or corrupt/,
    ],
    ['pyroscope-tree', 'an empty body', Buffer.alloc(0), /empty input/],
    [
      'pyroscope-tree',
      'a tree cut between nodes',
      TREE_EXAMPLE.subarray(0, 10),
      /offset 3: the tree node there has 2 children, but only 3 bytes are left: the input is cut short/,
    ],
    [
      'pyroscope-tree',
      'a tree cut after a long leaf',
      bytes('\x00\x00\x02\x04abcd\x01\x00'),
      /body: the input ends before 1 more children of the node at offset 0: is it cut short\?/,
    ],
    [
      'pyroscope-trie',
      'a trie cut after a long leaf',
      bytes('\x00\x00\x02\x04abcd\x01\x00'),
      /body: the input ends before 1 more children of the node at offset 0: is it cut short\?/,
    ],
    [
      'pyroscope-tree',
      'a self value cut off',
      bytes('\x00'),
      /offset 1: the self value of the tree node at offset 0 is a varint cut off/,
    ],
    [
      'pyroscope-tree',
      'a name past the end',
      bytes('\x00\x00\x01\x7fabcd'),
      /name of the tree node at offset 3 is 127 bytes, past the end/,
    ],
    [
      'pyroscope-tree',
      'an absurd child count',
      bytes('\x00\x00\x80\x80\x80\x80\x10'),
      /has 4294967296 children, but only 0 bytes are left/,
    ],
  ];
  for (const [format, what, body, message] of cases) {
    it(`${format}: ${what}`, async () => {
      expect(await rejection(format, body)).toMatch(message);
    });
  }

  it('never hangs or throws anything but a PyroError on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom('pyroscope-trie', 'pyroscope-tree'),
        async (b, format) => {
          try {
            const p = await read(format, Buffer.from(b));
            for (const t of p.totals()) expect(Number.isFinite(t)).toBe(true);
          } catch (e) {
            expect(e).toBeInstanceOf(PyroError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('through the CLI', () => {
  const dir = tempDir('pyro-pyroscope-');

  it('converts pprof to a trie and a tree by --to or extension, and reads them back by --input-format', async () => {
    const src = corpus('speedscope-samples/pprof/simple.prof');
    const want = pyro(['convert', src, '--to', 'folded']);
    expect(want.status).toBe(0);
    const trie = join(dir, 'x.trie');
    const tree = join(dir, 'x.tree');
    expect(pyro(['convert', src, '--to', 'pyroscope-trie', '-o', trie]).status).toBe(0);
    expect(pyro(['convert', src, '-o', tree]).status).toBe(0);
    // Both hold the same stacks: the tree written from the trie read back is the tree written from pprof.
    expect(writePyroscopeTree(await read('pyroscope-trie', readFileSync(trie)), {})).toEqual(readFileSync(tree));
    for (const [file, format] of [
      [trie, 'pyroscope-trie'],
      [tree, 'pyroscope-tree'],
    ]) {
      const back = pyro(['convert', file as string, '--input-format', format as string, '--to', 'folded']);
      expect(back.stderr).toBe('');
      expect(back.stdout).toBe(want.stdout);
    }
  });

  it('reads lines by --input-format', () => {
    const file = join(dir, 'x.lines');
    writeFileSync(file, 'main;work\nmain;work\nmain\n');
    const r = pyro(['convert', file, '--input-format', 'pyroscope-lines', '--to', 'folded']);
    expect(r.stdout).toBe('main 1\nmain;work 2\n');
  });

  it('rejects a corrupt trie in one line naming the file and the offset', () => {
    const file = join(dir, 'bad.trie');
    writeFileSync(file, bytes('\x00\x00\x01\x09abc'));
    const r = pyro(['info', '--input-format', 'pyroscope-trie', file]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `pyro: ${file}: offset 4: the label of the trie node at offset 3 is 9 bytes, past the end of the input (3 bytes left)`,
    ]);
  });
});
