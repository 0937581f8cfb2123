import { ByteKeyTable, hashShort, SHORT_KEY } from './byte-keys.js';
import { FrameTable } from './frames.js';
import { growInt32 } from './growable.js';
import { StringTable } from './strings.js';

/**
 * String and frame tables that the profiles read one after another on a
 * thread share (pyro server's reader threads): the same programs push the
 * same names again and again, so a name is decoded and hashed as a string
 * only the first time; after that its bytes find it. Another thread keeps a
 * copy of the tables (SymbolsMirror), sent as what each profile added.
 * Append-only; a thread starts a new generation when they grow past their bound.
 */
export class SharedSymbols {
  readonly strings = new StringTable();
  readonly frames: FrameTable;
  private readonly keys = new ByteKeyTable();
  /** String id by key number of `keys`. */
  private idOfKey = new Int32Array(1024);
  /** What the mirror has: strings[0 .. sentStrings), frames[0 .. sentFrames). */
  private sentStrings = 1;
  private sentFrames = 0;

  constructor(
    /** Names these tables among those of other threads (a thread id). */
    readonly source: string,
    readonly generation = 0,
  ) {
    this.frames = new FrameTable(this.strings);
    this.frames.shared = true;
  }

  /** The id of the string whose UTF-8 bytes are buf[start, end); `view`: a DataView of buf's memory, when the caller has one. */
  stringId(buf: Buffer, start: number, end: number, view?: DataView): number {
    const k =
      view && end - start <= SHORT_KEY
        ? this.keys.find(buf, start, end, hashShort(buf, view, start, end), view)
        : this.keys.find(buf, start, end);
    if (k >= 0) return this.idOfKey[k] as number;
    const added = this.keys.add(buf, start, end);
    if (added >= this.idOfKey.length) this.idOfKey = growInt32(this.idOfKey, added + 1);
    // Different bytes may decode to one string (invalid UTF-8 becomes U+FFFD): one id.
    const id = this.strings.intern(buf.toString('utf8', start, end));
    this.idOfKey[added] = id;
    return id;
  }

  /** Whether the tables hold more than `frames` frames or `bytes` bytes of names (time for a new generation). */
  full(frames = FRAMES_MAX, bytes = BYTES_MAX): boolean {
    return this.frames.size > frames || this.keys.bytes > bytes;
  }

  /** What was added since the last delta (for the mirror, which must apply every one, in order). */
  delta(): SymbolsDelta {
    const f = this.frames;
    const from = this.sentFrames;
    const d: SymbolsDelta = {
      source: this.source,
      generation: this.generation,
      stringBase: this.sentStrings,
      strings: this.strings.strings.slice(this.sentStrings),
      frameBase: from,
      name: f.name.slice(from, f.size),
      file: f.file.slice(from, f.size),
      line: f.line.slice(from, f.size),
      module: f.module.slice(from, f.size),
    };
    this.sentStrings = this.strings.size;
    this.sentFrames = f.size;
    return d;
  }
}

/** A SharedSymbols' growth bounds: a million frames, 64 MB of names. */
const FRAMES_MAX = 1 << 20;
const BYTES_MAX = 64 << 20;

/** What SharedSymbols added to its tables since the delta before. */
export interface SymbolsDelta {
  source: string;
  generation: number;
  /** The number of strings (frames) the tables had before these. */
  stringBase: number;
  strings: string[];
  frameBase: number;
  name: Int32Array;
  file: Int32Array;
  line: Int32Array;
  module: Int32Array;
}

/**
 * Copies of other threads' SharedSymbols, kept up to date by their deltas:
 * the tables of the profiles those threads send.
 */
export class SymbolsMirror {
  private readonly bySource = new Map<string, { generation: number; strings: StringTable; frames: FrameTable }>();

  /** Applies a delta; the tables it brings up to date. */
  apply(d: SymbolsDelta): { strings: StringTable; frames: FrameTable } {
    let m = this.bySource.get(d.source);
    if (!m || m.generation !== d.generation) {
      const strings = new StringTable();
      const frames = new FrameTable(strings);
      frames.shared = true;
      m = { generation: d.generation, strings, frames };
      this.bySource.set(d.source, m);
    }
    const { strings, frames } = m;
    // A delta that does not follow the last one (lost, or out of order) would misname frames.
    if (d.stringBase !== strings.size || d.frameBase !== frames.size) {
      throw new Error(
        `symbols of ${d.source}: a delta from ${d.stringBase} strings and ${d.frameBase} frames, the copy has ${strings.size} and ${frames.size}`,
      );
    }
    for (const s of d.strings) strings.intern(s);
    for (let i = 0; i < d.name.length; i++) {
      frames.intern(d.name[i] as number, d.file[i] as number, d.line[i] as number, d.module[i] as number);
    }
    return { strings, frames };
  }
}
