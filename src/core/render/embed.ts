// The profile that every SVG and HTML file pyro writes carries inside, so that
// any command reads the file back as an input (`pyro top old.svg`). The HTML
// viewer draws from it too, so a page holds its data once.
//
// In the file: the marker EMBED_MARKER followed by base64 (no line breaks), in
// an SVG <metadata> element or an HTML <script type="application/x-pyro-profile">
// element near the start of the file (detection reads the first 64 KB).
//
// The base64 decodes to gzip, which inflates to:
//   u32 LE  length H of the header
//   H bytes UTF-8 JSON header (EmbedHeader below)
//   then, for each entry of header.tries in order, its blob: a trie in the
//   store's codec (src/core/store/codec.ts: preorder nodes, varints, CRC-32),
//   every value column, frames by index into header.frames.
import { gunzipSync, gzipSync } from 'node:zlib';
import { InputError } from '../errors.js';
import type { LabelSet, Profile, ValueType } from '../model/profile.js';
import { Profile as ProfileClass } from '../model/profile.js';
import { CodecError, decodeTrie, encodeTrie } from '../store/codec.js';

export const EMBED_MARKER = 'data:application/x-pyro-profile;base64,';

export interface EmbedHeader {
  version: 1;
  valueTypes: ValueType[];
  defaultValue: number;
  period: number;
  periodType?: ValueType;
  startTime?: number;
  duration?: number;
  labels: Record<string, string>;
  /** The format the profile was first read from. */
  format: string;
  sampleCount: number;
  strings: string[];
  /** Four string indexes per frame: name, file, module, then the line number itself. */
  frames: number[];
  tries: { labels: LabelSet; bytes: number }[];
}

/** The base64 text to put after EMBED_MARKER. */
export function embedProfile(profile: Profile): string {
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const str = (s: string) => {
    let id = ids.get(s);
    if (id === undefined) {
      id = strings.length;
      strings.push(s);
      ids.set(s, id);
    }
    return id;
  };
  const f = profile.frames;
  const frames: number[] = [];
  for (let i = 0; i < f.size; i++)
    frames.push(str(f.nameOf(i)), str(f.fileOf(i)), str(f.moduleOf(i)), f.line[i] as number);
  const blobs: Buffer[] = [];
  const tries: EmbedHeader['tries'] = [];
  profile.tries.forEach((trie, labelSet) => {
    if (!trie) return;
    const blob = encodeTrie(trie);
    blobs.push(blob);
    tries.push({ labels: profile.labelSets[labelSet] ?? [], bytes: blob.length });
  });
  const header: EmbedHeader = {
    version: 1,
    valueTypes: profile.valueTypes,
    defaultValue: profile.defaultValue,
    period: profile.period,
    periodType: profile.periodType,
    startTime: profile.startTime,
    duration: profile.duration,
    labels: profile.labels,
    format: profile.format,
    sampleCount: profile.sampleCount,
    strings,
    frames,
    tries,
  };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  return gzipSync(Buffer.concat([length, json, ...blobs]), { level: 6 }).toString('base64');
}

/** The embedded profile's base64 in a file's bytes, or undefined when it has none. */
export function findEmbedded(bytes: Buffer): string | undefined {
  const at = bytes.indexOf(EMBED_MARKER);
  if (at < 0) return undefined;
  const from = at + EMBED_MARKER.length;
  let end = from;
  while (end < bytes.length && isBase64(bytes[end] as number)) end++;
  return bytes.toString('latin1', from, end);
}

/** The profile inside a pyro SVG or HTML file; `name` is for error messages. */
export function readEmbedded(name: string, base64: string): Profile {
  const fail = (what: string) => new InputError(name, `the profile embedded in it is damaged (${what})`);
  let raw: Buffer;
  try {
    raw = gunzipSync(Buffer.from(base64, 'base64'));
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (raw.length < 4) throw fail('too short');
  const h = raw.readUInt32LE(0);
  if (4 + h > raw.length) throw fail('truncated header');
  let header: EmbedHeader;
  try {
    header = JSON.parse(raw.toString('utf8', 4, 4 + h)) as EmbedHeader;
  } catch (e) {
    throw fail((e as Error).message);
  }
  if (header.version !== 1) throw fail(`version ${header.version}, written by a newer pyro`);
  const p = new ProfileClass(header.valueTypes);
  p.defaultValue = header.defaultValue;
  p.period = header.period;
  p.periodType = header.periodType;
  p.startTime = header.startTime;
  p.duration = header.duration;
  p.labels = header.labels;
  p.format = header.format;
  p.sampleCount = header.sampleCount;
  const s = header.strings;
  const frames = header.frames;
  const frameMap = new Int32Array(frames.length / 4);
  const str = (i: number) => p.strings.intern(s[frames[i] as number] ?? '');
  for (let i = 0; i + 3 < frames.length; i += 4)
    frameMap[i / 4] = p.frames.intern(str(i), str(i + 1), frames[i + 3] as number, str(i + 2));
  let pos = 4 + h;
  for (const t of header.tries) {
    if (pos + t.bytes > raw.length) throw fail('truncated trie');
    let decoded: ReturnType<typeof decodeTrie>;
    try {
      decoded = decodeTrie(raw.subarray(pos, pos + t.bytes));
    } catch (e) {
      if (e instanceof CodecError) throw fail(e.message);
      throw e;
    }
    pos += t.bytes;
    p.trieFor(p.labelSetId(t.labels)).mergeFrom(decoded, frameMap);
  }
  p.invalidate();
  return p;
}

function isBase64(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x30 && b <= 0x39) ||
    b === 0x2b ||
    b === 0x2f ||
    b === 0x3d
  );
}
