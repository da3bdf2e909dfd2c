import type { UserSummary } from '../protocol';
import { RedisService } from '../redis/redis.service';

/**
 * Counts each user's sockets over every node. `add` is true when the socket is the user's
 * only one now, `remove` when the user has none left; both atomic, so of two nodes racing
 * only one sees the edge.
 */
export interface PresenceCounter {
  add(user: UserSummary, socketKey: string): Promise<boolean>;
  remove(user: UserSummary, socketKey: string): Promise<boolean>;
  /** Users whose last sockets were on a node that died (not told by `remove`); Redis only. */
  onVanished(handler: (users: UserSummary[]) => void): void;
  /**
   * Redis only: this node's sockets were swept out (it could not beat for a while) and have
   * been counted again from `local`; `handler` gets their users.
   */
  onRestored(local: () => Array<{ user: UserSummary; sockets: Iterable<string> }>, handler: (users: UserSummary[]) => void): void;
  close(): Promise<void>;
}

/** One node without Redis: the counts are this process's sockets. */
export class MemoryPresenceCounter implements PresenceCounter {
  private readonly sockets = new Map<string, Set<string>>();

  add(user: UserSummary, socketKey: string): Promise<boolean> {
    const set = this.sockets.get(user.id) ?? new Set<string>();
    set.add(socketKey);
    this.sockets.set(user.id, set);
    return Promise.resolve(set.size === 1);
  }

  remove(user: UserSummary, socketKey: string): Promise<boolean> {
    const set = this.sockets.get(user.id);
    if (!set?.delete(socketKey)) return Promise.resolve(false);
    if (set.size > 0) return Promise.resolve(false);
    this.sockets.delete(user.id);
    return Promise.resolve(true);
  }

  onVanished(): void {
    // a single node that dies takes every count with it: nothing is left to sweep
  }

  onRestored(): void {
    // nothing outside this process can forget this node's sockets
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A node is dead once its heartbeat is this old; its sockets then stop counting. */
export const NODE_EXPIRY_MS = 10_000;
const HEARTBEAT_MS = 2000;

// KEYS: user set, node hash, node zset. ARGV: member, user id, display name, node id, now.
const ADD = `
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
return redis.call('SCARD', KEYS[1])`;
// KEYS: user set. ARGV: member. 1 when this removed the user's last socket.
const REMOVE = `
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
if redis.call('SCARD', KEYS[1]) == 0 then return 1 end
return 0`;
// KEYS: node zset, dead node's hash. ARGV: dead node id, user-set key prefix.
// Returns [id, name, …] of the users left without any socket. Only the node whose ZREM wins
// sweeps a dead node, so each vanished user is reported once.
const SWEEP = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {} end
local users = redis.call('HGETALL', KEYS[2])
local gone = {}
local mine = ARGV[1] .. '|'
for i = 1, #users, 2 do
  local key = ARGV[2] .. users[i]
  for _, member in ipairs(redis.call('SMEMBERS', key)) do
    if string.sub(member, 1, #mine) == mine then redis.call('SREM', key, member) end
  end
  if redis.call('SCARD', key) == 0 then
    table.insert(gone, users[i])
    table.insert(gone, users[i + 1])
  end
end
redis.call('DEL', KEYS[2])
return gone`;

/**
 * Every node's sockets in Redis: per user a set of `<node>|<socket>`; per node a hash of the
 * users it holds and a heartbeat in a shared sorted set. A node that dies (kill -9) stops its
 * heartbeat; after NODE_EXPIRY_MS another node sweeps its sockets out, so its users go offline
 * unless they reconnected meanwhile (then they never went offline at all).
 */
export class RedisPresenceCounter implements PresenceCounter {
  private readonly heartbeat: NodeJS.Timeout;
  private vanished: (users: UserSummary[]) => void = () => undefined;
  private local: () => Array<{ user: UserSummary; sockets: Iterable<string> }> = () => [];
  private restored: (users: UserSummary[]) => void = () => undefined;
  /** Since when every beat of this node reached Redis (null: the last one failed). */
  private healthySince: number | null = null;

  constructor(
    private readonly redis: RedisService,
    private readonly nodeId: string,
    private readonly onError: (error: unknown) => void,
  ) {
    const beat = () =>
      this.beat().catch((error: unknown) => {
        if (this.healthySince !== null) onError(error); // once per outage
        this.healthySince = null;
      });
    this.heartbeat = setInterval(beat, HEARTBEAT_MS).unref();
    void beat();
  }

  async add(user: UserSummary, socketKey: string): Promise<boolean> {
    const count = (await this.redis.command.eval(
      ADD,
      3,
      this.userKey(user.id),
      this.nodeKey(this.nodeId),
      this.nodesKey(),
      this.member(socketKey),
      user.id,
      user.displayName,
      this.nodeId,
      Date.now(),
    )) as number;
    return count === 1;
  }

  async remove(user: UserSummary, socketKey: string): Promise<boolean> {
    return ((await this.redis.command.eval(REMOVE, 1, this.userKey(user.id), this.member(socketKey))) as number) === 1;
  }

  onVanished(handler: (users: UserSummary[]) => void): void {
    this.vanished = handler;
  }

  onRestored(local: () => Array<{ user: UserSummary; sockets: Iterable<string> }>, handler: (users: UserSummary[]) => void): void {
    this.local = local;
    this.restored = handler;
  }

  /** After every local socket was removed: this node no longer holds anyone. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await Promise.all([this.redis.command.zrem(this.nodesKey(), this.nodeId), this.redis.command.del(this.nodeKey(this.nodeId))]);
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    const added = await this.redis.command.zadd(this.nodesKey(), now, this.nodeId);
    this.healthySince ??= now;
    // Not in the set: another node swept this one out (it could not beat for a while): count its sockets again.
    if (added === 1) await this.restore();
    // Only a node that has beaten for a whole expiry period judges others: after an outage of
    // Redis every live node first gets that long to beat again.
    if (now - this.healthySince < NODE_EXPIRY_MS) return;
    const dead = await this.redis.command.zrangebyscore(this.nodesKey(), '-inf', now - NODE_EXPIRY_MS);
    for (const node of dead) {
      const gone = (await this.redis.command.eval(SWEEP, 2, this.nodesKey(), this.nodeKey(node), node, this.userKey(''))) as string[];
      const users: UserSummary[] = [];
      for (let i = 0; i < gone.length; i += 2) users.push({ id: gone[i], displayName: gone[i + 1] });
      if (users.length > 0) this.vanished(users);
    }
  }

  private async restore(): Promise<void> {
    const users: UserSummary[] = [];
    for (const { user, sockets } of this.local()) {
      for (const key of sockets) await this.add(user, key);
      users.push(user);
    }
    if (users.length > 0) this.restored(users);
  }

  private member(socketKey: string): string {
    return `${this.nodeId}|${socketKey}`;
  }
  private userKey(userId: string): string {
    return this.redis.key(`presence:user:${userId}`);
  }
  private nodeKey(nodeId: string): string {
    return this.redis.key(`presence:node:${nodeId}`);
  }
  private nodesKey(): string {
    return this.redis.key('presence:nodes');
  }
}
