// What the JSON profile formats (cpuprofile, trace-event, speedscope) share:
// one JSON.parse of the whole input, one-line errors that name the line or the
// field, and the checks of field types.
import { InputError } from '../errors.js';
import type { Source } from '../io/source.js';

/** V8's limit on a string's length (about 512 MiB): JSON bigger than this cannot be parsed in one piece. */
const MAX_STRING = (1 << 29) - 24;

/**
 * Parses a whole source as JSON. With `repairArray`, a top-level array that
 * was cut off (no closing "]", maybe a trailing comma) is closed and parsed,
 * as the trace-event spec allows for traces written by a crashing process.
 */
export async function readJson(source: Source, repairArray = false): Promise<unknown> {
  const bytes = await source.bytes();
  if (bytes.length > MAX_STRING) {
    throw new InputError(
      source.name,
      `too large to parse as JSON (${Math.round(bytes.length / 2 ** 20)} MiB; the limit is 512 MiB)`,
    );
  }
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    if (repairArray) {
      const repaired = closeArray(text);
      if (repaired !== undefined) {
        try {
          return JSON.parse(repaired);
        } catch {
          // Not merely unterminated: report the error of the text as it is.
        }
      }
    }
    throw jsonError(source.name, text, (e as Error).message);
  }
}

/** "[{...}, {...}," (whitespace, a comma, no "]") closed as "[{...}, {...}]"; undefined if not an open array. */
function closeArray(text: string): string | undefined {
  let end = text.length;
  while (end > 0 && /\s/.test(text[end - 1] as string)) end--;
  if (text[end - 1] === ',') end--;
  if (!/^\s*\[/.test(text) || text[end - 1] === ']') return undefined;
  return `${text.slice(0, end)}]`;
}

function jsonError(name: string, text: string, message: string): InputError {
  // V8's messages may quote the text around the error, newlines and all: one line, without the quote.
  const detail = message
    .replace(/, ".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/\s*\(line \d+ column \d+\)$/, '')
    .replace(/ in JSON at position \d+$/, '')
    .replace(/\s*\n\s*/g, ' ');
  const pos = /at position (\d+)/.exec(message);
  if (!pos) return new InputError(name, `invalid JSON: ${detail}`);
  let line = 1;
  const at = Math.min(Number(pos[1]), text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) line++;
  return new InputError(name, `invalid JSON: ${detail}`, line);
}

/** Field checks that name the field's path in their error, e.g. "profiles[0].weights: expected an array". */
export class JsonFields {
  constructor(readonly source: string) {}

  fail(path: string, detail: string): never {
    throw new InputError(this.source, `${path}: ${detail}`);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `expected an object, found ${describe(value)}`);
    }
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, found ${describe(value)}`);
    return value;
  }

  /** A finite number; numeric strings are accepted (Hermes writes "ts": "11550183666"). */
  number(value: unknown, path: string): number {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) this.fail(path, `expected a number, found ${describe(value)}`);
    return n;
  }

  optionalNumber(value: unknown, path: string): number | undefined {
    return value === undefined || value === null ? undefined : this.number(value, path);
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, found ${describe(value)}`);
    return value;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a string' : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  if (value === undefined) return 'nothing';
  return String(value);
}

/** A head as text with leading whitespace dropped, for detection. */
export function jsonHead(head: Buffer): string {
  return head.toString('utf8').trimStart();
}
