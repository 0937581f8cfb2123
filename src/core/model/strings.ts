/**
 * Interns strings (frame names, file names, modules, label keys and values)
 * so that the rest of the model can work with small integer ids.
 * Id 0 is always the empty string.
 */
export class StringTable {
  /** Built on first intern() when the table was made from() a list. */
  private ids: Map<string, number> | undefined = new Map();
  readonly strings: string[] = [];

  constructor() {
    this.intern('');
  }

  /** The table of a list of distinct strings, '' first (another table's `strings`). */
  static from(strings: readonly string[]): StringTable {
    const t = new StringTable();
    for (let i = 1; i < strings.length; i++) t.strings.push(strings[i] as string);
    t.ids = undefined;
    return t;
  }

  intern(s: string): number {
    const ids = (this.ids ??= new Map(this.strings.map((s, i) => [s, i])));
    let id = ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      ids.set(s, id);
    }
    return id;
  }

  get(id: number): string {
    return this.strings[id] as string;
  }

  get size(): number {
    return this.strings.length;
  }
}
