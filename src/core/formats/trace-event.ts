// Scaffold: replaced by the real reader.
import type { ProfileFormat } from './types.js';

export const traceEvent: ProfileFormat = {
  id: 'trace-event',
  name: 'trace-event',
  extensions: [],
  detect: () => 'no',
};
