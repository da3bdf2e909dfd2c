import { createHmac } from 'node:crypto';
import request from 'supertest';
import { closeAllSockets, connect, emitAck, nextEvent, receives, refusal, register, sleep } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { outboxMails } from './support/mail';
import {
  decodeParts,
  forge,
  newProviderKey,
  OidcProvider,
  PrivateJwk,
  publicPemOf,
  startOidcProvider,
  startSilentServer,
  startTrap,
  strangerKey,
} from './support/oidc';

const AUDIENCE = 'https://parley.test';
const now = () => Math.floor(Date.now() / 1000);
const unsigned = (header: object, payload: object) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;
const hs256 = (header: object, payload: object, secret: string) => {
  const input = unsigned(header, payload).slice(0, -1);
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

const CLIENTS = [
  {
    client_id: 'alice',
    alg: 'RS256' as const,
    claims: { name: 'Alice Liddell', email: 'Alice@Wonder.test', email_verified: true, realm_access: { roles: ['admin', 'user'] } },
  },
  { client_id: 'bob', alg: 'ES256' as const, claims: { preferred_username: 'bob', email: 'bob@builder.test', email_verified: false } },
  { client_id: 'carol', alg: 'PS256' as const, claims: { name: 'Carol', email: 'taken@local.test', email_verified: true } },
  { client_id: 'erin', alg: 'EdDSA' as const, claims: { name: 'Erin', realm_access: { roles: 'admin' } } },
  { client_id: 'frank', alg: 'RS256' as const, claims: { name: 'Frank', realm_access: { roles: ['user'] } } },
  { client_id: 'gina', alg: 'ES256' as const, claims: { name: 'Gina' } },
  { client_id: 'henry', alg: 'RS256' as const, ttl: 40 * 24 * 3600, claims: { name: 'Henry' } },
  { client_id: 'ALICE', alg: 'RS256' as const, claims: { name: 'Other Alice' } },
  { client_id: 'dave', alg: 'EdDSA' as const, ttl: 3, claims: { name: 'Dave' } },
];

describe.each(DATABASES)('an external OpenID provider on $name', ({ url: databaseUrl }) => {
  let provider: OidcProvider;
  let t: TestApp;
  const key = (alg: string): PrivateJwk => provider.keys.find((k) => k.alg === alg) as PrivateJwk;
  const me = (token: string) => request(t.url).get('/auth/me').set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    provider = await startOidcProvider(CLIENTS);
    t = await startApp(
      testEnv(await databaseUrl(), {
        OIDC_ISSUER: provider.issuer,
        OIDC_AUDIENCE: AUDIENCE,
        OIDC_ROLE_CLAIM: 'realm_access.roles',
        WS_AUTH_GRACE: '1500ms',
      }),
    );
  });
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await provider?.stop();
  });

  it('accepts the provider’s access tokens on bearer routes and creates the user on first sight', async () => {
    const token = await provider.token('alice');
    expect(decodeParts(token).header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const first = (await me(token).expect(200)).body;
    expect(first).toMatchObject({ displayName: 'Alice Liddell', email: 'alice@wonder.test', role: 'admin', emailVerified: true });
    // the same (iss, sub) is the same user, whatever the token
    const again = (await me(await provider.token('alice')).expect(200)).body;
    expect(again.id).toBe(first.id);
    // `sub` compares exactly: ALICE is someone else
    const upper = (await me(await provider.token('ALICE')).expect(200)).body;
    expect(upper).toMatchObject({ displayName: 'Other Alice', role: 'user' });
    expect(upper.id).not.toBe(first.id);
  });

  it('creates one user when many requests of a new identity arrive at once', async () => {
    const token = await provider.token('gina');
    const answers = await Promise.all(Array.from({ length: 8 }, () => me(token)));
    expect(answers.map((res) => res.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((res) => res.body.id)).size).toBe(1);
  });

  it('follows a new name (and role) the provider gives the user, keeping the same user', async () => {
    const token = await provider.token('frank');
    const before = (await me(token).expect(200)).body;
    const renamed = forge({ ...decodeParts(token).payload, name: 'Frank Renamed', realm_access: { roles: ['admin'] } }, key('RS256'));
    expect((await me(renamed).expect(200)).body).toMatchObject({ id: before.id, displayName: 'Frank Renamed', role: 'admin' });
    // a token without name claims leaves the name as it is
    const silent = forge({ ...decodeParts(token).payload, name: undefined, realm_access: { roles: ['user'] } }, key('RS256'));
    expect((await me(silent).expect(200)).body).toMatchObject({ id: before.id, displayName: 'Frank Renamed', role: 'user' });
  });

  it('takes displayName from preferred_username, and no email unless verified', async () => {
    const bob = (await me(await provider.token('bob')).expect(200)).body;
    expect(bob).toMatchObject({ displayName: 'bob', email: null, role: 'user', emailVerified: false });
  });

  it('never links to a local account by email', async () => {
    const local = await register(t.url, { email: 'taken@local.test', displayName: 'Local Carol' });
    const carol = (await me(await provider.token('carol')).expect(200)).body;
    expect(carol.id).not.toBe(local.user.id);
    expect(carol).toMatchObject({ displayName: 'Carol', email: null });
    await me(local.accessToken)
      .expect(200)
      .expect((res) => expect(res.body).toMatchObject({ id: local.user.id, email: 'taken@local.test' }));
    // the external user has no password to sign in with
    await request(t.url).post('/auth/login').send({ email: 'taken@local.test', password: 'correct horse battery' }).expect(200);
  });

  it('gets no local password: login never matches and no reset link is mailed', async () => {
    const alice = (await me(await provider.token('alice')).expect(200)).body;
    await request(t.url).post('/auth/login').send({ email: alice.email, password: 'correct horse battery' }).expect(401);
    await request(t.url).post('/auth/password/forgot').send({ email: alice.email }).expect(202);
    await request(t.url).post('/auth/password/forgot').send({ email: 'taken@local.test' }).expect(202);
    const outbox = t.env.MAIL_OUTBOX_DIR as string;
    expect(await outboxMails(outbox, 'taken@local.test', 1)).toHaveLength(1);
    expect(await outboxMails(outbox, alice.email, 1, 300)).toEqual([]);
  });

  it.each([
    ['alice', 'admin'],
    ['erin', 'admin'],
    ['frank', 'user'],
    ['bob', 'user'],
  ])('gives %s the role %s from OIDC_ROLE_CLAIM, on REST and on /dashboard', async (client, role) => {
    const token = await provider.token(client);
    expect((await me(token).expect(200)).body.role).toBe(role);
    if (role === 'admin') {
      (await connect(t.url, '/dashboard', { token })).close();
    } else {
      expect((await refusal(connect(t.url, '/dashboard', { token }))).data?.code).toBe('FORBIDDEN');
    }
  });

  it('has no Parley session: /auth/sessions lists none, logout answers 400', async () => {
    const token = await provider.token('alice');
    await request(t.url).get('/auth/sessions').set('Authorization', `Bearer ${token}`).expect(200, []);
    const res = await request(t.url).post('/auth/logout').set('Authorization', `Bearer ${token}`).expect(400);
    expect(res.body).toEqual({ statusCode: 400, message: 'Sign out at your identity provider', error: 'Bad Request' });
    await me(token).expect(200);
  });

  it('has no two-factor sign-in of Parley’s: /auth/2fa/* answer 400 for the provider’s tokens', async () => {
    const token = await provider.token('alice');
    await request(t.url).post('/auth/2fa/setup').set('Authorization', `Bearer ${token}`).expect(400);
    await request(t.url).post('/auth/2fa/enable').set('Authorization', `Bearer ${token}`).send({ code: '123456' }).expect(400);
    await request(t.url).post('/auth/2fa/disable').set('Authorization', `Bearer ${token}`).send({ password: 'x', code: '123456' }).expect(400);
    expect((await me(token).expect(200)).body.twoFactorEnabled).toBe(false);
  });

  it('connects sockets with the provider’s tokens (auth.token and Authorization header) and chats', async () => {
    const alice = await connect(t.url, '/chat', { token: await provider.token('alice') });
    const bob = await connect(t.url, '/chat', { header: await provider.token('bob') });
    await emitAck(alice, 'room:join', { room: 'external' });
    await emitAck(bob, 'room:join', { room: 'external' });
    const received = nextEvent<{ body: string; sender: { displayName: string } }>(bob, 'message:new');
    expect(await emitAck(alice, 'message:send', { room: 'external', body: 'hello from the provider' })).toMatchObject({ ok: true });
    await expect(received).resolves.toMatchObject({ body: 'hello from the provider', sender: { displayName: 'Alice Liddell' } });
  });

  it('expires a socket like any other: auth:expired, TOKEN_EXPIRED, auth:refresh with a new provider token', async () => {
    const socket = await connect(t.url, '/chat', { token: await provider.token('dave') });
    await emitAck(socket, 'room:join', { room: 'dave-room' });
    await nextEvent(socket, 'auth:expired', 5000);
    expect(await emitAck(socket, 'room:join', { room: 'other' })).toMatchObject({ ok: false, error: { code: 'TOKEN_EXPIRED' } });
    // another user's token is not a refresh
    expect(await emitAck(socket, 'auth:refresh', { token: await provider.token('bob') })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const refreshed = await emitAck<{ expiresAt: string }>(socket, 'auth:refresh', { token: await provider.token('dave') });
    expect(refreshed.ok).toBe(true);
    expect(await emitAck(socket, 'message:send', { room: 'dave-room', body: 'still here' })).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
  });

  it('keeps a socket whose token outlives the longest timer (40 days)', async () => {
    const socket = await connect(t.url, '/chat', { token: await provider.token('henry') });
    // an overflowing timer would fire at once: auth:expired, then a disconnect after the grace period
    await expect(receives(socket, 'disconnect', 2500)).resolves.toBe(false);
    expect(await emitAck(socket, 'room:join', { room: 'long-lived' })).toMatchObject({ ok: true });
  });

  it('disconnects an expired external socket after the grace period', async () => {
    const socket = await connect(t.url, '/chat', { token: await provider.token('dave') });
    await nextEvent(socket, 'auth:expired', 5000);
    await expect(receives(socket, 'disconnect', 3000)).resolves.toBe(true);
  });

  it('verifies a handshake with a cached kid without asking the provider anything', async () => {
    const token = await provider.token('erin');
    await me(token).expect(200); // the key and the user are known now
    const before = (await provider.requests()).length;
    for (let i = 0; i < 3; i++) (await connect(t.url, '/chat', { token })).close();
    await me(token).expect(200);
    expect((await provider.requests()).slice(before)).toEqual([]);
  });

  describe('bad tokens', () => {
    let trap: Awaited<ReturnType<typeof startTrap>>;
    let claims: Record<string, unknown>;
    beforeAll(async () => {
      trap = await startTrap();
      claims = decodeParts(await provider.token('alice')).payload;
    });
    afterAll(() => trap.close());

    const cases: Array<[string, () => string, 'TOKEN_INVALID' | 'TOKEN_EXPIRED']> = [
      ['alg none', () => unsigned({ alg: 'none', typ: 'at+jwt', kid: key('RS256').kid }, claims), 'TOKEN_INVALID'],
      [
        'HS256 signed with the provider’s public key',
        () => hs256({ alg: 'HS256', typ: 'at+jwt', kid: key('RS256').kid }, claims, publicPemOf(key('RS256'))),
        'TOKEN_INVALID',
      ],
      ['a jku header pointing elsewhere', () => forge(claims, strangerKey(), { jku: `${trap.url}/jku.json` }), 'TOKEN_INVALID'],
      ['a jku header with a known kid', () => forge(claims, key('RS256'), { jku: `${trap.url}/jku-known.json` }), 'TOKEN_INVALID'],
      ['an x5u header pointing elsewhere', () => forge(claims, strangerKey(), { x5u: `${trap.url}/x5u.pem` }), 'TOKEN_INVALID'],
      [
        'an embedded jwk header',
        () => {
          const stranger = strangerKey();
          return forge(claims, stranger, { jwk: { kty: stranger.kty, n: stranger.n, e: stranger.e } });
        },
        'TOKEN_INVALID',
      ],
      ['an unknown kid', () => forge(claims, strangerKey()), 'TOKEN_INVALID'],
      ['no kid', () => forge(claims, key('RS256'), { kid: undefined }), 'TOKEN_INVALID'],
      ['a kid of another algorithm’s key', () => forge(claims, { ...key('RS256'), kid: key('PS256').kid }), 'TOKEN_INVALID'],
      ['a wrong issuer', () => forge({ ...claims, iss: 'http://127.0.0.1:1' }, key('RS256')), 'TOKEN_INVALID'],
      ['a wrong audience', () => forge({ ...claims, aud: 'https://other.test' }, key('RS256')), 'TOKEN_INVALID'],
      ['no sub', () => forge({ ...claims, sub: undefined }, key('RS256')), 'TOKEN_INVALID'],
      ['expired', () => forge({ ...claims, exp: now() - 1 }, key('ES256')), 'TOKEN_EXPIRED'],
      ['not yet valid', () => forge({ ...claims, nbf: now() + 60 }, key('RS256')), 'TOKEN_INVALID'],
      ['no exp', () => forge({ ...claims, exp: undefined }, key('RS256')), 'TOKEN_INVALID'],
      [
        'a tampered payload',
        () => {
          const [h, , s] = forge(claims, key('RS256')).split('.');
          return [h, Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url'), s].join('.');
        },
        'TOKEN_INVALID',
      ],
    ];

    it.each(cases)('refuses %s: 401 on REST, the code at the handshake, nothing fetched from the token', async (_, make, code) => {
      const token = make();
      const res = await me(token).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(res.body.message).toMatch(code === 'TOKEN_EXPIRED' ? /expired/ : /Invalid access token|not valid yet/);
      expect((await refusal(connect(t.url, '/chat', { token }))).data?.code).toBe(code);
      expect(trap.hits).toEqual([]);
    });

    it('refuses a real token for another audience (resource indicator)', async () => {
      const token = await provider.token('alice', 'https://other.test');
      expect(decodeParts(token).payload.aud).toBe('https://other.test');
      await me(token).expect(401);
      expect((await refusal(connect(t.url, '/chat', { token }))).data?.code).toBe('TOKEN_INVALID');
    });

    it('refuses a real token once it has expired (TOKEN_EXPIRED), also as auth:refresh', async () => {
      const token = await provider.token('dave');
      const socket = await connect(t.url, '/chat', { token: await provider.token('dave') });
      await sleep((Number(decodeParts(token).payload.exp) - Date.now() / 1000) * 1000 + 50);
      expect((await me(token).expect(401)).body.message).toMatch(/expired/);
      expect(await emitAck(socket, 'auth:refresh', { token })).toMatchObject({ ok: false, error: { code: 'TOKEN_EXPIRED' } });
    });
  });

  describe('when the provider is down', () => {
    it('keeps accepting tokens of cached keys and refuses an unknown kid promptly', async () => {
      const token = await provider.token('alice');
      await me(token).expect(200);
      await provider.stop();
      await me(token).expect(200);
      (await connect(t.url, '/chat', { token })).close();
      const unknown = forge(decodeParts(token).payload, strangerKey());
      const started = Date.now();
      await me(unknown).expect(401);
      expect((await refusal(connect(t.url, '/chat', { token: unknown }))).data?.code).toBe('TOKEN_INVALID');
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });
});

describe('a provider whose JWKS never answers', () => {
  let t: TestApp;
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await silent?.close();
  });

  it('refuses tokens within the fetch timeout instead of hanging', async () => {
    silent = await startSilentServer();
    t = await startApp(
      testEnv(await DATABASES[0].url(), { OIDC_ISSUER: 'https://id.example.test', OIDC_AUDIENCE: AUDIENCE, OIDC_JWKS_URL: `${silent.url}/jwks` }),
    );
    const stranger = strangerKey();
    const token = forge({ iss: 'https://id.example.test', aud: AUDIENCE, sub: 'someone', exp: now() + 60 }, stranger);
    const started = Date.now();
    await request(t.url).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
    expect((await refusal(connect(t.url, '/chat', { token }))).data?.code).toBe('TOKEN_INVALID');
    expect(Date.now() - started).toBeLessThan(3500);
  });
});

describe('a provider that rotates its keys', () => {
  let provider: OidcProvider;
  let t: TestApp;
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await provider?.stop();
  });

  it('fetches the JWKS again for an unknown kid, at most once per 30 s', async () => {
    const clients = [{ client_id: 'zoe', alg: 'ES256' as const, claims: { name: 'Zoe' } }];
    provider = await startOidcProvider(clients);
    t = await startApp(testEnv(await DATABASES[0].url(), { OIDC_ISSUER: provider.issuer, OIDC_AUDIENCE: AUDIENCE }));
    const oldToken = await provider.token('zoe');
    await request(t.url).get('/auth/me').set('Authorization', `Bearer ${oldToken}`).expect(200);
    const startedAt = Date.now();

    // The provider restarts with a new ES256 key first (it signs with it) and keeps the old one.
    const { port, keys } = provider;
    await provider.stop();
    provider = await startOidcProvider(clients, { port, keys: [newProviderKey('ES256', 'es256-rotated'), ...keys] });
    const newToken = await provider.token('zoe');
    expect(decodeParts(newToken).header.kid).toBe('es256-rotated');

    // Within 30 s of the last fetch: refused without asking, however many unknown kids arrive.
    const bearer = (token: string) => request(t.url).get('/auth/me').set('Authorization', `Bearer ${token}`);
    await bearer(newToken).expect(401);
    for (let i = 0; i < 5; i++) await bearer(forge(decodeParts(newToken).payload, strangerKey())).expect(401);
    expect((await provider.requests()).filter((path) => path === '/jwks')).toEqual([]);
    await bearer(oldToken).expect(200);

    await sleep(Math.max(0, startedAt + 30_500 - Date.now()));
    await bearer(newToken).expect(200);
    (await connect(t.url, '/chat', { token: newToken })).close();
    expect((await provider.requests()).filter((path) => path === '/jwks')).toEqual(['/jwks']);
  }, 60_000);
});
