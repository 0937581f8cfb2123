import { PyroError } from '../errors.js';
import type { TimeRange } from '../store/types.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const RELATIVE = /^now\s*(?:([+-])\s*(.+))?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*([Zz]|[+-]\d{2}:?\d{2})?)?$/;
/** Below this a unix time is in seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_LIMIT = 1e11;

const FORMS =
  'now, now-1h, a duration ago (2h, 1h30m, 7d), RFC 3339 (2024-05-01T12:00:00Z) or unix seconds/milliseconds';

/** A duration such as `30d` or `1h30m` in milliseconds (units ms, s, m, h, d, w); undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!DURATION.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(DURATION_PART)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return ms;
}

/**
 * A point in time as unix milliseconds: `now`, `now-1h` (or `now+15m`), a bare
 * duration meaning that long ago (`2h`), RFC 3339 (a date alone, or a time
 * without an offset, is local time), or unix seconds or milliseconds (told apart
 * by magnitude). `what` names the flag in messages.
 */
export function parseTime(text: string, now: number, what = 'time'): number {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (rel) {
    if (!rel[1]) return now;
    const d = parseDuration(rel[2] as string);
    if (d === undefined) throw bad(text, what, `"${rel[2]}" is not a duration (e.g. 90s, 15m, 1h30m, 7d, 2w)`);
    return rel[1] === '-' ? now - d : now + d;
  }
  const ago = parseDuration(t);
  if (ago !== undefined) return now - ago;
  if (/^\d+(?:\.\d+)?$/.test(t)) {
    const n = Number(t);
    return Math.round(n < SECONDS_LIMIT ? n * 1000 : n);
  }
  const m = RFC3339.exec(t);
  if (m) return rfc3339(text, what, m);
  throw bad(text, what, `expected ${FORMS}`);
}

/**
 * The range [from, until) of `--from`/`--until`. Without --from it starts at
 * the beginning of time; without --until it runs to the end of time (a profile
 * stamped in the future by a skewed clock is still found).
 */
export function parseRange(from: string | undefined, until: string | undefined, now: number): TimeRange {
  const range = {
    from: from === undefined ? 0 : parseTime(from, now, '--from'),
    until: until === undefined ? Number.MAX_SAFE_INTEGER : parseTime(until, now, '--until'),
  };
  if (range.from >= range.until)
    throw new PyroError(
      `--from ${from ?? '(start)'} (${iso(range.from)}) is not before --until ${until ?? '(end)'} (${iso(range.until)})`,
      2,
    );
  return range;
}

/** " from X until Y" for messages, with the flags as given (empty without either). */
export function span(flags: { from?: string; until?: string }): string {
  return `${flags.from ? ` from ${flags.from}` : ''}${flags.until ? ` until ${flags.until}` : ''}`;
}

/** A time for messages and tables: RFC 3339 in UTC, to the second. */
export function iso(ms: number): string {
  if (!Number.isFinite(ms) || ms >= Number.MAX_SAFE_INTEGER) return 'end';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function rfc3339(text: string, what: string, m: RegExpExecArray): number {
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Math.round(Number(`0${frac || '.0'}`) * 1000);
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms] as const;
  const day = new Date(Date.UTC(fields[0], fields[1], fields[2])).getUTCDate();
  if (fields[1] > 11 || day !== fields[2] || fields[3] > 23 || fields[4] > 59 || fields[5] > 60)
    throw bad(text, what, 'a date or time field is out of range');
  if (zone === undefined) return new Date(...fields).getTime();
  let t = Date.UTC(...fields);
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60e3;
  }
  return t;
}

function bad(text: string, what: string, detail: string): PyroError {
  return new PyroError(`${what} ${JSON.stringify(text)}: ${detail}`, 2);
}

/** Milliseconds from a duration flag ("30s", "5m", "1h30m", "500ms"; a bare number is seconds). */
export function durationFlag(text: string, flag: string): number {
  const ms = /^\s*\d+(?:\.\d+)?\s*$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  if (ms === undefined) throw new PyroError(`${flag} ${text}: expected a duration such as 30s, 5m, 1h30m or 500ms`, 2);
  if (!(ms > 0)) throw new PyroError(`${flag} ${text}: must be more than zero`, 2);
  return ms;
}
