import type { User } from '../../../src/protocol';

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
  load(): StoredSession | null;
  save(session: StoredSession | null): void;
  /** Another tab changed the stored session (optional; browsers' `storage` event). */
  subscribe?(listener: (session: StoredSession | null) => void): () => void;
}

export function memorySessionStore(initial: StoredSession | null = null): SessionStore {
  let session = initial;
  return {
    load: () => session,
    save: (next) => (session = next),
  };
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * `localStorage` (the default in browsers). It exposes the refresh token to XSS; the server
 * limits the damage with rotation and reuse detection (replaying a spent token ends the session).
 */
export function localStorageSessionStore(key = 'parley.session', storage: StorageLike = globalThis.localStorage): SessionStore {
  const parse = (raw: string | null): StoredSession | null => {
    if (!raw) return null;
    try {
      const value = JSON.parse(raw) as Partial<StoredSession>;
      return typeof value.refreshToken === 'string' && value.user ? (value as StoredSession) : null;
    } catch {
      return null;
    }
  };
  return {
    load: () => parse(storage.getItem(key)),
    save: (session) => (session ? storage.setItem(key, JSON.stringify(session)) : storage.removeItem(key)),
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
