import request from 'supertest';
import { PkceSignIn, PkceStorage } from '../examples/oidc-pkce-sign-in';
import { closeAllSockets, connect, emitAck } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { browseSignIn, decodeParts, OidcProvider, startOidcProvider } from './support/oidc';

const REDIRECT = 'http://127.0.0.1:5999/callback';
const AUDIENCE = 'https://parley.test';

/** sessionStorage as a browser keeps it for one tab. */
const memoryStorage = (): PkceStorage & { size(): number } => {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
    size: () => items.size,
  };
};

describe('signing in with the external provider: authorization code + PKCE (examples/oidc-pkce-sign-in.ts)', () => {
  let provider: OidcProvider;
  let t: TestApp;
  beforeAll(async () => {
    provider = await startOidcProvider([{ client_id: 'parley-demo', redirectUri: REDIRECT, alg: 'ES256' }], {
      accounts: { 'grace-hopper': { name: 'Grace Hopper', email: 'grace@navy.test', email_verified: true } },
    });
    t = await startApp(testEnv(await DATABASES[0].url(), { OIDC_ISSUER: provider.issuer, OIDC_AUDIENCE: AUDIENCE }));
  });
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await provider?.stop();
  });

  it('gets an access token Parley accepts on REST and on sockets, and refreshes it', async () => {
    const storage = memoryStorage();
    const signIn = new PkceSignIn(
      { issuer: provider.issuer, clientId: 'parley-demo', redirectUri: REDIRECT, resource: AUDIENCE, scope: 'chat' },
      storage,
    );
    const authorizationUrl = new URL(await signIn.start());
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    const back = await browseSignIn(authorizationUrl.toString(), 'grace-hopper', REDIRECT);
    const tokens = await signIn.complete(back);
    expect(storage.size()).toBe(0);
    expect(decodeParts(tokens.accessToken).payload).toMatchObject({ sub: 'grace-hopper', aud: AUDIENCE, iss: provider.issuer });

    const me = (await request(t.url).get('/auth/me').set('Authorization', `Bearer ${tokens.accessToken}`).expect(200)).body;
    expect(me).toMatchObject({ displayName: 'Grace Hopper', email: 'grace@navy.test' });
    const socket = await connect(t.url, '/chat', { token: tokens.accessToken });
    expect(tokens.refreshToken).toEqual(expect.any(String));
    const next = await signIn.refresh(tokens.refreshToken as string);
    expect(await emitAck(socket, 'auth:refresh', { token: next.accessToken })).toMatchObject({ ok: true });
  });

  it('refuses an answer that does not match the request, and a code without its verifier', async () => {
    const storage = memoryStorage();
    const signIn = new PkceSignIn({ issuer: provider.issuer, clientId: 'parley-demo', redirectUri: REDIRECT, resource: AUDIENCE }, storage);
    const back = await browseSignIn(await signIn.start(), 'grace-hopper', REDIRECT);
    const forged = new URL(back);
    forged.searchParams.set('state', 'someone-elses');
    await expect(signIn.complete(forged.toString())).rejects.toThrow(/state/);
    // the verifier is gone: the genuine answer cannot be completed either
    await expect(signIn.complete(back)).rejects.toThrow(/No sign-in in progress/);
  });
});
