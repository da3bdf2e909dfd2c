import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { describeCause } from '../common/errors';
import { AppConfig } from '../config/app-config';
import type { UserSummary } from '../protocol';
import { ParleySocket } from '../realtime/events';
import { RealtimeService } from '../realtime/realtime.service';
import { RedisService } from '../redis/redis.service';
import { toUserSummary } from '../users/user.view';
import { MemoryPresenceCounter, PresenceCounter, RedisPresenceCounter } from './presence-counter';
import { WebhooksService } from './webhooks.service';

/** The waiting user.offline of a user, cancelled by a reconnect inside the delay. */
export const offlineSubject = (userId: string) => `user.offline:${userId}`;

/** Offline rows stored per INSERT at shutdown (well under SQLite's parameter limit). */
const SHUTDOWN_CHUNK = 500;

/**
 * user.online / user.offline. The last socket leaving stores a user.offline due after
 * WEBHOOK_OFFLINE_DELAY; a first socket (over every node) cancels it if it still waits, and
 * only when there was none to cancel is the user new online. The waiting event lives in the
 * outbox, so a restart inside the delay neither loses it nor sends a pair: a draining node
 * stores the offline of each of its users (the clients reconnect elsewhere and cancel them).
 * Each user's transitions on this node run one after another, so a reload's disconnect has
 * stored its offline before the reconnect looks for it.
 */
@Injectable()
export class PresenceWebhooks implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(PresenceWebhooks.name);
  private counter: PresenceCounter | null = null;
  /** This node's sockets per user, to hand them back at shutdown. */
  private readonly local = new Map<string, { user: UserSummary; sockets: Set<string> }>();
  private readonly chains = new Map<string, Promise<void>>();
  private closing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly webhooks: WebhooksService,
    private readonly realtime: RealtimeService,
    @Inject(RedisService) private readonly redis: RedisService | null,
  ) {}

  onModuleInit(): void {
    if (!this.webhooks.enabled('user.online') && !this.webhooks.enabled('user.offline')) return;
    const report = (error: unknown) => this.logger.warn(`Presence for webhooks: ${describeCause(error)}`);
    // This process's own name in Redis: a node restarted under the same NODE_ID after a kill -9
    // must not keep its previous life's sockets alive by beating for them.
    const instance = `${this.config.nodeId}#${randomBytes(4).toString('hex')}`;
    this.counter = this.redis ? new RedisPresenceCounter(this.redis, instance, report) : new MemoryPresenceCounter();
    this.counter.onVanished((users) => void this.storeOffline(users, Date.now()).catch(report));
    // swept out while cut off from Redis, then counted again: the offline stored for them meanwhile was wrong
    this.counter.onRestored(
      () => [...this.local.values()],
      (users) => {
        for (const user of users) void this.webhooks.cancel(offlineSubject(user.id)).catch(report);
      },
    );
    this.realtime.onSocketLifecycle({
      connected: (socket) => this.connected(socket),
      disconnected: (socket) => this.disconnected(socket),
    });
  }

  /** Draining: every socket here is leaving; store the offline of each user this leaves without one. */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.counter) return;
    this.closing = true;
    await Promise.all(this.chains.values());
    const counter = this.counter;
    const gone: UserSummary[] = [];
    for (const { user, sockets } of this.local.values()) {
      for (const key of sockets) {
        if (await counter.remove(user, key).catch(() => false)) gone.push(user);
      }
    }
    this.local.clear();
    const now = Date.now();
    for (let i = 0; i < gone.length; i += SHUTDOWN_CHUNK) {
      await this.storeOffline(gone.slice(i, i + SHUTDOWN_CHUNK), now).catch((error: unknown) =>
        this.logger.error(`Could not store offline events: ${describeCause(error)}`),
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.counter?.close().catch(() => undefined);
  }

  private connected(socket: ParleySocket): void {
    const user = toUserSummary(socket.data.user);
    const key = socketKey(socket);
    const entry = this.local.get(user.id) ?? { user, sockets: new Set<string>() };
    entry.sockets.add(key);
    this.local.set(user.id, entry);
    this.serially(user.id, async (counter) => {
      if (!(await counter.add(user, key))) return;
      if ((await this.webhooks.cancel(offlineSubject(user.id))) > 0) return; // back inside the delay
      await this.webhooks.emit('user.online', { user });
    });
  }

  private disconnected(socket: ParleySocket): void {
    if (this.closing) return; // beforeApplicationShutdown handed these back
    const user = toUserSummary(socket.data.user);
    const key = socketKey(socket);
    const entry = this.local.get(user.id);
    entry?.sockets.delete(key);
    if (entry?.sockets.size === 0) this.local.delete(user.id);
    this.serially(user.id, async (counter) => {
      if (await counter.remove(user, key)) await this.storeOffline([user], Date.now());
    });
  }

  private async storeOffline(users: UserSummary[], now: number): Promise<void> {
    // Stored even when only user.online is on: a reconnect inside the delay must find it to
    // send nothing (the worker drops it unsent when it comes due).
    if (users.length === 0 || !this.webhooks.config) return;
    const deliverAfter = new Date(now + this.webhooks.config.offlineDelayMs);
    const rows = users.map((user) =>
      this.webhooks.eventFromViews('user.offline', { user }, { at: new Date(now), deliverAfter, subject: offlineSubject(user.id) }),
    );
    await this.webhooks.store(rows);
  }

  private serially(userId: string, step: (counter: PresenceCounter) => Promise<void>): void {
    const counter = this.counter;
    if (!counter || this.closing) return;
    const previous = this.chains.get(userId) ?? Promise.resolve();
    const next = previous
      .then(() => step(counter))
      .catch((error: unknown) => this.logger.warn(`Presence webhook for a user not recorded: ${describeCause(error)}`))
      .finally(() => {
        if (this.chains.get(userId) === next) this.chains.delete(userId);
      });
    this.chains.set(userId, next);
  }
}

const socketKey = (socket: ParleySocket) => `${socket.nsp.name}#${socket.id}`;
