import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import { AccountMailer } from '../mail/account-mailer.service';
import { SessionMeta, SessionsService } from '../sessions/sessions.service';
import type { AuthResponse, ChangePasswordBody, LoginBody, RegisterBody, ResetPasswordBody, SessionInfo, Static, User } from '../protocol';
import { UserEntity } from '../users/user.entity';
import { toUser } from '../users/user.view';
import { UsersService } from '../users/users.service';
import { PasswordHasher } from './password-hasher';
import { Principal } from './principal';
import { sha256, TokenService } from './token.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly tokens: TokenService,
    private readonly passwords: PasswordHasher,
    private readonly mailer: AccountMailer,
  ) {}

  async register(dto: Static<typeof RegisterBody>, meta: SessionMeta): Promise<AuthResponse> {
    const passwordHash = await this.passwords.hash(dto.password);
    const user = await this.users.create({ email: dto.email, passwordHash, displayName: dto.displayName });
    this.mailer.sendVerification(user);
    return this.startSession(user, meta);
  }

  async login(dto: Static<typeof LoginBody>, meta: SessionMeta): Promise<AuthResponse> {
    const user = await this.users.findByEmailWithPassword(dto.email);
    const ok = await this.passwords.verify(dto.password, user?.passwordHash);
    if (!user || !ok) throw new AppError('INVALID_CREDENTIALS', 'Invalid credentials');
    return this.startSession(user, meta);
  }

  /** Rotation with reuse detection: see SessionsService.rotate. */
  async refresh(refreshToken: string): Promise<AuthResponse> {
    const claims = this.tokens.verifyRefresh(refreshToken);
    const next = this.tokens.signRefresh(claims.sub, claims.sid);
    const outcome = await this.sessions.rotate(claims.sid, sha256(claims.sec), next.secretHash, new Date(next.expiresAt));
    if (outcome === 'reused') {
      await this.sessions.end(claims.sid, 'refresh_reuse');
      throw new AppError('TOKEN_INVALID', 'Refresh token already used; the session has been ended');
    }
    if (outcome === 'ended') throw new AppError('SESSION_REVOKED', 'The session has ended');
    const user = await this.users.findById(claims.sub);
    if (!user) throw new AppError('SESSION_REVOKED', 'The session has ended');
    return this.respond(user, claims.sid, next.token);
  }

  async logout(principal: Principal): Promise<void> {
    if (principal.kind === 'external') throw new AppError('VALIDATION_FAILED', 'Sign out at your identity provider');
    await this.sessions.end(principal.sid, 'logout');
  }

  async logoutAll(principal: Principal): Promise<void> {
    await this.sessions.endAllForUser(principal.id, 'logout_all');
  }

  async me(principal: Principal): Promise<User> {
    const user = await this.users.findById(principal.id);
    if (!user) throw new AppError('SESSION_REVOKED', 'The session has ended');
    return toUser(user);
  }

  /** Ends every other session; the caller's stays signed in. */
  async changePassword(principal: Principal, dto: Static<typeof ChangePasswordBody>): Promise<void> {
    const hash = await this.users.getPasswordHash(principal.id);
    if (!(await this.passwords.verify(dto.currentPassword, hash))) {
      throw new AppError('INVALID_CREDENTIALS', 'Current password is incorrect');
    }
    await this.users.setPasswordHash(principal.id, await this.passwords.hash(dto.newPassword));
    await this.sessions.endAllForUser(principal.id, 'password_changed', principal.sid ?? undefined);
  }

  /** None for a token of the external provider: it has no Parley session. */
  async listSessions(principal: Principal): Promise<SessionInfo[]> {
    if (principal.kind === 'external') return [];
    const sessions = await this.sessions.listActive(principal.id);
    return sessions.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      userAgent: s.userAgent,
      ip: s.ip,
      current: s.id === principal.sid,
    }));
  }

  async endSession(principal: Principal, sid: string): Promise<void> {
    await this.sessions.endOwn(principal.id, sid);
  }

  async verifyEmail(token: string): Promise<void> {
    const userId = await this.mailer.consumeToken('verify', token);
    await this.users.markEmailVerified(userId);
  }

  async resendVerification(principal: Principal): Promise<void> {
    const user = await this.users.findById(principal.id);
    if (user && !user.emailVerifiedAt) this.mailer.sendVerification(user);
  }

  /**
   * Always accepted; the lookup and the mail happen after the response, so the answer takes
   * the same time whether or not the account exists.
   */
  forgotPassword(email: string): void {
    setImmediate(() => {
      // A user of the external provider has no local password and gets none this way.
      void this.users.findByEmailWithPassword(email).then(
        (user) => user?.passwordHash && this.mailer.sendPasswordReset(user),
        (error: unknown) => this.mailer.reportBackgroundFailure('password reset lookup', error),
      );
    });
  }

  /** Proves control of the mailbox, so it also verifies the email; every session ends. */
  async resetPassword(dto: Static<typeof ResetPasswordBody>): Promise<void> {
    const userId = await this.mailer.consumeToken('reset', dto.token);
    await this.users.setPasswordHash(userId, await this.passwords.hash(dto.newPassword));
    await this.users.markEmailVerified(userId);
    await this.sessions.endAllForUser(userId, 'password_reset');
  }

  private async startSession(user: UserEntity, meta: SessionMeta): Promise<AuthResponse> {
    const sid = newId();
    const refresh = this.tokens.signRefresh(user.id, sid);
    await this.sessions.create(user.id, refresh.secretHash, new Date(refresh.expiresAt), meta, sid);
    return this.respond(user, sid, refresh.token);
  }

  private respond(user: UserEntity, sid: string, refreshToken: string): AuthResponse {
    const access = this.tokens.signAccess({
      userId: user.id,
      sid,
      role: user.role,
      displayName: user.displayName,
      emailVerified: user.emailVerifiedAt !== null,
    });
    return {
      user: toUser(user),
      accessToken: access.token,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.tokens.accessTtlSeconds,
    };
  }
}
