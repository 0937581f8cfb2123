import { PyroError } from '../errors.js';

/**
 * A series selector in Pyroscope's syntax: `app.cpu{env="prod",region=~"eu-.*"}`.
 * The app name and profile type are optional: `{env="ci"}` means every app,
 * and the type defaults to `cpu` (or the only type there is).
 */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  /** service_name; undefined = every app. */
  app?: string;
  /** Profile type (`cpu`, `alloc_space`, ...); undefined = default (see above). */
  type?: string;
  matchers: LabelMatcher[];
}

/** Label names as Pyroscope allows them (Prometheus names plus dots). */
export const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const NAME_CHAR = /[A-Za-z0-9_.]/;
/** Characters of `app.type` before the braces (no path separators, so a mistyped path is not a selector). */
const APP_CHAR = /[A-Za-z0-9_.:-]/;

/**
 * Parses `app.type{name op "value", ...}`. In `a.b.cpu` the last dot-separated
 * part is the type (as in Pyroscope), so an app name with dots needs its type:
 * `com.example.api.cpu{}`. Regular expressions must match the whole value, as
 * in Prometheus; they are checked here so that a bad one fails before any
 * store is opened.
 */
export function parseSelector(text: string): Selector {
  const p = new Parser(text);
  const sel: Selector = { matchers: [] };
  p.skipSpace();
  const headStart = p.pos;
  while (p.pos < text.length && APP_CHAR.test(text[p.pos] as string)) p.pos++;
  const head = text.slice(headStart, p.pos);
  if (head) {
    const dot = head.lastIndexOf('.');
    sel.app = dot < 0 ? head : head.slice(0, dot);
    if (dot >= 0) sel.type = head.slice(dot + 1);
    if (!sel.app) p.fail('expected an app name before "."', headStart);
    if (sel.type === '') p.fail('expected a profile type after "."', headStart + head.length);
  }
  p.skipSpace();
  if (p.pos < text.length) {
    if (text[p.pos] !== '{') p.fail(head ? 'expected "{" or the end' : 'expected an app name or "{"', p.pos);
    p.pos++;
    p.skipSpace();
    while (p.peek() !== '}') {
      sel.matchers.push(p.matcher());
      p.skipSpace();
      if (p.peek() === ',') {
        p.pos++;
        p.skipSpace();
      } else if (p.peek() !== '}') p.fail('expected "," or "}"', p.pos);
    }
    p.pos++;
    p.skipSpace();
    if (p.pos < text.length) p.fail('unexpected text after "}"', p.pos);
  } else if (!head) p.fail('empty selector (use {} for every series)', 0);
  return sel;
}

/**
 * The test of one matcher against a label value, with Prometheus's meaning:
 * a missing label is the empty string, regular expressions are anchored.
 */
export function matcherTest(m: LabelMatcher): (value: string | undefined) => boolean {
  switch (m.op) {
    case '=':
      return (v) => (v ?? '') === m.value;
    case '!=':
      return (v) => (v ?? '') !== m.value;
    default: {
      const re = new RegExp(`^(?:${m.value})$`);
      return m.op === '=~' ? (v) => re.test(v ?? '') : (v) => !re.test(v ?? '');
    }
  }
}

const compiled = new WeakMap<Selector, ((labels: Record<string, string>) => boolean)[]>();

/** Whether a series' labels satisfy every matcher of a selector (app and type are left to the caller). */
export function matchesLabels(sel: Selector, labels: Record<string, string>): boolean {
  // Compiled once per selector: a store tests it against every series.
  let tests = compiled.get(sel);
  if (!tests) {
    tests = sel.matchers.map((m) => {
      const test = matcherTest(m);
      return (l: Record<string, string>) => test(l[m.name]);
    });
    compiled.set(sel, tests);
  }
  return tests.every((t) => t(labels));
}

/** The selector written back in its canonical form (for messages and series names). */
export function formatSelector(sel: Selector): string {
  const head = sel.app === undefined ? '' : sel.type === undefined ? sel.app : `${sel.app}.${sel.type}`;
  if (sel.matchers.length === 0 && head) return head;
  return `${head}{${sel.matchers.map((m) => `${m.name}${m.op}${quote(m.value)}`).join(',')}}`;
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  peek(): string | undefined {
    return this.text[this.pos];
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }

  fail(what: string, at: number): never {
    const near = at < this.text.length ? ` near ${JSON.stringify(this.text.slice(at, at + 12))}` : ' at the end';
    throw new PyroError(`selector ${this.text}: column ${at + 1}${near}: ${what}`, 2);
  }

  matcher(): LabelMatcher {
    const start = this.pos;
    while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos] as string)) this.pos++;
    const name = this.text.slice(start, this.pos);
    if (!LABEL_NAME.test(name)) this.fail('expected a label name (letters, digits, _ and .)', start);
    this.skipSpace();
    const opAt = this.pos;
    const op = (['=~', '!~', '!=', '='] as const).find((o) => this.text.startsWith(o, this.pos));
    if (!op) this.fail('expected =, !=, =~ or !~', opAt);
    this.pos += op.length;
    this.skipSpace();
    const valueAt = this.pos;
    const value = this.quoted();
    if (op === '=~' || op === '!~') {
      try {
        new RegExp(value);
      } catch (e) {
        this.fail(`invalid regular expression (${(e as Error).message})`, valueAt);
      }
    }
    return { name, op, value };
  }

  /** A "double", 'single' or `backquoted` string; in the first two \n, \t, \\ and the quote are escapes. */
  quoted(): string {
    const start = this.pos;
    const q = this.peek();
    if (q !== '"' && q !== "'" && q !== '`') this.fail('expected a quoted value, e.g. "prod"', start);
    this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const c = this.text[this.pos++] as string;
      if (c === q) return out;
      if (c === '\\' && q !== '`') {
        const e = this.text[this.pos++];
        if (e === undefined) break;
        // Unknown escapes keep their backslash, so that "eu-\.west" reaches the regex as written.
        out += e === 'n' ? '\n' : e === 't' ? '\t' : e === q || e === '\\' ? e : `\\${e}`;
      } else out += c;
    }
    return this.fail('unterminated quoted value', start);
  }
}
