// Trace-event JSON (Chrome's about:tracing / DevTools performance traces, Node's
// --trace-event-categories, Hermes, Perfetto's JSON export):
// https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
// The document is {"traceEvents": [...], ...} or a bare array of events; the
// array may be cut off (no closing "]", trailing comma), which the spec allows.
//
// Three ways a trace holds stacks; the first two are samples, and a trace
// with samples is read for them alone (its duration events are ignored, as
// speedscope does: DevTools traces hold thousands of X events beside them):
// - V8's CPU profile as events (DevTools, Node): a "Profile" event {id, pid, tid,
//   args.data.startTime} and "ProfileChunk" events with the same id carrying
//   args.data.cpuProfile.{nodes, samples} and args.data.timeDeltas (and endTime
//   in the last one). Chunks are concatenated in time order; older Chrome wrote
//   one "CpuProfile" event holding the whole profile. Read as a .cpuprofile is
//   (see cpuprofile.ts for the conventions).
// - Hermes: top-level "samples" [{sf, ts, pid, tid, weight}] and "stackFrames"
//   {id: {name, parent, category}}. A sample's cpu time is the time until the
//   thread's next sample (its last sample gets 0: no end time is recorded).
//   Hermes names frames "fn(url:line:col)": file and line are taken from that.
//   Hermes's root frames ("[root]", "[root thread 2]") are kept: samples of
//   an idle thread point at them.
// - Duration events: "B"/"E" pairs and "X" (complete) events, per thread. One
//   value type, wall/microseconds (ts's unit): each stack gets the time during
//   which it was the open stack (self time); time with nothing open counts
//   nowhere. Frames are the events' names ("(unnamed)" without one), without
//   their args (speedscope appends the args to the name); where args.url is
//   given (Hermes), it is the frame's file, args.line its line. Each interval
//   between two events with a frame open counts as one sample; with
//   ReadOptions.keepTimes the intervals are kept in time order (flame charts).
//   Per thread, begins (B; X at ts) and ends (E; X at ts + dur, else + tdur,
//   else + 0) are taken in time order, ties as speedscope's importer breaks
//   them: begins in file order, B before X, the longer X first; ends in file
//   order, E before X, X ends in the order of their begins; between a begin
//   and an end of the same time the end first, unless both are the same event
//   (same name and args: a zero-length one); among ends of the same time, the
//   one that closes the innermost open frame first (the X's own end, an E of
//   the same name and args, then of the same name).
//   Repairs (each counted in one warning): an E without a name closes the
//   innermost frame (the spec's rule); an E whose name is not the innermost
//   frame's closes the innermost open frame of that name and the frames inside
//   it, and an X's end its own frame likewise (speedscope instead ignores the
//   E and keeps both open to the end: here no frame stays open past its own
//   end); an end with no open frame of its name is ignored; frames still open
//   at the end are closed at their thread's last event.
// Each sample gets the labels pid and tid, thread and process where
// thread_name and process_name metadata events name them; "profile" (the id)
// too where two V8 profiles share a thread, so that their samples are not mixed.
import { InputError } from '../errors.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { growInt32 } from '../model/growable.js';
import type { Profile, ValueType } from '../model/profile.js';
import { SampleTimes } from '../model/times.js';
import type { StackTrie } from '../model/trie.js';
import { addV8Profile, type Span, V8_VALUE_TYPES } from './cpuprofile.js';
import { JsonFields, jsonHead, readJson } from './json.js';
import type { Detection, ProfileFormat, ReadOptions } from './types.js';

type Json = Record<string, unknown>;

/** The value type of duration events: how long each stack was the open one, in ts's unit. */
export const DURATION_VALUE_TYPES: ValueType[] = [{ type: 'wall', unit: 'microseconds' }];

/** How many ends of the same time are searched for the one that closes the innermost frame. */
const MAX_REORDER = 1024;

