import type { Profile } from './profile.js';
import type { StackTrie } from './trie.js';

/**
 * A new profile whose stacks are reversed, leaf first: the roots are the
 * functions that had self time, and under each are its callers (flamegraph.pl
 * --reverse, pprof's inverted call tree). Totals are unchanged; each label set
 * keeps its own trie.
 */
export function reverseStacks(profile: Profile): Profile {
  const out = profile.emptyLike();
  const k = profile.nTypes;
  profile.tries.forEach((src, labelSet) => {
    if (!src) return;
    const dst = out.trieFor(labelSet);
    const stack: number[] = [];
    for (let n = 1; n < src.size; n++) {
      if (!hasSelf(src, n, k)) continue;
      // Leaf first is the order of the parent chain: insert it root first as it is walked.
      stack.length = 0;
      for (let m = n; m > 0; m = src.parent[m] as number) stack.push(src.frame[m] as number);
      const leaf = dst.insert(stack, 0, stack.length);
      for (let t = 0; t < k; t++) dst.addSelf(leaf, t, src.selfOf(n, t));
    }
    for (let t = 0; t < k; t++) dst.addSelf(0, t, src.selfOf(0, t));
  });
  out.invalidate();
  return out;
}

function hasSelf(trie: StackTrie, node: number, k: number): boolean {
  for (let t = 0; t < k; t++) if (trie.selfOf(node, t) !== 0) return true;
  return false;
}
