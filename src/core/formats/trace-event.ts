// Trace-event JSON (Chrome's about:tracing / DevTools performance traces, Node's
// --trace-event-categories, Hermes), the CPU samples in it:
// https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU
// The document is {"traceEvents": [...], ...} or a bare array of events; the
// array may be cut off (no closing "]", trailing comma), which the spec allows.
//
// Two ways a trace holds samples:
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
// Each sample gets the labels pid and tid (and thread, where a thread_name
// metadata event names it); "profile" (the id) too where two profiles share a
// thread, so that their samples are not mixed.
// Traces with only duration events (B/E/X) are not read yet.
import { InputError } from '../errors.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import type { Profile } from '../model/profile.js';
import type { StackTrie } from '../model/trie.js';
import { addV8Profile, type Span, V8_VALUE_TYPES } from './cpuprofile.js';
import { JsonFields, jsonHead, readJson } from './json.js';
import type { Detection, ProfileFormat } from './types.js';

type Json = Record<string, unknown>;

export async function parseTraceEvent(source: Source): Promise<Profile> {
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
  const b = new ProfileBuilder(V8_VALUE_TYPES, 'trace-event');
  const threads = new Threads(b, events);
  const span =
    root?.samples !== undefined && root.stackFrames !== undefined
      ? addHermesSamples(b, root, threads, f)
      : addProfileEvents(b, events, at, threads, f);
  if (span === undefined) {
    const durations = events.some((e) => {
      const ph = (e as Json | null)?.ph;
      return ph === 'B' || ph === 'E' || ph === 'X';
    });
    throw new InputError(
      source.name,
      durations
        ? 'trace-event JSON with only duration events (B/E/X) is not supported yet'
        : 'no CPU samples in this trace (no Profile/ProfileChunk events, nor samples with stackFrames)',
    );
  }
  b.profile.duration = (span.end - span.start) / 1000;
  return b.finish();
}

/** Label sets by pid/tid, with thread names from the metadata events. */
class Threads {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly b: ProfileBuilder,
    events: unknown[],
  ) {
    for (const e of events) {
      const ev = e as Json | null;
      if (ev?.ph === 'M' && ev.name === 'thread_name') {
        const name = (ev.args as Json | undefined)?.name;
        if (typeof name === 'string') this.names.set(`${ev.pid}:${ev.tid}`, name);
      }
    }
  }

  labelSet(pid: unknown, tid: unknown, profile?: string): number {
    const pairs: [string, string][] = [
      ['pid', String(pid ?? '')],
      ['tid', String(tid ?? '')],
      ['thread', this.names.get(`${pid}:${tid}`) ?? ''],
    ];
    if (profile !== undefined) pairs.push(['profile', profile]);
    return this.b.profile.labelSetId(pairs);
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
  threads: Threads,
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
    const labelSet = threads.labelSet(p.pid, p.tid, shared ? p.id : undefined);
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
function addHermesSamples(b: ProfileBuilder, root: Json, threads: Threads, f: JsonFields): Span | undefined {
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
        const trie = b.profile.trieFor(threads.labelSet(s.pid, s.tid));
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
  read: (source) => parseTraceEvent(source),
};
