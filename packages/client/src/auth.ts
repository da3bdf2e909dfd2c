import type {
  AuthResponse,
  LoginBody,
  LoginResponse,
  LoginSecondStepBody,
  RegisterBody,
  RevokeReason,
  SessionInfo,
  Static,
  User,
} from '../../../src/protocol';
import { Backoff, BackoffOptions } from './backoff';
import { Emitter } from './emitter';
import { ParleyError, ParleyHttpError } from './errors';
import { defaultLock, LockFn } from './lock';
import { FetchFn, restCall } from './rest';
import { SessionStore } from './session-store';

/**
 * Why the client is signed out: a contract revoke reason (`session:revoked`, or our own
 * logout), or one the SDK gives: the refresh token was refused (`session_ended`), another tab
 * signed out (`signed_out_elsewhere`), or `getToken()` had none (`token_unavailable`).
 */
export type SignedOutReason = RevokeReason | 'session_ended' | 'signed_out_elsewhere' | 'token_unavailable';

export interface SignedOut {
  reason: SignedOutReason;
  message: string;
}

export type LoginResult = { status: 'signed_in'; user: User } | { status: 'mfa_required'; mfaToken: string; expiresAt: number };

export interface AuthOptions {
  baseUrl: string;
  fetch: FetchFn;
  store: SessionStore;
  lock?: LockFn;
  /** Apps whose tokens come from elsewhere: called whenever a fresh access token is needed; null = signed out. */
  getToken?: () => Promise<string | null>;
  /** Extra REST headers (e.g. User-Agent in Node, shown on the sessions page). */
  headers?: Record<string, string>;
  /** Waits between refresh attempts the server did not answer. */
  backoff?: BackoffOptions;
  /** Name of the Web Lock that serialises refreshes across tabs. */
  lockName?: string;
}

type AuthEvents = {
  /** A new access token (sockets hand it over with `auth:refresh`). */
  token: (token: string) => void;
  /** The signed-in user, or null once signed out. */
  user: (user: User | null) => void;
  signedOut: (info: SignedOut) => void;
};

/** How long before expiry to refresh: 30 s, or a tenth of a short lifetime. */
export const refreshLeadMs = (lifetimeMs: number) => Math.min(30_000, lifetimeMs / 10);

/**
 * Sign-in and the access token's life. The access token is kept in memory; the refresh token
 * and the user in the session store. Refreshes are serialised: one in flight in this client,
 * and one at a time across tabs (a Web Lock), each reading the newest refresh token from the
 * store inside the lock, so no tab ever sends a token another tab already spent (which the
 * server would take for theft and answer by ending the session).
 */
