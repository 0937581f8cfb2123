// Callgrind's profile format (valgrind --tool=callgrind; also written by
// Xdebug, pyprof2calltree and others): https://valgrind.org/docs/manual/cl-format.html
//
//   events: Ir Dr              header lines "key: value" (also positions:,
//   summary: 880 30            totals:, cmd:, creator:, pid:, thread:, part:)
//   fl=(1) main.c              then body lines: "(id) name" defines a short id
//   fn=(1) main                for a name, "(id)" reuses it (files, functions
//   16 20 3                    and objects apart); a cost line is positions
//   +1 60                      (line, or instr line: absolute, "+n"/"-n" from
//   cfn=(2) work               the last cost line's, "*" the same) then one
//   calls=2 40                 count per event, the current function's self
//   * 800 27                   cost; after calls=, the calls' inclusive cost.
//
// fl=, fi= and fe= set the current file, and fn= names a function of the
// current object (ob=) and file; cob=, cfi=/cfl= and cfn= name the function
// the next calls= calls (object and file default to the current ones) and
// hold for that call only. jump=/jcnd= lines (--collect-jumps) change no
// costs. A file may hold several parts (dumps, each with its header, whose
// lines hold until changed).
//
// Value types: one per event (Ir, Dr, ...; unit count), in the order they
// first appear. The call graph becomes stacks as callgrind/graph.ts says; one
// graph per process and thread (pid:, thread:), the parts of each (dumps of
// successive time ranges) summed into it; several threads or processes give
// stacks labelled thread= / pid=. Frames: the function's name, its file, its
// first line (the target line of a call to it, else its lowest cost line) and
// its object as module.
//
// Beyond the specification, costs may be given like positions ("*", "+n",
// "-n": relative to the same event on the previous cost line), as
// speedscope's sample files do.
import { InputError } from '../errors.js';
import { forEachLine } from '../io/lines.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { ByteKeyTable } from '../model/byte-keys.js';
import { growFloat64, growInt32 } from '../model/growable.js';
import type { Profile, ValueType } from '../model/profile.js';
import { StringTable } from '../model/strings.js';
import { CallGraph, callStacks, IntTriples } from './callgrind/graph.js';
import type { Detection, ProfileFormat } from './types.js';

/** The name of a function callgrind could not name (an empty fn=). */
const UNKNOWN = '[unknown]';
/** Unexpanded paths worth a warning: lighter ones do not show in any table or graph. */
const NOTABLE_CUT = 1e-6;
/** Compressed name ids below this are looked up in an array, larger ones in a Map. */
const COMPRESSED_DENSE = 1 << 22;
/** Costs are 64-bit counters. */
const MAX_COST = 2 ** 64;
/** How much of a bad line an error message quotes. */
const QUOTE_CHARS = 80;

