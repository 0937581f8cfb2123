import type Database from 'better-sqlite3';
import { FrameTable } from '../model/frames.js';
import { growInt32 } from '../model/growable.js';
import type { Profile } from '../model/profile.js';
import { StringTable } from '../model/strings.js';

/**
 * The store-wide symbol table: every string and frame (name, file, line,
 * module) is stored once, and tries refer to frames by id. Rows are never
 * changed or deleted, so what a process has read stays valid; `sync` reads
 * the rows other processes added since. Ids are given by this process inside
 * a write transaction (after a sync), so they cannot clash.
 */
export class Symbols {
  private readonly stringIds = new Map<string, number>();
  private strings: string[] = [];
  /** The frame rows by id: name, file, module as store string ids (its own string table is unused). */
  private frames = new FrameTable(new StringTable());
  private readonly selectStrings: Database.Statement<[number], { id: number; s: string }>;
  private readonly selectFrames: Database.Statement<
    [number],
    { id: number; name: number; file: number; line: number; module: number }
  >;
  /**
   * Of a shared frame table (many profiles, one table): the store ids of its
   * frames 0 .. known - 1, and of its strings (plus one; 0: not looked up yet).
   */
  private sharedIds = new WeakMap<FrameTable, { ids: Int32Array; known: number; strings: Int32Array }>();
  private readonly insertString: Database.Statement<[number, string]>;
  private readonly insertFrame: Database.Statement<[number, number, number, number, number]>;

  constructor(db: Database.Database) {
    this.selectStrings = db.prepare('SELECT id, s FROM strings WHERE id >= ? ORDER BY id');
    this.selectFrames = db.prepare('SELECT id, name, file, line, module FROM frames WHERE id >= ? ORDER BY id');
    this.insertString = db.prepare('INSERT INTO strings (id, s) VALUES (?, ?)');
    this.insertFrame = db.prepare('INSERT INTO frames (id, name, file, line, module) VALUES (?, ?, ?, ?, ?)');
  }

  /** Reads the rows added since the last sync. */
  sync(): void {
    for (const r of this.selectStrings.iterate(this.strings.length)) {
      this.strings[r.id] = r.s;
      this.stringIds.set(r.s, r.id);
    }
    for (const r of this.selectFrames.iterate(this.frames.size)) this.frames.intern(r.name, r.file, r.line, r.module);
  }

  /** Forgets everything (after a rolled-back transaction, whose ids are void). */
  reset(): void {
    this.sharedIds = new WeakMap();
    this.stringIds.clear();
    this.strings = [];
    this.frames = new FrameTable(new StringTable());
  }

  private string(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.insertString.run(id, s);
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  /**
   * Store frame ids for a profile's frames (inside a write transaction, after
   * sync). Those of a shared table are kept: the next profile that shares it
   * maps only the frames added since.
   */
  frameMap(profile: Profile): Int32Array {
    const { frames, strings } = profile;
    if (!frames.shared) {
      return this.mapFrames(profile, new Int32Array(frames.size), 0, new Int32Array(strings.size));
    }
    let cached = this.sharedIds.get(frames);
    if (!cached) {
      cached = { ids: new Int32Array(Math.max(1024, frames.size)), known: 0, strings: new Int32Array(1024) };
      this.sharedIds.set(frames, cached);
    }
    if (cached.known < frames.size) {
      if (cached.ids.length < frames.size) cached.ids = growInt32(cached.ids, frames.size);
      if (cached.strings.length < strings.size) cached.strings = growInt32(cached.strings, strings.size);
      this.mapFrames(profile, cached.ids, cached.known, cached.strings);
      cached.known = frames.size;
    }
    return cached.ids;
  }

  /**
   * Fills map[from .. frames.size) with the store ids of the profile's frames;
   * `sid`: store string id + 1 per profile string id, 0 until looked up.
   */
  private mapFrames(profile: Profile, map: Int32Array, from: number, sid: Int32Array): Int32Array {
    const { frames, strings } = profile;
    const str = (id: number) => {
      let s = (sid[id] as number) - 1;
      if (s < 0) {
        s = this.string(strings.get(id));
        sid[id] = s + 1;
      }
      return s;
    };
    for (let f = from; f < frames.size; f++) {
      const name = str(frames.name[f] as number);
      const file = str(frames.file[f] as number);
      const line = frames.line[f] as number;
      const module = str(frames.module[f] as number);
      const known = this.frames.size;
      const id = this.frames.intern(name, file, line, module);
      if (this.frames.size > known) this.insertFrame.run(id, name, file, line, module);
      map[f] = id;
    }
    return map;
  }

  /** Number of frames known (ids are 0 .. frameCount - 1). */
  get frameCount(): number {
    return this.frames.size;
  }

  /** Whether a frame id is known (after sync); an unknown one in a blob is damage. */
  has(frame: number): boolean {
    return frame >= 0 && frame < this.frames.size;
  }

  /** Interns store frame `id` into a profile's tables and returns the profile's frame id. */
  copyFrame(id: number, profile: Profile): number {
    const s = profile.strings;
    const f = this.frames;
    return profile.frames.intern(
      s.intern(this.strings[f.name[id] as number] as string),
      s.intern(this.strings[f.file[id] as number] as string),
      f.line[id] as number,
      s.intern(this.strings[f.module[id] as number] as string),
    );
  }
}
