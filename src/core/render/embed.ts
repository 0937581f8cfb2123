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
//   every value column, frames by index into header.frames;
//   then, when the profile has sample times, header.timeline.bytes bytes of
//   timeline entries: varint bucket, varint trie (index into header.tries),
//   varint node (its index in that trie's blob, root 0), then one value per
//   value type (varints when header.timeline.kind is 1, float64 LE when 2): the
//   sum of the samples of that stack in that bucket, buckets being
//   header.timeline.step ms long from header.timeline.start.
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { InputError } from '../errors.js';
import type { LabelSet, Profile, ProfileMetadata, ValueType } from '../model/profile.js';
import { Profile as ProfileClass } from '../model/profile.js';
import type { SampleTimes } from '../model/times.js';
import { CodecError, decodeTrie, encodeTrie, writeVarint } from '../store/codec.js';

export const EMBED_MARKER = 'data:application/x-pyro-profile;base64,';

export interface EmbedHeader extends ProfileMetadata {
  version: 1;
  valueTypes: ValueType[];
  strings: string[];
  /** Four string indexes per frame: name, file, module, then the line number itself. */
  frames: number[];
  tries: { labels: LabelSet; bytes: number }[];
  timeline?: { start: number; step: number; buckets: number; kind: 1 | 2; bytes: number };
}

/** Buckets of the embedded timeline: enough to brush a range, few enough to stay small. */
const TIMELINE_BUCKETS = 200;

/** The base64 text to put after EMBED_MARKER. */
export function embedProfile(profile: Profile): string {
  return gzipSync(embedBytes(profile), { level: 6 }).toString('base64');
}

/**
 * embedProfile() with the compression on libuv's thread pool, so that the
 * caller draws the graph meanwhile (the profile's bytes are taken at once).
 */
export function embedProfileAsync(profile: Profile, columns?: readonly number[]): Promise<string> {
  const bytes = embedBytes(profile, columns);
  // One output chunk as large as the input: zlib then compresses in one task on the pool, not a
  // chunk at a time with a turn of the (busy) main thread's event loop between chunks.
  const chunkSize = Math.max(64 * 1024, bytes.length);
  return new Promise((resolve, reject) =>
    gzip(bytes, { level: 6, chunkSize }, (e, out) => (e ? reject(e) : resolve(out.toString('base64')))),
  );
}

/** The embedded profile before compression: its value columns `columns` (every one when omitted). */
function embedBytes(profile: Profile, columns?: readonly number[]): Buffer {
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
  // Per label set: its index in header.tries, and its nodes' indexes in its blob (for the timeline).
  const trieIndex = new Map<number, number>();
  const blobIndex = new Map<number, Int32Array>();
  profile.tries.forEach((trie, labelSet) => {
    if (!trie) return;
    const index = profile.times ? new Int32Array(trie.size) : undefined;
    const blob = encodeTrie(trie, columns, undefined, index);
    trieIndex.set(labelSet, tries.length);
    if (index) blobIndex.set(labelSet, index);
    blobs.push(blob);
    tries.push({ labels: profile.labelSets[labelSet] ?? [], bytes: blob.length });
  });
  const timeline = profile.times ? encodeTimeline(profile.times, trieIndex, blobIndex) : undefined;
  if (timeline) blobs.push(timeline.bytes);
  const metadata = profile.metadata();
  const header: EmbedHeader = {
    version: 1,
    ...metadata,
    valueTypes: columns ? columns.map((c) => profile.valueTypes[c] as ValueType) : profile.valueTypes,
    defaultValue: columns ? Math.max(0, columns.indexOf(metadata.defaultValue)) : metadata.defaultValue,
    strings,
    frames,
    tries,
    timeline: timeline?.header,
  };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  return Buffer.concat([length, json, ...blobs]);
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
  if (header?.version !== 1) throw fail(`version ${header?.version}, written by a newer pyro`);
  const bad = badHeader(header);
  if (bad) throw fail(`header: ${bad}`);
  const p = new ProfileClass(header.valueTypes);
  p.setMetadata(header);
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
    if (decoded.nTypes !== header.valueTypes.length) {
      throw fail(`a trie has ${decoded.nTypes} value columns, the header ${header.valueTypes.length}`);
    }
    for (let n = 1; n < decoded.size; n++) {
      const f = decoded.frame[n] as number;
      if (!(f >= 0 && f < frameMap.length)) throw fail(`a trie refers to frame ${f} of ${frameMap.length}`);
    }
    p.trieFor(p.labelSetId(t.labels)).mergeFrom(decoded, frameMap);
  }
  p.invalidate();
  return p;
}

