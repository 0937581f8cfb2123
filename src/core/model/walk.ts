import type { FrameTable } from './frames.js';
import type { StackTrie, TrieColumns } from './trie.js';

/** A trie's children as linked lists: the first child of each node and the next sibling of each (-1: none). */
export interface ChildLists {
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
}

/**
 * Depth-first walk over a trie without recursion or allocation: `enter` is
 * called on each node (root excluded) before its children, `exit` after them.
 * Children come in the order of `lists` (the trie's own, newest first, by default).
 */
export function walkTrie(
  trie: StackTrie,
  enter: (node: number) => void,
  exit: (node: number) => void,
  lists: ChildLists = trie,
): void {
  const { firstChild, nextSibling } = lists;
  const parent = trie.parent;
  let node = firstChild[0] as number;
  while (node > 0) {
    enter(node);
    const child = firstChild[node] as number;
    if (child >= 0) {
      node = child;
      continue;
    }
    for (;;) {
      exit(node);
      const sib = nextSibling[node] as number;
      if (sib >= 0) {
        node = sib;
        break;
      }
      node = parent[node] as number;
      if (node <= 0) return;
    }
  }
}

/** Per frame id, its rank among every frame sorted by name (byte order of the names, as Perl's sort). */
export function nameRanks(frames: FrameTable): Int32Array {
  const ids = Array.from({ length: frames.size }, (_, i) => i);
  const names = ids.map((i) => frames.nameOf(i));
  ids.sort((a, b) => {
    const x = names[a] as string;
    const y = names[b] as string;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const rank = new Int32Array(frames.size);
  ids.forEach((id, i) => {
    rank[id] = i;
  });
  return rank;
}

/** Child lists with each node's children in the order of their frames' `rank` (a counting sort: linear). */
export function sortedChildLists(trie: TrieColumns, rank: ArrayLike<number>): ChildLists {
  const { size, frame, parent } = trie;
  let ranks = 0;
  for (let f = 0; f < rank.length; f++) ranks = Math.max(ranks, (rank[f] as number) + 1);
  const count = new Int32Array(ranks + 1);
  for (let n = 1; n < size; n++) count[(rank[frame[n] as number] as number) + 1]++;
  for (let r = 1; r <= ranks; r++) count[r] += count[r - 1] as number;
  const byRank = new Int32Array(Math.max(0, size - 1));
  for (let n = 1; n < size; n++) byRank[count[rank[frame[n] as number] as number]++] = n;
  // Prepended from the highest rank down, each list ends up in ascending rank.
  const firstChild = new Int32Array(size).fill(-1);
  const nextSibling = new Int32Array(size).fill(-1);
  for (let i = byRank.length - 1; i >= 0; i--) {
    const n = byRank[i] as number;
    const p = parent[n] as number;
    nextSibling[n] = firstChild[p] as number;
    firstChild[p] = n;
  }
  return { firstChild, nextSibling };
}
