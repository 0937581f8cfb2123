import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
import { InputError, PyroError } from '../errors.js';

/** How much decoded content detection gets to look at. */
export const HEAD_BYTES = 64 * 1024;

/**
 * The bytes of one input, decoded once for every reader: gzip is inflated,
 * UTF-16 (with a BOM) becomes UTF-8, a UTF-8 BOM is dropped. `head` is the
 * start of the decoded content, for detection; `chunks()` streams the whole
 * content (head included) and may be called once.
 */
export interface Source {
  /** What error messages call this input: the path, or "stdin". */
  readonly name: string;
  /** The path of an uncompressed regular file, for readers that must hand it to a tool (perf.data). */
  readonly path: string | undefined;
  readonly head: Buffer;
  /** True when the whole content is in `head`. */
  readonly complete: boolean;
  /** The decoded content's size when known beforehand (a file's size, gzip's trailer), for readers to size their buffers. */
  readonly sizeHint?: number;
  chunks(options?: ChunkOptions): AsyncIterable<Buffer>;
  bytes(): Promise<Buffer>;
}

export interface ChunkOptions {
  /**
   * The caller is done with each chunk when it asks for the next one, so the
   * source may read the next one into the same memory: a fresh 4 MiB buffer
   * per chunk costs page faults (several ms per MB on a VM: more than parsing it).
   */
  transient?: boolean;
}

const GZIP = [0x1f, 0x8b];

/** Called as the raw bytes of an input are read (for progress bars). `total` is undefined for stdin. */
export type ProgressCallback = (bytesRead: number, total: number | undefined) => void;

