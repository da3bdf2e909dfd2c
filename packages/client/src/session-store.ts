import type { User } from '../../../src/protocol';
import { idbStore } from './idb';

/**
 * What survives a reload: the refresh token and the signed-in user (so an app can render
 * while offline). The access token is never stored: it lives in memory only, so script that
 * reads storage cannot take a usable bearer token along.
 */
export interface StoredSession {
  refreshToken: string;
  user: User;
}

export interface SessionStore {
  /** At once, from a synchronous copy: the user to render before any network call. */
  load(): StoredSession | null;
  /**
   * The newest session as any tab wrote it, read inside the refresh lock (default: `load()`).
   * A store shared by tabs must be consistent across them here.
   */
  latest?(): Promise<StoredSession | null>;
  /** Resolves once the session is durable and visible to the other tabs. */
  save(session: StoredSession | null): void | Promise<void>;
  /** Another tab changed the stored session (optional; browsers' `storage` event). */
  subscribe?(listener: (session: StoredSession | null) => void): () => void;
}

export function memorySessionStore(initial: StoredSession | null = null): SessionStore {
  let session = initial;
  return {
    load: () => session,
    save: (next) => void (session = next),
  };
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const parse = (raw: string | null): StoredSession | null => {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<StoredSession>;
    return typeof value.refreshToken === 'string' && value.user ? (value as StoredSession) : null;
  } catch {
    return null;
  }
};

/**
 * Browsers (the default): IndexedDB holds the session the refresh lock reads, `localStorage` a
 * copy for synchronous reads at start-up and its `storage` event. Why both: Chromium
 * propagates a `localStorage` write to other tabs asynchronously, so a tab that takes the
 * lock right after another tab rotated the token can still read the spent one there, and
 * sending it ends the session; an IndexedDB transaction started after another committed
 * sees its write. Either copy is readable by XSS; the server limits a theft with rotation and
 * reuse detection.
 */
export function browserSessionStore(options: { key?: string; storage?: StorageLike; factory?: IDBFactory } = {}): SessionStore {
  const key = options.key ?? 'parley.session';
  const storage = options.storage ?? globalThis.localStorage;
  const factory = options.factory ?? globalThis.indexedDB;
  const db = factory ? idbStore(key, (d) => d.createObjectStore('session'), factory) : null;
  const load = () => parse(storage.getItem(key));
  return {
    load,
    latest: async () => {
      if (!db) return load();
      try {
        return ((await db.run('readonly', (s) => s.get(key))) as StoredSession | undefined) ?? null;
      } catch {
        return load();
      }
    },
    save: async (session) => {
      if (session) storage.setItem(key, JSON.stringify(session));
      else storage.removeItem(key);
      if (session) await db?.run('readwrite', (s) => s.put(session, key));
      else await db?.run('readwrite', (s) => s.delete(key));
    },
    subscribe: (listener) => {
      const target = globalThis as unknown as { addEventListener?: typeof addEventListener; removeEventListener?: typeof removeEventListener };
      if (!target.addEventListener) return () => undefined;
      const onStorage = (event: StorageEvent) => {
        if (event.key === key || event.key === null) listener(parse(event.newValue));
      };
      target.addEventListener('storage', onStorage);
      return () => target.removeEventListener?.('storage', onStorage);
    },
  };
}
