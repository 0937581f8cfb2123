// The text `perf script` prints: per sample an event header line
//   comm pid[/tid] [cpu] time: [period] event:
// then the call chain, leaf first, one "addr symbol (dso)" line per frame, and
// a blank line. Read with the semantics of FlameGraph's stackcollapse-perf.pl:
// https://github.com/brendangregg/FlameGraph/blob/master/stackcollapse-perf.pl
// perf's own documentation: https://man7.org/linux/man-pages/man1/perf-script.1.html
//
// Values: like stackcollapse-perf.pl (since it weighs samples by period), the
// default value is the sum of the periods of the event read (1 where a header
// has no period); a "samples" value type counts each sample once.
import { InputError } from '../errors.js';
import { forEachLine } from '../io/lines.js';
import type { Source } from '../io/source.js';
import { growInt32 } from '../model/growable.js';
import { Profile, SAMPLES, type ValueType } from '../model/profile.js';
import { StackTrie } from '../model/trie.js';
import { ByteKeyTable } from './perf/byte-keys.js';
import { frameNames, type NameOptions, nameOptions } from './perf/frame-names.js';
import { EventHeader, isWs, StackLine } from './perf/script-lines.js';
import type { Detection, PerfScriptOptions, ProfileFormat, ReadOptions } from './types.js';

/** Distinct stack lines remembered before the cache starts afresh (bounds memory on endless inputs). */
const LINE_CACHE_LIMIT = 1 << 20;

/** What each distinct stack line (bytes) stands for: its frames, leaf first. */
class LineCache {
  readonly keys = new ByteKeyTable();
  start = new Int32Array(1024);
  /** Number of frames; -1 for a line that is not a stack line. */
  count = new Int32Array(1024);
  pool = new Int32Array(4096);
  used = 0;

  clear(): void {
    this.keys.clear();
    this.used = 0;
  }
}

/** One event type read: its trie (samples, period). */
interface EventTarget {
  name: string;
  trie: StackTrie;
}

export class PerfScriptReader {
  readonly profile: Profile;
  private readonly names: NameOptions;
  private readonly header = new EventHeader();
  private readonly split = new StackLine();
  private readonly caches = [new LineCache(), new LineCache()];
  /** Processes (header bytes comm..tid) -> root frame and whether it is a JVM. */
  private readonly procKeys = new ByteKeyTable();
  private procFrame = new Int32Array(256);
  private procJava = new Uint8Array(256);
  /** Event names (bytes) -> index into `targets`, or -1 when filtered out. */
  private readonly eventKeys = new ByteKeyTable();
  private eventTarget = new Int32Array(16);
  private readonly eventNames: string[] = [];
  private readonly eventSeen: number[] = [];
  private readonly targets: EventTarget[] = [];
  private stack = new Int32Array(256);
  private depth = 0;
  /** In a sample being kept (stackcollapse: "$pname" defined). */
  private inSample = false;
  private target: EventTarget | undefined;
  private root = 0;
  private java = 0;
  private period = 1;
  private sampleLine = 0;
  private unrecognized = 0;
  private firstUnrecognized = 0;
  private filtered = 0;
  /** The default event filter is set (by the first event seen). */
  private defaulted = false;
  /** Whether the last line read ended with a line break. */
  private hadBreak = true;
  private lineNo = 0;
  private lastBad = -1;

  constructor(
    private readonly sourceName: string,
    private readonly options: Partial<PerfScriptOptions> = {},
  ) {
    this.profile = new Profile([SAMPLES, { type: 'events', unit: 'count' }]);
    this.profile.format = 'perf-script';
    this.names = nameOptions(options);
  }

