import { Injectable, OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { PASSWORD_MAX_BYTES, utf8Length } from './dto/validators';

/** bcrypt (async, on libuv's thread pool) at BCRYPT_COST. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  /** Compared against when the email is unknown, so both failures cost the same time. */
  private dummyHash = '';

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(24).toString('base64url'));
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.bcryptCost);
  }

  /** Constant work whether or not there is a hash; never accepts an over-long password. */
  async verify(password: string, hash: string | null | undefined): Promise<boolean> {
    const matches = await bcrypt.compare(password, hash ?? this.dummyHash);
    return matches && hash != null && utf8Length(password) <= PASSWORD_MAX_BYTES;
  }
}
