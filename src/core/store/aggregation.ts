import type { Aggregation } from './types.js';

/** Gauges (Go's in-use memory and goroutines): averaged over time unless told otherwise, as Pyroscope's defaults. */
export const AVERAGED_BY_DEFAULT: ReadonlySet<string> = new Set([
  'inuse_objects',
  'inuse_space',
  'goroutine',
  'goroutines',
]);

/** The value types (of `types`) whose series average: every one, none, or by default the gauges. */
export function averagedTypes(types: readonly string[], aggregation?: Aggregation): string[] {
  if (aggregation === 'average') return [...types];
  if (aggregation === 'sum') return [];
  return types.filter((t) => AVERAGED_BY_DEFAULT.has(t));
}
