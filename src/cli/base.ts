import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Flags, type Interfaces } from '@oclif/core';
import { Chalk, type ChalkInstance } from 'chalk';
import { SingleBar } from 'cli-progress';
import type { FileRange, FunctionSums } from '../core/diff/folded-sums.js';
import { sumFoldedFiles } from '../core/diff/folded-sums.js';
import { sumInWorker } from '../core/diff/sum-worker.js';
import { EXIT, PyroError } from '../core/errors.js';
import type { ProfileFormat } from '../core/formats/types.js';
import { type LoadOptions, loadProfile } from '../core/input.js';
import type { ProgressCallback } from '../core/io/source.js';
import { applyFilters, resolveValue } from '../core/model/filter.js';
import type { Profile } from '../core/model/profile.js';
import { writerFor } from '../core/output.js';
import { loadInWorker } from '../core/read-worker.js';
import { filterOptions, loadOptions } from './flags.js';

/** The directory of the CLI's bundle, and of the scripts of its worker threads, bundled beside it. */
const DIST = dirname(fileURLToPath(import.meta.url));

export const EXIT_CODES_HELP = 'Exit codes: 0 success, 1 error (bad input, missing file), 2 usage error.';

/**
 * A PyroError, also one thrown by a module loaded apart from the bundle (the
 * terminal viewer), whose PyroError class is another copy.
 */
function isPyroError(e: unknown): e is PyroError {
  return (
    e instanceof PyroError ||
    (e instanceof Error &&
      (e.name === 'PyroError' || e.name === 'InputError') &&
      typeof (e as PyroError).exitCode === 'number')
  );
}

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
    if (isPyroError(err)) {
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

  /** Colours for a stream (stdout by default): none unless it is a TTY, none with NO_COLOR. */
  protected colors(stream: NodeJS.WriteStream = process.stdout): ChalkInstance {
    const on = stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    return new Chalk({ level: on ? 1 : 0 });
  }

  /**
   * The inputs of a command as one Profile: read (with a progress bar for big
   * inputs), merged, filtered by the filter flags, warnings printed.
   */
  protected async readInputs(
    inputs: string[],
    flags: Record<string, unknown>,
    extra: Partial<LoadOptions> = {},
  ): Promise<Profile> {
    const bar = this.progress('reading');
    let loaded: Profile;
    try {
      loaded = await loadProfile(inputs, { ...loadOptions(flags), ...extra, onProgress: bar.onProgress });
    } finally {
      bar.done();
    }
    return this.filtered(loaded, flags);
  }

  /** A profile as read, filtered by the filter flags, its warnings printed. */
  protected filtered(loaded: Profile, flags: Record<string, unknown>): Profile {
    const profile = applyFilters(loaded, filterOptions(flags));
    if (!this.jsonEnabled()) this.printWarnings(profile);
    return profile;
  }

  /**
   * Several groups of inputs, each read (and filtered) as readInputs() does: at
   * once, each but the last on a thread of its own, when `parallel` and they
   * are all files of 16 MB or more together (else one after another, with
   * progress bars).
   */
  protected async readGroups(groups: string[][], flags: Record<string, unknown>, parallel = true): Promise<Profile[]> {
    const files = groups.flat();
    const size = files.reduce(
      (n, f) => n + (statSync(f, { throwIfNoEntry: false })?.isFile() ? statSync(f).size : Number.NaN),
      0,
    );
    if (!parallel || groups.length < 2 || !(size >= 16e6)) {
      const out: Profile[] = [];
      for (const g of groups) out.push(await this.readInputs(g, flags));
      return out;
    }
    const options = loadOptions(flags);
    const loaded = await Promise.all(
      groups.map((g, i) =>
        i < groups.length - 1 ? loadInWorker(join(DIST, 'read-worker.cjs'), g, options) : loadProfile(g, options),
      ),
    );
    return loaded.map((p) => this.filtered(p, flags));
  }

  /** The script of a worker thread (bundled beside the CLI). */
  protected workerScript(name: string): string {
    return join(DIST, name);
  }

  /**
   * Per function, the sums of plain folded files (see sumFoldedFiles), on two
   * threads when they are 16 MB or more together; their warnings printed (not with --json).
   */
  protected async sumFolded(paths: string[]): Promise<FunctionSums[]> {
    const size = paths.reduce((n, f) => n + statSync(f).size, 0);
    const elsewhere =
      size >= 16e6
        ? (ranges: FileRange[], claim: Int32Array) => sumInWorker(join(DIST, 'sum-worker.cjs'), ranges, claim)
        : undefined;
    const { sums, warnings } = await sumFoldedFiles(paths, elsewhere);
    if (!this.jsonEnabled()) for (const w of warnings) process.stderr.write(`pyro: warning: ${w}\n`);
    return sums;
  }

  /** Prints a profile's reader warnings on stderr. */
  protected printWarnings(profile: Profile): void {
    for (const w of profile.warnings) process.stderr.write(`pyro: warning: ${w}\n`);
  }

  /**
   * A progress bar on stderr for inputs worth waiting for (over 32 MB), only
   * when stderr is a terminal. Call the returned `done` when the work is over.
   */
  protected progress(label: string): { onProgress: ProgressCallback | undefined; done: () => void } {
    if (!process.stderr.isTTY || process.env.CI) return { onProgress: undefined, done: () => {} };
    let bar: SingleBar | undefined;
    return {
      onProgress: (read, total) => {
        if (total === undefined || total < 32e6) return;
        if (!bar) {
          bar = new SingleBar({
            stream: process.stderr,
            format: `${label} [{bar}] {percentage}% | {value}/{total} MB`,
            hideCursor: true,
            clearOnComplete: true,
          });
          bar.start(Math.round(total / 1e6), 0);
        }
        bar.update(Math.round(read / 1e6));
      },
      done: () => bar?.stop(),
    };
  }

  /**
   * A bar counting items (files) on stderr, only on a terminal and only when
   * `show` (many or large inputs). Call `tick` per item and `done` at the end.
   */
  protected counter(label: string, total: number, show: boolean): { tick: () => void; done: () => void } {
    if (!show || !process.stderr.isTTY || process.env.CI) return { tick: () => {}, done: () => {} };
    const bar = new SingleBar({
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total}`,
      hideCursor: true,
      clearOnComplete: true,
    });
    bar.start(total, 0);
    return { tick: () => bar.increment(), done: () => bar.stop() };
  }

  /** The writer of --to (or of -o's extension); checked before any work, since pprof is binary. */
  protected outputWriter(flags: { to?: string; output?: string }): ProfileFormat {
    const writer = writerFor(flags.to, flags.output);
    if (writer.id === 'pprof' && !flags.output && process.stdout.isTTY) {
      throw new PyroError('pprof is binary: write it to a file with -o FILE.pb.gz, or pipe stdout');
    }
    return writer;
  }

  /** Writes a profile with `writer` (value type of --value) to -o FILE, else stdout. */
  protected async writeProfile(
    profile: Profile,
    writer: ProfileFormat,
    flags: { output?: string; value?: string },
  ): Promise<void> {
    const data = (writer.write as NonNullable<ProfileFormat['write']>)(profile, {
      valueIndex: resolveValue(profile, flags.value),
    });
    if (flags.output) writeFileSync(flags.output, data);
    else await this.writeOut(data);
  }

  /** Writes to stdout, waiting for the pipe to drain. */
  protected async writeOut(data: string | Buffer): Promise<void> {
    if (!process.stdout.write(data)) await new Promise((res) => process.stdout.once('drain', res));
  }
}
