// Scaffold: replaced by the real reader.
import type { ProfileFormat } from './types.js';

export const dtrace: ProfileFormat = {
  id: 'dtrace',
  name: 'dtrace',
  extensions: [],
  detect: () => 'no',
};
