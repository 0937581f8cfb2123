import { describe, expect, it } from 'vitest';
import type { TrieColumns } from '../src/core/model/trie.js';
import { FreshTries } from '../src/core/store/fresh-tries.js';

/** A trie of `nodes` nodes and `k` value columns (a chain; its shape does not matter here). */
function trie(nodes: number, k = 2): TrieColumns {
  const parent = new Int32Array(nodes).map((_, i) => i - 1);
  return { size: nodes, nTypes: k, parent, frame: new Int32Array(nodes), self: new Float64Array(nodes * k) };
}

describe('FreshTries: the tries pyro server keeps until it places them', () => {
  it('keeps tries by the bytes of their columns, not by their count', () => {
    // 1,000 nodes of 2 columns: 4 + 4 + 16 bytes a node.
    const fresh = new FreshTries(100_000);
    let made = 0;
    const make = (n: number) => () => {
      made++;
      return trie(n);
    };
    for (let id = 1; id <= 4; id++) fresh.add(id, 1, 1000, 2, make(1000));
    expect(fresh.heldBytes).toBe(96_000);
    // One large trie past the bound is not kept (nor built), however few are held.
    fresh.add(5, 1, 100_000, 2, make(100_000));
    expect(fresh.get(5)).toBeUndefined();
    expect(made).toBe(4);
    // A small one that fits still is.
    fresh.add(6, 1, 100, 2, make(100));
    expect(fresh.get(6)?.size).toBe(100);
    expect(fresh.heldBytes).toBe(98_400);
  });

  it('counts the whole buffers a trie holds, not only its nodes', () => {
    const fresh = new FreshTries(100_000);
    // 100 nodes in columns with room for 2,000 (a trie read in place keeps its room to grow).
    const roomy = (): TrieColumns => {
      const t = trie(2000);
      return { ...t, size: 100 };
    };
    fresh.add(1, 1, 100, 2, roomy);
    expect(fresh.heldBytes).toBe(48_000);
    fresh.add(2, 1, 100, 2, roomy);
    fresh.add(3, 1, 100, 2, roomy);
    expect(fresh.get(3)).toBeUndefined();
    expect(fresh.heldBytes).toBe(96_000);
  });

  it('drops a trie once every series has taken it, and frees its bytes for others', () => {
    const fresh = new FreshTries(30_000);
    fresh.add(1, 2, 1000, 2, () => trie(1000));
    fresh.add(2, 1, 100, 1, () => trie(100, 1));
    fresh.taken(1);
    expect(fresh.get(1)?.size).toBe(1000);
    fresh.taken(1);
    expect(fresh.get(1)).toBeUndefined();
    expect(fresh.heldBytes).toBe(1600);
    fresh.add(3, 1, 1000, 2, () => trie(1000));
    expect(fresh.get(3)?.size).toBe(1000);
    fresh.delete(3);
    fresh.delete(3);
    expect(fresh.heldBytes).toBe(1600);
    fresh.clear();
    expect(fresh.heldBytes).toBe(0);
    expect(fresh.get(2)).toBeUndefined();
  });

  it('keeps the last trie given an id, or none, never the one before', () => {
    const fresh = new FreshTries(30_000);
    fresh.add(1, 1, 1000, 2, () => trie(1000));
    fresh.add(1, 1, 500, 2, () => trie(500));
    expect(fresh.get(1)?.size).toBe(500);
    expect(fresh.heldBytes).toBe(12_000);
    // Not kept again (no room): not the one before either.
    fresh.add(2, 1, 500, 2, () => trie(500));
    fresh.add(2, 1, 1000, 2, () => trie(1000));
    expect(fresh.get(2)).toBeUndefined();
    expect(fresh.heldBytes).toBe(12_000);
  });
});
