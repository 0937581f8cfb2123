import { growInt32 } from './growable.js';
import type { StringTable } from './strings.js';

/**
 * A frame is a function name plus, where the format has them, a file, a line
 * and a module (binary, mapping or package). Each column holds string-table
 * ids (line is a number, 0 = unknown). Frame ids are dense, starting at 0.
 */
export class FrameTable {
  name = new Int32Array(64);
  file = new Int32Array(64);
  line = new Int32Array(64);
  module = new Int32Array(64);
  size = 0;
  /** Frames with only a name are keyed by the name id; others by a composite key. */
  private readonly byName = new Map<number, number>();
  private readonly byKey = new Map<string, number>();

  constructor(readonly strings: StringTable) {}

  /** The frame for a name given as a string. */
  internName(name: string): number {
    return this.intern(this.strings.intern(name));
  }

  intern(nameId: number, fileId = 0, line = 0, moduleId = 0): number {
    if (fileId === 0 && line === 0 && moduleId === 0) {
      let id = this.byName.get(nameId);
      if (id === undefined) {
        id = this.push(nameId, 0, 0, 0);
        this.byName.set(nameId, id);
      }
      return id;
    }
    const key = `${nameId},${fileId},${line},${moduleId}`;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.push(nameId, fileId, line, moduleId);
      this.byKey.set(key, id);
    }
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
