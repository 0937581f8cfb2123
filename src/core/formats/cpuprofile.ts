// Scaffold: replaced by the real reader.
import type { ProfileFormat } from './types.js';

export const cpuprofile: ProfileFormat = {
  id: 'cpuprofile',
  name: 'cpuprofile',
  extensions: [],
  detect: () => 'no',
};
