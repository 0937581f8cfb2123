/**
 * Values in their units, as `go tool pprof` prints them: time in ns/us/ms/s,
 * memory in B/kB/MB/GB, counts as plain numbers.
 */
const TIME_NS: Record<string, number> = {
  nanoseconds: 1,
  nanosecond: 1,
  ns: 1,
  microseconds: 1e3,
  microsecond: 1e3,
  us: 1e3,
  milliseconds: 1e6,
  millisecond: 1e6,
  ms: 1e6,
  seconds: 1e9,
  second: 1e9,
  s: 1e9,
};

/** Nanoseconds in one of a time unit, or undefined when the unit is not time. */
export function nanosPer(unit: string): number | undefined {
  return TIME_NS[unit.toLowerCase()];
}

const BYTES: Record<string, number> = { bytes: 1, byte: 1, b: 1, kilobytes: 1024, megabytes: 1024 * 1024 };

export function formatValue(v: number, unit: string): string {
  const u = unit.toLowerCase();
  const ns = TIME_NS[u];
  if (ns !== undefined) return formatTime(v * ns);
  const b = BYTES[u];
  if (b !== undefined) return formatBytes(v * b);
  return formatNumber(v);
}

function formatTime(ns: number): string {
  const a = Math.abs(ns);
  if (a === 0) return '0';
  if (a < 1e3) return `${trim(ns)}ns`;
  if (a < 1e6) return `${trim(ns / 1e3)}us`;
  if (a < 1e9) return `${trim(ns / 1e6)}ms`;
  return `${trim(ns / 1e9)}s`;
}

function formatBytes(n: number): string {
  const a = Math.abs(n);
  if (a < 1024) return `${trim(n)}B`;
  if (a < 1024 ** 2) return `${trim(n / 1024)}kB`;
  if (a < 1024 ** 3) return `${trim(n / 1024 ** 2)}MB`;
  return `${trim(n / 1024 ** 3)}GB`;
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return trim(v);
}

/** At most two decimals, trailing zeros dropped. */
function trim(v: number): string {
  return String(Math.round(v * 100) / 100);
}

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i;

/** Bytes from a size such as 64MB, 512k or 1g (binary multiples); undefined when it is not one. */
export function parseSize(text: string): number | undefined {
  const m = SIZE.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase()[0] as string;
  return Math.round(Number(m[1]) * ({ b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit] as number));
}
