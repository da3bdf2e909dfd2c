/**
 * An exclusive lock by name: the Web Locks API where there is one (shared by every tab of an
 * origin), otherwise a queue in this process. Browsers without Web Locks (old Safari) get the
 * in-process queue, which still serialises one tab.
 */
export type LockFn = <T>(name: string, run: () => Promise<T>) => Promise<T>;

const queues = new Map<string, Promise<unknown>>();

export const processLock: LockFn = (name, run) => {
  const previous = queues.get(name) ?? Promise.resolve();
  const result = previous.then(run, run);
  const tail = result.catch(() => undefined);
  queues.set(name, tail);
  void tail.then(() => {
    if (queues.get(name) === tail) queues.delete(name);
  });
  return result;
};

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

export const defaultLock: LockFn = (name, run) => {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return locks ? locks.request(name, run) : processLock(name, run);
};
