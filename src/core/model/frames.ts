import { growInt32 } from './growable.js';
import type { StringTable } from './strings.js';

/**
 * A frame is a function name plus, where the format has them, a file, a line
 * and a module (binary, mapping or package). Each column holds string-table
 * ids (line is a number, 0 = unknown). Frame ids are dense, starting at 0.
 */
export class FrameTable {
  name: Int32Array = new Int32Array(64);
  file: Int32Array = new Int32Array(64);
  line: Int32Array = new Int32Array(64);
  module: Int32Array = new Int32Array(64);
  size = 0;
  /**
   * Shared by many profiles (SharedSymbols): only ever added to, so a profile
   * made from another (emptyLike) uses it as it is rather than a copy.
   */
  shared = false;
  /** Open addressing over the four columns: frame id + 1 per slot (0: empty); built on first intern() after from(). */
  private table: Int32Array | undefined = new Int32Array(128);

  constructor(readonly strings: StringTable) {}

  /** The table of given columns (frames distinct, ids 0 .. size - 1). */
  static from(
    strings: StringTable,
    size: number,
    columns: { name: Int32Array; file: Int32Array; line: Int32Array; module: Int32Array },
  ): FrameTable {
    const t = new FrameTable(strings);
    t.name = columns.name;
    t.file = columns.file;
    t.line = columns.line;
    t.module = columns.module;
    t.size = size;
    t.table = undefined;
    return t;
  }

  /** The frame for a name given as a string. */
  internName(name: string): number {
    return this.intern(this.strings.intern(name));
  }

  intern(nameId: number, fileId = 0, line = 0, moduleId = 0): number {
    const table = (this.table ??= this.rehash());
    const { name, file } = this;
    const mask = table.length - 1;
    let i = slot(nameId, fileId, line, moduleId) & mask;
    for (;;) {
      const id = (table[i] as number) - 1;
      if (id < 0) break;
      if (name[id] === nameId && file[id] === fileId && this.line[id] === line && this.module[id] === moduleId)
        return id;
      i = (i + 1) & mask;
    }
    const id = this.push(nameId, fileId, line, moduleId);
    if (this.size * 2 > table.length) this.rehash();
    else table[i] = id + 1;
    return id;
  }

  private push(nameId: number, fileId: number, line: number, moduleId: number): number {
    const id = this.size++;
    if (id >= this.name.length) {
      this.name = growInt32(this.name, id + 1);
      this.file = growInt32(this.file, id + 1);
      this.line = growInt32(this.line, id + 1);
      this.module = growInt32(this.module, id + 1);
    }
    this.name[id] = nameId;
    this.file[id] = fileId;
    this.line[id] = line;
    this.module[id] = moduleId;
    return id;
  }

  /** Room for `n` frames in all, so that interning that many grows nothing (a reader that knows its count). */
  reserve(n: number): void {
    if (n <= this.name.length) return;
    this.name = growInt32(this.name, n);
    this.file = growInt32(this.file, n);
    this.line = growInt32(this.line, n);
    this.module = growInt32(this.module, n);
    this.rehash(n);
  }

  /** A table of twice the slots (at least twice the frames, or `room` frames), holding every frame. */
  private rehash(room = 0): Int32Array {
    let slots = (this.table?.length ?? 64) * 2;
    while (slots < Math.max(this.size, room) * 2 + 2) slots *= 2;
    const table = new Int32Array(slots);
    const mask = table.length - 1;
    for (let id = 0; id < this.size; id++) {
      let i =
        slot(this.name[id] as number, this.file[id] as number, this.line[id] as number, this.module[id] as number) &
        mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = id + 1;
    }
    this.table = table;
    return table;
  }

  nameOf(frame: number): string {
    return this.strings.get(this.name[frame] as number);
  }

  fileOf(frame: number): string {
    return this.strings.get(this.file[frame] as number);
  }

  moduleOf(frame: number): string {
    return this.strings.get(this.module[frame] as number);
  }
}

function slot(nameId: number, fileId: number, line: number, moduleId: number): number {
  let h = Math.imul(nameId, 0x9e3779b1) ^ Math.imul(fileId + 1, 0x85ebca77);
  h = Math.imul(h ^ line, 0xc2b2ae3d) ^ Math.imul(moduleId + 1, 0x27d4eb2f);
  return h ^ (h >>> 15);
}
