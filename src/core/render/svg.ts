// Interactive SVG flamegraphs, in the tradition of flamegraph.pl and inferno:
// one <g> per frame with a <title> "name (N samples, P%)", a <rect> and a
// <text> truncated with "..", click to zoom, "Reset Zoom", "Search" (or
// Ctrl-F) with a regular expression that highlights matches and shows the
// matched share, all with the JavaScript in the file and no network. The file
// also carries its profile (embed.ts), so that pyro reads it back.
import { PyroError } from '../errors.js';
import { formatValue } from '../units.js';
import { EMBED_MARKER, embedProfile } from './embed.js';
import { type FlameLayout, rectName } from './layout.js';
import { type ColorOptions, colorizer } from './palette.js';

export interface SvgOptions extends ColorOptions {
  title?: string;
  subtitle?: string;
  /** Icicle: the root at the top. */
  inverted?: boolean;
  width?: number;
  frameHeight?: number;
  fontSize?: number;
  fontType?: string;
  /** Average character width relative to the font size (for truncating names). */
  fontWidth?: number;
  /** What the values count ("samples"); by default the value type's unit decides. */
  countName?: string;
  /** The word before a frame's name in the details line ("Function:"). */
  nameType?: string;
  /** "yellow", "blue", "green", "grey", or one or two colours "#eeeeee,#eeeeb0". */
  bgColors?: string;
  /** Said under the title: how narrow frames had to be to be left out (e.g. "0.1 px"). */
  minWidthText?: string;
  /** Carry the profile inside (default), so that pyro reads the file back. */
  embed?: boolean;
  /** Instead of the palette: a rectangle's fill (differential graphs colour by change). */
  fillOf?: (rect: number) => string;
  /** Instead of "N samples, P%": what a rectangle's title says after its name. */
  detailOf?: (rect: number) => string;
}

export const SVG_DEFAULTS = {
  width: 1200,
  frameHeight: 16,
  fontSize: 12,
  fontType: 'Verdana',
  fontWidth: 0.59,
  /** Frames narrower than this many pixels are left out (flamegraph.pl's --minwidth default). */
  minWidthPx: 0.1,
  xpad: 10,
} as const;

const BACKGROUNDS: Record<string, [string, string]> = {
  yellow: ['#eeeeee', '#eeeeb0'],
  blue: ['#eeeeee', '#e0e0ff'],
  green: ['#eef2ee', '#e0ffe0'],
  grey: ['#f8f8f8', '#e8e8e8'],
};

/** The pixels between the graph and the sides: what is left of the width for the frames. */
export function svgGraphWidth(width: number = SVG_DEFAULTS.width): number {
  return width - 2 * SVG_DEFAULTS.xpad;
}

export function renderSvg(layout: FlameLayout, o: SvgOptions): string {
  return drawSvg(layout, o, o.embed === false ? undefined : embedProfile(layout.profile));
}

/** Where the profile goes in an SVG drawn before its compression is done. */
const PENDING = '\u0001pending profile\u0001';

/**
 * renderSvg() with the profile inside from `embedded` (embedProfileAsync(),
 * started before the layout): it is compressed on libuv's thread pool while
 * the graph is laid out and drawn.
 */
export async function renderSvgEmbedding(
  layout: FlameLayout,
  o: SvgOptions,
  embedded: Promise<string>,
): Promise<string> {
  const svg = drawSvg(layout, o, PENDING);
  const at = svg.indexOf(PENDING);
  return svg.slice(0, at) + (await embedded) + svg.slice(at + PENDING.length);
}

