/**
 * Errors a user can act on: printed as one line (no stack trace unless --debug)
 * with a non-zero exit code. Anything else that escapes is a bug in pyro.
 */
export class PyroError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'PyroError';
  }
}

/** Bad input: names the source and, where known, the line or field. */
export class InputError extends PyroError {
  constructor(
    readonly source: string,
    readonly detail: string,
    readonly line?: number,
  ) {
    super(line === undefined ? `${source}: ${detail}` : `${source}: line ${line}: ${detail}`);
    this.name = 'InputError';
  }
}

/** Exit codes, documented in the README and in every command's help. */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** `pyro diff --fail-on`: a threshold was crossed. */
  gate: 3,
} as const;
