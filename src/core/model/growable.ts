/** Doubling helpers for the typed-array columns of the model. */
export function growInt32(a: Int32Array, min: number): Int32Array<ArrayBuffer> {
  let n = a.length || 16;
  while (n < min) n *= 2;
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

export function growFloat64(a: Float64Array, min: number): Float64Array<ArrayBuffer> {
  let n = a.length || 16;
  while (n < min) n *= 2;
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

/**
 * A list of numbers in a Float64Array, doubled as it grows: a reader's tables,
 * which it clears and fills again for its next input rather than growing a new
 * JavaScript array each time (a server reads many small inputs in turn).
 */
export class NumberList {
  values = new Float64Array(64);
  length = 0;

  push(v: number): void {
    if (this.length === this.values.length) this.values = growFloat64(this.values, this.length + 1);
    this.values[this.length++] = v;
  }

  get(i: number): number {
    return this.values[i] as number;
  }

  clear(): void {
    this.length = 0;
  }
}