export async function parseTraceEvent(source: Source, options: ReadOptions = {}): Promise<Profile> {
  const f: JsonFields = new JsonFields(source.name);
  const doc = await readJson(source, true);
  let events: unknown[];
  let root: Json | undefined;
  let at = '';
  if (Array.isArray(doc)) {
    events = doc;
  } else {
    root = f.object(doc, 'the document');
    events = root.traceEvents === undefined ? [] : f.array(root.traceEvents, 'traceEvents');
    at = 'traceEvents';
  }
  const names = new Names(events);
  const b = new ProfileBuilder(V8_VALUE_TYPES, 'trace-event');
  const span =
    root?.samples !== undefined && root.stackFrames !== undefined
      ? addHermesSamples(b, root, names, f)
      : addProfileEvents(b, events, at, names, f);
  if (span !== undefined) {
    b.profile.duration = (span.end - span.start) / 1000;
    return b.finish();
  }
  const d = new ProfileBuilder(DURATION_VALUE_TYPES, 'trace-event');
  const times = options.keepTimes ? new SampleTimes(DURATION_VALUE_TYPES.length) : undefined;
  const durations = addDurationEvents(d, events, at, names, f, times);
  if (durations === undefined) {
    throw new InputError(
      source.name,
      'nothing to read in this trace: no CPU samples (Profile/ProfileChunk events, samples with stackFrames) and no duration events (B/E/X)',
    );
  }
  d.profile.duration = (durations.end - durations.start) / 1000;
  d.profile.times = times;
  return d.finish();
}

/** Thread and process names from the metadata events, and the label sets of threads. */
class Names {
  private readonly threads = new Map<string, string>();
  private readonly processes = new Map<string, string>();

  constructor(events: unknown[]) {
    for (const e of events) {
      const ev = e as Json | null;
      if (ev?.ph !== 'M') continue;
      const name = (ev.args as Json | null | undefined)?.name;
      if (typeof name !== 'string') continue;
      if (ev.name === 'thread_name') this.threads.set(`${ev.pid}:${ev.tid}`, name);
      else if (ev.name === 'process_name') this.processes.set(String(ev.pid), name);
    }
  }

  /** The label set of a thread: pid, tid, thread and process (names where known), and `profile` if given. */
  labelSet(profile: Profile, pid: unknown, tid: unknown, id?: string): number {
    const pairs: [string, string][] = [
      ['pid', String(pid ?? '')],
      ['tid', String(tid ?? '')],
      ['thread', this.threads.get(`${pid}:${tid}`) ?? ''],
      ['process', this.processes.get(String(pid)) ?? ''],
    ];
    if (id !== undefined) pairs.push(['profile', id]);
    return profile.labelSetId(pairs);
  }
}

function widen(span: Span | undefined, s: Span): Span {
  return span ? { start: Math.min(span.start, s.start), end: Math.max(span.end, s.end) } : s;
}

interface ProfileEvents {
  id: string;
  pid: unknown;
  tid: unknown;
  /** The Profile (or CpuProfile) event's args.data, then the chunks in time order. */
  data: Json;
  chunks: Json[];
}

