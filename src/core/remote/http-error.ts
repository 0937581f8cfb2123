import { gunzipSync } from 'node:zlib';
import { PyroError } from '../errors.js';

/** A request the server refuses: the HTTP status and one line saying why. */
export class HttpError extends PyroError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const GZIP = [0x1f, 0x8b];

/**
 * The bytes of a body or form part, gunzipped when gzipped, never more than
 * `limit` bytes once inflated: a small body must not inflate past memory.
 */
export function inflateLimited(bytes: Buffer, limit: number, what: string): Buffer {
  if (!gzipped(bytes)) return bytes;
  try {
    // In one pass when gzip's trailer tells the size (zlib's default 16 KB chunks cost a pass each).
    const size = bytes.length >= 18 ? bytes.readUInt32LE(bytes.length - 4) : 0;
    const chunkSize = Math.min(Math.max(size + 64, 16 * 1024), limit + 64, 8 * 1024 * 1024);
    return gunzipSync(bytes, { maxOutputLength: limit, chunkSize });
  } catch (e) {
    throw inflateError(e, limit, what);
  }
}

function gzipped(bytes: Buffer): boolean {
  return bytes[0] === GZIP[0] && bytes[1] === GZIP[1];
}

function inflateError(e: unknown, limit: number, what: string): HttpError {
  if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
    return new HttpError(
      413,
      `${what}: inflates to more than ${limit} bytes (--max-body limits what the server takes)`,
    );
  return new HttpError(422, `${what}: not valid gzip data (${(e as Error).message})`);
}