  /** Feeds one line (without its line break). */
  line(buf: Buffer, start: number, end: number, lineNo: number): void {
    // forEachLine hands the line break over with the line, except for a last line without one.
    this.hadBreak = end < buf.length;
    this.lineNo = lineNo;
    if (start === end) {
      this.endSample();
      return;
    }
    const c = buf[start] as number;
    if (c === 35 /* # */) return;
    if (c === 32 || c === 9) {
      // Indented: a frame of the current sample, or (perf right-aligns comm) a header.
      if (this.inSample) {
        this.stackLine(buf, start, end, lineNo);
        return;
      }
      let p = start + 1;
      while (p < end && isWs(buf[p] as number)) p++;
      if (p === end) return;
      if (this.eventLine(buf, start, end, lineNo)) return;
      // A frame of a sample that is filtered out (or a stray one): stackcollapse skips it.
      if (!this.split.parse(buf, p, end)) this.bad(lineNo);
      return;
    }
    if (this.eventLine(buf, start, end, lineNo)) return;
    if (this.inSample) this.stackLine(buf, start, end, lineNo);
    else if (!this.split.parse(buf, start, end)) this.bad(lineNo);
  }

  private bad(lineNo: number): void {
    this.lastBad = lineNo;
    if (this.unrecognized++ === 0) this.firstUnrecognized = lineNo;
  }

  private eventLine(buf: Buffer, start: number, end: number, lineNo: number): boolean {
    const h = this.header;
    if (!h.parse(buf, start, end)) return false;
    // A header without the blank line that ends the previous sample: that sample ends here.
    if (this.inSample) this.endSample();
    let target: EventTarget;
    if (h.evStart < 0) {
      target = this.targets[this.targetIndex('')] as EventTarget;
    } else {
      let k = this.eventKeys.find(buf, h.evStart, h.evEnd);
      if (k < 0) k = this.newEvent(buf, h.evStart, h.evEnd);
      this.eventSeen[k] = (this.eventSeen[k] as number) + 1;
      const t = this.eventTarget[k] as number;
      if (t < 0) {
        this.filtered++;
        return true;
      }
      target = this.targets[t] as EventTarget;
    }
    let proc = this.procKeys.find(buf, h.comm, h.keyEnd);
    if (proc < 0) proc = this.newProcess(buf);
    this.inSample = true;
    this.target = target;
    this.root = this.procFrame[proc] as number;
    this.java = this.procJava[proc] as number;
    this.period = h.period > 0 ? h.period : 1;
    this.sampleLine = lineNo;
    if (h.rest >= 0) {
      // A one-frame sample on the header line is complete.
      this.stackLine(buf, h.rest, end, lineNo);
      this.endSample();
    }
    return true;
  }

  /** Whether samples of a new event name are read: the first one seen (or the one asked for), or all with allEvents. */
  private newEvent(buf: Buffer, start: number, end: number): number {
    const k = this.eventKeys.add(buf, start, end);
    const name = buf.toString('utf8', start, end);
    if (k >= this.eventTarget.length) this.eventTarget = growInt32(this.eventTarget, k + 1);
    this.eventNames[k] = name;
    this.eventSeen[k] = 0;
    const wanted = this.options.event;
    let take: boolean;
    if (this.options.allEvents) take = true;
    else if (wanted) take = name === wanted || name.startsWith(`${wanted}:`);
    else take = !this.defaulted;
    this.defaulted = true;
    this.eventTarget[k] = take ? this.targetIndex(name) : -1;
    return k;
  }

  /** The target of an event ('' for headers that name none): one per event with allEvents, else one for all. */
  private targetIndex(name: string): number {
    let i = this.options.allEvents ? this.targets.findIndex((t) => t.name === name) : 0;
    if (i < 0 || this.targets.length === 0) {
      i = this.targets.length;
      this.targets.push({ name, trie: i === 0 ? this.profile.trieFor(0) : new StackTrie(2, 1024) });
    }
    const t = this.targets[i] as EventTarget;
    if (t.name === '') t.name = name;
    return i;
  }

