import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { WorkLimiter } from '../common/work-limiter';
import { WorkerChannel } from '../threads/worker-channel';
import { LIMITS } from '../protocol';

/** The longest a login or registration waits in line for a bcrypt slot before it is refused. */
const MAX_QUEUE_MS = 5000;
/**
 * How much nicer than the process the bcrypt threads run. Under CPU contention they yield to
 * the event loop (sockets, acks) instead of taking their full share; with a core idle they
 * hash at full speed.
 */
const HASHING_NICENESS = 10;

type HashRequest = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

/**
 * bcrypt at BCRYPT_COST on `bcryptConcurrency` worker threads of their own, one hash at a
 * time each, at a lower CPU priority than the event loop: a login storm then neither starves
 * the sockets nor takes libuv's pool from file I/O. What cannot start within about 5 s is
 * refused with 503 and Retry-After.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit, OnApplicationShutdown {
  /** Compared against when the email is unknown, so both failures cost the same time. */
  private dummyHash = '';
  /** Set at start-up, once one hash has been timed: the waiting line holds about 5 s of work. */
  private limiter!: WorkLimiter;
  private readonly threads: Array<WorkerChannel<HashRequest, string | boolean>>;

  constructor(private readonly config: AppConfig) {
    this.threads = Array.from(
      { length: config.bcryptConcurrency },
      () => new WorkerChannel<HashRequest, string | boolean>(join(__dirname, 'password-hasher.worker.js'), { niceness: HASHING_NICENESS }),
    );
  }

  async onModuleInit(): Promise<void> {
    for (const thread of this.threads) thread.start();
    this.dummyHash = await this.hashOn(this.threads[0], randomBytes(24).toString('base64url'));
    const started = performance.now();
    await this.threads[0].call({ op: 'compare', password: 'timing', hash: this.dummyHash });
    const hashMs = Math.max(1, performance.now() - started);
    const concurrency = this.threads.length;
    this.limiter = new WorkLimiter(concurrency, Math.max(concurrency, Math.floor((MAX_QUEUE_MS * concurrency) / hashMs)));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }

  hash(password: string): Promise<string> {
    return this.limiter.run(() => this.hashOn(this.idleThread(), password));
  }

  /**
   * Constant work whether or not there is a hash (an empty one is a user without a local
   * password, e.g. from an external identity provider); never accepts an over-long password.
   */
  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    const matches = await this.limiter.run(() => this.idleThread().call({ op: 'compare', password, hash: hash || this.dummyHash }));
    return matches === true && !!hash && Buffer.byteLength(password, 'utf8') <= LIMITS.passwordMaxBytes;
  }

  private async hashOn(thread: WorkerChannel<HashRequest, string | boolean>, password: string): Promise<string> {
    const hash = await thread.call({ op: 'hash', password, cost: this.config.bcryptCost });
    if (typeof hash !== 'string') throw new Error('the bcrypt thread answered a hash request with no hash');
    return hash;
  }

  /** The limiter lets at most one call per thread run: one of them is free. */
  private idleThread(): WorkerChannel<HashRequest, string | boolean> {
    return this.threads.reduce((best, thread) => (thread.pending < best.pending ? thread : best));
  }
}