/** The samples in TIMELINE_BUCKETS buckets of time, summed per bucket and stack. */
function encodeTimeline(
  times: SampleTimes,
  trieIndex: Map<number, number>,
  blobIndex: Map<number, Int32Array>,
): { header: NonNullable<EmbedHeader['timeline']>; bytes: Buffer } | undefined {
  const n = times.count;
  if (n === 0) return undefined;
  const k = times.nTypes;
  const start = times.time[0] as number;
  const span = (times.time[n - 1] as number) - start;
  // Bucket b holds the samples nearest start + b * step: the first and last sample
  // are bucket centres, and times already in parts (a store query's) land one per bucket.
  const step = span > 0 ? span / (TIMELINE_BUCKETS - 1) : 1;
  const buckets = span > 0 ? TIMELINE_BUCKETS : 1;
  // Entries (bucket, label set, node) with their summed values. The times are sorted, so a
  // bucket's samples come together: one map per bucket, keyed by label set and node.
  const bucketOf: number[] = [];
  const setOf: number[] = [];
  const nodeOf: number[] = [];
  const sums: number[] = [];
  let inBucket = new Map<number, number>();
  let current = -1;
  for (let i = 0; i < n; i++) {
    const bucket = Math.round(((times.time[i] as number) - start) / step);
    if (bucket !== current) {
      current = bucket;
      inBucket = new Map();
    }
    const labelSet = times.labelSet[i] as number;
    const node = times.node[i] as number;
    const key = labelSet * 2 ** 32 + node;
    let e = inBucket.get(key);
    if (e === undefined) {
      e = bucketOf.push(bucket) - 1;
      setOf.push(labelSet);
      nodeOf.push(node);
      for (let t = 0; t < k; t++) sums.push(0);
      inBucket.set(key, e);
    }
    for (let t = 0; t < k; t++) sums[e * k + t] = (sums[e * k + t] as number) + (times.values[i * k + t] as number);
  }
  const integers = sums.every((v) => Number.isInteger(v) && v >= 0);
  // At most ten bytes per varint, eight per float64.
  const bytes = Buffer.alloc(bucketOf.length * (30 + k * 10));
  let pos = 0;
  for (let e = 0; e < bucketOf.length; e++) {
    const labelSet = setOf[e] as number;
    const index = blobIndex.get(labelSet)?.[nodeOf[e] as number] ?? -1;
    if (index < 0) continue; // a stack whose values are all zero is not in the blob
    pos = writeVarint(bytes, pos, bucketOf[e] as number);
    pos = writeVarint(bytes, pos, trieIndex.get(labelSet) as number);
    pos = writeVarint(bytes, pos, index);
    for (let t = 0; t < k; t++) {
      const v = sums[e * k + t] as number;
      pos = integers ? writeVarint(bytes, pos, v) : bytes.writeDoubleLE(v, pos);
    }
  }
  return {
    header: { start, step, buckets, kind: integers ? 1 : 2, bytes: pos },
    bytes: bytes.subarray(0, pos),
  };
}

/** What is wrong with a decoded header's shape, or undefined. */
function badHeader(h: EmbedHeader): string | undefined {
  const isInt = (x: unknown) => Number.isInteger(x);
  const isStr = (x: unknown) => typeof x === 'string';
  if (!Array.isArray(h.valueTypes) || h.valueTypes.length === 0) return 'no value types';
  if (!h.valueTypes.every((v) => isStr(v?.type) && isStr(v?.unit))) return 'a value type is not {type, unit}';
  if (!isInt(h.defaultValue) || h.defaultValue < 0 || h.defaultValue >= h.valueTypes.length) return 'defaultValue';
  if (!Array.isArray(h.strings) || !h.strings.every(isStr)) return 'strings';
  if (!Array.isArray(h.frames) || h.frames.length % 4 !== 0 || !h.frames.every(isInt)) return 'frames';
  for (let i = 0; i < h.frames.length; i += 4) {
    for (const j of [i, i + 1, i + 2])
      if ((h.frames[j] as number) < 0 || (h.frames[j] as number) >= h.strings.length) return `frame ${i / 4}`;
  }
  if (!Array.isArray(h.tries)) return 'tries';
  for (const t of h.tries) {
    if (!isInt(t?.bytes) || t.bytes < 0) return 'a trie length';
    if (
      !Array.isArray(t.labels) ||
      !t.labels.every((l) => Array.isArray(l) && l.length === 2 && isStr(l[0]) && isStr(l[1]))
    ) {
      return 'a label set';
    }
  }
  if (typeof h.labels !== 'object' || h.labels === null) return 'labels';
  return undefined;
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
