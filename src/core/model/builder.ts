import type { FrameTable } from './frames.js';
import { growInt32 } from './growable.js';
import { Profile, type ValueType } from './profile.js';
import type { StringTable } from './strings.js';

/**
 * What every reader builds through: frames are pushed onto a reusable stack
 * buffer, then committed with the sample's value(s) into the profile's trie.
 * No object is allocated per sample.
 *
 *   b.push(b.frame('readLine')); b.push(b.frame('main'));  // leaf first
 *   b.commitLeafFirst(1);                                 // main;readLine += 1
 */
export class ProfileBuilder {
  readonly profile: Profile;
  private stack = new Int32Array(256);
  private depth = 0;

  /** `strings` and `frames`: tables to build into (a reader's shared ones), else new ones. */
  constructor(valueTypes: ValueType[], format: string, strings?: StringTable, frames?: FrameTable) {
    this.profile = new Profile(valueTypes, strings, frames);
    this.profile.format = format;
  }

  /** The frame id of a name (interned). */
  frame(name: string): number {
    return this.profile.frames.internName(name);
  }

  /** The frame id of a name with file, line and module. */
  frameAt(name: string, file: string, line: number, module = ''): number {
    const s = this.profile.strings;
    return this.profile.frames.intern(s.intern(name), s.intern(file), line, s.intern(module));
  }

  push(frame: number): void {
    if (this.depth === this.stack.length) this.stack = growInt32(this.stack, this.depth + 1);
    this.stack[this.depth++] = frame;
  }

  /** Frames pushed since the last commit. */
  get pushed(): number {
    return this.depth;
  }

  /** Drops the frames pushed since the last commit. */
  reset(): void {
    this.depth = 0;
  }

  /** Adds the pushed frames (pushed leaf first) as one sample of `value` for value type `t`. */
  commitLeafFirst(value: number, labelSet = 0, t = 0): number {
    const trie = this.profile.trieFor(labelSet);
    const node = trie.insertReversed(this.stack, 0, this.depth);
    trie.addSelf(node, t, value);
    this.profile.sampleCount++;
    this.depth = 0;
    return node;
  }

  /** Adds the pushed frames (pushed root first) as one sample of `value` for value type `t`. */
  commitRootFirst(value: number, labelSet = 0, t = 0): number {
    const trie = this.profile.trieFor(labelSet);
    const node = trie.insert(this.stack, 0, this.depth);
    trie.addSelf(node, t, value);
    this.profile.sampleCount++;
    this.depth = 0;
    return node;
  }

  /** Adds frames[0..len) (root first, or leaf first if `leafFirst`) with one value per value type. */
  addStack(frames: ArrayLike<number>, len: number, values: ArrayLike<number>, labelSet = 0, leafFirst = false): number {
    const trie = this.profile.trieFor(labelSet);
    const node = leafFirst ? trie.insertReversed(frames, 0, len) : trie.insert(frames, 0, len);
    for (let t = 0; t < values.length; t++) {
      const v = values[t] as number;
      if (v !== 0) trie.addSelf(node, t, v);
    }
    this.profile.sampleCount++;
    return node;
  }

  warn(message: string): void {
    this.profile.warnings.push(message);
  }

  finish(): Profile {
    this.profile.invalidate();
    return this.profile;
  }
}
