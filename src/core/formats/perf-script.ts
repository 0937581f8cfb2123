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
import { ByteKeyTable } from '../model/byte-keys.js';
import { growInt32 } from '../model/growable.js';
import { Profile, SAMPLES, type ValueType } from '../model/profile.js';
import { SampleTimes } from '../model/times.js';
import { StackTrie } from '../model/trie.js';
import { BlockCache, FrameCache } from './perf/frame-cache.js';
import { frameNames, type NameOptions, nameOptions } from './perf/frame-names.js';
import { EventHeader, isWs, StackLine } from './perf/script-lines.js';
import type { Detection, PerfScriptOptions, ProfileFormat, ReadOptions } from './types.js';

/** Distinct stack lines remembered before the cache starts afresh (bounds memory on endless inputs). */
const LINE_CACHE_LIMIT = 1 << 20;
/** Bytes of distinct stack blocks remembered before that cache starts afresh. */
const BLOCK_CACHE_BYTES = 4 << 20;
/** The end of a stack block: its last line break and the blank line's. */
const BLANK_LINE = Buffer.from('\n\n');
/** Block searches in a row that may fail before they are only retried every 1024 samples. */
const MAX_SEARCH_MISSES = 16;
/** Block lookups per round, after which the block cache is used only for 1 sample in 16 if it found few blocks. */
const BLOCK_ROUND = 4096;
/** What eventLine returns for a line that is not a sample header. */
const NOT_HEADER = -1;

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
  /** Stack lines and whole stack blocks, for non-JVM and JVM processes (whose frames are named differently). */
  private readonly lineCaches = [new FrameCache(), new FrameCache()];
  private readonly blockCaches = [new BlockCache(BLOCK_CACHE_BYTES), new BlockCache(BLOCK_CACHE_BYTES)];
  /** The block of the current sample when it was found in a block cache, else -1. */
  private block = -1;
  /** A block not in the cache yet, remembered when its sample ends at the blank line that closes it. */
  private pendingBuf: Buffer | undefined;
  private pendingStart = 0;
  private pendingEnd = 0;
  private pendingBad = 0;
  /** Block searches in a row that found no block (then searching mostly stops: see knownBlock). */
  private searchMisses = 0;
  /** Block lookups and hits this round; whether stacks seldom repeat (see knownBlock). */
  private blockTries = 0;
  private blockHits = 0;
  private blocksRare = false;
  private sinceTry = 0;
  /** Lines taken with whole blocks, which forEachLine does not count. */
  private skipped = 0;
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
  private targetIndex = 0;
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

  /** Sample times (keepTimes), of the first event's samples. */
  private readonly times: SampleTimes | undefined;
  private sampleTime = Number.NaN;
  private timesSorted = true;
  private readonly pair = [1, 0];

  constructor(
    private readonly sourceName: string,
    private readonly options: Partial<PerfScriptOptions> = {},
    keepTimes = false,
  ) {
    this.profile = new Profile([SAMPLES, { type: 'events', unit: 'count' }]);
    this.profile.format = 'perf-script';
    this.names = nameOptions(options);
    if (keepTimes) this.times = new SampleTimes(2);
  }

  /**
   * Feeds one line (without its line break); as a `forEachLine` callback, since
   * it may return the offset of the line to go on from (after a known stack block).
   */
  line(buf: Buffer, start: number, end: number, lineNo: number): number | undefined {
    // forEachLine hands the line break over with the line, except for a last line without one.
    this.hadBreak = end < buf.length;
    lineNo += this.skipped;
    this.lineNo = lineNo;
    if (start === end) {
      if (this.pendingBuf !== undefined) this.learnBlock(buf, start, lineNo);
      this.endSample();
      return undefined;
    }
    const c = buf[start] as number;
    if (c === 35 /* # */) return;
    if (c === 32 || c === 9) {
      // Indented: a frame of the current sample, or (perf right-aligns comm) a header.
      if (this.inSample) {
        this.stackLine(buf, start, end, lineNo);
        return undefined;
      }
      let p = start + 1;
      while (p < end && isWs(buf[p] as number)) p++;
      if (p === end) return undefined;
      const next = this.eventLine(buf, start, end, lineNo);
      if (next !== NOT_HEADER) return next > 0 ? next : undefined;
      // A frame of a sample that is filtered out (or a stray one): stackcollapse skips it.
      if (!this.split.parse(buf, p, end)) this.bad(lineNo);
      return undefined;
    }
    const next = this.eventLine(buf, start, end, lineNo);
    if (next !== NOT_HEADER) return next > 0 ? next : undefined;
    if (this.inSample) this.stackLine(buf, start, end, lineNo);
    else if (!this.split.parse(buf, start, end)) this.bad(lineNo);
    return undefined;
  }

  private bad(lineNo: number): void {
    this.lastBad = lineNo;
    if (this.unrecognized++ === 0) this.firstUnrecognized = lineNo;
  }

  /**
   * A sample header: starts the sample and returns where to go on (past the
   * lines of its stack block taken here, else 0), or NOT_HEADER.
   */
  private eventLine(buf: Buffer, start: number, end: number, lineNo: number): number {
    const h = this.header;
    if (!h.parse(buf, start, end)) return NOT_HEADER;
    // A header without the blank line that ends the previous sample: that sample ends here.
    if (this.inSample) this.endSample();
    if (this.pendingBuf !== undefined) {
      // The block searched for did not end the sample: samples are not separated by blank lines.
      this.pendingBuf = undefined;
      this.searchMisses++;
    }
    let t: number;
    if (h.evStart < 0) {
      t = this.targetFor('');
    } else {
      let k = this.eventKeys.find(buf, h.evStart, h.evEnd);
      if (k < 0) k = this.newEvent(buf, h.evStart, h.evEnd);
      this.eventSeen[k] = (this.eventSeen[k] as number) + 1;
      t = this.eventTarget[k] as number;
      if (t < 0) {
        this.filtered++;
        return 0;
      }
    }
    let proc = this.procKeys.find(buf, h.comm, h.keyEnd);
    if (proc < 0) proc = this.newProcess(buf);
    this.inSample = true;
    this.target = this.targets[t] as EventTarget;
    this.targetIndex = t;
    this.root = this.procFrame[proc] as number;
    this.java = this.procJava[proc] as number;
    this.period = h.period > 0 ? h.period : 1;
    this.sampleLine = lineNo;
    if (this.times) this.sampleTime = h.time(buf, end);
    if (h.rest >= 0) {
      // A one-frame sample on the header line is complete.
      this.stackLine(buf, h.rest, end, lineNo);
      this.endSample();
      return 0;
    }
    return this.knownBlock(buf, end, lineNo);
  }

  /**
   * The stack block after the header line ending at `end` (up to a blank
   * line): when it is in the cache, its frames become the sample's, the blank
   * line ends the sample, and reading goes on after it. A block seen for the
   * first time is read line by line (readBlock) and remembered at that blank
   * line if every line was a stack line (learnBlock).
   */
  private knownBlock(buf: Buffer, end: number, lineNo: number): number {
    // LF only (a CRLF input is read line by line), and a block with at least one line.
    if (buf[end] !== 10 || buf[end + 1] === 10) return 0;
    // A search may run to the end of the buffer: where blank lines do not end
    // samples (searches that find no block), only search now and then.
    if (this.searchMisses >= MAX_SEARCH_MISSES && (this.profile.sampleCount & 1023) !== 0) return 0;
    // Where stacks seldom repeat, learning blocks costs more than it saves: try now and then only.
    if (this.blocksRare && (++this.sinceTry & 15) !== 0) return 0;
    if (++this.blockTries === BLOCK_ROUND) {
      this.blocksRare = this.blockHits * 8 < BLOCK_ROUND;
      this.blockTries = 0;
      this.blockHits = 0;
    }
    const from = end + 1;
    const cache = this.blockCaches[this.java] as BlockCache;
    // First the block that last followed the same first line: if its bytes are here, followed by the
    // blank line, it is this block (it has no blank line inside), and no search is needed.
    const nl = buf.indexOf(10, from);
    const first = nl < 0 ? -1 : (this.lineCaches[this.java] as FrameCache).find(buf, from, nl);
    let k = first < 0 ? -1 : cache.guess(first);
    let blockEnd = k < 0 ? -1 : from + cache.frames.keys.keyLength(k);
    if (k < 0 || !cache.frames.keys.matches(k, buf, from) || buf[blockEnd] !== 10) {
      const found = buf.indexOf(BLANK_LINE, from);
      if (found < 0) {
        this.searchMisses++;
        return 0;
      }
      blockEnd = found + 1;
      k = cache.frames.find(buf, from, blockEnd);
      if (k >= 0 && first >= 0) cache.setGuess(first, k);
    }
    if (k < 0) {
      this.pendingBuf = buf;
      this.pendingStart = from;
      this.pendingEnd = blockEnd;
      this.pendingBad = this.unrecognized;
      return this.readBlock(buf, from, blockEnd, lineNo);
    }
    this.block = k;
    this.searchMisses = 0;
    this.blockHits++;
    // The blank line that follows ends the sample, as `line` would.
    const lines = (cache.lines[k] as number) + 1;
    this.skipped += lines;
    this.lineNo = lineNo + lines;
    this.hadBreak = true;
    this.endSample();
    return blockEnd + 1;
  }

  /**
   * The frame lines of a new block, read here rather than each through
   * `line`, as `line` would read them (indented LF lines of a sample are stack
   * lines); from any other line on, `line` reads on. Returns where.
   */
  private readBlock(buf: Buffer, from: number, blockEnd: number, lineNo: number): number {
    let pos = from;
    let n = lineNo;
    while (pos < blockEnd) {
      const c = buf[pos];
      if (c !== 32 && c !== 9) break;
      const nl = buf.indexOf(10, pos);
      if (buf[nl - 1] === 13) break;
      this.stackLine(buf, pos, nl, ++n);
      pos = nl + 1;
    }
    this.skipped += n - lineNo;
    return pos;
  }

  /** The blank line at `start` ends a sample read line by line: remember its block if it was all stack lines. */
  private learnBlock(buf: Buffer, start: number, lineNo: number): void {
    const whole = this.pendingBuf === buf && this.pendingEnd === start && this.pendingBad === this.unrecognized;
    this.pendingBuf = undefined;
    if (!whole) {
      this.searchMisses++;
      return;
    }
    this.searchMisses = 0;
    const cache = this.blockCaches[this.java] as BlockCache;
    const from = this.pendingStart;
    // Not found by knownBlock, so `add` may follow.
    if (cache.frames.find(buf, from, start) >= 0) return;
    this.block = cache.add(buf, from, start, this.stack, this.depth, lineNo - this.sampleLine - 1);
    const first = (this.lineCaches[this.java] as FrameCache).find(buf, from, buf.indexOf(10, from));
    if (first >= 0) cache.setGuess(first, this.block);
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
    this.eventTarget[k] = take ? this.targetFor(name) : -1;
    return k;
  }

  /** The target of an event ('' for headers that name none): one per event with allEvents, else one for all. */
  private targetFor(name: string): number {
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
    const cache = this.lineCaches[this.java] as FrameCache;
    let k = cache.find(buf, start, end);
    if (k < 0) k = this.learnLine(cache, buf, start, end);
    const n = cache.framesOf(k);
    if (n < 0) {
      this.bad(lineNo);
      return;
    }
    if (this.depth + n > this.stack.length) this.stack = growInt32(this.stack, this.depth + n);
    this.depth = cache.copyFrames(k, this.stack, this.depth);
  }

  /** Works out the frames of a stack line not seen before, and remembers them. */
  private learnLine(cache: FrameCache, buf: Buffer, start: number, end: number): number {
    if (cache.size >= LINE_CACHE_LIMIT) cache.clear();
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
    return cache.add(buf, start, end, frames ?? [], 0, frames ? frames.length : -1);
  }

  /** A blank line: the sample is complete. stackcollapse keeps samples without frames, as "comm". */
  private endSample(): void {
    if (!this.inSample) return;
    this.inSample = false;
    const t = this.target as EventTarget;
    const k = this.block;
    let node: number;
    if (k < 0) {
      node = this.insertStack(t.trie);
    } else {
      // A known block: the same leaf as its last sample when the process and event are the same too.
      this.block = -1;
      const cache = this.blockCaches[this.java] as BlockCache;
      if (cache.memoTarget[k] === this.targetIndex && cache.memoRoot[k] === this.root) {
        node = cache.memoNode[k] as number;
      } else {
        const n = cache.frames.framesOf(k);
        if (n + 1 > this.stack.length) this.stack = growInt32(this.stack, n + 1);
        this.depth = cache.frames.copyFrames(k, this.stack, 0);
        node = this.insertStack(t.trie);
        cache.memoTarget[k] = this.targetIndex;
        cache.memoRoot[k] = this.root;
        cache.memoNode[k] = node;
      }
    }
    t.trie.addSelf(node, 0, 1);
    t.trie.addSelf(node, 1, this.period);
    if (this.times && this.targetIndex === 0 && !Number.isNaN(this.sampleTime)) this.recordTime(node);
    this.profile.sampleCount++;
    this.depth = 0;
  }

  /** Keeps the sample's time (ms) for flame charts; samples out of order are sorted at the end. */
  private recordTime(node: number): void {
    const times = this.times as SampleTimes;
    const ms = this.sampleTime * 1000;
    if (times.count > 0 && ms < (times.time[times.count - 1] as number)) this.timesSorted = false;
    this.pair[1] = this.period;
    times.push(0, node, ms, this.pair);
  }

  /** The leaf of the current stack (leaf first, then the process frame) in `trie`. */
  private insertStack(trie: StackTrie): number {
    if (this.depth === this.stack.length) this.stack = growInt32(this.stack, this.depth + 1);
    this.stack[this.depth++] = this.root;
    return trie.insertReversed(this.stack, 0, this.depth);
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
    if (this.times) {
      // perf's clock counts from boot: times from the first sample are what a chart shows.
      if (!this.timesSorted) this.times.sortByTime();
      const first = this.times.time[0] as number;
      for (let i = 0; i < this.times.count; i++) this.times.time[i] = (this.times.time[i] as number) - first;
      p.times = this.times;
    }
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
  const reader = new PerfScriptReader(source.name, options.perf, options.keepTimes);
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
