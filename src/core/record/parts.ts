// The files a profiler leaves in its work directory (one per process and
// interval for node, one per interval for perf), read as they appear: in
// continuous mode each is handed over at once, so that at most the interval in
// progress is lost if pyro is killed; at the end they are merged.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PyroError } from '../errors.js';
import { mergeProfiles } from '../model/merge.js';
import type { Profile } from '../model/profile.js';

export interface PartReader {
  /** Whether a file name is a finished part. */
  isPart(name: string): boolean;
  /** The file's profile, with its time range and labels set. */
  read(path: string, name: string): Promise<Profile | undefined>;
}

export class PartCollector {
  private readonly seen = new Set<string>();
  private readonly profiles: Profile[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly dir: string,
    private readonly reader: PartReader,
    private readonly onProfile?: (profile: Profile) => Promise<void> | void,
  ) {}

  /** Looks for new parts every `everyMs` until finish(). */
  watch(everyMs = 200): void {
    this.timer = setInterval(() => {
      this.busy = this.busy
        .then(() => this.collect())
        .catch((e) => {
          this.failure ??= e;
        });
    }, everyMs);
  }

  /** Reads what is left, and returns everything recorded merged (undefined: nothing was). */
  async finish(): Promise<Profile | undefined> {
    if (this.timer) clearInterval(this.timer);
    await this.busy;
    await this.collect();
    if (this.failure) throw this.failure;
    return this.profiles.length > 0 ? mergeProfiles(this.profiles) : undefined;
  }

  private async collect(): Promise<void> {
    const names = readdirSync(this.dir)
      .filter((n) => !this.seen.has(n) && this.reader.isPart(n))
      .sort();
    for (const name of names) {
      this.seen.add(name);
      let profile: Profile | undefined;
      try {
        profile = await this.reader.read(join(this.dir, name), name);
      } catch (e) {
        if (e instanceof PyroError) throw new PyroError(`reading the recording: ${e.message}`);
        throw e;
      }
      if (!profile) continue;
      this.profiles.push(profile);
      await this.onProfile?.(profile);
    }
  }
}