/** Opens a file path, or "-" for standard input. */
export async function openSource(path: string, onProgress?: ProgressCallback): Promise<Source> {
  const name = path === '-' ? 'stdin' : path;
  let raw: AsyncIterable<Buffer>;
  let size: number | undefined;
  const reuse = { ok: false };
  if (path === '-') {
    raw = process.stdin as AsyncIterable<Buffer>;
  } else {
    let isFile: boolean;
    try {
      const st = statSync(path);
      isFile = st.isFile();
      size = st.size;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new PyroError(
        code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? (e as Error).message})`,
      );
    }
    if (!isFile) throw new PyroError(`${path}: not a regular file`);
    raw = readFileChunks(path, reuse);
  }
  if (onProgress) raw = counted(raw, size, onProgress);
  return decodeSource(name, path === '-' ? undefined : path, raw, reuse, size === undefined ? undefined : { size });
}

/** Plain files: large synchronous reads, since a CLI has nothing else to do meanwhile and the page cache answers at once. */
export const FILE_CHUNK_BYTES = 4 << 20;

/** `reuse.ok`: every chunk yielded so far is done with when the next is asked for. Bytes [start, end) of the file. */
async function* readFileChunks(
  path: string,
  reuse: { ok: boolean },
  start = 0,
  end = Number.POSITIVE_INFINITY,
  first?: Buffer,
): AsyncIterable<Buffer> {
  const fd = openSync(path, 'r');
  let last = first;
  let at = start;
  try {
    while (at < end) {
      const buf = last && (reuse.ok || last === first) ? last : Buffer.allocUnsafe(FILE_CHUNK_BYTES);
      last = buf;
      const n = readSync(fd, buf, 0, Math.min(buf.length, end - at), at);
      if (n === 0) return;
      at += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The start of a regular file whose bytes are its content as they are (not
 * compressed, no byte order mark), for detection; undefined for other files.
 */
export function plainFileHead(path: string): { name: string; head: Buffer; complete: boolean } | undefined {
  if (path === '-' || !statSync(path, { throwIfNoEntry: false })?.isFile()) return undefined;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.allocUnsafe(HEAD_BYTES + 1);
    const n = readSync(fd, head, 0, head.length, 0);
    if ((head[0] === GZIP[0] && head[1] === GZIP[1]) || detectBom(head.subarray(0, n))) return undefined;
    return { name: path, head: head.subarray(0, Math.min(n, HEAD_BYTES)), complete: n <= HEAD_BYTES };
  } finally {
    closeSync(fd);
  }
}

/**
 * Bytes [start, end) of a plain (not compressed) file as they are, for a
 * reader that splits one file between threads at line starts. `buffer`: read
 * into it (read as transient chunks), so that range after range reuses one.
 */
export function openFileRange(path: string, start: number, end: number, buffer?: Buffer): Source {
  const fd = openSync(path, 'r');
  const head = Buffer.allocUnsafe(Math.max(0, Math.min(HEAD_BYTES, end - start)));
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, start);
  } finally {
    closeSync(fd);
  }
  const reuse = { ok: false };
  let used = false;
  const chunks = (options?: ChunkOptions): AsyncIterable<Buffer> => {
    if (used) throw new Error(`${path}: content already consumed`);
    used = true;
    reuse.ok = Boolean(options?.transient);
    return wrapErrors(path, readFileChunks(path, reuse, start, end, reuse.ok ? buffer : undefined));
  };
  return {
    name: path,
    path: undefined,
    head: head.subarray(0, n),
    complete: end - start <= HEAD_BYTES,
    sizeHint: end - start,
    chunks,
    async bytes() {
      const all: Buffer[] = [];
      for await (const c of chunks()) all.push(c);
      return Buffer.concat(all);
    },
  };
}

async function* counted(raw: AsyncIterable<Buffer>, total: number | undefined, onProgress: ProgressCallback) {
  let read = 0;
  for await (const c of raw) {
    read += c.length;
    onProgress(read, total);
    yield c;
  }
}

/** A source over bytes already in memory (tests, HTTP bodies, child outputs). */
export function sourceFromBuffer(name: string, bytes: Buffer | string): Promise<Source> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return decodeSource(
    name,
    undefined,
    (async function* () {
      yield buf;
    })(),
    undefined,
    { size: buf.length, bytes: buf },
  );
}

async function decodeSource(
  name: string,
  path: string | undefined,
  raw: AsyncIterable<Buffer>,
  reuse = { ok: false },
  whole?: { size: number; bytes?: Buffer },
): Promise<Source> {
  // The raw chunks read while the head is decoded, kept in case bytes() wants them.
  let rawSeen: Buffer[] | undefined = [];
  const rawIt = recorded(wrapErrors(name, raw)[Symbol.asyncIterator](), () => rawSeen);
  const first = await pull(rawIt);
  let it: AsyncIterator<Buffer> = replay(first.value, rawIt);
  let compressed = false;
  let stream: ReturnType<typeof gunzip> | undefined;
  if (first.value && first.value[0] === GZIP[0] && first.value[1] === GZIP[1]) {
    compressed = true;
    stream = gunzip(name, it);
    it = stream;
  }
  // Read the start of the decoded content (at least the head).
  let read = await readStart(it);
  let start = read.start;
  const bom = detectBom(start);
  if (bom === 'utf8') {
    start = start.subarray(3);
  } else if (bom !== undefined) {
    it = utf16ToUtf8(bom, replay(start, read.done ? emptyIterator() : it));
    read = await readStart(it);
    start = read.start;
  }
  const done = read.done;
  // A copy: when chunks are transient, `start` may be the read buffer, used again for later chunks.
  const head = done ? start : Buffer.from(start.subarray(0, HEAD_BYTES));
  const rest = done ? emptyIterator() : it;
  let used = false;
  const chunks = (options?: ChunkOptions): AsyncIterable<Buffer> => {
    if (used) throw new Error(`${name}: content already consumed`);
    used = true;
    rawSeen = undefined;
    // Decoders (gunzip, UTF-16) may hold on to the raw chunks they were given.
    reuse.ok = Boolean(options?.transient) && !compressed && bom === undefined;
    return { [Symbol.asyncIterator]: () => replay(start, rest) };
  };
  return {
    name,
    path: path && !compressed && bom === undefined ? path : undefined,
    head,
    complete: done,
    sizeHint: bom === undefined ? (compressed ? gzipSizeHint(path, whole?.bytes) : whole?.size) : undefined,
    chunks,
    async bytes() {
      if (done) {
        used = true;
        return head;
      }
      if (stream && bom !== 'utf-16le' && bom !== 'utf-16be') {
        // Gzip read whole: inflate every raw byte in one call, into one buffer (the
        // stream's chunks would need a copy into one more, as large as the content).
        if (used) throw new Error(`${name}: content already consumed`);
        used = true;
        stream.stop();
        let gz: Buffer;
        if (path) {
          // A file: read again whole, into one buffer rather than chunks to be joined.
          await rawIt.return?.();
          try {
            gz = readFileSync(path);
          } catch (e) {
            throw new PyroError(`${name}: cannot read (${(e as Error).message})`);
          }
        } else {
          while (!(await pull(rawIt)).done) {}
          gz = Buffer.concat(rawSeen ?? []);
        }
        rawSeen = undefined;
        const out = inflateWhole(name, gz);
        return bom === 'utf8' ? out.subarray(3) : out;
      }
      const all: Buffer[] = [];
      for await (const c of chunks()) all.push(c);
      return Buffer.concat(all);
    },
  };
}

/** The first chunks of `it`, at least HEAD_BYTES of them unless it ends (`done`). */
async function readStart(it: AsyncIterator<Buffer>): Promise<{ start: Buffer; done: boolean }> {
  const parts: Buffer[] = [];
  let len = 0;
  while (len < HEAD_BYTES) {
    const r = await pull(it);
    if (r.done || !r.value) return { start: Buffer.concat(parts, len), done: true };
    parts.push(r.value);
    len += r.value.length;
  }
  return { start: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, len), done: false };
}

function detectBom(b: Buffer): 'utf8' | 'utf-16le' | 'utf-16be' | undefined {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf8';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  return undefined;
}

async function pull(it: AsyncIterator<Buffer>): Promise<IteratorResult<Buffer>> {
  return it.next();
}

function emptyIterator(): AsyncIterator<Buffer> {
  return { next: async () => ({ done: true, value: undefined }) };
}

function replay(first: Buffer | undefined, rest: AsyncIterator<Buffer>): AsyncIterator<Buffer> {
  let pending = first && first.length > 0 ? first : undefined;
  return {
    async next() {
      if (pending) {
        const value = pending;
        pending = undefined;
        return { done: false, value };
      }
      return rest.next();
    },
    async return() {
      return (await rest.return?.()) ?? { done: true, value: undefined };
    },
  };
}

async function* wrapErrors(name: string, raw: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  try {
    for await (const c of raw) yield c;
  } catch (e) {
    throw new PyroError(`${name}: cannot read (${(e as Error).message})`);
  }
}

/** Records the chunks an iterator yields into the list `into()` gives, while it gives one. */
function recorded(it: AsyncIterator<Buffer>, into: () => Buffer[] | undefined): AsyncIterator<Buffer> {
  return {
    async next() {
      const r = await it.next();
      if (!r.done && r.value) into()?.push(r.value);
      return r;
    },
    async return() {
      return (await it.return?.()) ?? { done: true, value: undefined };
    },
  };
}

function gzipError(name: string, e: unknown): Error {
  if (e instanceof PyroError) return e;
  const msg = (e as Error).message;
  return new InputError(name, /unexpected end/i.test(msg) ? 'truncated gzip data' : `corrupt gzip data (${msg})`);
}

/**
 * The inflated size of a gzip file, from its trailer (ISIZE, the size mod 2^32 of
 * the last member): a hint, capped by deflate's largest ratio.
 */
function gzipSizeHint(path: string | undefined, whole: Buffer | undefined): number | undefined {
  let compressedSize: number;
  const trailer = Buffer.alloc(4);
  if (path) {
    const fd = openSync(path, 'r');
    try {
      compressedSize = fstatSync(fd).size;
      if (compressedSize < 4 || readSync(fd, trailer, 0, 4, compressedSize - 4) !== 4) return undefined;
    } finally {
      closeSync(fd);
    }
  } else if (whole) {
    compressedSize = whole.length;
    if (compressedSize < 4) return undefined;
    whole.copy(trailer, 0, compressedSize - 4);
  } else return undefined;
  return Math.min(trailer.readUInt32LE(0), compressedSize * 1032);
}

/** Inflates a whole gzip input into one buffer, sized from the trailer (ISIZE: the length mod 2^32, a hint). */
function inflateWhole(name: string, gz: Buffer): Buffer {
  const hint = gz.length >= 4 ? gz.readUInt32LE(gz.length - 4) : 0;
  // One spare byte, so that inflating ends within the first chunk; deflate expands at most 1032x.
  const chunkSize = Math.max(64 * 1024, Math.min(hint, gz.length * 1032, 1 << 30) + 1);
  try {
    return gunzipSync(gz, { chunkSize });
  } catch (e) {
    throw gzipError(name, e);
  }
}

/** Streaming gunzip; stop() makes it read no more of `input` (bytes() then reads the rest itself). */
function gunzip(name: string, input: AsyncIterator<Buffer>): AsyncIterator<Buffer> & { stop(): void } {
  const z = createGunzip({ chunkSize: 1 << 20 });
  let stopped = false;
  (async () => {
    try {
      for (;;) {
        const r = await input.next();
        if (r.done || stopped) break;
        if (!z.write(r.value)) await new Promise((res) => z.once('drain', res));
        if (stopped) break;
      }
      if (!stopped) z.end();
    } catch (e) {
      z.destroy(e as Error);
    }
  })();
  const out = (z as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  return {
    async next() {
      try {
        return await out.next();
      } catch (e) {
        throw gzipError(name, e);
      }
    },
    stop() {
      stopped = true;
      z.destroy();
    },
  };
}

function utf16ToUtf8(enc: 'utf-16le' | 'utf-16be', input: AsyncIterator<Buffer>): AsyncIterator<Buffer> {
  const decoder = new TextDecoder(enc, { ignoreBOM: false });
  let finished = false;
  return {
    async next() {
      for (;;) {
        if (finished) return { done: true, value: undefined };
        const r = await input.next();
        if (r.done) {
          finished = true;
          const tail = decoder.decode();
          if (tail.length > 0) return { done: false, value: Buffer.from(tail) };
          continue;
        }
        const text = decoder.decode(r.value, { stream: true });
        if (text.length > 0) return { done: false, value: Buffer.from(text) };
      }
    },
  };
}
