// SVG and HTML flamegraphs written by pyro carry their profile inside (see
// render/embed.ts), so they read back as inputs. Other SVG and HTML files
// (flamegraph.pl's, for one) are recognised and refused in one clear line.
import { InputError } from '../errors.js';
import { EMBED_MARKER, findEmbedded, readEmbedded } from '../render/embed.js';
import type { ProfileFormat } from './types.js';

function looksLikeMarkup(head: Buffer): boolean {
  const t = head.toString('latin1', 0, Math.min(head.length, 512)).trimStart().toLowerCase();
  return t.startsWith('<?xml') || t.startsWith('<svg') || t.startsWith('<!doctype') || t.startsWith('<html');
}

export const embedded: ProfileFormat = {
  id: 'pyro-graph',
  name: 'pyro SVG or HTML flamegraph',
  extensions: ['.svg', '.html'],
  detect: (head) => (head.includes(EMBED_MARKER) ? 'yes' : looksLikeMarkup(head) ? 'yes' : 'no'),
  async read(source) {
    const bytes = await source.bytes();
    const base64 = findEmbedded(bytes);
    if (base64 === undefined) {
      throw new InputError(
        source.name,
        'an SVG or HTML file without a profile inside: pyro reads back only the flamegraphs it wrote itself (for flamegraph.pl output, read its folded input instead)',
      );
    }
    return readEmbedded(source.name, base64);
  },
};
