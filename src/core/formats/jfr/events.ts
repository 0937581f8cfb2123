// The events pyro reads and how each becomes values: which column counts it,
// which sums an amount, and the field that holds the amount. Only names are
// fixed here; where each field lies in an event comes from the chunk's
// metadata, compiled into a list of ops per event class.
import { type JfrClass, type JfrField, KIND } from './metadata.js';

/** The value columns pyro collects, before the absent ones are dropped (read.ts names them). */
export const COL = {
  cpu: 0,
  wall: 1,
  allocObjects: 2,
  /** From jdk.ObjectAllocationInNewTLAB/OutsideTLAB. */
  allocSpaceTlab: 3,
  /** From jdk.ObjectAllocationSample. */
  allocSpaceSample: 4,
  contentions: 5,
  delay: 6,
} as const;
export const N_COLS = 7;

export interface EventSpec {
  /** The column that counts events (-1: none). */
  count: number;
  /** The column that sums an amount (-1: none). */
  amount: number;
  /** The field holding the amount: the first of these that the event has. */
  weight: string[];
  /** The amount when the event has none of those fields. */
  missing: number;
  /** The amount is the event's duration, in ticks (converted to nanoseconds). */
  duration: boolean;
}

/** The events pyro reads, by name; their layouts come from the metadata. */
export const EVENTS: Record<string, EventSpec> = {
  'jdk.ExecutionSample': { count: COL.cpu, amount: -1, weight: [], missing: 0, duration: false },
  'jdk.NativeMethodSample': { count: COL.wall, amount: -1, weight: [], missing: 0, duration: false },
  // async-profiler 3's wall-clock mode: one event for `samples` samples.
  'profiler.WallClockSample': { count: -1, amount: COL.wall, weight: ['samples'], missing: 1, duration: false },
  'jdk.ObjectAllocationInNewTLAB': {
    count: COL.allocObjects,
    amount: COL.allocSpaceTlab,
    weight: ['tlabSize', 'allocationSize'],
    missing: 0,
    duration: false,
  },
  'jdk.ObjectAllocationOutsideTLAB': {
    count: COL.allocObjects,
    amount: COL.allocSpaceTlab,
    weight: ['allocationSize'],
    missing: 0,
    duration: false,
  },
  'jdk.ObjectAllocationSample': {
    count: -1,
    amount: COL.allocSpaceSample,
    weight: ['weight'],
    missing: 0,
    duration: false,
  },
  'jdk.JavaMonitorEnter': { count: COL.contentions, amount: COL.delay, weight: [], missing: 0, duration: true },
  'jdk.ThreadPark': { count: COL.contentions, amount: COL.delay, weight: [], missing: 0, duration: true },
};

// How the fields of an event are read, up to the last one pyro keeps.
export const OP_LONG = 0;
export const OP_BYTE = 1;
export const OP_SKIP4 = 2;
export const OP_SKIP8 = 3;
export const OP_STRING = 4;
export const OP_FIELD = 5;
export const OP_SKIPLONG = 6;
// Where kept values go.
export const S_STACK = 0;
export const S_THREAD = 1;
export const S_AMOUNT = 2;
export const S_TIME = 3;

export interface Handler {
  name: string;
  ops: Uint8Array;
  slots: Int8Array;
  fields: JfrField[];
  spec: EventSpec;
}

/** How to read an event class: its fields up to the last one kept. */
export function compileEvent(cls: JfrClass, spec: EventSpec, times: boolean): Handler {
  const fields = cls.fields;
  const slotOf = new Int8Array(fields.length).fill(-1);
  const isInteger = (f: JfrField) =>
    !f.array && (f.constantPool || (f.type.kind >= KIND.char && f.type.kind <= KIND.long));
  const keep = (name: string, slot: number) => {
    const i = fields.findIndex((f) => f.name === name);
    if (i >= 0 && isInteger(fields[i] as JfrField)) slotOf[i] = slot;
  };
  keep('stackTrace', S_STACK);
  if (fields.some((f) => f.name === 'sampledThread')) keep('sampledThread', S_THREAD);
  else keep('eventThread', S_THREAD);
  if (times) keep('startTime', S_TIME);
  if (spec.duration) keep('duration', S_AMOUNT);
  else {
    const w = spec.weight.find((name) => fields.some((f) => f.name === name && isInteger(f)));
    if (w) keep(w, S_AMOUNT);
  }
  let last = -1;
  slotOf.forEach((s, i) => {
    if (s >= 0) last = i;
  });
  const ops = new Uint8Array(last + 1);
  for (let i = 0; i <= last; i++) {
    const f = fields[i] as JfrField;
    if (f.array || (!f.constantPool && f.type.kind === KIND.struct)) ops[i] = OP_FIELD;
    else if ((slotOf[i] as number) < 0 && isInteger(f)) ops[i] = OP_SKIPLONG;
    else if (f.constantPool) ops[i] = OP_LONG;
    else if (f.type.kind === KIND.boolean || f.type.kind === KIND.byte) ops[i] = OP_BYTE;
    else if (f.type.kind === KIND.float) ops[i] = OP_SKIP4;
    else if (f.type.kind === KIND.double) ops[i] = OP_SKIP8;
    else if (f.type.kind === KIND.string) ops[i] = OP_STRING;
    else ops[i] = OP_LONG;
  }
  return { name: cls.name, ops, slots: slotOf.subarray(0, last + 1), fields, spec };
}