export class Auth extends Emitter<AuthEvents> {
  private accessToken: string | null = null;
  private expiresAt = 0;
  private currentUser: User | null = null;
  private inFlight: Promise<string> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly retry: Backoff;
  private readonly lock: LockFn;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: AuthOptions) {
    super();
    this.lock = options.lock ?? defaultLock;
    this.retry = new Backoff({ initialMs: 1000, maxMs: 30_000, ...options.backoff });
    this.currentUser = options.getToken ? null : (options.store.load()?.user ?? null);
    this.unsubscribe =
      options.store.subscribe?.((session) => {
        // Another tab signed out, or signed in as someone else: this tab follows.
        if (this.currentUser && (!session || session.user.id !== this.currentUser.id)) {
          this.end({ reason: 'signed_out_elsewhere', message: 'Signed out in another tab' }, false);
        }
      }) ?? (() => undefined);
  }

  /** The signed-in user (from the store after a reload, before any network call). */
  get user(): User | null {
    return this.currentUser;
  }

  /** The user id: the signed-in user's, or the `sub` of an external token. */
  get userId(): string | null {
    return this.currentUser?.id ?? (this.accessToken ? (jwtClaims(this.accessToken).sub ?? null) : null);
  }

  /** True when a session can be used: a stored refresh token, or a `getToken` callback. */
  get signedIn(): boolean {
    return this.options.getToken ? true : this.options.store.load() !== null;
  }

  async register(body: Static<typeof RegisterBody>): Promise<User> {
    return (await this.accept(await this.post<AuthResponse>('/auth/register', body))).user;
  }

  /** Password sign-in. With two-factor sign-in on, finish with `loginSecondStep`. */
  async login(body: Static<typeof LoginBody>): Promise<LoginResult> {
    const res = await this.post<LoginResponse>('/auth/login', body);
    if ('mfaRequired' in res) return { status: 'mfa_required', mfaToken: res.mfaToken, expiresAt: Date.now() + res.expiresIn * 1000 };
    return { status: 'signed_in', user: (await this.accept(res)).user };
  }

  /** `POST /auth/login/2fa` with a TOTP code or a recovery code. */
  async loginSecondStep(body: LoginSecondStepBody): Promise<User> {
    return (await this.accept(await this.post<AuthResponse>('/auth/login/2fa', body))).user;
  }

  /**
   * Ends this session (or every session). Locally first, so the sockets are closed before the
   * server's `session:revoked` for our own logout reaches them; then on the server.
   */
  async logout(options: { all?: boolean } = {}): Promise<void> {
    const token = this.accessToken ?? (await this.token().catch(() => null));
    this.end({ reason: options.all ? 'logout_all' : 'logout', message: 'Signed out' });
    if (token) await this.rest(options.all ? '/auth/logout-all' : '/auth/logout', 'POST', undefined, token).catch(() => undefined);
  }

  /**
   * A usable access token. Refreshes first when there is none, when it is about to expire, or
   * when `rejected` (a token the server refused) is still the current one; concurrent callers
   * share one refresh. Throws `ParleyError('CLOSED')` once signed out, `NETWORK`/`HTTP` when
   * the server could not be asked (try again later).
   */
  async token(rejected?: string): Promise<string> {
    const token = this.accessToken;
    if (token && token !== rejected && Date.now() < this.expiresAt - 1000) return token;
    if (!this.signedIn) throw new ParleyError('CLOSED', 'Not signed in');
    return this.refresh();
  }

  /** Refreshes now (or joins the refresh in flight). */
  refresh(): Promise<string> {
    this.inFlight ??= this.refreshOnce().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /** REST with the access token; one retry after a refresh when the server says 401. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const token = await this.token();
    try {
      return await this.rest<T>(path, method, body, token);
    } catch (error) {
      if (!(error instanceof ParleyHttpError) || error.status !== 401) throw error;
      return this.rest<T>(path, method, body, await this.token(token));
    }
  }

  me(): Promise<User> {
    return this.request<User>('GET', '/auth/me').then((user) => {
      this.currentUser = user;
      const stored = this.options.store.load();
      if (stored && stored.user.id === user.id) void Promise.resolve(this.options.store.save({ ...stored, user })).catch(() => undefined);
      this.emit('user', user);
      return user;
    });
  }

  sessions(): Promise<SessionInfo[]> {
    return this.request<SessionInfo[]>('GET', '/auth/sessions');
  }

  /** Public routes that need no session (verification and reset links, forgotten password). */
  publicCall<T = void>(method: string, path: string, body?: unknown): Promise<T> {
    return this.rest<T>(path, method, body);
  }

  /** Signed out: forgets the tokens (and, unless another tab did it, the stored session). */
  end(info: SignedOut, clearStore = true): void {
    clearTimeout(this.timer);
    const wasSignedIn = this.currentUser !== null || this.accessToken !== null || this.options.store.load() !== null;
    this.accessToken = null;
    this.expiresAt = 0;
    this.currentUser = null;
    if (clearStore) void Promise.resolve(this.options.store.save(null)).catch(() => undefined);
    if (wasSignedIn) {
      this.emit('user', null);
      this.emit('signedOut', info);
    }
  }

  /** Stops timers and listeners (the stored session stays). */
  dispose(): void {
    clearTimeout(this.timer);
    this.unsubscribe();
  }

  private async refreshOnce(): Promise<string> {
    clearTimeout(this.timer);
    try {
      const token = this.options.getToken
        ? await this.external(this.options.getToken)
        : await this.lock(this.options.lockName ?? 'parley-refresh', () => this.rotate());
      this.retry.reset();
      return token;
    } catch (error) {
      // The server could not be asked: try again later (a socket that needs a token asks sooner).
      if (this.signedIn && !(error instanceof ParleyError && error.code === 'CLOSED')) this.schedule(this.retry.next());
      throw error;
    }
  }

  private async rotate(): Promise<string> {
    // Inside the lock the store holds the newest refresh token: another tab may have rotated it.
    const store = this.options.store;
    const stored = store.latest ? await store.latest() : store.load();
    if (!stored) {
      this.end({ reason: 'signed_out_elsewhere', message: 'Signed out' }, false);
      throw new ParleyError('CLOSED', 'Not signed in');
    }
    try {
      return (await this.accept(await this.post<AuthResponse>('/auth/refresh', { refreshToken: stored.refreshToken }))).accessToken;
    } catch (error) {
      if (error instanceof ParleyHttpError && error.status === 401) {
        this.end({ reason: 'session_ended', message: `Your session has ended (${error.message})` });
        throw new ParleyError('CLOSED', error.message);
      }
      throw error;
    }
  }

  private async external(getToken: () => Promise<string | null>): Promise<string> {
    const token = await getToken();
    if (!token) {
      this.end({ reason: 'token_unavailable', message: 'No access token' });
      throw new ParleyError('CLOSED', 'No access token');
    }
    const exp = jwtClaims(token).exp;
    this.setToken(token, typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY);
    return token;
  }

  /** Stored before anything else happens (a refresh releases its lock only after this). */
  private async accept(res: AuthResponse): Promise<AuthResponse> {
    await this.options.store.save({ refreshToken: res.refreshToken, user: res.user });
    this.currentUser = res.user;
    this.emit('user', res.user);
    this.setToken(res.accessToken, Date.now() + res.expiresIn * 1000);
    return res;
  }

  private setToken(token: string, expiresAt: number): void {
    this.accessToken = token;
    this.expiresAt = expiresAt;
    if (Number.isFinite(expiresAt)) {
      const lifetime = expiresAt - Date.now();
      this.schedule(Math.max(1000, lifetime - refreshLeadMs(lifetime)));
    }
    this.emit('token', token);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), delayMs);
    // A Node script may exit while signed in; the timer must not keep it alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.rest<T>(path, 'POST', body);
  }

  private rest<T>(path: string, method: string, body?: unknown, token?: string): Promise<T> {
    return restCall<T>(this.options.fetch, this.options.baseUrl, method, path, { body, token, headers: this.options.headers });
  }
}

/** The claims of a JWT, unverified (the server verifies; the client only reads `exp` and `sub`). */
export function jwtClaims(token: string): { exp?: number; sub?: string } {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='))) as { exp?: number; sub?: string };
  } catch {
    return {};
  }
}
