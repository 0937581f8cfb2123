// DTrace stack aggregations: the printa() output of `@[ustack()] = count()` or
// `@[stack()] = count()`, folded as FlameGraph's stackcollapse.pl and inferno's
// collapse-dtrace do. Header lines run up to the first blank line; then each
// stack is its frames (indented, leaf first, `module`function+0xoffset`) and
// an indented count line:
//
//   CPU     ID                    FUNCTION:NAME
//     0  64091                        :tick-60s
//
//                 genunix`kmem_free+0x4e
//                 unix`sys_syscall+0x17a
//                   12
//
// https://github.com/brendangregg/FlameGraph/blob/master/stackcollapse.pl
// https://github.com/jonhoo/inferno/blob/main/src/collapse/dtrace.rs
// https://illumos.org/books/dtrace/chp-aggs.html (printa and stack aggregations)
import { InputError } from '../errors.js';
import { forEachLine } from '../io/lines.js';
import { parseDecimal } from '../io/numbers.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { ByteFrameInterner } from '../model/byte-interner.js';
import { FrameTable } from '../model/frames.js';
import { type Profile, SAMPLES } from '../model/profile.js';
import { StringTable } from '../model/strings.js';
import type { Detection, DtraceOptions, ProfileFormat, ReadOptions } from './types.js';

export async function parseDtrace(source: Source, options: Partial<DtraceOptions> = {}): Promise<Profile> {
  const includeOffset = Boolean(options.includeOffset);
  const b = new ProfileBuilder([SAMPLES], 'dtrace');
  const frames = b.profile.frames;
  // Distinct frame lines are interned as raw bytes first; each one's frames
  // (one, or more for Java's inlined `a->b`) are worked out once.
  const rawTable = new FrameTable(new StringTable());
  const rawLines = new ByteFrameInterner(rawTable);
  const expansion: number[][] = [];
  const leafOf = new Map<number, number>();
  let inHeader = true;
  let stackStart = 0;
  let emptyStacks = 0;
  await forEachLine(source, (buf, start, end, lineNo) => {
    while (start < end && isSpace(buf[start] as number)) start++;
    while (end > start && isSpace(buf[end - 1] as number)) end--;
    if (start === end) {
      inHeader = false;
      return;
    }
    if (inHeader) return;
    if (isCount(buf, start, end)) {
      const count = parseDecimal(buf, start, end);
      if (b.pushed === 0) emptyStacks++;
      else b.commitLeafFirst(count);
      return;
    }
    if (b.pushed === 0) stackStart = lineNo;
    const raw = rawLines.intern(buf, start, end);
    let fs = expansion[raw];
    if (!fs) {
      fs = frameNames(rawTable.nameOf(raw), includeOffset).map((n) => frames.internName(n));
      expansion[raw] = fs;
    }
    // Leaf first: an inlined chain `a->b->c` is a, then b under it, then c.
    for (let i = fs.length - 1; i >= 0; i--) {
      let f = fs[i] as number;
      if (includeOffset && b.pushed === 0) f = leafFrame(f);
      b.push(f);
    }
  });
  if (b.pushed > 0) {
    throw new InputError(source.name, 'the input ends in the middle of a stack (no count line after it)', stackStart);
  }
  if (inHeader) b.warn(`${source.name}: no stacks: the input ends before the blank line that ends the header`);
  if (emptyStacks > 0) {
    b.warn(`${source.name}: skipped ${emptyStacks} count${emptyStacks === 1 ? '' : 's'} with an empty stack`);
  }
  return b.finish();

  /** With offsets kept, the leaf still loses its own (as in stackcollapse.pl). */
  function leafFrame(f: number): number {
    let leaf = leafOf.get(f);
    if (leaf === undefined) {
      const name = frames.nameOf(f);
      const plus = name.lastIndexOf('+');
      leaf = plus < 0 ? f : frames.internName(name.slice(0, plus));
      leafOf.set(f, leaf);
    }
    return leaf;
  }
}

/**
 * The frames of one stack line, root first: offset dropped (unless kept),
 * C++ argument lists and templates dropped, partially demangled Rust names
 * fixed, ';' made ':', and Java's inlined `a->b` split into a, b_[i].
 */
export function frameNames(line: string, includeOffset: boolean): string[] {
  let frame = line;
  if (!includeOffset) {
    const plus = frame.lastIndexOf('+');
    if (plus >= 0) frame = frame.slice(0, plus);
  }
  frame = uncpp(frame);
  frame = frame === '' ? '-' : fixRustFrame(frame, includeOffset);
  frame = frame.replaceAll(';', ':');
  if (!frame.includes('->')) return [frame];
  return frame.split('->').map((f, i) => {
    const name = f.startsWith('L') ? f.slice(1) : f;
    return i === 0 ? name : `${name}_[i]`;
  });
}

