/** A little IndexedDB: one object store per database, promises that settle once a transaction is durable. */
export interface IdbStore {
  run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T>;
}

export function idbStore(name: string, setup: (db: IDBDatabase) => void, factory: IDBFactory = globalThis.indexedDB): IdbStore {
  let db: Promise<IDBDatabase> | null = null;
  const open = () =>
    (db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(name, 1);
      request.onupgradeneeded = () => setup(request.result);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => {
        db = null;
        reject(request.error ?? new Error('IndexedDB open failed'));
      };
    }));
  return {
    async run(mode, work) {
      const database = await open();
      const tx = database.transaction(database.objectStoreNames[0], mode);
      const request = work(tx.objectStore(database.objectStoreNames[0]));
      // Resolve once the transaction has committed, not when the request succeeds: a tab
      // that starts a transaction after this one completed sees its writes.
      return new Promise((resolve, reject) => {
        tx.oncomplete = () => resolve(request.result);
        tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      });
    },
  };
}