/** The SVG, with `embedded` (the text after EMBED_MARKER) inside unless undefined. */
function drawSvg(layout: FlameLayout, o: SvgOptions, embedded: string | undefined): string {
  const width = o.width ?? SVG_DEFAULTS.width;
  const frameHeight = o.frameHeight ?? SVG_DEFAULTS.frameHeight;
  const fontSize = o.fontSize ?? SVG_DEFAULTS.fontSize;
  const fontType = o.fontType ?? SVG_DEFAULTS.fontType;
  const fontWidth = o.fontWidth ?? SVG_DEFAULTS.fontWidth;
  const xpad = SVG_DEFAULTS.xpad;
  const ypad1 = fontSize * 3;
  const ypad2 = fontSize * 2 + 10;
  const empty = layout.total <= 0 ? 'no samples' : '';
  const subtitle = [o.subtitle, omittedText(layout, o.minWidthText), empty].filter(Boolean).join('; ');
  const ypad3 = subtitle ? fontSize * 2 : 0;
  const height = (layout.maxDepth + 1) * frameHeight + ypad1 + ypad2 + ypad3;
  const title = o.title ?? (o.inverted ? 'Icicle Graph' : 'Flame Graph');
  const nameType = o.nameType ?? 'Function:';
  const [bg1, bg2] = background(o.bgColors, o.palette);
  const scale = layout.total > 0 ? (width - 2 * xpad) / layout.total : 0;
  const color = colorizer(o);
  const vt = layout.profile.valueTypes[layout.valueIndex] ?? { type: 'samples', unit: 'count' };
  const amount = valueText(vt.unit, o.countName);
  const charWidth = fontSize * fontWidth;
  const textDy = frameHeight / 2 + fontSize / 3 + 1;

  const out: string[] = [];
  out.push(
    '<?xml version="1.0" standalone="no"?>\n',
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n',
    `<svg version="1.1" width="${width}" height="${height}" onload="init(evt)" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">\n`,
    embedded === undefined
      ? '<!-- Flame graph by pyro. -->\n'
      : '<!-- Flame graph by pyro. The profile is inside (metadata below): `pyro top THIS.svg` reads it. -->\n' +
          `<metadata id="pyro-profile">${EMBED_MARKER}${embedded}</metadata>\n`,
    '<defs><linearGradient id="background" y1="0" y2="1" x1="0" x2="0">',
    `<stop stop-color="${bg1}" offset="5%"/><stop stop-color="${bg2}" offset="95%"/></linearGradient></defs>\n`,
    '<style type="text/css">\n',
    `text { font-family:${escapeXml(fontType)}; font-size:${fontSize}px; fill:rgb(0,0,0); }\n`,
    '#search, #unzoom { cursor:pointer; } #search { opacity:0.3; } #search:hover, #search.show { opacity:1; }\n',
    `#title { text-anchor:middle; font-size:${fontSize + 5}px; } #subtitle { text-anchor:middle; fill:rgb(160,160,160); }\n`,
    '#frames > g:hover { stroke:black; stroke-width:0.5; cursor:pointer; } .hide { display:none; } .parent { opacity:0.5; }\n',
    '</style>\n',
    `<script type="text/ecmascript"><![CDATA[\nvar nametype = ${JSON.stringify(nameType)}, fontsize = ${fontSize}, fontwidth = ${fontWidth}, xpad = ${xpad}, textdy = ${textDy}, inverted = ${o.inverted ? 'true' : 'false'};\n${INTERACTION}]]></script>\n`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="url(#background)"/>\n`,
    `<text id="title" x="${width / 2}" y="${fontSize * 2}">${escapeXml(title)}</text>\n`,
  );
  if (subtitle) out.push(`<text id="subtitle" x="${width / 2}" y="${fontSize * 4}">${escapeXml(subtitle)}</text>\n`);
  out.push(
    `<text id="details" x="${xpad}" y="${height - ypad2 / 2}"> </text>\n`,
    `<text id="unzoom" class="hide" x="${xpad}" y="${fontSize * 2}">Reset Zoom</text>\n`,
    `<text id="search" x="${width - xpad - 100}" y="${fontSize * 2}">Search</text>\n`,
    `<text id="matched" x="${width - xpad - 100}" y="${height - ypad2 / 2}"> </text>\n`,
    '<g id="frames">\n',
  );
  const total = layout.total;
  for (let r = 0; r < (total > 0 ? layout.count : 0); r++) {
    const depth = layout.depth[r] as number;
    const value = layout.width[r] as number;
    const x = xpad + (layout.start[r] as number) * scale;
    const w = value * scale;
    const y = o.inverted ? ypad1 + ypad3 + depth * frameHeight : height - ypad2 - (depth + 1) * frameHeight;
    const name = rectName(layout, r);
    const share = total > 0 ? (100 * value) / total : 0;
    const label = fitText(name, w, charWidth);
    out.push(
      `<g><title>${escapeXml(name)} (${o.detailOf ? escapeXml(o.detailOf(r)) : `${amount(value)}, ${share.toFixed(2)}%`})</title>`,
      `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${frameHeight - 1}" fill="${o.fillOf ? o.fillOf(r) : color(name)}" rx="2" ry="2"/>`,
      // A frame too narrow for a name has no <text> (most frames of a big graph): the script adds one on zoom.
      label ? `<text x="${(x + 3).toFixed(2)}" y="${y + textDy}">${escapeXml(label)}</text></g>\n` : '</g>\n',
    );
  }
  out.push('</g>\n</svg>\n');
  return out.join('');
}

