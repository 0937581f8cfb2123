// The command list oclif loads (explicit strategy: no directory scan at start-up).
import Convert from './convert.js';
import Diff from './diff.js';
import Export from './export.js';
import Flamegraph from './flamegraph.js';
import Gc from './gc.js';
import Info from './info.js';
import Ingest from './ingest.js';
import Label from './label.js';
import Labels from './labels.js';
import Peek from './peek.js';
import Push from './push.js';
import Record from './record.js';
import Rm from './rm.js';
import Series from './series.js';
import Server from './server.js';
import Sync from './sync.js';
import Top from './top.js';

export const COMMANDS = {
  convert: Convert,
  diff: Diff,
  export: Export,
  flamegraph: Flamegraph,
  gc: Gc,
  info: Info,
  ingest: Ingest,
  label: Label,
  labels: Labels,
  peek: Peek,
  push: Push,
  record: Record,
  rm: Rm,
  series: Series,
  server: Server,
  sync: Sync,
  top: Top,
};
