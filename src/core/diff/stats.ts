// Is a change real or noise? Welch's t-test on per-profile shares (the two
// sides may differ in size and in variance), with the interval of the change
// at a given confidence. The t distribution comes from the regularized
// incomplete beta function (continued fraction, as in the textbooks).

export interface Change {
  /** Mean of the new side minus mean of the base side. */
  delta: number;
  /** The two-sided interval of delta at the confidence asked for. */
  low: number;
  high: number;
  /** Whether the interval excludes 0. */
  significant: boolean;
}

/** Welch's interval for mean(next) - mean(base); each side needs two values or more. */
export function welch(base: readonly number[], next: readonly number[], confidence: number): Change {
  const m = base.length;
  const n = next.length;
  if (m < 2 || n < 2) throw new Error('Welch needs two values a side');
  const mb = mean(base);
  const mn = mean(next);
  const vb = variance(base, mb) / m;
  const vn = variance(next, mn) / n;
  const delta = mn - mb;
  const se = Math.sqrt(vb + vn);
  if (se === 0) return { delta, low: delta, high: delta, significant: delta !== 0 };
  // Welch–Satterthwaite degrees of freedom.
  const df = (vb + vn) ** 2 / ((vb * vb) / (m - 1) + (vn * vn) / (n - 1));
  const q = tQuantile(1 - (1 - confidence) / 2, df);
  const low = delta - q * se;
  const high = delta + q * se;
  return { delta, low, high, significant: low > 0 || high < 0 };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function variance(xs: readonly number[], m: number): number {
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / (xs.length - 1);
}

/** P(T <= t) for Student's t with df degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (0.5 < p < 1), by bisection on tCdf. */
export function tQuantile(p: number, df: number): number {
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The regularized incomplete beta function I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast on one side of the mean; use symmetry on the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** Lentz's evaluation of the incomplete beta's continued fraction. */
function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** ln Γ(z) (Lanczos approximation, g = 7). */
function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const w = z - 1;
  let s = c[0] as number;
  for (let i = 1; i < 9; i++) s += (c[i] as number) / (w + i);
  const t = w + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (w + 0.5) * Math.log(t) - t + Math.log(s);
}
