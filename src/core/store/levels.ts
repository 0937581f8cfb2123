/**
 * Time levels of the store, after Pyroscope's segment tree: level 0 is the raw
 * profiles; level k (1..LEVELS) holds, per series, one pre-merged trie per
 * bucket of 10^k seconds. A profile belongs to the buckets (and to the query
 * ranges) that contain its START time: a range [from, until) holds exactly the
 * profiles with from <= start < until.
 */
export const LEVELS = 6;
/** Levels kept for data older than the cutoff of `gc --keep-levels` (1,000 s buckets and coarser). */
export const KEPT_LEVEL = 3;

/** Bucket length of a level, in milliseconds. */
export function bucketMs(level: number): number {
  return 10 ** (level + 3);
}

export function bucketOf(t: number, level: number): number {
  return Math.floor(t / bucketMs(level));
}

/** Level 0: a time range [lo, hi) of raw profiles; level k > 0: buckets [lo, hi) of that level. */
export interface Piece {
  level: number;
  lo: number;
  hi: number;
}

/** Times beyond this are clamped, so that bucket arithmetic stays exact. */
const LIMIT = 2 ** 52;

/**
 * The pieces whose union is exactly [from, until): whole buckets of the
 * coarsest level that fit, then finer levels for the edges, raw profiles last.
 * At most 2 x 9 buckets per level plus two raw edges under 10 s each.
 */
export function planRange(from: number, until: number, top = LEVELS): Piece[] {
  const out: Piece[] = [];
  const lo = Math.max(-LIMIT, Math.ceil(from));
  const hi = Math.min(LIMIT, Math.ceil(until));
  cover(lo, hi, top, out);
  return out;
}

function cover(from: number, until: number, level: number, out: Piece[]): void {
  if (from >= until) return;
  if (level === 0) {
    out.push({ level: 0, lo: from, hi: until });
    return;
  }
  const size = bucketMs(level);
  const lo = Math.ceil(from / size);
  const hi = Math.floor(until / size);
  if (lo >= hi) {
    cover(from, until, level - 1, out);
    return;
  }
  cover(from, lo * size, level - 1, out);
  out.push({ level, lo, hi });
  cover(hi * size, until, level - 1, out);
}
