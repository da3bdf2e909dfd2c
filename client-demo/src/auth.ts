import { api, ApiError, AuthResponse, User } from './api';

/**
 * Token handling as integrators should copy it.
 *
 * - The access token lives only in memory: it is what every request carries, and an XSS
 *   payload that reads storage cannot take it along after a reload.
 * - The refresh token is kept in localStorage so a reload or a new tab stays signed in. That
 *   exposes it to XSS; the server limits the damage with rotation (every refresh spends the
 *   token) and reuse detection (replaying a spent token ends the whole session).
 * - Exactly one refresh runs at a time across tabs (Web Locks), each reading the newest
 *   token from storage inside the lock: a tab never sends a token another tab already
 *   spent, which the server would treat as theft and answer by ending the session.
 */
const REFRESH_KEY = 'parley.refreshToken';
const LOCK = 'parley-refresh';

type Listener = () => void;

export class Auth {
  user: User | null = null;
  accessToken: string | null = null;
  private expiresAt = 0;
  private timer: number | undefined;
  private inFlight: Promise<boolean> | null = null;
  private readonly tokenListeners = new Set<Listener>();
  /** Called with a reason when the session is over (revoked, refresh failed, signed out). */
  onSignedOut: (reason: string) => void = () => undefined;

  constructor() {
    // Another tab rotated the token (or signed out): follow it.
    window.addEventListener('storage', (event) => {
      if (event.key !== REFRESH_KEY) return;
      if (event.newValue === null) this.clear('Signed out in another tab');
    });
  }

  get hasRefreshToken(): boolean {
    return localStorage.getItem(REFRESH_KEY) !== null;
  }

  onToken(listener: Listener): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  async login(email: string, password: string): Promise<void> {
    this.accept(await api<AuthResponse>('POST', '/auth/login', { email, password }));
  }

  async register(email: string, password: string, displayName: string): Promise<void> {
    this.accept(await api<AuthResponse>('POST', '/auth/register', { email, password, displayName }));
  }

  /** Refreshes now; resolves false when the session is over. Concurrent callers share one call. */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.refreshUnderLock().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  async logout(all = false): Promise<void> {
    if (this.accessToken) await api('POST', all ? '/auth/logout-all' : '/auth/logout', undefined, this.accessToken).catch(() => undefined);
    this.clear('Signed out');
  }

  /** Authenticated REST call; one retry after a refresh if the access token had expired. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await api<T>(method, path, body, this.accessToken ?? undefined);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && (await this.refresh())) {
        return api<T>(method, path, body, this.accessToken ?? undefined);
      }
      throw error;
    }
  }

  clear(reason: string): void {
    window.clearTimeout(this.timer);
    const wasSignedIn = this.user !== null || this.hasRefreshToken;
    this.user = null;
    this.accessToken = null;
    localStorage.removeItem(REFRESH_KEY);
    if (wasSignedIn) this.onSignedOut(reason);
  }

  private async refreshUnderLock(): Promise<boolean> {
    // Inside the lock no other tab can rotate, and storage holds the newest token (another
    // tab may have rotated it while we waited), so we never send a spent one.
    const run = async () => {
      const stored = localStorage.getItem(REFRESH_KEY);
      if (!stored) return false;
      try {
        this.accept(await api<AuthResponse>('POST', '/auth/refresh', { refreshToken: stored }));
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          this.clear(`Your session has ended (${error.message})`);
          return false;
        }
        throw error;
      }
    };
    return navigator.locks ? navigator.locks.request(LOCK, run) : run();
  }

  private accept(response: AuthResponse): void {
    this.user = response.user;
    this.accessToken = response.accessToken;
    this.expiresAt = Date.now() + response.expiresIn * 1000;
    localStorage.setItem(REFRESH_KEY, response.refreshToken);
    // Refresh a little before expiry: 30 s ahead, or 10% of the lifetime for short tokens.
    const lead = Math.min(30_000, response.expiresIn * 100);
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.refresh(), Math.max(1000, this.expiresAt - Date.now() - lead));
    for (const listener of this.tokenListeners) listener();
  }
}