  private newProcess(buf: Buffer): number {
    const h = this.header;
    const k = this.procKeys.add(buf, h.comm, h.keyEnd);
    const comm = buf.toString('utf8', h.comm, h.commEnd);
    // stackcollapse: "PID/TID" or "TID" alone (then the pid is "?"); a tid of 0 counts as none.
    let pid = buf.toString('latin1', h.num1, h.num1End);
    let tid = buf.toString('latin1', h.num2, h.num2End);
    if (tid === '' || Number(tid) === 0) {
      tid = pid;
      pid = '?';
    }
    let name = comm;
    if (this.options.tid) name = `${comm}-${pid}/${tid}`;
    else if (this.options.pid) name = `${comm}-${pid}`;
    name = name.replaceAll(' ', '_');
    if (k >= this.procFrame.length) {
      this.procFrame = growInt32(this.procFrame, k + 1);
      const j = new Uint8Array(this.procFrame.length);
      j.set(this.procJava);
      this.procJava = j;
    }
    this.procFrame[k] = this.profile.frames.internName(name);
    this.procJava[k] = name.startsWith('java') ? 1 : 0;
    return k;
  }

  /** Adds the frames of a stack line, from the cache keyed by the whole line (indentation included). */
  private stackLine(buf: Buffer, start: number, end: number, lineNo: number): void {
    const cache = this.caches[this.java] as LineCache;
    let k = cache.keys.find(buf, start, end);
    if (k < 0) k = this.learnLine(cache, buf, start, end);
    const n = cache.count[k] as number;
    if (n < 0) {
      this.bad(lineNo);
      return;
    }
    if (this.depth + n > this.stack.length) this.stack = growInt32(this.stack, this.depth + n);
    const pool = cache.pool;
    const stack = this.stack;
    let d = this.depth;
    for (let i = cache.start[k] as number, e = i + n; i < e; i++) stack[d++] = pool[i] as number;
    this.depth = d;
  }

  /** Works out the frames of a stack line not seen before, and remembers them. */
  private learnLine(cache: LineCache, buf: Buffer, start: number, end: number): number {
    if (cache.keys.size >= LINE_CACHE_LIMIT) cache.clear();
    let frames: number[] | undefined;
    const s = this.split;
    let p = start;
    while (p < end && isWs(buf[p] as number)) p++;
    if (s.parse(buf, p, end)) {
      const names = frameNames(
        buf.toString('utf8', p, s.pcEnd),
        buf.toString('utf8', s.func, s.funcEnd),
        buf.toString('utf8', s.mod, s.modEnd),
        this.java === 1,
        this.names,
      );
      // Leaf first: the last name of a Java inline chain is the innermost.
      frames = names ? names.reverse().map((n) => this.profile.frames.internName(n)) : [];
    }
    const k = cache.keys.add(buf, start, end);
    if (k >= cache.start.length) {
      cache.start = growInt32(cache.start, k + 1);
      cache.count = growInt32(cache.count, k + 1);
    }
    cache.start[k] = cache.used;
    cache.count[k] = frames ? frames.length : -1;
    if (frames) {
      if (cache.used + frames.length > cache.pool.length)
        cache.pool = growInt32(cache.pool, cache.used + frames.length);
      for (const f of frames) cache.pool[cache.used++] = f;
    }
    return k;
  }

  /** A blank line: the sample is complete. stackcollapse keeps samples without frames, as "comm". */
  private endSample(): void {
    if (!this.inSample) return;
    this.inSample = false;
    if (this.depth === this.stack.length) this.stack = growInt32(this.stack, this.depth + 1);
    this.stack[this.depth++] = this.root;
    const t = this.target as EventTarget;
    const node = t.trie.insertReversed(this.stack, 0, this.depth);
    t.trie.addSelf(node, 0, 1);
    t.trie.addSelf(node, 1, this.period);
    this.profile.sampleCount++;
    this.depth = 0;
  }

