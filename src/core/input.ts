import { readProfile } from './formats/index.js';
import type { ReadOptions } from './formats/types.js';
import { openSource } from './io/source.js';
import { mergeProfiles } from './model/merge.js';
import type { Profile } from './model/profile.js';

export interface LoadOptions extends ReadOptions {
  /** Read every input as this format instead of detecting it. */
  inputFormat?: string;
}

/**
 * The one way commands turn their INPUT arguments (paths, "-" for stdin) into
 * a Profile: each is read (format detected by content) and all are merged.
 */
export async function loadProfile(inputs: readonly string[], options: LoadOptions = {}): Promise<Profile> {
  const profiles: Profile[] = [];
  for (const input of inputs) profiles.push(await loadOne(input, options));
  return mergeProfiles(profiles);
}

export async function loadOne(input: string, options: LoadOptions = {}): Promise<Profile> {
  const source = await openSource(input);
  return readProfile(source, options, options.inputFormat);
}