/** The V8 profiles held in Profile/ProfileChunk (or CpuProfile) events. */
function addProfileEvents(
  b: ProfileBuilder,
  events: unknown[],
  at: string,
  names: Names,
  f: JsonFields,
): Span | undefined {
  const profiles = new Map<string, ProfileEvents>();
  // Ids are scoped by process; events without one belong to their thread.
  const keyOf = (ev: Json) => `${ev.pid}:${ev.id ?? `tid ${ev.tid}`}`;
  const dataOf = (ev: Json, i: number) =>
    f.object(f.object(ev.args, `${at}[${i}].args`).data ?? {}, `${at}[${i}].args.data`);
  // Two passes: a chunk may come before its Profile event in the file.
  events.forEach((e, i) => {
    const ev = e as Json | null;
    if (ev?.name !== 'Profile' && ev?.name !== 'CpuProfile') return;
    const id = String(ev.id ?? `${ev.pid}:${ev.tid}`);
    profiles.set(keyOf(ev), { id, pid: ev.pid, tid: ev.tid, data: dataOf(ev, i), chunks: [] });
  });
  let orphans = 0;
  events.forEach((e, i) => {
    const ev = e as Json | null;
    if (ev?.name !== 'ProfileChunk') return;
    dataOf(ev, i);
    const p = profiles.get(keyOf(ev));
    if (p) p.chunks.push(ev);
    else orphans++;
  });
  if (orphans > 0) b.warn(`ignored ${orphans} ProfileChunk event(s) with no Profile event of their id`);

  const perThread = new Map<string, number>();
  for (const p of profiles.values()) perThread.set(`${p.pid}:${p.tid}`, (perThread.get(`${p.pid}:${p.tid}`) ?? 0) + 1);
  let span: Span | undefined;
  for (const p of profiles.values()) {
    const where = `profile ${p.id} (pid ${p.pid}, tid ${p.tid}): `;
    const whole = p.data.cpuProfile as Json | undefined;
    const nodes: unknown[] = whole?.nodes ? [...f.array(whole.nodes, `${where}cpuProfile.nodes`)] : [];
    const samples: unknown[][] = whole?.samples ? [f.array(whole.samples, `${where}cpuProfile.samples`)] : [];
    const timeDeltas: unknown[][] = [];
    const deltas = whole?.timeDeltas ?? p.data.timeDeltas;
    if (deltas !== undefined) timeDeltas.push(f.array(deltas, `${where}timeDeltas`));
    let startTime = f.optionalNumber(whole?.startTime ?? p.data.startTime, `${where}startTime`);
    let endTime = f.optionalNumber(whole?.endTime ?? p.data.endTime, `${where}endTime`);
    // The trace's order of events is not always their time order (one buffer per thread).
    const chunks = p.chunks.sort((x, y) => Number(x.ts) - Number(y.ts));
    for (const chunk of chunks) {
      const data = ((chunk.args as Json).data ?? {}) as Json;
      const cp = data.cpuProfile as Json | undefined;
      if (cp?.nodes !== undefined) for (const node of f.array(cp.nodes, `${where}cpuProfile.nodes`)) nodes.push(node);
      if (cp?.samples !== undefined) samples.push(f.array(cp.samples, `${where}cpuProfile.samples`));
      if (data.timeDeltas !== undefined) timeDeltas.push(f.array(data.timeDeltas, `${where}timeDeltas`));
      startTime = f.optionalNumber(data.startTime, `${where}startTime`) ?? startTime;
      endTime = f.optionalNumber(data.endTime, `${where}endTime`) ?? endTime;
    }
    if (startTime === undefined) f.fail(where.slice(0, -2), 'no startTime in the Profile event');
    const shared = (perThread.get(`${p.pid}:${p.tid}`) as number) > 1;
    const labelSet = names.labelSet(b.profile, p.pid, p.tid, shared ? p.id : undefined);
    span = widen(span, addV8Profile(b, { nodes, samples, timeDeltas, startTime, endTime, where }, labelSet, f));
  }
  return span;
}

interface ThreadState {
  trie: StackTrie;
  /** Trie node of each stack frame id already seen on this thread. */
  nodes: Map<unknown, number>;
  lastNode: number;
  lastTs: number;
}

/** Hermes's form: samples pointing into a tree of stackFrames. */
function addHermesSamples(b: ProfileBuilder, root: Json, names: Names, f: JsonFields): Span | undefined {
  const frames = f.object(root.stackFrames, 'stackFrames');
  const samples = f.array(root.samples, 'samples');
  const n = samples.length;
  if (n === 0) return undefined;
  const ts = new Float64Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    ts[i] = f.number(f.object(samples[i], `samples[${i}]`).ts, `samples[${i}].ts`);
    if (i > 0 && (ts[i] as number) < (ts[i - 1] as number)) sorted = false;
  }
  let order: Uint32Array | undefined;
  if (!sorted) {
    order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((x, y) => (ts[x] as number) - (ts[y] as number) || x - y);
  }

  const states = new Map<string, ThreadState>();
  const pending: unknown[] = [];
  const resolve = (st: ThreadState, sf: unknown, path: string): number => {
    let id = sf;
    let node: number | undefined;
    while (id !== undefined && id !== null && (node = st.nodes.get(id)) === undefined) {
      pending.push(id);
      if (pending.length > 100_000) f.fail(path, 'the parent links of stackFrames form a cycle');
      id = f.object(frames[String(id)], `stackFrames[${JSON.stringify(id)}]`).parent;
    }
    let t = node ?? 0;
    for (let k = pending.length - 1; k >= 0; k--) {
      const key = pending[k];
      const frame = frames[String(key)] as Json;
      t = st.trie.child(t, hermesFrame(b, frame, f, key));
      st.nodes.set(key, t);
    }
    pending.length = 0;
    return t;
  };

  let lastKey = '';
  let lastPid: unknown;
  let lastTid: unknown;
  let st: ThreadState | undefined;
  for (let k = 0; k < n; k++) {
    const i = order ? (order[k] as number) : k;
    const s = samples[i] as Json;
    if (st === undefined || s.pid !== lastPid || s.tid !== lastTid) {
      lastPid = s.pid;
      lastTid = s.tid;
      lastKey = `${s.pid}:${s.tid}`;
      st = states.get(lastKey);
      if (!st) {
        const trie = b.profile.trieFor(names.labelSet(b.profile, s.pid, s.tid));
        st = { trie, nodes: new Map(), lastNode: -1, lastTs: 0 };
        states.set(lastKey, st);
      }
    }
    const path = `samples[${i}]`;
    if (s.sf === undefined) f.fail(path, 'no "sf" (stack frame id): only samples with stackFrames are supported');
    const node = st.nodes.get(s.sf) ?? resolve(st, s.sf, `${path}.sf`);
    const t = ts[i] as number;
    if (st.lastNode >= 0) st.trie.addSelf(st.lastNode, 1, t - st.lastTs);
    st.trie.addSelf(node, 0, s.weight === undefined ? 1 : f.number(s.weight, `${path}.weight`));
    st.lastNode = node;
    st.lastTs = t;
  }
  b.profile.sampleCount += n;
  return {
    start: ts[order ? (order[0] as number) : 0] as number,
    end: ts[order ? (order[n - 1] as number) : n - 1] as number,
  };
}

