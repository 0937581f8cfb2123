import { Command, Flags, type Interfaces } from '@oclif/core';
import { Chalk, type ChalkInstance } from 'chalk';
import { EXIT, PyroError } from '../core/errors.js';
import type { Profile } from '../core/model/profile.js';

export const EXIT_CODES_HELP = 'Exit codes: 0 success, 1 error (bad input, missing file), 2 usage error.';

/**
 * What every pyro command shares: one-line errors with a non-zero exit (a
 * stack trace only with --debug), warnings on stderr, colour only on a TTY and
 * never with NO_COLOR, and output that respects a closed pipe.
 */
export abstract class PyroCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: 'print stack traces for errors', helpGroup: 'GLOBAL' }),
  };

  protected get debugMode(): boolean {
    return this.argv.includes('--debug');
  }

  override async init(): Promise<void> {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
    });
    await super.init();
  }

  override async catch(err: Interfaces.CommandError): Promise<unknown> {
    if (err instanceof PyroError) {
      if (this.debugMode) process.stderr.write(`${err.stack}\n`);
      else process.stderr.write(`pyro: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return undefined;
    }
    // oclif's own usage errors (unknown flag, missing argument) keep oclif's message and exit 2.
    if ((err as { oclif?: { exit?: number } }).oclif?.exit !== undefined) return super.catch(err);
    if (this.debugMode) process.stderr.write(`${err.stack}\n`);
    else process.stderr.write(`pyro: internal error: ${err.message} (run again with --debug for the stack trace)\n`);
    process.exitCode = EXIT.error;
    return undefined;
  }

  /** Colours for stdout: none unless it is a TTY, none with NO_COLOR. */
  protected colors(): ChalkInstance {
    const on = process.stdout.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    return new Chalk({ level: on ? 1 : 0 });
  }

  /** Prints a profile's reader warnings on stderr. */
  protected printWarnings(profile: Profile): void {
    for (const w of profile.warnings) process.stderr.write(`pyro: warning: ${w}\n`);
  }

  /** Writes to stdout, waiting for the pipe to drain. */
  protected async writeOut(data: string | Buffer): Promise<void> {
    if (!process.stdout.write(data)) await new Promise((res) => process.stdout.once('drain', res));
  }
}
