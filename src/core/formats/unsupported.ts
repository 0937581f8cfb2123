// Formats pyro recognises but does not read yet: detection names them so that
// the user gets "X is not supported yet" instead of "unrecognised input".
import type { Detection, ProfileFormat } from './types.js';

function jsonHas(head: Buffer, ...keys: string[]): boolean {
  const text = head.toString('utf8', 0, Math.min(head.length, 4096)).trimStart();
  if (!text.startsWith('{') && !text.startsWith('[')) return false;
  return keys.every((k) => text.includes(`"${k}"`));
}

const unsupported = (
  id: string,
  name: string,
  extensions: string[],
  detect: (head: Buffer) => boolean,
): ProfileFormat => ({
  id,
  name,
  extensions,
  detect: (head): Detection => (detect(head) ? 'yes' : 'no'),
});

export const unsupportedFormats: ProfileFormat[] = [
  unsupported('heapsnapshot', 'V8 heap snapshot (.heapsnapshot)', ['.heapsnapshot'], (h) =>
    jsonHas(h, 'snapshot', 'meta'),
  ),
  unsupported(
    'ghc-prof-text',
    'GHC text profile (.prof of +RTS -p; +RTS -pj writes JSON, which pyro reads)',
    ['.prof'],
    (h) => {
      const t = h.toString('latin1', 0, Math.min(h.length, 4096));
      return /total time\s*=/.test(t) && /total alloc\s*=/.test(t);
    },
  ),
];
