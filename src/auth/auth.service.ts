import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors';
import { newId } from '../common/ids';
import { AccountMailer } from '../mail/account-mailer.service';
import { SessionMeta, SessionsService } from '../sessions/sessions.service';
import type {
  AuthResponse,
  ChangePasswordBody,
  LoginBody,
  LoginResponse,
  LoginSecondStepBody,
  RecoveryCodes,
  RegisterBody,
  ResetPasswordBody,
  SessionInfo,
  Static,
  TwoFactorDisableBody,
  TwoFactorSetup,
  User,
} from '../protocol';
import { MFA_TOKEN_TTL_SECONDS, TwoFactorService } from '../two-factor/two-factor.service';
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
    private readonly twoFactor: TwoFactorService,
  ) {}

  async register(dto: Static<typeof RegisterBody>, meta: SessionMeta): Promise<AuthResponse> {
    const passwordHash = await this.passwords.hash(dto.password);
    const user = await this.users.create({ email: dto.email, passwordHash, displayName: dto.displayName });
    this.mailer.sendVerification(user);
    return this.startSession(user, meta, user.credentialsVersion);
  }

  /** With two-factor sign-in on, the password only earns the second step's token. */
  async login(dto: Static<typeof LoginBody>, meta: SessionMeta): Promise<LoginResponse> {
    const user = await this.users.findByEmailWithPassword(dto.email);
    const ok = await this.passwords.verify(dto.password, user?.passwordHash);
    if (!user || !ok) throw new AppError('INVALID_CREDENTIALS', 'Invalid credentials');
    if (user.twoFactorEnabledAt) {
      const mfaToken = await this.twoFactor.createChallenge(user.id, user.credentialsVersion);
      return { mfaRequired: true, mfaToken, expiresIn: MFA_TOKEN_TTL_SECONDS };
    }
    return this.startSession(user, meta, user.credentialsVersion);
  }

  /** `POST /auth/login/2fa`: the mfaToken and a TOTP or recovery code; a new session. */
  async loginSecondStep(dto: LoginSecondStepBody, meta: SessionMeta): Promise<AuthResponse> {
    const factor = 'code' in dto ? { code: dto.code } : { recoveryCode: dto.recoveryCode };
    const challenge = await this.twoFactor.answerChallenge(dto.mfaToken, factor);
    const user = await this.users.findById(challenge.userId);
    if (!user) throw new AppError('INVALID_CREDENTIALS', 'Invalid credentials');
    return this.startSession(user, meta, challenge.credentialsVersion);
  }

  async setupTwoFactor(principal: Principal): Promise<TwoFactorSetup> {
    if (principal.kind === 'external') throw new AppError('VALIDATION_FAILED', 'Two-factor sign-in for this account is up to your identity provider');
    const user = await this.users.findById(principal.id);
    if (!user) throw new AppError('SESSION_REVOKED', 'The session has ended');
    return this.twoFactor.setup(user.id, user.email ?? user.displayName);
  }

  /** Enabling ends every other session (`two_factor_changed`); the caller's stays. */
  async enableTwoFactor(principal: Principal, code: string): Promise<RecoveryCodes> {
    if (principal.kind === 'external') throw new AppError('VALIDATION_FAILED', 'Two-factor sign-in for this account is up to your identity provider');
    const { recoveryCodes, credentialsVersion } = await this.twoFactor.enable(principal.id, code);
    await this.sessions.adoptCredentials(principal.sid, credentialsVersion);
    await this.sessions.endAllForUser(principal.id, 'two_factor_changed', principal.sid);
    return { recoveryCodes };
  }

  async disableTwoFactor(principal: Principal, dto: Static<typeof TwoFactorDisableBody>): Promise<void> {
    if (principal.kind === 'external') throw new AppError('VALIDATION_FAILED', 'Two-factor sign-in for this account is up to your identity provider');
    const hash = await this.users.getPasswordHash(principal.id);
    if (!(await this.passwords.verify(dto.password, hash))) throw new AppError('INVALID_CREDENTIALS', 'Password is incorrect');
    if (!(await this.twoFactor.verifyEither(principal.id, dto.code))) throw new AppError('VALIDATION_FAILED', 'Wrong or already used code');
    const credentialsVersion = await this.twoFactor.disable(principal.id);
    if (credentialsVersion === null) throw new AppError('VALIDATION_FAILED', 'Two-factor sign-in is not enabled');
    await this.sessions.adoptCredentials(principal.sid, credentialsVersion);
    await this.sessions.endAllForUser(principal.id, 'two_factor_changed', principal.sid);
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
    if (outcome === 'stale') {
      // created under credentials that changed since (a login racing a password reset)
      await this.sessions.end(claims.sid, 'password_changed');
      throw new AppError('SESSION_REVOKED', 'The session has ended');
    }
    if (outcome === 'ended') throw new AppError('SESSION_REVOKED', 'The session has ended');
    const user = await this.users.findById(claims.sub);
    if (!user) throw new AppError('SESSION_REVOKED', 'The session has ended');
    const response = this.respond(user, claims.sid, next.token);
    // A logout between the swap and here ended the session after this access token's expiry
    // was fixed, so every node remembers that end at least as long as the token lives; one
    // before here is caught now (finding 14).
    if (await this.sessions.isEnded(claims.sid)) throw new AppError('SESSION_REVOKED', 'The session has ended');
    return response;
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
    const version = await this.users.setPasswordHash(principal.id, await this.passwords.hash(dto.newPassword));
    if (principal.sid) await this.sessions.adoptCredentials(principal.sid, version);
    await this.mailer.voidResetLinks(principal.id);
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

  /**
   * A new session bound to `credentialsVersion`, the version the credentials were checked
   * against. If the password (or 2FA) changed meanwhile, the change's end-every-session may
   * have run before this row existed: the session ends here instead (finding 9).
   */
  private async startSession(user: UserEntity, meta: SessionMeta, credentialsVersion: number): Promise<AuthResponse> {
    const sid = newId();
    const refresh = this.tokens.signRefresh(user.id, sid);
    await this.sessions.create(user.id, refresh.secretHash, new Date(refresh.expiresAt), meta, sid, credentialsVersion);
    if ((await this.users.getCredentialsVersion(user.id)) !== credentialsVersion) {
      await this.sessions.end(sid, 'password_changed');
      throw new AppError('INVALID_CREDENTIALS', 'Invalid credentials');
    }
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
