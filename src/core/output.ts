import { PyroError } from './errors.js';
import { FORMATS, formatById, WRITABLE } from './formats/index.js';
import type { ProfileFormat } from './formats/types.js';
import type { Profile } from './model/profile.js';
import { renderHtml } from './render/html.js';
import { layoutFlame } from './render/layout.js';
import { renderSvg, svgGraphWidth } from './render/svg.js';

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

/**
 * A profile as the file `path` names by its extension: a flamegraph for .svg
 * and .html (default options), else the writer of that format (folded when
 * the extension names none).
 */
export function renderForPath(profile: Profile, path: string, title?: string): string | Buffer {
  const lower = path.toLowerCase();
  const valueIndex = profile.defaultValue;
  if (lower.endsWith('.svg')) {
    return renderSvg(layoutFlame(profile, { valueIndex, minShare: 0.1 / svgGraphWidth() }), { title, palette: 'hot' });
  }
  if (lower.endsWith('.html') || lower.endsWith('.htm')) return renderHtml(profile, { valueIndex, title });
  return (writerFor(undefined, path).write as NonNullable<ProfileFormat['write']>)(profile, { valueIndex });
}
