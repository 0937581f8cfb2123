import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
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
  chunks(): AsyncIterable<Buffer>;
  bytes(): Promise<Buffer>;
}

const GZIP = [0x1f, 0x8b];

/** Called as the raw bytes of an input are read (for progress bars). `total` is undefined for stdin. */
export type ProgressCallback = (bytesRead: number, total: number | undefined) => void;

/** Opens a file path, or "-" for standard input. */
export async function openSource(path: string, onProgress?: ProgressCallback): Promise<Source> {
  const name = path === '-' ? 'stdin' : path;
  let raw: AsyncIterable<Buffer>;
  let size: number | undefined;
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
    raw = readFileChunks(path);
  }
  if (onProgress) raw = counted(raw, size, onProgress);
  return decodeSource(name, path === '-' ? undefined : path, raw);
}

/** Plain files: large synchronous reads, since a CLI has nothing else to do meanwhile and the page cache answers at once. */
export const FILE_CHUNK_BYTES = 4 << 20;

async function* readFileChunks(path: string): AsyncIterable<Buffer> {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
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
  );
}

async function decodeSource(name: string, path: string | undefined, raw: AsyncIterable<Buffer>): Promise<Source> {
  const rawIt = wrapErrors(name, raw)[Symbol.asyncIterator]();
  const first = await pull(rawIt);
  let it: AsyncIterator<Buffer> = replay(first.value, rawIt);
  let compressed = false;
  if (first.value && first.value[0] === GZIP[0] && first.value[1] === GZIP[1]) {
    compressed = true;
    it = gunzip(name, it);
  }
  // Read the head of the decoded content.
  const parts: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < HEAD_BYTES) {
    const r = await pull(it);
    if (r.done || !r.value) {
      done = true;
      break;
    }
    parts.push(r.value);
    headLen += r.value.length;
  }
  let head = Buffer.concat(parts, headLen);
  const bom = detectBom(head);
  if (bom === 'utf8') {
    head = head.subarray(3);
  } else if (bom !== undefined) {
    it = utf16ToUtf8(bom, replay(head, done ? emptyIterator() : it));
    head = Buffer.alloc(0);
    const again: Buffer[] = [];
    let len = 0;
    done = false;
    while (len < HEAD_BYTES) {
      const r = await pull(it);
      if (r.done || !r.value) {
        done = true;
        break;
      }
      again.push(r.value);
      len += r.value.length;
    }
    head = Buffer.concat(again, len);
  }
  const rest = done ? emptyIterator() : it;
  let used = false;
  const chunks = (): AsyncIterable<Buffer> => {
    if (used) throw new Error(`${name}: content already consumed`);
    used = true;
    return { [Symbol.asyncIterator]: () => replay(head, rest) };
  };
  return {
    name,
    path: path && !compressed && bom === undefined ? path : undefined,
    head,
    complete: done,
    chunks,
    async bytes() {
      if (done) {
        used = true;
        return head;
      }
      const all: Buffer[] = [];
      for await (const c of chunks()) all.push(c);
      return Buffer.concat(all);
    },
  };
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
  };
}

async function* wrapErrors(name: string, raw: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  try {
    for await (const c of raw) yield c;
  } catch (e) {
    throw new PyroError(`${name}: cannot read (${(e as Error).message})`);
  }
}

function gunzip(name: string, input: AsyncIterator<Buffer>): AsyncIterator<Buffer> {
  const z = createGunzip({ chunkSize: 1 << 20 });
  (async () => {
    try {
      for (;;) {
        const r = await input.next();
        if (r.done) break;
        if (!z.write(r.value)) await new Promise((res) => z.once('drain', res));
      }
      z.end();
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
        if (e instanceof PyroError) throw e;
        const msg = (e as Error).message;
        throw new InputError(name, /unexpected end/i.test(msg) ? 'truncated gzip data' : `corrupt gzip data (${msg})`);
      }
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
