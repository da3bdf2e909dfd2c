import { idbStore } from './idb';

/**
 * Sends not yet acknowledged. An entry is written before its first attempt and deleted once the
 * server acknowledged it (or refused it for good); every attempt carries the entry's
 * `clientMsgId`, so the server stores it once however often it arrives: a page reload, a crash
 * or a lost acknowledgement between the two cannot send it twice.
 */
export interface OutboxEntry {
  clientMsgId: string;
  /** the sender: entries of another user who signs in on the same device are not theirs to send */
  userId: string;
  /** `message:send` to a room, or `dm:send` to a user */
  kind: 'room' | 'dm';
  /** the room name, or the user id of a DM */
  to: string;
  body: string;
  /** ms since the epoch; entries go out in this order */
  createdAt: number;
}

export interface OutboxStore {
  /** The user's entries, oldest first. */
  list(userId: string): Promise<OutboxEntry[]>;
  put(entry: OutboxEntry): Promise<void>;
  delete(clientMsgId: string): Promise<void>;
}

const byAge = (a: OutboxEntry, b: OutboxEntry) => a.createdAt - b.createdAt || (a.clientMsgId < b.clientMsgId ? -1 : 1);

/** In memory: survives reconnects, not a restart of the process (Node, tests). */
export function memoryOutbox(): OutboxStore {
  const entries = new Map<string, OutboxEntry>();
  return {
    list: async (userId) => [...entries.values()].filter((e) => e.userId === userId).sort(byAge),
    put: async (entry) => void entries.set(entry.clientMsgId, { ...entry }),
    delete: async (clientMsgId) => void entries.delete(clientMsgId),
  };
}

/** IndexedDB (browsers): survives reloads and restarts; shared by the tabs of an origin. */
export function indexedDbOutbox(options: { name?: string; factory?: IDBFactory } = {}): OutboxStore {
  const db = idbStore(
    options.name ?? 'parley-outbox',
    (d) => d.createObjectStore('entries', { keyPath: 'clientMsgId' }).createIndex('userId', 'userId'),
    options.factory,
  );
  return {
    list: async (userId) => ((await db.run('readonly', (s) => s.index('userId').getAll(userId))) as OutboxEntry[]).sort(byAge),
    put: async (entry) => void (await db.run('readwrite', (s) => s.put(entry))),
    delete: async (clientMsgId) => void (await db.run('readwrite', (s) => s.delete(clientMsgId))),
  };
}