  finish(): Profile {
    const p = this.profile;
    if (this.inSample && !this.hadBreak && this.lastBad !== this.lineNo) {
      // Text whose final line break was trimmed (as in speedscope's samples): its last frame is whole.
      this.endSample();
    } else if (this.inSample) {
      // perf ends every sample with a blank line: without one the input was cut, maybe mid-stack.
      p.warnings.push(
        `${this.sourceName}: the last sample (line ${this.sampleLine}) has no closing blank line: dropped as possibly truncated (as stackcollapse-perf.pl does)`,
      );
      this.inSample = false;
      this.depth = 0;
    }
    if (this.unrecognized > 0) {
      p.warnings.push(
        `${this.sourceName}: skipped ${this.unrecognized} unrecognised line${this.unrecognized === 1 ? '' : 's'} (the first is line ${this.firstUnrecognized}: expected a "comm pid time: period event:" header or an "addr symbol (dso)" frame)`,
      );
    }
    const seen = this.eventNames.map((n, k) => `${n} (${this.eventSeen[k]})`).join(', ');
    if (p.sampleCount === 0) {
      if (this.options.event && this.eventNames.length > 0) {
        throw new InputError(this.sourceName, `no samples of event "${this.options.event}" (events present: ${seen})`);
      }
      if (this.unrecognized > 0) {
        throw new InputError(
          this.sourceName,
          `no perf script samples found (line ${this.firstUnrecognized} is neither a sample header nor a stack frame)`,
        );
      }
    }
    if (this.filtered > 0 && !this.options.event) {
      const others = this.eventNames.filter((_, k) => (this.eventTarget[k] as number) < 0);
      p.warnings.push(
        `${this.sourceName}: read only the first event type, "${this.targets[0]?.name}"; skipped ${this.filtered} sample${this.filtered === 1 ? '' : 's'} of ${others.join(', ')} (pick one with --event NAME, or read all with --all-events)`,
      );
    }
    if (this.options.allEvents && this.targets.length > 1) return this.perEvent();
    const only = this.targets[0];
    if (only?.name) p.valueTypes[1] = eventValueType(only.name);
    p.defaultValue = 1;
    p.invalidate();
    return p;
  }

  /** --all-events: one value type per event (its periods), all in one trie. */
  private perEvent(): Profile {
    const out = this.profile.emptyLike(this.targets.map((t) => eventValueType(t.name || 'events')));
    out.sampleCount = this.profile.sampleCount;
    out.warnings.push(...this.profile.warnings);
    const trie = out.trieFor(0);
    this.targets.forEach((t, i) => {
      trie.mergeFrom(t.trie, undefined, [-1, i]);
    });
    out.defaultValue = 0;
    out.invalidate();
    return out;
  }
}

/** The value type of an event's periods: software clocks count nanoseconds, other events count events. */
function eventValueType(event: string): ValueType {
  const base = event.split(':')[0] as string;
  return { type: event, unit: base === 'cpu-clock' || base === 'task-clock' ? 'nanoseconds' : 'count' };
}

export async function parsePerfScript(source: Source, options: ReadOptions = {}): Promise<Profile> {
  const reader = new PerfScriptReader(source.name, options.perf);
  await forEachLine(source, (buf, start, end, lineNo) => reader.line(buf, start, end, lineNo));
  return reader.finish();
}

/** A header line (after comments and blank lines) followed by a frame line, or a one-line sample. */
function detectPerfScript(head: Buffer, complete: boolean): Detection {
  const h = new EventHeader();
  const s = new StackLine();
  let end = complete ? head.length : head.lastIndexOf(10);
  if (end < 0) end = head.length;
  let pos = 0;
  let sawHeader = false;
  let lines = 0;
  while (pos < end && lines < 200) {
    let nl = head.indexOf(10, pos);
    if (nl < 0 || nl > end) nl = end;
    let e = nl;
    if (e > pos && head[e - 1] === 13) e--;
    lines++;
    const start = pos;
    pos = nl + 1;
    let p = start;
    while (p < e && isWs(head[p] as number)) p++;
    if (p === e || head[start] === 35) continue;
    if (!sawHeader) {
      if (!h.parse(head, start, e)) return 'no';
      if (h.rest >= 0 && s.parse(head, h.rest, e)) return 'yes';
      sawHeader = true;
      continue;
    }
    // The line after a header: a frame (old perf versions did not indent them).
    if (h.parse(head, start, e)) return 'maybe';
    return s.parse(head, p, e) ? 'yes' : 'no';
  }
  return sawHeader ? 'maybe' : 'no';
}

export const perfScript: ProfileFormat = {
  id: 'perf-script',
  name: 'perf script',
  extensions: ['.perf', '.perf-script', '.perf.txt'],
  detect: detectPerfScript,
  read: (source, options) => parsePerfScript(source, options),
};
