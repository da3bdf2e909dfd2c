import type { AuthResponse, User } from '../../../src/protocol';
import { Auth, jwtClaims } from './auth';
import { ParleyHttpError } from './errors';
import { processLock } from './lock';
import { FetchFn } from './rest';
import { memorySessionStore, SessionStore } from './session-store';

const user: User = {
  id: 'u1',
  email: 'ada@example.com',
  displayName: 'Ada',
  role: 'user',
  emailVerified: true,
  twoFactorEnabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
};

/**
 * The REST side of the contract as far as these specs need it: rotating refresh tokens with
 * reuse detection, and the two-step login (test/sdk/two-factor.e2e-spec.ts runs it against the server).
 */
class ContractServer {
  calls: Array<{ path: string; body: Record<string, unknown> }> = [];
  private serial = 0;
  private live = new Set<string>();
  private spent = new Set<string>();
  reuseDetected = false;
  mfa = false;

  fetch: FetchFn = async (url, init) => {
    const path = url.replace(/^https?:\/\/[^/]+/, '');
    const body = init.body ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    this.calls.push({ path, body });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const answer = (status: number, data: unknown) => ({ ok: status < 300, status, statusText: String(status), json: async () => data });
    const unauthorized = (message: string) => answer(401, { statusCode: 401, message, error: 'Unauthorized' });
    if (path === '/auth/login') {
      if (body.password !== 'correct horse battery') return unauthorized('Invalid credentials');
      return this.mfa ? answer(200, { mfaRequired: true, mfaToken: 'mfa-1', expiresIn: 300 }) : answer(200, this.issue());
    }
    if (path === '/auth/login/2fa') {
      if (body.mfaToken !== 'mfa-1') return unauthorized('Invalid mfaToken');
      if (body.code === '123456' || body.recoveryCode === 'recovery-1') return answer(200, this.issue());
      return unauthorized('Wrong code');
    }
    if (path === '/auth/refresh') {
      const token = String(body.refreshToken);
      if (this.spent.has(token)) {
        this.reuseDetected = true;
        this.live.clear();
        return unauthorized('Refresh token reused');
      }
      if (!this.live.has(token)) return unauthorized('Invalid refresh token');
      this.live.delete(token);
      this.spent.add(token);
      return answer(200, this.issue());
    }
    return answer(404, { statusCode: 404, message: 'Not Found', error: 'Not Found' });
  };

  private issue(): AuthResponse {
    const n = ++this.serial;
    this.live.add(`refresh-${n}`);
    return { user, accessToken: `access-${n}`, refreshToken: `refresh-${n}`, tokenType: 'Bearer', expiresIn: 900 };
  }
}

const makeAuth = (server: ContractServer, store: SessionStore = memorySessionStore()) =>
  new Auth({ baseUrl: 'http://parley.test', fetch: server.fetch, store, lock: processLock });