/** The name as much as fits in `w` pixels, cut with ".." (nothing under three characters' room). */
export function fitText(name: string, w: number, charWidth: number): string {
  const fits = Math.floor((w - 6) / charWidth);
  if (fits < 3) return '';
  const chars = [...name];
  if (chars.length <= fits) return name;
  return `${chars.slice(0, fits - 2).join('')}..`;
}

/** How a value reads in a title: "1,234 samples", or the value in its unit ("12.5ms"). */
function valueText(unit: string, countName: string | undefined): (v: number) => string {
  if (countName !== undefined) return (v) => `${withCommas(v)} ${countName}`;
  const u = unit.toLowerCase();
  if (u === 'count' || u === 'samples' || u === '') return (v) => `${withCommas(v)} samples`;
  return (v) => formatValue(v, unit);
}

function withCommas(v: number): string {
  const [int, frac] = String(Math.round(v * 100) / 100).split('.');
  const grouped = (int as string).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${grouped}.${frac}` : grouped;
}

function omittedText(layout: FlameLayout, minWidthText: string | undefined): string {
  if (layout.omitted === 0) return '';
  const n = layout.omitted;
  return `${n} frame${n === 1 ? '' : 's'} narrower than ${minWidthText ?? 'the minimum width'} left out`;
}

function background(spec: string | undefined, palette: string): [string, string] {
  const name = spec ?? (palette === 'mem' ? 'green' : palette === 'io' || palette === 'wakeup' ? 'blue' : 'yellow');
  const named = BACKGROUNDS[name];
  if (named) return named;
  const parts = name.split(',').map((s) => s.trim());
  const ok = (c: string | undefined): c is string => c !== undefined && /^#[0-9a-fA-F]{3,8}$|^[a-z]+$|^rgb\(/.test(c);
  if (!ok(parts[0]) || (parts.length > 1 && !ok(parts[1])) || parts.length > 2) {
    throw new PyroError(
      `--bg-colors ${spec}: expected yellow, blue, green, grey, or one or two colours like #eeeeee,#eeeeb0`,
      2,
    );
  }
  return [parts[0], parts[1] ?? parts[0]];
}

/**
 * Text for XML content and attribute values: the five special characters as
 * entities, and the characters XML 1.0 cannot hold at all (C0 controls but
 * tab and newlines, lone surrogates, U+FFFE/U+FFFF) as U+FFFD.
 */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => ENTITIES[c] ?? '\ufffd',
  );
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/**
 * The page's script: zoom (click a frame; its ancestors stay, dimmed), reset,
 * search (a regular expression; matches turn purple and the matched share is
 * the union of their widths), and details on hover.
 */
