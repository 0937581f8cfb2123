import type { StackTrie } from './trie.js';

/**
 * Depth-first walk over a trie without recursion or allocation: `enter` is
 * called on each node (root excluded) before its children, `exit` after them.
 */
export function walkTrie(trie: StackTrie, enter: (node: number) => void, exit: (node: number) => void): void {
  const { firstChild, nextSibling, parent } = trie;
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
