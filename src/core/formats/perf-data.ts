// Scaffold: replaced by the real reader.
import type { ProfileFormat } from './types.js';

export const perfData: ProfileFormat = {
  id: 'perf-data',
  name: 'perf-data',
  extensions: [],
  detect: () => 'no',
};
