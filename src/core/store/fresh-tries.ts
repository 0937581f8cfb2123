// The tries of profiles that pyro server stored and has not placed into their
// levels yet, kept in memory so that placing them need not read them back.
// Bounded by the bytes of their columns, not by their count: a Go heap
// profile of 100,000 nodes (4 value columns, 4 MB) weighs as much as eighty
// Node.js CPU profiles of 2,000 nodes, and a count bound let a server of
// large profiles grow by gigabytes.
import type { TrieColumns } from '../model/trie.js';

/** The most bytes of tries kept (about 1,400 of a Node.js CPU profile of 2,000 nodes). */
export const FRESH_BYTES = 64 * 1024 * 1024;

interface Kept {
  trie: TrieColumns;
  /** Series that will still take it. */
  uses: number;
  bytes: number;
}

export class FreshTries {
  private readonly kept = new Map<number, Kept>();
  private bytes = 0;

  constructor(private readonly maxBytes = FRESH_BYTES) {}

  /**
   * Keeps the trie of trie row `id` for `uses` series when there is room:
   * `make` builds it (of `nodes` nodes and `nTypes` columns) only then.
   */
  add(id: number, uses: number, nodes: number, nTypes: number, make: () => TrieColumns): void {
    // Whatever it kept under this id before is another trie's.
    this.delete(id);
    // Its parent, frame and value columns at the least; then what their buffers hold (room to grow included).
    if (this.bytes + nodes * (8 + 8 * nTypes) > this.maxBytes) return;
    const trie = make();
    const bytes = trie.parent.buffer.byteLength + trie.frame.buffer.byteLength + trie.self.buffer.byteLength;
    if (this.bytes + bytes > this.maxBytes) return;
    this.kept.set(id, { trie, uses, bytes });
    this.bytes += bytes;
  }

  get(id: number): TrieColumns | undefined {
    return this.kept.get(id)?.trie;
  }

  /** One series took the trie: dropped once all have. */
  taken(id: number): void {
    const k = this.kept.get(id);
    if (k && --k.uses === 0) this.delete(id);
  }

  delete(id: number): void {
    const k = this.kept.get(id);
    if (!k) return;
    this.kept.delete(id);
    this.bytes -= k.bytes;
  }

  clear(): void {
    this.kept.clear();
    this.bytes = 0;
  }

  /** Bytes of the tries kept now. */
  get heldBytes(): number {
    return this.bytes;
  }
}
