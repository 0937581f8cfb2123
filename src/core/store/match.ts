import { homedir } from 'node:os';
import { join } from 'node:path';
import { PyroError } from '../errors.js';
import type { ValueType } from '../model/profile.js';
import { formatSelector, matchesLabels, type Selector } from '../query/selector.js';

/** The label that holds the app name (`--app`, the selector's head). */
export const APP_LABEL = 'service_name';

/** What an app name may be made of, so that a selector can name it. */
export const APP_NAME = /^[A-Za-z0-9_.:-]+$/;

/** The store directory: --store DIR, else PYRO_STORE, else $XDG_DATA_HOME/pyro, else ~/.local/share/pyro. */
export function resolveStoreDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.PYRO_STORE) return env.PYRO_STORE;
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, 'pyro');
  return join(homedir(), '.local', 'share', 'pyro');
}

interface Matchable {
  type: ValueType;
  labels: Record<string, string>;
}

/**
 * The series a selector picks: app (= service_name) and label matchers with
 * Prometheus's meaning. With `defaultType`, a selector without a type picks
 * `cpu`, else the only type among the matching series (several: an error);
 * without it, every type.
 */
export function matchSeries<T extends Matchable>(series: readonly T[], sel: Selector, defaultType = false): T[] {
  const byLabels = series.filter(
    (s) => (sel.app === undefined || s.labels[APP_LABEL] === sel.app) && matchesLabels(sel, s.labels),
  );
  let type = sel.type;
  if (type === undefined) {
    if (!defaultType) return byLabels;
    const types = [...new Set(byLabels.map((s) => s.type.type))].sort();
    if (types.length > 1 && !types.includes('cpu')) {
      throw new PyroError(
        `${formatSelector(sel)} matches several profile types (${types.join(', ')}): name one, e.g. ${sel.app ?? 'app'}.${types[0]}{...}`,
        2,
      );
    }
    type = types.includes('cpu') ? 'cpu' : types[0];
  }
  return byLabels.filter((s) => s.type.type === type);
}
