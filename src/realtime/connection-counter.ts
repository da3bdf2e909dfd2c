/**
 * Sockets per user per namespace, for WS_MAX_CONNECTIONS_PER_USER. In memory for one node;
 * the Redis implementation counts across nodes.
 */
export abstract class ConnectionCounter {
  /** Counts the socket if the user is under `max`; false (and nothing counted) otherwise. */
  abstract tryAcquire(namespace: string, userId: string, max: number): Promise<boolean>;
  abstract release(namespace: string, userId: string): Promise<void>;
}

export class LocalConnectionCounter extends ConnectionCounter {
  private readonly counts = new Map<string, number>();

  async tryAcquire(namespace: string, userId: string, max: number): Promise<boolean> {
    const key = `${namespace}|${userId}`;
    const count = this.counts.get(key) ?? 0;
    if (count >= max) return false;
    this.counts.set(key, count + 1);
    return true;
  }

  async release(namespace: string, userId: string): Promise<void> {
    const key = `${namespace}|${userId}`;
    const count = (this.counts.get(key) ?? 1) - 1;
    if (count <= 0) this.counts.delete(key);
    else this.counts.set(key, count);
  }
}