const INTERACTION = `
var svg, frames, details, matched, unzoomBtn, searchBtn, full;
function init(evt) {
  svg = document.querySelector('svg');
  frames = Array.prototype.slice.call(document.querySelectorAll('#frames > g'));
  details = document.getElementById('details').firstChild;
  matched = document.getElementById('matched').firstChild;
  unzoomBtn = document.getElementById('unzoom');
  searchBtn = document.getElementById('search');
  full = parseFloat(svg.getAttribute('width')) - 2 * xpad;
  frames.forEach(function (g) {
    var r = g.querySelector('rect');
    g.dataset.x = r.getAttribute('x');
    g.dataset.w = r.getAttribute('width');
  });
}
function nameOf(g) {
  var t = g.querySelector('title').textContent;
  return t.replace(/ \\([^()]*\\)$/, '');
}
function label(g, x, w) {
  var t = g.querySelector('text'), name = nameOf(g), fits = Math.floor((w - 6) / (fontsize * fontwidth));
  var chars = Array.from(name);
  if (!t) {
    if (fits < 3) return;
    t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
    t.setAttribute('y', parseFloat(g.querySelector('rect').getAttribute('y')) + textdy);
    g.appendChild(t);
  }
  t.setAttribute('x', (x + 3).toFixed(2));
  t.textContent = fits < 3 ? '' : chars.length <= fits ? name : chars.slice(0, fits - 2).join('') + '..';
}
function place(g, x, w) {
  var r = g.querySelector('rect');
  r.setAttribute('x', x.toFixed(1));
  r.setAttribute('width', w.toFixed(1));
  label(g, x, w);
}
function zoom(target) {
  var tx = parseFloat(target.dataset.x), tw = parseFloat(target.dataset.w), ty = parseFloat(target.querySelector('rect').getAttribute('y'));
  var ratio = full / tw;
  unzoomBtn.classList.remove('hide');
  frames.forEach(function (g) {
    var x = parseFloat(g.dataset.x), w = parseFloat(g.dataset.w), y = parseFloat(g.querySelector('rect').getAttribute('y'));
    var above = inverted ? y > ty : y < ty;
    g.classList.remove('parent');
    g.classList.remove('hide');
    if (x + w <= tx + 0.0001 || x >= tx + tw - 0.0001) { g.classList.add('hide'); return; }
    if (!above && y !== ty) { g.classList.add('parent'); place(g, xpad, full); return; }
    place(g, xpad + (x - tx) * ratio, w * ratio);
  });
}
function unzoom() {
  unzoomBtn.classList.add('hide');
  frames.forEach(function (g) {
    g.classList.remove('parent');
    g.classList.remove('hide');
    place(g, parseFloat(g.dataset.x), parseFloat(g.dataset.w));
  });
}
function search(term) {
  var re;
  try { re = new RegExp(term); } catch (e) { alert('Search: ' + e.message); return; }
  var spans = [];
  frames.forEach(function (g) {
    var r = g.querySelector('rect');
    if (!g.dataset.fill) g.dataset.fill = r.getAttribute('fill');
    if (re.test(nameOf(g))) {
      r.setAttribute('fill', 'rgb(230,0,230)');
      spans.push([parseFloat(g.dataset.x), parseFloat(g.dataset.x) + parseFloat(g.dataset.w)]);
    } else r.setAttribute('fill', g.dataset.fill);
  });
  spans.sort(function (a, b) { return a[0] - b[0]; });
  var covered = 0, end = -Infinity;
  spans.forEach(function (s) {
    if (s[0] >= end) { covered += s[1] - s[0]; end = s[1]; }
    else if (s[1] > end) { covered += s[1] - end; end = s[1]; }
  });
  searchBtn.classList.add('show');
  searchBtn.firstChild.nodeValue = 'Reset Search';
  matched.nodeValue = 'Matched: ' + (100 * covered / full).toFixed(1) + '%';
}
function resetSearch() {
  frames.forEach(function (g) { if (g.dataset.fill) g.querySelector('rect').setAttribute('fill', g.dataset.fill); });
  searchBtn.classList.remove('show');
  searchBtn.firstChild.nodeValue = 'Search';
  matched.nodeValue = ' ';
}
function askSearch() {
  if (searchBtn.classList.contains('show')) { resetSearch(); return; }
  var term = prompt('Search for (regular expression):', '');
  if (term) search(term);
}
window.addEventListener('click', function (e) {
  var g = e.target.closest ? e.target.closest('#frames > g') : null;
  if (g) { if (g.classList.contains('parent')) unzoom(); zoom(g); }
  else if (e.target.id === 'unzoom') unzoom();
  else if (e.target.id === 'search') askSearch();
});
window.addEventListener('mouseover', function (e) {
  var g = e.target.closest ? e.target.closest('#frames > g') : null;
  if (g) details.nodeValue = nametype + ' ' + g.querySelector('title').textContent;
});
window.addEventListener('mouseout', function () { details.nodeValue = ' '; });
window.addEventListener('keydown', function (e) {
  if (e.keyCode === 114 || ((e.ctrlKey || e.metaKey) && e.keyCode === 70)) { e.preventDefault(); askSearch(); }
});
`;
