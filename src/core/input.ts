import { readProfile } from './formats/index.js';
import type { ReadOptions } from './formats/types.js';
import { openSource, type ProgressCallback } from './io/source.js';
import { mergeProfiles } from './model/merge.js';
import type { Profile } from './model/profile.js';

export interface LoadOptions extends ReadOptions {
  /** Read every input as this format instead of detecting it. */
  inputFormat?: string;
  /** Progress over all inputs, in raw bytes read. */
  onProgress?: ProgressCallback;
}

/**
 * The one way commands turn their INPUT arguments (paths, "-" for stdin) into
 * a Profile: each is read (format detected by content) and all are merged.
 */
export async function loadProfile(inputs: readonly string[], options: LoadOptions = {}): Promise<Profile> {
  const profiles: Profile[] = [];
  let before = 0;
  for (const input of inputs) {
    let last = 0;
    const onProgress: ProgressCallback | undefined = options.onProgress
      ? (read, total) => {
          last = read;
          options.onProgress?.(before + read, total === undefined ? undefined : before + total);
        }
      : undefined;
    profiles.push(await loadOne(input, { ...options, onProgress }));
    before += last;
  }
  return mergeProfiles(profiles);
}

export async function loadOne(input: string, options: LoadOptions = {}): Promise<Profile> {
  const source = await openSource(input, options.onProgress);
  return readProfile(source, options, options.inputFormat);
}
