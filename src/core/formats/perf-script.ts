// Scaffold: replaced by the real reader.
import type { ProfileFormat } from './types.js';

export const perfScript: ProfileFormat = {
  id: 'perf-script',
  name: 'perf-script',
  extensions: [],
  detect: () => 'no',
};
