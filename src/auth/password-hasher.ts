import { Injectable, OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { WorkLimiter } from '../common/work-limiter';
import { PASSWORD_MAX_BYTES, utf8Length } from './dto/validators';

/** The longest a login or registration waits in line for a bcrypt slot before it is refused. */
const MAX_QUEUE_MS = 5000;

/**
 * bcrypt (async, on libuv's thread pool) at BCRYPT_COST, at most `bcryptConcurrency` at a
 * time: a login storm then leaves a core to the event loop (sockets, acks) and a pool thread
 * to file I/O, instead of four cost-12 hashes starving both. What cannot start within about
 * 5 s is refused with 503 and Retry-After.
 */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  /** Compared against when the email is unknown, so both failures cost the same time. */
  private dummyHash = '';
  /** Set at start-up, once one hash has been timed: the waiting line holds about 5 s of work. */
  private limiter!: WorkLimiter;

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const started = performance.now();
    this.dummyHash = await bcrypt.hash(randomBytes(24).toString('base64url'), this.config.bcryptCost);
    const hashMs = Math.max(1, performance.now() - started);
    const concurrency = this.config.bcryptConcurrency;
    this.limiter = new WorkLimiter(concurrency, Math.max(concurrency, Math.floor((MAX_QUEUE_MS * concurrency) / hashMs)));
  }

  hash(password: string): Promise<string> {
    return this.limiter.run(() => bcrypt.hash(password, this.config.bcryptCost));
  }

  /** Constant work whether or not there is a hash; never accepts an over-long password. */
  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    const matches = await this.limiter.run(() => bcrypt.compare(password, hash ?? this.dummyHash));
    return matches && hash != null && utf8Length(password) <= PASSWORD_MAX_BYTES;
  }
}
