// Byte-level recognisers for the two kinds of line `perf script` prints, with
// the semantics of stackcollapse-perf.pl's regular expressions (which decide
// what a line is), written as scans so that no string is made per line.
// https://github.com/brendangregg/FlameGraph/blob/master/stackcollapse-perf.pl

export function isWs(c: number): boolean {
  return c === 32 || c === 9 || (c >= 10 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** The fields of one event header line, as offsets into the line's buffer. */
export class EventHeader {
  /** Start of the process name (first non-blank byte). */
  comm = 0;
  commEnd = 0;
  /** The first number after comm ("PID/TID" or "TID"). */
  num1 = 0;
  num1End = 0;
  /** The number after the slash, if any (num2 === num2End otherwise). */
  num2 = 0;
  num2End = 0;
  /** The event name ("cycles", "cpu-clock", "cycles:u"), or evStart = -1 when the line names none. */
  evStart = -1;
  evEnd = -1;
  /** The period (weight), or 0 when the line has none. */
  period = 0;
  /** Where a stack line follows the event on the same line (perf script without -g), else -1. */
  rest = -1;

  /**
   * Reads `comm pid[/tid] [cpu] time: [period] event:` in buf[start, end).
   * Like stackcollapse's /^(\S.+?)\s+(\d+)\/*(\d+)*\s+/: comm is at least two
   * bytes and ends at the first blank run followed by a number and a blank.
   */
  parse(buf: Buffer, start: number, end: number): boolean {
    let p = start;
    while (p < end && isWs(buf[p] as number)) p++;
    if (p + 2 >= end) return false;
    for (let q = p + 2; q < end; q++) {
      const c = buf[q] as number;
      if (!isWs(c) || (q > p + 2 && isWs(buf[q - 1] as number))) continue;
      let r = q + 1;
      while (r < end && isWs(buf[r] as number)) r++;
      const n1 = r;
      while (r < end && isDigit(buf[r] as number)) r++;
      if (r === n1) continue;
      const n1End = r;
      while (r < end && buf[r] === 47 /* / */) r++;
      const n2 = r;
      while (r < end && isDigit(buf[r] as number)) r++;
      if (r >= end || !isWs(buf[r] as number)) continue;
      this.comm = p;
      this.commEnd = q;
      this.num1 = n1;
      this.num1End = n1End;
      this.num2 = n2;
      this.num2End = r;
      this.parseTail(buf, r, end);
      return true;
    }
    return false;
  }

  /**
   * The event's time in seconds ("12345.678901:" after the pid and an optional
   * "[cpu]"), or NaN when the line has none. Read only when asked (flame charts).
   */
  time(buf: Buffer, end: number): number {
    let p = this.num2End;
    while (p < end && isWs(buf[p] as number)) p++;
    if (buf[p] === 91 /* [ */) {
      while (p < end && buf[p] !== 93 /* ] */) p++;
      p++;
      while (p < end && isWs(buf[p] as number)) p++;
    }
    let seconds = 0;
    let q = p;
    while (q < end && isDigit(buf[q] as number)) seconds = seconds * 10 + ((buf[q++] as number) - 48);
    if (q === p) return Number.NaN;
    if (buf[q] === 46 /* . */) {
      let scale = 0.1;
      for (q++; q < end && isDigit(buf[q] as number); q++, scale /= 10) seconds += ((buf[q] as number) - 48) * scale;
    }
    return buf[q] === 58 /* : */ ? seconds : Number.NaN;
  }

  /** The key of the sample's process and thread: comm through the numbers. */
  get keyEnd(): number {
    return this.num2End;
  }

  /**
   * The period and event at the end of the line, as /:\s*(\d+)*\s+(\S+):\s*$/
   * finds them; failing that, "time: [period] event: STACKLINE" (one-frame
   * stacks, which inferno reads too).
   */
  private parseTail(buf: Buffer, from: number, end: number): void {
    this.evStart = -1;
    this.evEnd = -1;
    this.period = 0;
    this.rest = -1;
    let t = end;
    while (t > from && isWs(buf[t - 1] as number)) t--;
    if (t > from && buf[t - 1] === 58 /* : */) {
      let ts = t - 1;
      while (ts > from && !isWs(buf[ts - 1] as number)) ts--;
      if (ts < t - 1 && ts > from) {
        let w = ts - 1;
        while (w > from && isWs(buf[w - 1] as number)) w--;
        let d = w;
        while (d > from && isDigit(buf[d - 1] as number)) d--;
        let x = d;
        if (d < w) while (x > from && isWs(buf[x - 1] as number)) x--;
        if (x > from && buf[x - 1] === 58) {
          this.evStart = ts;
          this.evEnd = t - 1;
          this.period = digitsValue(buf, d, w);
          return;
        }
      }
    }
    // One-line form: the first "time:" colon, then [period] event: and a stack line.
    let i = from;
    while (i < end && !(buf[i] === 58 && (i + 1 === end || isWs(buf[i + 1] as number)))) i++;
    if (i >= end) return;
    let j = i + 1;
    while (j < end && isWs(buf[j] as number)) j++;
    const d = j;
    while (j < end && isDigit(buf[j] as number)) j++;
    const period = digitsValue(buf, d, j);
    if (j > d) {
      if (j >= end || !isWs(buf[j] as number)) return;
      while (j < end && isWs(buf[j] as number)) j++;
    }
    const ev = j;
    while (j < end && !isWs(buf[j] as number)) j++;
    if (j - ev < 2 || buf[j - 1] !== 58) return;
    const evEnd = j - 1;
    while (j < end && isWs(buf[j] as number)) j++;
    if (j >= end) return;
    this.evStart = ev;
    this.evEnd = evEnd;
    this.period = period;
    this.rest = j;
  }
}

function digitsValue(buf: Buffer, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) v = v * 10 + ((buf[i] as number) - 48);
  return v;
}

/** The parts of a stack line "pc rawfunc (mod)", as offsets. */
export class StackLine {
  pcEnd = 0;
  func = 0;
  funcEnd = 0;
  mod = 0;
  modEnd = 0;

  /**
   * Splits buf[p, end) (p at the first non-blank byte) as
   * /^\s*(\w+)\s*(.+) \((.*)\)/ does: mod runs from the last " (" to the last ")".
   */
  parse(buf: Buffer, p: number, end: number): boolean {
    let pe = p;
    while (pe < end && isWord(buf[pe] as number)) pe++;
    if (pe === p) return false;
    let close = end - 1;
    while (close > pe && buf[close] !== 41 /* ) */) close--;
    if (buf[close] !== 41) return false;
    let open = close - 2;
    while (open >= pe && !(buf[open] === 32 && buf[open + 1] === 40)) open--;
    if (open < pe) return false;
    // rawfunc (.+) needs at least one byte: the regex would take the pc's last one.
    if (open === pe) {
      if (pe - p < 2) return false;
      pe--;
    }
    let f = pe;
    while (f < open - 1 && isWs(buf[f] as number)) f++;
    this.pcEnd = pe;
    this.func = f;
    this.funcEnd = open;
    this.mod = open + 2;
    this.modEnd = close;
    return true;
  }
}