describe('Auth', () => {
  it('signs in in one step when two-factor sign-in is off', async () => {
    const server = new ContractServer();
    const auth = makeAuth(server);
    await expect(auth.login({ email: 'ada@example.com', password: 'correct horse battery' })).resolves.toEqual({ status: 'signed_in', user });
    await expect(auth.token()).resolves.toBe('access-1');
    auth.dispose();
  });

  it('signs in in two steps with a TOTP code or a recovery code', async () => {
    const server = new ContractServer();
    server.mfa = true;
    const auth = makeAuth(server);
    const first = await auth.login({ email: 'ada@example.com', password: 'correct horse battery' });
    expect(first).toMatchObject({ status: 'mfa_required', mfaToken: 'mfa-1' });
    expect(auth.user).toBeNull();
    await expect(auth.loginSecondStep({ mfaToken: 'mfa-1', code: '000000' })).rejects.toMatchObject({ status: 401, message: 'Wrong code' });
    await expect(auth.loginSecondStep({ mfaToken: 'mfa-1', code: '123456' })).resolves.toEqual(user);
    expect(server.calls.at(-1)).toEqual({ path: '/auth/login/2fa', body: { mfaToken: 'mfa-1', code: '123456' } });
    await expect(auth.token()).resolves.toBe('access-1');

    const other = makeAuth(server);
    await other.login({ email: 'ada@example.com', password: 'correct horse battery' });
    await expect(other.loginSecondStep({ mfaToken: 'mfa-1', recoveryCode: 'recovery-1' })).resolves.toEqual(user);
    auth.dispose();
    other.dispose();
  });

  it('reports a refused password as the server’s error, signed out', async () => {
    const auth = makeAuth(new ContractServer());
    const error = await auth.login({ email: 'ada@example.com', password: 'wrong' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParleyHttpError);
    expect(error).toMatchObject({ status: 401, body: { statusCode: 401, message: 'Invalid credentials', error: 'Unauthorized' } });
    expect(auth.signedIn).toBe(false);
  });

  it('shares one refresh among concurrent callers', async () => {
    const server = new ContractServer();
    const auth = makeAuth(server);
    await auth.login({ email: 'ada@example.com', password: 'correct horse battery' });
    const tokens = await Promise.all([auth.token('access-1'), auth.token('access-1'), auth.refresh()]);
    expect(tokens).toEqual(['access-2', 'access-2', 'access-2']);
    expect(server.calls.filter((c) => c.path === '/auth/refresh')).toHaveLength(1);
    // A caller whose token was already replaced gets the new one without another refresh.
    await expect(auth.token('access-1')).resolves.toBe('access-2');
    auth.dispose();
  });

  it('two tabs refreshing at once each send the newest token: no reuse is detected', async () => {
    const server = new ContractServer();
    const shared = memorySessionStore();
    const tabA = makeAuth(server, shared);
    await tabA.login({ email: 'ada@example.com', password: 'correct horse battery' });
    const tabB = makeAuth(server, shared); // a second tab: same storage, no access token yet
    await Promise.all([tabA.refresh(), tabB.refresh(), tabA.refresh(), tabB.refresh()]);
    expect(server.reuseDetected).toBe(false);
    expect(server.calls.filter((c) => c.path === '/auth/refresh').map((c) => c.body.refreshToken)).toEqual(['refresh-1', 'refresh-2']);
    expect(shared.load()?.refreshToken).toBe('refresh-3');
    tabA.dispose();
    tabB.dispose();
  });

  it('is signed out with a reason when the refresh token is refused', async () => {
    const server = new ContractServer();
    const store = memorySessionStore({ refreshToken: 'revoked', user });
    const auth = makeAuth(server, store);
    const signedOut = jest.fn();
    auth.on('signedOut', signedOut);
    expect(auth.user).toEqual(user); // known from storage before any call
    await expect(auth.token()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(signedOut).toHaveBeenCalledWith({ reason: 'session_ended', message: 'Your session has ended (Invalid refresh token)' });
    expect(store.load()).toBeNull();
    expect(auth.user).toBeNull();
  });

  it('takes tokens from getToken() and reads their expiry', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const jwt = `e30.${Buffer.from(JSON.stringify({ sub: 'ext-7', exp })).toString('base64url')}.sig`;
    const getToken = jest.fn(async () => jwt);
    const auth = new Auth({ baseUrl: '', fetch: new ContractServer().fetch, store: memorySessionStore(), getToken });
    expect(jwtClaims(jwt)).toEqual({ sub: 'ext-7', exp });
    await expect(Promise.all([auth.token(), auth.token()])).resolves.toEqual([jwt, jwt]);
    expect(getToken).toHaveBeenCalledTimes(1);
    expect(auth.userId).toBe('ext-7');
    await auth.token(jwt); // refused by the server: ask again
    expect(getToken).toHaveBeenCalledTimes(2);
    auth.dispose();
  });
});
