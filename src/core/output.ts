import { PyroError } from './errors.js';
import { FORMATS, formatById, WRITABLE } from './formats/index.js';
import type { ProfileFormat } from './formats/types.js';

/** The writer for `--to ID`, or for the extension of an output path; folded when neither says. */
export function writerFor(to: string | undefined, outPath: string | undefined): ProfileFormat {
  if (to) {
    const f = formatById(to);
    if (!f?.write) {
      throw new PyroError(`--to ${to}: pyro cannot write that format (it writes: ${WRITABLE.join(', ')})`);
    }
    return f;
  }
  if (outPath) {
    const lower = outPath.toLowerCase();
    let best: ProfileFormat | undefined;
    let bestLen = 0;
    for (const f of FORMATS) {
      if (!f.write) continue;
      for (const ext of f.extensions) {
        if (lower.endsWith(ext) && ext.length > bestLen) {
          best = f;
          bestLen = ext.length;
        }
      }
    }
    if (best) return best;
  }
  return formatById('folded') as ProfileFormat;
}
