// Pyroscope's `lines` ingest body (POST /ingest?format=lines), as grafana/pyroscope
// v0.37.2 reads it (pkg/convert/parser.go, ParseIndividualLines): each line is one
// stack of ';'-separated frames, root first, counting one sample; empty lines are
// skipped. Lines end at LF (a CR before it is dropped) and are not trimmed.
//   foo;bar
//   foo;baz
// The key is split as Tree.Insert splits it (see pyroscope-binary.ts): "a;;b"
// has an empty frame, a trailing ';' adds none.
import { forEachLine } from '../io/lines.js';
import type { Source } from '../io/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { type Profile, SAMPLES } from '../model/profile.js';
import { StackKey } from './pyroscope-binary.js';
import type { ProfileFormat } from './types.js';

export async function parseLines(source: Source): Promise<Profile> {
  const b = new ProfileBuilder([SAMPLES], 'pyroscope-lines');
  const trie = b.profile.trieFor(0);
  const key = new StackKey(trie, b.profile.frames);
  let lines = 0;
  await forEachLine(source, (buf, start, end) => {
    if (start === end) return;
    // The frames the line shares with the previous one are kept.
    const prev = key.bytes;
    const max = Math.min(end - start, key.length);
    let same = 0;
    while (same < max && buf[start + same] === prev[same]) same++;
    key.truncate(same);
    key.append(buf, start + same, end);
    trie.addSelf(key.node(), 0, 1);
    lines++;
  });
  b.profile.sampleCount = lines;
  return b.finish();
}

export const pyroscopeLines: ProfileFormat = {
  id: 'pyroscope-lines',
  name: "Pyroscope's lines (ingest format=lines: one stack a line)",
  extensions: [],
  // Any text is lines: chosen by id only (--input-format, the ingest API's format).
  detect: () => 'no',
  read: (source) => parseLines(source),
};
