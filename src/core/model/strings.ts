/**
 * Interns strings (frame names, file names, modules, label keys and values)
 * so that the rest of the model can work with small integer ids.
 * Id 0 is always the empty string.
 */
export class StringTable {
  private readonly ids = new Map<string, number>();
  readonly strings: string[] = [];

  constructor() {
    this.intern('');
  }

  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
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
