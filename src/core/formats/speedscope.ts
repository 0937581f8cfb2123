// Scaffold: replaced by the real reader.
import type { ProfileFormat } from './types.js';

export const speedscope: ProfileFormat = {
  id: 'speedscope',
  name: 'speedscope',
  extensions: [],
  detect: () => 'no',
};
