// Scaffold: replaced by the real reader.
import type { ProfileFormat } from './types.js';

export const pprof: ProfileFormat = {
  id: 'pprof',
  name: 'pprof',
  extensions: [],
  detect: () => 'no',
};