/** "fn(url:line:col)" as Hermes names frames: name fn, file url, line; other names as they are. */
function hermesFrame(b: ProfileBuilder, frame: Json, f: JsonFields, id: unknown): number {
  const name = f.string(frame.name, `stackFrames[${JSON.stringify(id)}].name`);
  const m = /^(.*)\((.+):(\d+):\d+\)$/.exec(name);
  if (!m) return b.frame(name);
  return b.frameAt(m[1] || '(anonymous)', m[2] as string, Number(m[3]));
}

/** The threads of duration events by their raw pid and tid (consecutive events mostly share one). */
class ThreadIndex {
  readonly pids: unknown[] = [];
  readonly tids: unknown[] = [];
  private readonly byPid = new Map<unknown, Map<unknown, number>>();
  private lastPid: unknown;
  private lastTid: unknown;
  private last = -1;

  of(pid: unknown, tid: unknown): number {
    if (this.last >= 0 && pid === this.lastPid && tid === this.lastTid) return this.last;
    let tids = this.byPid.get(pid);
    if (!tids) {
      tids = new Map();
      this.byPid.set(pid, tids);
    }
    let k = tids.get(tid);
    if (k === undefined) {
      k = this.pids.length;
      this.pids.push(pid);
      this.tids.push(tid);
      tids.set(tid, k);
    }
    this.lastPid = pid;
    this.lastTid = tid;
    this.last = k;
    return k;
  }

  get size(): number {
    return this.pids.length;
  }

  /** Thread indices by pid, then tid (numerically where both are numbers). */
  sorted(): number[] {
    const cmp = (a: unknown, b: unknown) => {
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      const x = String(a ?? '');
      const y = String(b ?? '');
      return x < y ? -1 : x > y ? 1 : 0;
    };
    return [...this.pids.keys()].sort((x, y) => cmp(this.pids[x], this.pids[y]) || cmp(this.tids[x], this.tids[y]));
  }
}

/** Records grouped by thread (a stable counting sort): order[start[t] .. start[t + 1]) are thread t's. */
function groupByThread(thread: Int32Array, nThreads: number): { order: Int32Array; start: Int32Array } {
  const start = new Int32Array(nThreads + 1);
  for (let r = 0; r < thread.length; r++) start[(thread[r] as number) + 1]++;
  for (let t = 0; t < nThreads; t++) start[t + 1] += start[t] as number;
  const next = start.slice(0, nThreads);
  const order = new Int32Array(thread.length);
  for (let r = 0; r < thread.length; r++) order[next[thread[r] as number]++] = r;
  return { order, start };
}

/** Sorts order[from, to) by `cmp`, unless it is in order already (the usual case). */
function sortPart(order: Int32Array, from: number, to: number, cmp: (x: number, y: number) => number): void {
  for (let k = from + 1; k < to; k++) {
    if (cmp(order[k - 1] as number, order[k] as number) > 0) {
      order.subarray(from, to).sort(cmp);
      return;
    }
  }
}

