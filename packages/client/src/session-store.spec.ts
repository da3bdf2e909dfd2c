import { IDBFactory } from 'fake-indexeddb';
import type { User } from '../../../src/protocol';
import { browserSessionStore } from './session-store';

const user: User = {
  id: 'u1',
  email: 'ada@example.com',
  displayName: 'Ada',
  role: 'user',
  emailVerified: true,
  twoFactorEnabled: false,
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** A tab's localStorage: its own copy, which another tab's writes reach late (as in Chromium). */
const tabStorage = () => {
  const items = new Map<string, string>();
  return {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
};

describe('browserSessionStore', () => {
  it('gives the refresh lock the newest session written by any tab, even where the localStorage copy is stale', async () => {
    const factory = new IDBFactory();
    const tabA = browserSessionStore({ storage: tabStorage(), factory });
    const tabB = browserSessionStore({ storage: tabStorage(), factory });
    await tabA.save({ refreshToken: 'refresh-1', user });
    await tabB.save({ refreshToken: 'refresh-2', user }); // B rotated
    expect(tabA.load()?.refreshToken).toBe('refresh-1'); // A's synchronous copy has not caught up
    expect((await tabA.latest!())?.refreshToken).toBe('refresh-2');
    await tabB.save(null);
    expect(await tabA.latest!()).toBeNull();
  });

  it('reads the synchronous copy at start-up, before any IndexedDB call', async () => {
    const storage = tabStorage();
    await browserSessionStore({ storage, factory: new IDBFactory() }).save({ refreshToken: 'r', user });
    expect(browserSessionStore({ storage, factory: new IDBFactory() }).load()).toEqual({ refreshToken: 'r', user });
  });
});
