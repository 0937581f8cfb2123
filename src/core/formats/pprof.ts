// pprof: the protocol buffer profile.proto of google/pprof, usually gzipped
// (the Source inflates it). https://github.com/google/pprof/blob/main/proto/profile.proto
// Reader: pprof/read.ts (a byte-level wire reader); writer: pprof/write.ts (pprof-format).
import { readPprof } from './pprof/read.js';
import { LEN, VARINT, WireError, WireReader } from './pprof/wire.js';
import { writePprof } from './pprof/write.js';
import type { Detection, ProfileFormat } from './types.js';

const V = 1 << VARINT;
const L = 1 << LEN;
/** Allowed wire types (bit masks) by field number, for each message the probe looks into. */
const PROFILE = [0, L, L, L, L, L, L, V, V, V, V, L, V, V | L, V, V];
const VALUE_TYPE = [0, V, V];
const SAMPLE = [0, V | L, V | L, L];
const MAPPING = [0, V, V, V, V, V, V, V, V, V, V];
const LOCATION = [0, V, V, V, L, V];
const FUNCTION = [0, V, V, V, V, V];
const INNER: (number[] | undefined)[] = [undefined, VALUE_TYPE, SAMPLE, MAPPING, LOCATION, FUNCTION];
INNER[11] = VALUE_TYPE;

/**
 * Binary probe: the start of the content must be a sequence of profile.proto
 * fields with the right wire types, and the messages among them must hold
 * valid fields too. Text never passes: printable bytes make field tags with
 * the wrong wire types at once.
 */
function detectPprof(head: Buffer, complete: boolean): Detection {
  const w = new WireReader(head);
  const end = head.length;
  let fields = 0;
  // A field cut short by the end of the head (or of a truncated file) after
  // valid ones: pprof, and the reader will say what is wrong.
  const cut = (): Detection => (fields > 0 ? 'yes' : complete ? 'no' : 'maybe');
  try {
    while (w.pos < end) {
      const tag = w.varint(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (!allowed(PROFILE, field, wt)) return 'no';
      if (wt === LEN) {
        const len = w.varint(end);
        const fieldEnd = w.pos + len;
        if (fieldEnd > end) return cut();
        const inner = INNER[field];
        if (inner && !fieldsValid(w, fieldEnd, inner)) return 'no';
        w.pos = fieldEnd;
      } else w.varint(end);
      fields++;
    }
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return cut();
  }
  return fields > 0 ? 'yes' : 'no';
}

function allowed(spec: number[], field: number, wt: number): boolean {
  return field > 0 && field < spec.length && ((spec[field] as number) & (1 << wt)) !== 0;
}

/** Whether [w.pos, end) is a sequence of fields of the message described by `spec`. */
function fieldsValid(w: WireReader, end: number, spec: number[]): boolean {
  try {
    while (w.pos < end) {
      const tag = w.varint(end);
      const wt = tag & 7;
      if (!allowed(spec, tag >>> 3, wt)) return false;
      w.skip(wt, end);
    }
  } catch (e) {
    if (e instanceof WireError) return false;
    throw e;
  }
  return true;
}

export const pprof: ProfileFormat = {
  id: 'pprof',
  name: 'pprof',
  extensions: ['.pb.gz', '.pprof', '.pb', '.prof'],
  detect: detectPprof,
  read: (source) => readPprof(source),
  write: (profile) => writePprof(profile),
};
