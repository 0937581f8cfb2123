// The sandwich of one function (as in speedscope and Pyroscope): what calls it
// and what it calls, each merged over every place it occurs. A recursive
// function counts once per stack, at its outermost occurrence, so that the
// sandwich's total is the share of samples the function is on the stack of.
import type { Profile } from '../model/profile.js';

export interface Sandwich {
  /** Stacks reversed: the function as the only frame under the root, its callers above it, theirs above them. */
  callers: Profile;
  /** The merge of the subtrees under the function's outermost occurrences, rooted at the function. */
  callees: Profile;
}

/**
 * The sandwich of every frame named `frameName` (frames of that name from any
 * file or line are one function here), in value type `valueIndex`. The two
 * profiles carry that one value type, at index 0; they share the profile's
 * frame table, so frame ids stay valid. Linear in the size of the trie, plus the
 * depth of each outermost occurrence.
 */
export function sandwich(profile: Profile, valueIndex: number, frameName: string): Sandwich {
  const types = [profile.valueTypes[valueIndex] ?? profile.valueTypes[0]] as typeof profile.valueTypes;
  const callers = profile.emptyLike(types);
  const callees = profile.emptyLike(types);
  const up = callers.trieFor(0);
  const down = callees.trieFor(0);
  const frames = profile.frames;
  const isTarget = new Uint8Array(frames.size);
  let target = -1;
  for (let f = 0; f < frames.size; f++) {
    if (frames.nameOf(f) !== frameName) continue;
    isTarget[f] = 1;
    if (target < 0) target = f;
  }
  if (target < 0) return { callers, callees };

  const trie = profile.trie();
  const { parent, frame } = trie;
  const k = trie.nTypes;
  const self = trie.self;
  const total = trie.total;
  // The callees node of each trie node inside an outermost occurrence's subtree, else -1.
  // Parents come before children, so one forward pass sees a node's parent first.
  const map = new Int32Array(trie.size).fill(-1);
  const stack: number[] = [];
  for (let n = 1; n < trie.size; n++) {
    const p = map[parent[n] as number] as number;
    const f = frame[n] as number;
    let dst: number;
    if (p >= 0) dst = down.child(p, f);
    else if (isTarget[f] === 1) {
      dst = down.child(0, target);
      const value = total[n * k + valueIndex] as number;
      if (value !== 0) {
        stack.length = 0;
        stack.push(target);
        for (let a = parent[n] as number; a > 0; a = parent[a] as number) stack.push(frame[a] as number);
        up.addSelf(up.insert(stack, 0, stack.length), 0, value);
      }
    } else continue;
    map[n] = dst;
    const v = self[n * k + valueIndex] as number;
    if (v !== 0) down.addSelf(dst, 0, v);
  }
  return { callers, callees };
}