/** Two args values equal as JSON (key order aside); very deep values count as different. */
function sameJson(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth > 32) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i], depth + 1)) return false;
    return true;
  }
  const x = a as Json;
  const y = b as Json;
  let n = 0;
  for (const k in x) {
    if (!Object.hasOwn(y, k) || !sameJson(x[k], y[k], depth + 1)) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
}

/**
 * Adds the B/E/X events of a trace (see the comment at the top for the
 * rules), one trie per thread; undefined if there are none. Per event it
 * reads fields and fills typed arrays: no object is made per event.
 */
function addDurationEvents(
  b: ProfileBuilder,
  events: unknown[],
  at: string,
  names: Names,
  f: JsonFields,
  times: SampleTimes | undefined,
): Span | undefined {
  const n = events.length;
  let nBegins = 0;
  let nEnds = 0;
  for (let i = 0; i < n; i++) {
    const ev = events[i];
    if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) f.object(ev, `${at}[${i}]`);
    const ph = (ev as Json).ph;
    if (ph === 'B') nBegins++;
    else if (ph === 'E') nEnds++;
    else if (ph === 'X') {
      nBegins++;
      nEnds++;
    }
  }
  if (nBegins + nEnds === 0) return undefined;

  // Begins: B events, and X events at ts. bDur: the X's duration, Infinity for a B (B first, then the longer X).
  const bEvent = new Int32Array(nBegins);
  const bThread = new Int32Array(nBegins);
  const bTs = new Float64Array(nBegins);
  const bDur = new Float64Array(nBegins);
  // Ends: E events, and X events at ts + dur. eDur: the X's, Infinity for an E (E first; of X events
  // ending together, the longer began first).
  const eEvent = new Int32Array(nEnds);
  const eThread = new Int32Array(nEnds);
  const eTs = new Float64Array(nEnds);
  const eDur = new Float64Array(nEnds);
  const threads = new ThreadIndex();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let kb = 0;
  let ke = 0;
  for (let i = 0; i < n; i++) {
    const ev = events[i] as Json;
    const ph = ev.ph;
    if (ph !== 'B' && ph !== 'E' && ph !== 'X') continue;
    let ts = ev.ts;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) ts = f.number(ts, `${at}[${i}].ts`);
    const t = ts as number;
    const name = ev.name;
    if (typeof name !== 'string' && name !== undefined && name !== null) f.string(name, `${at}[${i}].name`);
    const pid = ev.pid;
    const tid = ev.tid;
    if (typeof pid === 'object' && pid !== null) f.fail(`${at}[${i}].pid`, 'expected a number or a string');
    if (typeof tid === 'object' && tid !== null) f.fail(`${at}[${i}].tid`, 'expected a number or a string');
    const thread = threads.of(pid, tid);
    if (t < first) first = t;
    let end = t;
    if (ph === 'E') {
      eEvent[ke] = i;
      eThread[ke] = thread;
      eTs[ke] = t;
      eDur[ke++] = Number.POSITIVE_INFINITY;
    } else {
      bEvent[kb] = i;
      bThread[kb] = thread;
      bTs[kb] = t;
      if (ph === 'B') {
        bDur[kb++] = Number.POSITIVE_INFINITY;
      } else {
        // Paths for messages are made only on failure.
        let field = 'dur';
        let value = ev.dur;
        if (value === undefined || value === null) {
          field = 'tdur';
          value = ev.tdur;
        }
        let dur = 0;
        if (typeof value === 'number') dur = value;
        else if (value !== undefined && value !== null) dur = f.number(value, `${at}[${i}].${field}`);
        end = t + dur;
        if (!(dur >= 0) || !Number.isFinite(end)) f.fail(`${at}[${i}].${field}`, `not a duration: ${dur}`);
        bDur[kb++] = dur;
        eEvent[ke] = i;
        eThread[ke] = thread;
        eTs[ke] = end;
        eDur[ke++] = dur;
      }
    }
    if (end > last) last = end;
  }

  const begins = groupByThread(bThread, threads.size);
  const ends = groupByThread(eThread, threads.size);
  const beginOrder = (x: number, y: number) =>
    (bTs[x] as number) - (bTs[y] as number) || (bDur[y] as number) - (bDur[x] as number) || x - y;
  const endOrder = (x: number, y: number) =>
    (eTs[x] as number) - (eTs[y] as number) || (eDur[y] as number) - (eDur[x] as number) || x - y;

  const nameOf = (e: number): string => {
    const name = (events[e] as Json).name;
    return typeof name === 'string' ? name : '';
  };
  const argsOf = (e: number): unknown => (events[e] as Json).args;
  /** Whether an end closes exactly the frame opened by event `top` (2), closes it by name only (1), or not (0). */
  const closes = (r: number, top: number): number => {
    const e = eEvent[r] as number;
    if (eDur[r] !== Number.POSITIVE_INFINITY) return e === top ? 2 : 0;
    const name = nameOf(e);
    if (name !== nameOf(top)) return name === '' ? 1 : 0;
    return sameJson(argsOf(e), argsOf(top)) ? 2 : 1;
  };

  // Frames by event name (and by url and line where args has them).
  const byName = new Map<string, number>();
  const byLocation = new Map<string, { url: string; line: number; frame: number }>();
  const frameOf = (e: number): number => {
    const ev = events[e] as Json;
    const name = typeof ev.name === 'string' && ev.name !== '' ? ev.name : '(unnamed)';
    const args = ev.args;
    const url = typeof args === 'object' && args !== null ? (args as Json).url : undefined;
    if (typeof url !== 'string' || url === '') {
      let frame = byName.get(name);
      if (frame === undefined) {
        frame = b.frame(name);
        byName.set(name, frame);
      }
      return frame;
    }
    const l = (args as Json).line;
    const line = typeof l === 'number' && l > 0 && l < 2 ** 31 ? Math.trunc(l) : 0;
    let loc = byLocation.get(name);
    if (loc === undefined) {
      loc = { url, line, frame: b.frameAt(name, url, line) };
      byLocation.set(name, loc);
    } else if (loc.url !== url || loc.line !== line) {
      loc.url = url;
      loc.line = line;
      loc.frame = b.frameAt(name, url, line);
    }
    return loc.frame;
  };

  let stackNode = new Int32Array(256);
  let stackEvent = new Int32Array(256);
  const open = new Uint8Array(n);
  const value = [0];
  let ignored = 0;
  let unwound = 0;
  let leftOpen = 0;
  let intervals = 0;

  for (const th of threads.sorted()) {
    const labelSet = names.labelSet(b.profile, threads.pids[th], threads.tids[th]);
    const trie = b.profile.trieFor(labelSet);
    const bOrder = begins.order;
    const eOrder = ends.order;
    let bi = begins.start[th] as number;
    const bEnd = begins.start[th + 1] as number;
    let ei = ends.start[th] as number;
    const eEnd = ends.start[th + 1] as number;
    sortPart(bOrder, bi, bEnd, beginOrder);
    sortPart(eOrder, ei, eEnd, endOrder);

    let depth = 0;
    // Names of the open frames, counted once an end has not closed the innermost one (broken traces only).
    let openNames: Map<string, number> | undefined;
    let now = Number.NaN;
    // The innermost frame and time for which no end of that time closes it (not searched again).
    let searchedTop = -1;
    let searchedAt = Number.NaN;
    while (bi < bEnd || ei < eEnd) {
      const rb = bi < bEnd ? (bOrder[bi] as number) : -1;
      let re = ei < eEnd ? (eOrder[ei] as number) : -1;
      let begin: boolean;
      if (re < 0) begin = true;
      else if (rb < 0) begin = false;
      else {
        const tb = bTs[rb] as number;
        const te = eTs[re] as number;
        begin =
          tb < te ||
          (tb === te &&
            (bEvent[rb] === eEvent[re] ||
              (nameOf(bEvent[rb] as number) === nameOf(eEvent[re] as number) &&
                sameJson(argsOf(bEvent[rb] as number), argsOf(eEvent[re] as number)))));
      }
      const t = begin ? (bTs[rb] as number) : (eTs[re] as number);
      if (depth > 0 && t > now) {
        const node = stackNode[depth - 1] as number;
        trie.addSelf(node, 0, t - now);
        intervals++;
        if (times) {
          value[0] = t - now;
          times.push(labelSet, node, (now - first) / 1000, value);
        }
      }
      now = t;

      if (begin) {
        bi++;
        const e = bEvent[rb] as number;
        if (depth === stackNode.length) {
          stackNode = growInt32(stackNode, depth + 1);
          stackEvent = growInt32(stackEvent, depth + 1);
        }
        stackNode[depth] = trie.child(depth > 0 ? (stackNode[depth - 1] as number) : 0, frameOf(e));
        stackEvent[depth++] = e;
        open[e] = 1;
        if (openNames) openNames.set(nameOf(e), (openNames.get(nameOf(e)) ?? 0) + 1);
        continue;
      }

      if (depth > 0) {
        // Of the ends at this time, the one that closes the innermost frame goes first.
        const top = stackEvent[depth - 1] as number;
        const level = closes(re, top);
        if (level < 2 && !(top === searchedTop && t === searchedAt)) {
          let exact = -1;
          let byName = -1;
          for (let k = ei + 1; k < eEnd && k <= ei + MAX_REORDER; k++) {
            const rk = eOrder[k] as number;
            if (eTs[rk] !== t) break;
            const l = closes(rk, top);
            if (l === 2) {
              exact = k;
              break;
            }
            if (l === 1 && byName < 0) byName = k;
          }
          const k = exact >= 0 ? exact : level === 0 ? byName : -1;
          if (k >= 0) {
            const swapped = eOrder[k] as number;
            eOrder[k] = eOrder[ei] as number;
            eOrder[ei] = swapped;
            re = swapped;
          } else {
            searchedTop = top;
            searchedAt = t;
          }
        }
      }
      ei++;

      // The depth the end closes the stack down to.
      const e = eEvent[re] as number;
      let to: number;
      if (eDur[re] !== Number.POSITIVE_INFINITY) {
        // An X's end: its own frame, unless a repair has closed it already.
        if (open[e] === 0) continue;
        to = depth - 1;
        while (stackEvent[to] !== e) to--;
      } else if (depth === 0) {
        ignored++;
        continue;
      } else {
        const name = nameOf(e);
        if (name === '' || name === nameOf(stackEvent[depth - 1] as number)) {
          to = depth - 1;
        } else {
          if (!openNames) {
            openNames = new Map();
            for (let k = 0; k < depth; k++) {
              const nk = nameOf(stackEvent[k] as number);
              openNames.set(nk, (openNames.get(nk) ?? 0) + 1);
            }
          }
          if ((openNames.get(name) ?? 0) === 0) {
            ignored++;
            continue;
          }
          to = depth - 1;
          while (nameOf(stackEvent[to] as number) !== name) to--;
        }
      }
      unwound += depth - 1 - to;
      while (depth > to) {
        const x = stackEvent[--depth] as number;
        open[x] = 0;
        if (openNames) openNames.set(nameOf(x), (openNames.get(nameOf(x)) as number) - 1);
      }
    }
    // Still open: closed at the thread's last event, which adds no time.
    leftOpen += depth;
    for (let k = 0; k < depth; k++) open[stackEvent[k] as number] = 0;
  }

  b.profile.sampleCount += intervals;
  if (times && threads.size > 1) times.sortByTime();
  if (ignored > 0) b.warn(`ignored ${ignored} end event(s) (E) with no open B event of their name on their thread`);
  if (unwound > 0) {
    b.warn(
      `closed ${unwound} frame(s) at the end of an event that encloses them (their own E event missing, or X events overlapping)`,
    );
  }
  if (leftOpen > 0) b.warn(`closed ${leftOpen} frame(s) still open at the end, at their thread's last event`);
  return { start: first, end: last };
}

/** A {"traceEvents": ...} object, or an array whose first element is an event (has "ph"). */
function detectTraceEvent(head: Buffer): Detection {
  const text = jsonHead(head);
  if (text.startsWith('{')) return text.includes('"traceEvents"') ? 'yes' : 'no';
  if (/^\[\s*\{/.test(text) && text.includes('"ph"')) return 'yes';
  return 'no';
}

export const traceEvent: ProfileFormat = {
  id: 'trace-event',
  name: 'trace-event JSON',
  extensions: ['.json'],
  detect: detectTraceEvent,
  read: (source, options) => parseTraceEvent(source, options),
};
