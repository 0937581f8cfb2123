// The metadata event of a JFR chunk: the classes (event types, constant-pool
// types, primitives) and their fields, which say how every other byte of the
// chunk is laid out. Nothing about an event's layout is hard-coded in pyro:
// JDK 11..25 and async-profiler each write their own metadata and are read
// through it.
//
// Layout (after the event's size and type id 0): start time, duration,
// metadata id, a string table (a count, then strings), then one element tree:
// an element is a string index for its name, a count of attributes (pairs of
// string indexes), a count of children, and the children. The root holds a
// "metadata" element whose "class" children carry id, name, superType and
// simpleType attributes and "field" children (name, class = the field's type
// id, constantPool = "true" when the value is a constant-pool key,
// dimension = "1" for arrays).
import type { JfrInput } from './input.js';

/** How a value of a class is encoded. */
export const KIND = {
  boolean: 1,
  byte: 2,
  char: 3,
  short: 4,
  int: 5,
  long: 6,
  float: 7,
  double: 8,
  string: 9,
  /** Any other class: its fields, one after another. */
  struct: 10,
} as const;

const PRIMITIVES = new Map<string, number>([
  ['boolean', KIND.boolean],
  ['byte', KIND.byte],
  ['char', KIND.char],
  ['short', KIND.short],
  ['int', KIND.int],
  ['long', KIND.long],
  ['float', KIND.float],
  ['double', KIND.double],
  ['java.lang.String', KIND.string],
]);

export interface JfrField {
  name: string;
  typeId: number;
  /** Set once every class is known. */
  type: JfrClass;
  /** The value is a long: the key of an entry of the type's constant pool. */
  constantPool: boolean;
  array: boolean;
}

export interface JfrClass {
  id: number;
  name: string;
  superType: string | null;
  kind: number;
  fields: JfrField[];
}

export interface Metadata {
  classes: Map<number, JfrClass>;
  byName: Map<string, JfrClass>;
}

/** Deeper element trees or nested values than this are corrupt (real ones are a few levels deep). */
const MAX_DEPTH = 32;

interface Element {
  name: string;
  attrs: Map<string, string>;
  children: Element[];
}

/**
 * Reads the metadata event's body: `inp` is positioned after its metadata
 * id (at the string table), with `inp.end` at the event's end.
 */
export function readMetadata(inp: JfrInput): Metadata {
  const n = inp.count('metadata string count', inp.end - inp.pos);
  const strings: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const at = inp.pos;
    const s = inp.string();
    if (s !== null && typeof s !== 'string') inp.fail('a metadata string refers to the constant pool', at);
    strings[i] = s ?? '';
  }
  const root = readElement(inp, strings, 0);
  const meta = root.children.find((e) => e.name === 'metadata');
  if (!meta) return inp.fail('the metadata has no "metadata" element');
  return defineClasses(inp, meta);
}

function readElement(inp: JfrInput, strings: string[], depth: number): Element {
  if (depth > MAX_DEPTH) inp.fail(`metadata elements nested more than ${MAX_DEPTH} deep`);
  const str = (): string => {
    const at = inp.pos;
    const i = inp.long();
    const s = strings[i];
    if (s === undefined || !Number.isInteger(i)) {
      return inp.fail(`metadata string ${i} does not exist (the table has ${strings.length})`, at);
    }
    return s;
  };
  const name = str();
  const attrs = new Map<string, string>();
  const nAttrs = inp.count('metadata attribute count', (inp.end - inp.pos) / 2);
  for (let i = 0; i < nAttrs; i++) {
    const k = str();
    attrs.set(k, str());
  }
  const nChildren = inp.count('metadata element count', inp.end - inp.pos);
  const children: Element[] = [];
  for (let i = 0; i < nChildren; i++) children.push(readElement(inp, strings, depth + 1));
  return { name, attrs, children };
}

function idOf(inp: JfrInput, e: Element, attr: string): number {
  const text = e.attrs.get(attr);
  const id = Number(text);
  if (text === undefined || text === '' || !Number.isSafeInteger(id)) {
    return inp.fail(`metadata ${e.name} "${e.attrs.get('name') ?? '?'}" has no valid ${attr} (${text})`);
  }
  return id;
}

function defineClasses(inp: JfrInput, meta: Element): Metadata {
  const classes = new Map<number, JfrClass>();
  const byName = new Map<string, JfrClass>();
  const pending: { field: JfrField; owner: string }[] = [];
  for (const e of meta.children) {
    if (e.name !== 'class') continue;
    const name = e.attrs.get('name') ?? '';
    const fields: JfrField[] = [];
    for (const f of e.children) {
      if (f.name !== 'field') continue;
      const dimension = Number(f.attrs.get('dimension') ?? 0);
      if (dimension > 1) inp.fail(`field ${f.attrs.get('name')} of ${name} has ${dimension} dimensions`);
      const field = {
        name: f.attrs.get('name') ?? '',
        typeId: idOf(inp, f, 'class'),
        constantPool: f.attrs.get('constantPool') === 'true',
        array: dimension === 1,
      } as JfrField;
      fields.push(field);
      pending.push({ field, owner: name });
    }
    const cls: JfrClass = {
      id: idOf(inp, e, 'id'),
      name,
      superType: e.attrs.get('superType') ?? null,
      kind: PRIMITIVES.get(name) ?? KIND.struct,
      fields,
    };
    classes.set(cls.id, cls);
    byName.set(name, cls);
  }
  for (const { field, owner } of pending) {
    const t = classes.get(field.typeId);
    if (!t) inp.fail(`field ${field.name} of ${owner} has type id ${field.typeId}, which the metadata does not define`);
    field.type = t;
  }
  return { classes, byName };
}

/** Skips one value of a field (an array, a constant-pool key or an inline value). */
export function skipField(inp: JfrInput, f: JfrField, depth: number): void {
  if (!f.array) {
    skipValue(inp, f.type, f.constantPool, depth);
    return;
  }
  const n = inp.count('array length', inp.end - inp.pos);
  for (let i = 0; i < n; i++) {
    const before = inp.pos;
    skipValue(inp, f.type, f.constantPool, depth);
    // A class that reads no bytes (only empty structs in it) reads none for the other elements either.
    if (inp.pos === before) break;
  }
}

export function skipValue(inp: JfrInput, cls: JfrClass, constantPool: boolean, depth: number): void {
  if (constantPool) {
    inp.long();
    return;
  }
  switch (cls.kind) {
    case KIND.boolean:
    case KIND.byte:
      inp.skip(1);
      return;
    case KIND.float:
      inp.skip(4);
      return;
    case KIND.double:
      inp.skip(8);
      return;
    case KIND.string:
      inp.skipString();
      return;
    case KIND.struct: {
      if (depth > MAX_DEPTH) inp.fail(`values of ${cls.name} nested more than ${MAX_DEPTH} deep`);
      const fields = cls.fields;
      for (let i = 0; i < fields.length; i++) skipField(inp, fields[i] as JfrField, depth + 1);
      return;
    }
    default:
      inp.long();
  }
}