/** A key of up to 4 ASCII bytes as one number, to switch on. */
function code(key: string): number {
  let c = 0;
  for (let i = key.length - 1; i >= 0; i--) c = c * 256 + key.charCodeAt(i);
  return c;
}
const K = {
  ob: code('ob'),
  fl: code('fl'),
  fi: code('fi'),
  fe: code('fe'),
  fn: code('fn'),
  cob: code('cob'),
  cfi: code('cfi'),
  cfl: code('cfl'),
  cfn: code('cfn'),
  jump: code('jump'),
  jcnd: code('jcnd'),
  jfi: code('jfi'),
  jfn: code('jfn'),
  ln: code('ln'),
};
const CALLS = Buffer.from('calls');
/** Name compression tables: objects, files and functions each number their names apart. */
const OBJECT = 0;
const FILE = 1;
const FUNCTION = 2;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isWs(c: number): boolean {
  return c === 32 || c === 9;
}
function isKeyChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || isDigit(c);
}
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Reads a callgrind file line by line (`line`, as a forEachLine callback) into call graphs; `finish` makes the Profile. */
export class CallgrindReader {
  /** Names (function, file, object) as read: ids in this table until the profile is built. */
  private readonly strings = new StringTable();
  /** Names given in full (not compressed), by their bytes: such names repeat, and are decoded once. */
  private readonly nameKeys = new ByteKeyTable();
  private nameIds = new Int32Array(256);
  /** Name compression: per table, name id + 1 by compressed id (0: not defined); ids past COMPRESSED_DENSE in a Map. */
  private compressed = [new Int32Array(1024), new Int32Array(1024), new Int32Array(1024)];
  private readonly compressedSparse = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>()];
  private readonly unknownFile: number;
  private readonly unknownName: number;

  /** Functions: (object, file, name) -> id, and the line of their first line of code where known. */
  private readonly fnIds = new IntTriples();
  private fnObject = new Int32Array(256);
  private fnFile = new Int32Array(256);
  private fnName = new Int32Array(256);
  /** The target line of the first call seen to the function, else the lowest line of its own cost lines (0: none). */
  private fnCallLine = new Int32Array(256);
  private fnLowLine = new Int32Array(256);

  private readonly valueTypes: ValueType[] = [];
  private readonly valueIndex = new Map<string, number>();
  private readonly graphs = new Map<string, { graph: CallGraph; pid: string; thread: string }>();
  private graph: CallGraph | undefined;

  // The current part's header.
  /** Value type of each cost column (events: line), or undefined before one. */
  private columns: Int32Array | undefined;
  private positions = 1;
  /** Which position is the line number (-1: none). */
  private lineAt = 0;
  private pid = '';
  private thread = '';
  private summary: { text: string; line: number } | undefined;
  private totals: { text: string; line: number } | undefined;
  /** Body lines were read in this part (a header line after them starts the next part). */
  private inBody = false;
  /** Sum of this part's self costs per value type, to check against totals:/summary:. */
  private partSum = new Float64Array(0);

  // Position state.
  private last = new Float64Array(4);
  private lastCost = new Float64Array(4);
  private object = 0;
  private file = 0;
  private fn = -1;
  private calleeObject = -1;
  private calleeFile = -1;
  private calleeName = -1;
  /** The callee of a calls= line whose cost line comes next (-1: none), and that line. */
  private callee = -1;
  private callLine = 0;
  /** The next line is the source position of a jump= or jcnd=. */
  private jumpSource = false;

  /** Scratch for numbers read. */
  private num = 0;
  private costLines = 0;
  private ignored = 0;
  private firstIgnored = 0;
  private readonly warnings: string[] = [];
  private program: string | undefined;
  private creator: string | undefined;

  constructor(private readonly sourceName: string) {
    this.unknownFile = this.strings.intern('???');
    this.unknownName = this.strings.intern(UNKNOWN);
  }

  private fail(lineNo: number, detail: string): never {
    throw new InputError(this.sourceName, detail, lineNo);
  }

  private quote(buf: Buffer, start: number, end: number): string {
    const text = buf.toString('utf8', start, Math.min(end, start + QUOTE_CHARS));
    return JSON.stringify(end - start > QUOTE_CHARS ? `${text}...` : text);
  }

  line(buf: Buffer, start: number, end: number, lineNo: number): void {
    if (this.callee >= 0) {
      this.callCost(buf, start, end, lineNo);
      return;
    }
    if (start === end) return;
    const c = buf[start] as number;
    if (c === 35 /* # */) return;
    if (isDigit(c) || c === 43 /* + */ || c === 45 /* - */ || c === 42 /* * */) {
      if (this.jumpSource) this.jumpSource = false;
      else this.costLine(buf, start, end, lineNo, -1);
      return;
    }
    this.jumpSource = false;
    let p = start;
    while (p < end && isKeyChar(buf[p] as number)) p++;
    if (p > start && p < end) {
      if (buf[p] === 61 /* = */) {
        this.spec(buf, start, p, end, lineNo);
        return;
      }
      if (buf[p] === 58 /* : */) {
        this.header(buf, start, p, end, lineNo);
        return;
      }
    }
    let q = start;
    while (q < end && isWs(buf[q] as number)) q++;
    if (q === end) return;
    this.fail(
      lineNo,
      `${this.quote(buf, start, end)} is not a callgrind line (a "key: value" header, a "key=" position, "calls=" or a cost line)`,
    );
  }

  /** Reads a number (decimal, or hex after 0x) at p into this.num; returns where it ends, or -1. */
  private number(buf: Buffer, p: number, end: number): number {
    if (p + 1 < end && buf[p] === 48 && (buf[p + 1] === 120 || buf[p + 1] === 88)) {
      let v = 0;
      let q = p + 2;
      for (; q < end; q++) {
        const d = hexDigit(buf[q] as number);
        if (d < 0) break;
        v = v * 16 + d;
      }
      this.num = v;
      return q > p + 2 ? q : -1;
    }
    let v = 0;
    let q = p;
    for (; q < end; q++) {
      const c = buf[q] as number;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
    }
    if (q - p > 15) v = Number(buf.toString('latin1', p, q));
    this.num = v;
    return q > p ? q : -1;
  }

  /**
   * Reads one position or cost at p, relative to `base` when it is "*", "+n"
   * or "-n", into this.num; returns where the next one starts, or -1.
   */
  private value(buf: Buffer, p: number, end: number, base: number): number {
    const c = buf[p] as number;
    let q: number;
    if (c === 42 /* * */) {
      this.num = base;
      q = p + 1;
    } else if (c === 43 /* + */ || c === 45 /* - */) {
      q = this.number(buf, p + 1, end);
      if (q < 0) return -1;
      this.num = c === 43 ? base + this.num : base - this.num;
    } else {
      q = this.number(buf, p, end);
      if (q < 0) return -1;
    }
    if (q < end && !isWs(buf[q] as number)) return -1;
    while (q < end && isWs(buf[q] as number)) q++;
    return q;
  }

  /** A cost line: self cost of the current function (edge -1), or the inclusive cost of edge's calls. */
  private costLine(buf: Buffer, start: number, end: number, lineNo: number, edge: number): void {
    const cols = this.columns;
    if (!cols) this.fail(lineNo, 'a cost line before the "events:" line');
    if (this.fn < 0) this.fail(lineNo, 'a cost line before any "fn=" line');
    if (!this.inBody) this.enterBody();
    const g = this.graph as CallGraph;
    const last = this.last;
    let p = start;
    for (let i = 0; i < this.positions; i++) {
      if (p === end) {
        this.fail(lineNo, `${this.quote(buf, start, end)}: expected ${this.positions} positions (positions: header)`);
      }
      p = this.value(buf, p, end, last[i] as number);
      if (p < 0) this.fail(lineNo, `${this.quote(buf, start, end)} is not a cost line: bad position`);
      last[i] = this.num;
    }
    const k = g.k;
    const target = edge < 0 ? g.self : g.cost;
    const base = (edge < 0 ? this.fn : edge) * k;
    const lastCost = this.lastCost;
    const n = cols.length;
    let c = 0;
    for (; p < end; c++) {
      if (c === n) this.fail(lineNo, `${this.quote(buf, start, end)}: more costs than the ${n} events of "events:"`);
      p = this.value(buf, p, end, lastCost[c] as number);
      const v = this.num;
      if (p < 0 || !(v >= 0 && v <= MAX_COST))
        this.fail(lineNo, `${this.quote(buf, start, end)} is not a cost line: bad cost`);
      lastCost[c] = v;
      const t = cols[c] as number;
      target[base + t] += v;
      if (edge < 0) this.partSum[t] += v;
    }
    for (; c < n; c++) lastCost[c] = 0;
    if (edge < 0) {
      this.costLines++;
      const line = this.lineAt >= 0 ? (last[this.lineAt] as number) : 0;
      const fn = this.fn;
      if (line > 0 && line < 2 ** 31 && this.file === this.fnFile[fn]) {
        const low = this.fnLowLine[fn] as number;
        if (low === 0 || line < low) this.fnLowLine[fn] = line;
      }
    }
  }

  /** The line after calls=: the calls' inclusive cost. */
  private callCost(buf: Buffer, start: number, end: number, lineNo: number): void {
    const c = buf[start];
    if (start === end || !(isDigit(c as number) || c === 43 || c === 45 || c === 42)) {
      this.fail(lineNo, `expected the cost line of the "calls=" on line ${this.callLine}`);
    }
    const edge = (this.graph as CallGraph).edge(this.fn, this.callee);
    this.callee = -1;
    this.costLine(buf, start, end, lineNo, edge);
  }

  /** A position spec (key=value) or calls=. */
  private spec(buf: Buffer, start: number, keyEnd: number, end: number, lineNo: number): void {
    if (!this.inBody) this.enterBody();
    let p = keyEnd + 1;
    while (p < end && isWs(buf[p] as number)) p++;
    const len = keyEnd - start;
    if (len === 5 && buf.compare(CALLS, 0, 5, start, keyEnd) === 0) {
      this.calls(buf, p, end, lineNo);
      return;
    }
    let key = 0;
    if (len <= 4) for (let i = keyEnd - 1; i >= start; i--) key = key * 256 + (buf[i] as number);
    switch (key) {
      case K.fn: {
        const name = this.name(FUNCTION, buf, p, end, lineNo);
        this.fn = this.function(this.object, this.file, name < 0 ? this.unknownName : name);
        (this.graph as CallGraph).ensureFn(this.fn);
        return;
      }
      case K.fl:
      case K.fi:
      case K.fe:
        this.file = Math.max(0, this.name(FILE, buf, p, end, lineNo));
        return;
      case K.ob:
        this.object = Math.max(0, this.name(OBJECT, buf, p, end, lineNo));
        return;
      case K.cfn:
        this.calleeName = this.name(FUNCTION, buf, p, end, lineNo);
        return;
      case K.cfi:
      case K.cfl:
        this.calleeFile = this.name(FILE, buf, p, end, lineNo);
        return;
      case K.cob:
        this.calleeObject = this.name(OBJECT, buf, p, end, lineNo);
        return;
      case K.jfi:
        this.name(FILE, buf, p, end, lineNo);
        return;
      case K.jfn:
        this.name(FUNCTION, buf, p, end, lineNo);
        return;
      case K.jump:
      case K.jcnd:
        // Jumps (--collect-jumps) change no costs; callgrind writes the jump's source position on the
        // next line, relative to the last cost line without moving it.
        this.jumpSource = true;
        return;
      case K.ln:
        return;
      default:
        if (this.ignored++ === 0) this.firstIgnored = lineNo;
    }
  }

  /** calls=COUNT TARGET-POSITION: the next line is the inclusive cost of these calls of the callee. */
  private calls(buf: Buffer, p: number, end: number, lineNo: number): void {
    if (this.fn < 0) this.fail(lineNo, '"calls=" before any "fn=" line');
    if (this.calleeName < 0) this.fail(lineNo, '"calls=" without a "cfn=" line before it naming the function called');
    let q = this.number(buf, p, end);
    if (q < 0 || (q < end && !isWs(buf[q] as number))) {
      this.fail(lineNo, `${this.quote(buf, p, end)}: expected "calls=COUNT TARGET-POSITION"`);
    }
    while (q < end && isWs(buf[q] as number)) q++;
    // The target position (the callee's first line), relative to the last cost line's without changing it.
    let target = 0;
    for (let i = 0; i < this.positions && q < end; i++) {
      q = this.value(buf, q, end, this.last[i] as number);
      if (q < 0) this.fail(lineNo, `${this.quote(buf, p, end)}: bad target position`);
      if (i === this.lineAt) target = this.num;
    }
    // cfi/cfl and cob hold for one call; without them the callee is in the current file and object.
    const callee = this.function(
      this.calleeObject >= 0 ? this.calleeObject : this.object,
      this.calleeFile >= 0 ? this.calleeFile : this.file,
      this.calleeName,
    );
    if (this.fnCallLine[callee] === 0 && target > 0 && target < 2 ** 31) this.fnCallLine[callee] = target;
    this.calleeObject = -1;
    this.calleeFile = -1;
    this.calleeName = -1;
    this.callee = callee;
    this.callLine = lineNo;
  }

  /** A name spec's value: "(id) name" defines id, "(id)" uses it, else the name itself; -1 for none. */
  private name(table: number, buf: Buffer, p: number, end: number, lineNo: number): number {
    if (p + 1 < end && buf[p] === 40 /* ( */ && isDigit(buf[p + 1] as number)) {
      const q = this.number(buf, p + 1, end);
      if (q < 0 || buf[q] !== 41 /* ) */)
        this.fail(lineNo, `${this.quote(buf, p, end)}: expected "(number)" or "(number) name"`);
      const id = this.num;
      let r = q + 1;
      while (r < end && isWs(buf[r] as number)) r++;
      const dense = id < COMPRESSED_DENSE;
      let ids = this.compressed[table] as Int32Array;
      if (r === end) {
        const s = dense ? (ids[id] ?? 0) - 1 : (this.compressedSparse[table]?.get(id) ?? -1);
        if (s < 0) this.fail(lineNo, `name (${id}) is used before a line defines it`);
        return s;
      }
      // A definition: its bytes are seldom seen again, so they are not kept for lookups by bytes.
      const s = this.strings.intern(buf.toString('utf8', r, end));
      if (!dense) {
        this.compressedSparse[table]?.set(id, s);
      } else {
        if (id >= ids.length) this.compressed[table] = ids = growInt32(ids, id + 1);
        ids[id] = s + 1;
      }
      return s;
    }
    return p === end ? -1 : this.intern(buf, p, end);
  }

  /** The name id of a name given in full. */
  private intern(buf: Buffer, start: number, end: number): number {
    let k = this.nameKeys.find(buf, start, end);
    if (k >= 0) return this.nameIds[k] as number;
    k = this.nameKeys.add(buf, start, end);
    if (k >= this.nameIds.length) this.nameIds = growInt32(this.nameIds, k + 1);
    const id = this.strings.intern(buf.toString('utf8', start, end));
    this.nameIds[k] = id;
    return id;
  }

  /** The id of a function by object, file and name. */
  private function(object: number, file: number, name: number): number {
    if (file === this.unknownFile) file = 0;
    const before = this.fnIds.size;
    const fn = this.fnIds.id(object, file, name);
    if (fn === before) {
      if (fn >= this.fnName.length) {
        this.fnObject = growInt32(this.fnObject, fn + 1);
        this.fnFile = growInt32(this.fnFile, fn + 1);
        this.fnName = growInt32(this.fnName, fn + 1);
        this.fnCallLine = growInt32(this.fnCallLine, fn + 1);
        this.fnLowLine = growInt32(this.fnLowLine, fn + 1);
      }
      this.fnObject[fn] = object;
      this.fnFile[fn] = file;
      this.fnName[fn] = name;
    }
    return fn;
  }

  private header(buf: Buffer, start: number, keyEnd: number, end: number, lineNo: number): void {
    const key = buf.toString('latin1', start, keyEnd);
    if (this.inBody && key !== 'totals' && key !== 'summary') this.endPart();
    const value = buf.toString('utf8', keyEnd + 1, end).trim();
    switch (key) {
      case 'events': {
        const names = value.split(/\s+/).filter((s) => s !== '');
        if (names.length === 0) this.fail(lineNo, '"events:" lists no events');
        this.columns = Int32Array.from(names, (n) => this.valueTypeOf(n));
        if (names.length > this.lastCost.length) this.lastCost = new Float64Array(names.length);
        return;
      }
      case 'positions': {
        const names = value.split(/\s+/).filter((s) => s !== '');
        this.positions = Math.max(1, names.length);
        this.lineAt = names.length === 0 ? 0 : names.indexOf('line');
        if (this.positions > this.last.length) this.last = new Float64Array(this.positions);
        return;
      }
      case 'summary':
        this.summary = { text: value, line: lineNo };
        return;
      case 'totals':
        this.totals = { text: value, line: lineNo };
        return;
      case 'version': {
        const major = Number.parseInt(value, 10);
        if (major > 1) this.fail(lineNo, `callgrind format version ${value} (pyro reads version 1)`);
        return;
      }
      case 'cmd':
        this.program ??= value;
        return;
      case 'creator':
        this.creator ??= value;
        return;
      case 'pid':
        this.pid = value;
        return;
      case 'thread':
        this.thread = value;
        return;
      default:
      // part:, desc:, event: (long names, derived events) and unknown headers change no costs.
    }
  }

  private valueTypeOf(event: string): number {
    let t = this.valueIndex.get(event);
    if (t === undefined) {
      t = this.valueTypes.length;
      this.valueTypes.push({ type: event, unit: 'count' });
      this.valueIndex.set(event, t);
      const k = this.valueTypes.length;
      for (const { graph } of this.graphs.values()) graph.widen(k);
      this.partSum = growFloat64(this.partSum, k);
    }
    return t;
  }

  /** The first body line of a part: its graph (by process and thread). */
  private enterBody(): void {
    this.inBody = true;
    const key = `${this.pid}\u0000${this.thread}`;
    let entry = this.graphs.get(key);
    if (!entry) {
      entry = { graph: new CallGraph(Math.max(1, this.valueTypes.length)), pid: this.pid, thread: this.thread };
      this.graphs.set(key, entry);
    }
    this.graph = entry.graph;
  }

  /** The end of a part: its costs against its totals: (or summary:) line; the next part starts afresh. */
  private endPart(): void {
    const check = this.totals ?? this.summary;
    const cols = this.columns;
    if (check && cols) {
      const given = check.text.split(/\s+/).filter((s) => s !== '');
      const which = check === this.totals ? 'totals:' : 'summary:';
      for (let c = 0; c < given.length && c < cols.length; c++) {
        const want = Number(given[c]);
        const got = this.partSum[cols[c] as number] as number;
        // summary: may exceed the cost lines (costs not dumped); totals: must match.
        if (Number.isFinite(want) && (got > want || (which === 'totals:' && got !== want))) {
          const name = this.valueTypes[cols[c] as number]?.type;
          this.warnings.push(
            `${this.sourceName}: line ${check.line}: ${which} says ${want} ${name}, but the cost lines of this part add up to ${got}`,
          );
        }
      }
    }
    this.summary = undefined;
    this.totals = undefined;
    this.partSum.fill(0);
    this.inBody = false;
    this.last.fill(0);
    this.lastCost.fill(0);
    this.fn = -1;
    this.file = 0;
    this.object = 0;
    this.calleeName = -1;
    this.calleeFile = -1;
    this.calleeObject = -1;
  }

  finish(): Profile {
    if (this.callee >= 0) this.fail(this.callLine, '"calls=" at the end of the input, without its cost line');
    if (this.inBody) this.endPart();
    if (this.valueTypes.length === 0) {
      throw new InputError(this.sourceName, 'no "events:" line: not a callgrind profile');
    }
    if (this.costLines === 0) throw new InputError(this.sourceName, 'no cost lines: the callgrind profile is empty');
    if (this.ignored > 0) {
      this.warnings.push(
        `${this.sourceName}: skipped ${this.ignored} line${this.ignored === 1 ? '' : 's'} of unknown kind (the first is line ${this.firstIgnored})`,
      );
    }
    const b = new ProfileBuilder(this.valueTypes, 'callgrind');
    const p = b.profile;
    const s = this.strings;
    const nFn = this.fnIds.size;
    const frameOf = new Int32Array(nFn);
    for (let f = 0; f < nFn; f++) {
      const line = (this.fnCallLine[f] as number) || (this.fnLowLine[f] as number);
      frameOf[f] = b.frameAt(
        s.get(this.fnName[f] as number),
        s.get(this.fnFile[f] as number),
        line,
        s.get(this.fnObject[f] as number),
      );
    }
    const entries = [...this.graphs.values()];
    const label = (which: 'pid' | 'thread') => entries.some((e) => e[which] !== entries[0]?.[which]);
    const byPid = label('pid');
    const byThread = label('thread');
    for (const e of entries) {
      const pairs: [string, string][] = [];
      if (byPid) pairs.push(['pid', e.pid]);
      if (byThread) pairs.push(['thread', e.thread]);
      const labelSet = p.labelSetId(pairs);
      const { trie, cut } = callStacks(e.graph, nFn, frameOf);
      if (cut > NOTABLE_CUT) {
        this.warnings.push(
          `${this.sourceName}: the call graph has more paths than pyro expands (${trie.size - 1} stack nodes): paths of up to ${percent(cut)} of the total were left out (their functions' self cost is spread over the paths kept)`,
        );
      }
      const have = p.tries[labelSet];
      if (have) have.mergeFrom(trie);
      else p.tries[labelSet] = trie;
    }
    p.sampleCount = this.costLines;
    p.defaultValue = 0;
    if (this.program) p.labels.program = this.program;
    if (this.creator) p.labels.creator = this.creator;
    p.warnings.push(...this.warnings);
    return b.finish();
  }
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(2))}%`;
}

export async function parseCallgrind(source: Source): Promise<Profile> {
  const reader = new CallgrindReader(source.name);
  await forEachLine(source, (buf, start, end, lineNo) => {
    reader.line(buf, start, end, lineNo);
  });
  return reader.finish();
}

/** "# callgrind format" (callgrind since valgrind 3.13), else an events: header with fn=, cmd: or creator: lines. */
function detectCallgrind(head: Buffer): Detection {
  const t = head.toString('latin1', 0, Math.min(head.length, 4096));
  return /^# callgrind format/m.test(t) || (/^events: /m.test(t) && /^(fn|cmd|creator)[:=]/m.test(t)) ? 'yes' : 'no';
}

export const callgrind: ProfileFormat = {
  id: 'callgrind',
  name: 'callgrind (valgrind)',
  extensions: [],
  detect: detectCallgrind,
  read: (source) => parseCallgrind(source),
};