/** `ns::f(int)` → `ns::f`, `ns::g<T>(...)` → `ns::g<T>`: cut at the last '(' or '<' after the first '::'. */
function uncpp(frame: string): string {
  const scope = frame.indexOf('::');
  if (scope < 0) return frame;
  const open = Math.max(frame.lastIndexOf('('), frame.lastIndexOf('<'));
  return open >= scope + 2 ? frame.slice(0, open) : frame;
}

/** Fixes the function part of `module`function[+offset]` when it is a partially demangled Rust name. */
function fixRustFrame(frame: string, includeOffset: boolean): string {
  const tick = frame.indexOf('`');
  if (tick < 0) return frame;
  const module = frame.slice(0, tick);
  const func = frame.slice(tick + 1);
  const plus = includeOffset ? func.lastIndexOf('+') : -1;
  if (plus >= 0) {
    const fixed = fixRustSymbol(func.slice(0, plus).trimEnd());
    return fixed === undefined ? frame : `${module}\`${fixed}${func.slice(plus)}`;
  }
  const fixed = fixRustSymbol(func.trimEnd());
  return fixed === undefined ? frame : `${module}\`${fixed}`;
}

const RUST_ESCAPES: ReadonlyArray<readonly [string, string]> = [
  ['$SP$', '@'],
  ['$BP$', '*'],
  ['$RF$', '&'],
  ['$LT$', '<'],
  ['$GT$', '>'],
  ['$LP$', '('],
  ['$RP$', ')'],
  ['$C$', ','],
  ['$u7e$', '~'],
  ['$u20$', ' '],
  ['$u27$', "'"],
  ['$u3d$', '='],
  ['$u5b$', '['],
  ['$u5d$', ']'],
  ['$u7b$', '{'],
  ['$u7d$', '}'],
  ['$u3b$', ';'],
  ['$u2b$', '+'],
  ['$u21$', '!'],
  ['$u22$', '"'],
];

/**
 * A Rust legacy symbol that a profiler demangled only in part
 * (`_$LT$T$u20$as$u20$a..B$GT$::f::h0123456789abcdef`) made readable
 * (`<T as a::B>::f`), or undefined when it has no trailing `::h<16 hex>` hash.
 * The rules are rustc-demangle's legacy ones, as inferno applies them.
 */
export function fixRustSymbol(symbol: string): string | undefined {
  if (!/h[0-9a-fA-F]{16}$/.test(symbol)) return undefined;
  let rest = symbol.slice(0, symbol.length - 17);
  if (rest.endsWith('::')) rest = rest.slice(0, -2);
  if (rest.startsWith('_$')) rest = rest.slice(1);
  let out = '';
  let i = 0;
  while (i < rest.length) {
    const c = rest[i];
    if (c === '.') {
      if (rest[i + 1] === '.') {
        out += '::';
        i += 2;
      } else {
        out += '.';
        i++;
      }
    } else if (c === '$') {
      const esc = RUST_ESCAPES.find(([from]) => rest.startsWith(from, i));
      if (!esc) return out + rest.slice(i);
      out += esc[1];
      i += esc[0].length;
    } else {
      let j = i + 1;
      while (j < rest.length && rest[j] !== '$' && rest[j] !== '.') j++;
      out += rest.slice(i, j);
      i = j;
    }
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A count line: only digits (the trimmed line of an aggregation's value). */
function isCount(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isDigit(buf[i] as number)) return false;
  return true;
}

/**
 * DTrace's own header line, or, after the header (up to the first blank
 * line), indented frame lines with a module`function or a 0x address, then a
 * count line. Folded stacks are not indented, and perf script frames have no
 * backquote.
 */
function detectDtrace(head: Buffer, complete: boolean): Detection {
  const text = head.toString('utf8', 0, Math.min(head.length, 16384));
  if (/^\s*CPU\s+ID\s+FUNCTION:NAME\s*$/m.test(text.slice(0, 200))) return 'yes';
  const lines = text.split('\n');
  if (!complete && lines.length > 1) lines.pop();
  let inHeader = true;
  let frames = 0;
  for (const line of lines) {
    const t = line.trim();
    if (t === '') {
      inHeader = false;
      continue;
    }
    if (inHeader) continue;
    if (/^\d+$/.test(t)) return frames > 0 && line.length > t.length ? 'yes' : 'no';
    const indented = line.startsWith(' ') || line.startsWith('\t');
    if (!indented || !(t.includes('`') || /^0x[0-9a-fA-F]+$/.test(t))) return 'no';
    frames++;
  }
  return frames > 0 ? 'maybe' : 'no';
}

export const dtrace: ProfileFormat = {
  id: 'dtrace',
  name: 'DTrace stack aggregation',
  extensions: [],
  detect: detectDtrace,
  read: (source: Source, options: ReadOptions) => parseDtrace(source, options.dtrace),
};
