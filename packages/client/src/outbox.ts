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
  const name = options.name ?? 'parley-outbox';
  const STORE = 'entries';
  let db: Promise<IDBDatabase> | null = null;
  const open = () =>
    (db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const factory = options.factory ?? globalThis.indexedDB;
      const request = factory.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'clientMsgId' }).createIndex('userId', 'userId');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => {
        db = null;
        reject(request.error ?? new Error('IndexedDB open failed'));
      };
    }));
  const run = async <T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const tx = (await open()).transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    // Resolve once the transaction is durable, not when the request succeeds.
    return new Promise<T>((resolve, reject) => {
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    });
  };
  return {
    list: async (userId) => ((await run('readonly', (s) => s.index('userId').getAll(userId))) as OutboxEntry[]).sort(byAge),
    put: async (entry) => void (await run('readwrite', (s) => s.put(entry))),
    delete: async (clientMsgId) => void (await run('readwrite', (s) => s.delete(clientMsgId))),
  };
}
