import type { ProfileStore } from '../store/types.js';

/** The store module, loaded on demand so that commands on files never load SQLite. */
async function storeModule() {
  return import('../store/store.js');
}

/** The store directory of --store, else $PYRO_STORE, else $XDG_DATA_HOME/pyro. */
export async function storeDir(flag?: string): Promise<string> {
  return (await storeModule()).resolveStoreDir(flag);
}

/** Opens (creating on first use) the store, runs `fn` on it and closes it. */
export async function withStore<T>(
  flag: string | undefined,
  fn: (store: ProfileStore, dir: string) => T | Promise<T>,
): Promise<T> {
  const { Store, resolveStoreDir } = await storeModule();
  const dir = resolveStoreDir(flag);
  const store = Store.open(dir);
  try {
    return await fn(store, dir);
  } finally {
    store.close();
  }
}
