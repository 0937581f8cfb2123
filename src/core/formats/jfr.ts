// Java Flight Recorder (.jfr): the binary chunk format of the JDK's flight
// recorder (JDK 11 and later, `java -XX:StartFlightRecording`, `jcmd JFR.dump`)
// and of async-profiler's `-o jfr`. There is no published spec; the layout is
// the one the JDK's own parser reads (jdk.jfr.internal.consumer.ChunkParser):
// https://github.com/openjdk/jdk/tree/master/src/jdk.jfr/share/classes/jdk/jfr/internal/consumer
// Reader: jfr/read.ts (chunks, value types), jfr/chunk.ts (pools and events),
// jfr/metadata.ts (the class layouts), jfr/input.ts (varints and strings).
import { readJfr } from './jfr/read.js';
import type { Detection, ProfileFormat } from './types.js';

/** Every chunk starts with "FLR\0". */
function detectJfr(head: Buffer): Detection {
  return head.length >= 4 && head[0] === 0x46 && head[1] === 0x4c && head[2] === 0x52 && head[3] === 0 ? 'yes' : 'no';
}

export const jfr: ProfileFormat = {
  id: 'jfr',
  name: 'Java Flight Recorder (JFR)',
  extensions: ['.jfr'],
  detect: detectJfr,
  read: (source, options) => readJfr(source, options),
};
