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
