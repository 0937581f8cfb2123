// The one-file HTML flamegraph: the page's options and a preview (the frames
// at least one pixel wide on a typical page, as small JSON), the viewer's
// browser code (src/viewer/, bundled into dist/viewer.js by
// scripts/bundle.mjs) inlined, then the profile embedded once (embed.ts) at
// the end of the body. The browser runs the viewer, which draws the preview,
// before it parses the payload: a large profile is on screen at once, the
// full data follows (readers find the payload anywhere in the file). No
// network: the page decodes and draws everything itself.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Profile, ValueType } from '../model/profile.js';
import { EMBED_MARKER, embedProfile } from './embed.js';
import { layoutFlame, rectName, rectSelf } from './layout.js';

export interface HtmlOptions {
  /** Which value type to show. */
  valueIndex: number;
  /** Default "Flame Graph". */
  title?: string;
  subtitle?: string;
  /** Icicle: root at the top (the viewer also has a toggle). */
  inverted?: boolean;
  /** E.g. "samples"; default from the value type. */
  countName?: string;
  /** Tooltip label, default "Function:". */
  nameType?: string;
  /** A palette of render/palette.ts: 'hot' (default), 'mem', ... */
  palette?: string;
  /** HTML put above the viewer (pyro server's query form). */
  header?: string;
}

// Where dist/viewer.js is from this module: the CLI bundle (dist/pyro.cjs), the
// compiled module (dist/core/render/html.js), the sources under vitest.
const VIEWER_PATHS = ['./viewer.js', '../../viewer.js', '../../../dist/viewer.js'];
let viewerScript: string | undefined;

function viewer(): string {
  if (viewerScript !== undefined) return viewerScript;
  for (const rel of VIEWER_PATHS) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) {
      viewerScript = inlineSafe(readFileSync(path, 'utf8'));
      return viewerScript;
    }
  }
  throw new Error('the HTML viewer (dist/viewer.js) is missing: run npm run build');
}

/**
 * Text that may sit inside a <script> element: "</script" and "<!--" would end
 * or change it. In JSON and in the viewer's string and regular expression
 * literals, \x3C / \u003C reads back as "<".
 */
function inlineSafe(js: string): string {
  return js.replace(/<(\/script|!--)/gi, '\\x3C$1');
}

/**
 * Readers take the first EMBED_MARKER in the file, and the payload now comes
 * last: text before it (names, titles) must not spell the marker. `semicolon`
 * is how the context writes ';' otherwise.
 */
const hideMarker = (s: string, semicolon: string) => s.replaceAll(';base64,', `${semicolon}base64,`);

const htmlEscape = (s: string) =>
  hideMarker(
    s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;')),
    '&#59;',
  );

/** JSON for a <script> element: "<" and the marker's ';' escaped (JSON strings read them back). */
const scriptJson = (v: unknown) => hideMarker(JSON.stringify(v).replace(/</g, '\\u003c'), '\\u003b');

/** Frames narrower than this share of the whole are left out of the preview: under a pixel at 1200 px. */
export const PREVIEW_SHARE = 1 / 1200;

/**
 * The first screen, drawn before the payload is decoded: the flame layout of
 * one value type without the frames under PREVIEW_SHARE. Rectangles are in
 * preorder (a subtree is one range), rect 0 the root; each keeps its place in
 * the whole graph (frames left out leave gaps), so nothing moves when the full
 * profile replaces it. Depths follow from the parents: not carried.
 */
export interface Preview {
  valueTypes: ValueType[];
  valueIndex: number;
  strings: string[];
  /** Per preview frame: name, file and module (indexes into strings), line. */
  frames: number[];
  /** Per preview frame, its frame id in the embedded profile (to find a zoomed frame again in the full data). */
  ids: number[];
  /**
   * Per rectangle: preview frame (-1 for the root), parent rectangle, then in
   * value units its start (from the left edge), total (its width) and self.
   */
  frame: number[];
  parent: number[];
  start: number[];
  total: number[];
  self: number[];
}

function preview(profile: Profile, valueIndex: number): Preview {
  const layout = layoutFlame(profile, { valueIndex, minShare: PREVIEW_SHARE });
  const f = profile.frames;
  const strings: string[] = [];
  const stringIds = new Map<string, number>();
  const str = (s: string) => {
    let id = stringIds.get(s);
    if (id === undefined) {
      id = strings.push(s) - 1;
      stringIds.set(s, id);
    }
    return id;
  };
  const out: Preview = {
    valueTypes: profile.valueTypes,
    valueIndex,
    strings,
    frames: [],
    ids: [],
    frame: [],
    parent: [],
    start: [],
    total: [],
    self: [],
  };
  const frameIds = new Map<number, number>();
  // The layout numbers a rectangle's children together when it reaches it; the viewer wants preorder
  // (a subtree in one range): a depth-first walk, each rectangle's children contiguous from first[r].
  const first = new Int32Array(layout.count).fill(-1);
  const kids = new Int32Array(layout.count);
  for (let r = layout.count - 1; r > 0; r--) {
    const p = layout.parent[r] as number;
    first[p] = r;
    kids[p]++;
  }
  const start = layout.start;
  const index = new Int32Array(layout.count);
  const stack = [0];
  while (stack.length > 0) {
    const r = stack.pop() as number;
    index[r] = out.frame.length;
    for (let i = kids[r] as number; i > 0; i--) stack.push((first[r] as number) + i - 1);
    let pf = -1;
    if (r > 0) {
      const id = layout.trie.frame[layout.node[r] as number] as number;
      pf = frameIds.get(id) ?? -1;
      if (pf < 0) {
        pf = out.ids.push(id) - 1;
        frameIds.set(id, pf);
        out.frames.push(str(rectName(layout, r)), str(f.fileOf(id)), str(f.moduleOf(id)), f.line[id] as number);
      }
    }
    out.frame.push(pf);
    out.parent.push(r > 0 ? (index[layout.parent[r] as number] as number) : -1);
    out.start.push(start[r] as number);
    out.total.push(layout.width[r] as number);
    out.self.push(rectSelf(layout, r));
  }
  return out;
}

export function renderHtml(profile: Profile, options: HtmlOptions): string {
  const title = options.title ?? 'Flame Graph';
  const pageOptions = {
    title,
    subtitle: options.subtitle,
    valueIndex: options.valueIndex,
    inverted: options.inverted ?? false,
    countName: options.countName,
    nameType: options.nameType ?? 'Function:',
    palette: options.palette ?? 'hot',
  };
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    `<title>${htmlEscape(title)}</title>\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `</head>\n<body>\n${options.header ?? ''}<script type="application/json" id="pyro-options">${scriptJson(pageOptions)}</script>\n` +
    `<script type="application/json" id="pyro-preview">${scriptJson(preview(profile, options.valueIndex))}</script>\n` +
    `<script>${viewer()}</script>\n` +
    `<script type="application/x-pyro-profile" id="pyro-profile">${EMBED_MARKER}${embedProfile(profile)}</script>\n` +
    '</body>\n</html>\n'
  );
}
