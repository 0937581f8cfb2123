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
  if (bytes[0] !== GZIP[0] || bytes[1] !== GZIP[1]) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: limit });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new HttpError(
        413,
        `${what}: inflates to more than ${limit} bytes (--max-body limits what the server takes)`,
      );
    throw new HttpError(422, `${what}: not valid gzip data (${(e as Error).message})`);
  }
}
