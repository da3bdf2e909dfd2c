import jwt from 'jsonwebtoken';
import request from 'supertest';
import { AuthResult, register, sleep } from './support/clients';
import { DATABASES, Env, startApp, testEnv, TestApp } from './support/app';

type Claims = Record<string, unknown>;
const decode = (token: string) => jwt.decode(token) as Claims;
const unsignedNone = (claims: Claims) =>
  `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

describe.each(DATABASES)('token checks on $name', ({ url: databaseUrl }) => {
  let t: TestApp;
  let env: Env;
  let a: AuthResult;
  beforeAll(async () => {
    env = testEnv(await databaseUrl());
    t = await startApp(env);
    a = await register(t.url);
  });
  afterAll(() => t.close());

  const me = (token: string) => request(t.url).get('/auth/me').set('Authorization', `Bearer ${token}`);
  const resign = (changes: Claims, secret = env.JWT_ACCESS_SECRET as string, algorithm: jwt.Algorithm = 'HS256') => {
    const { ...claims } = { ...decode(a.accessToken), ...changes };
    for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key];
    return jwt.sign(claims, secret, { algorithm });
  };

  it('accepts the genuine token and its exact re-signing', async () => {
    await me(a.accessToken).expect(200);
    await me(resign({})).expect(200);
  });

  it.each([
    ['alg none', () => unsignedNone(decode(a.accessToken))],
    ['HS512 with the same secret', () => resign({}, env.JWT_ACCESS_SECRET as string, 'HS512')],
    ['a wrong secret', () => resign({}, 'x'.repeat(40))],
    ['expired', () => resign({ exp: Math.floor(Date.now() / 1000) - 1 })],
    ['a wrong issuer', () => resign({ iss: 'someone-else' })],
    ['a wrong audience', () => resign({ aud: 'other-clients' })],
    ['no type claim', () => resign({ typ: undefined })],
    ['type refresh', () => resign({ typ: 'refresh' })],
    ['a refresh token as bearer', () => a.refreshToken],
    ['the refresh secret', () => resign({}, env.JWT_REFRESH_SECRET as string)],
    ['garbage', () => 'abc.def.ghi'],
  ])('refuses a bearer token with %s (401)', async (_, make) => {
    const res = await me(make()).expect(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('refuses an access token on /auth/refresh, and garbage', async () => {
    await request(t.url).post('/auth/refresh').send({ refreshToken: a.accessToken }).expect(401);
    await request(t.url).post('/auth/refresh').send({ refreshToken: 'nope' }).expect(401);
  });

  it('rotates: two refreshes within a second give distinct tokens', async () => {
    const b = await register(t.url);
    const first = (await request(t.url).post('/auth/refresh').send({ refreshToken: b.refreshToken }).expect(200)).body;
    const second = (await request(t.url).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)).body;
    expect(new Set([b.refreshToken, first.refreshToken, second.refreshToken]).size).toBe(3);
    expect(new Set([b.accessToken, first.accessToken, second.accessToken]).size).toBe(3);
    expect(second.user).toEqual(b.user);
    expect(second.tokenType).toBe('Bearer');
  });

  it('on replay of a spent refresh token, ends the session and its newest tokens', async () => {
    const b = await register(t.url);
    const rotated = (await request(t.url).post('/auth/refresh').send({ refreshToken: b.refreshToken }).expect(200)).body;
    await me(rotated.accessToken).expect(200);
    await request(t.url).post('/auth/refresh').send({ refreshToken: b.refreshToken }).expect(401);
    await me(rotated.accessToken).expect(401);
    await request(t.url).post('/auth/refresh').send({ refreshToken: rotated.refreshToken }).expect(401);
  });

  it('lets exactly one of two racing refreshes win', async () => {
    const b = await register(t.url);
    const results = await Promise.all([0, 1].map(() => request(t.url).post('/auth/refresh').send({ refreshToken: b.refreshToken })));
    // The loser's token is spent: reuse, which ends the session. The winner is answered 200 only
    // if its final check ran before that end; either way no token of the session works after.
    const statuses = results.map((r) => r.status).sort();
    expect([
      [200, 401],
      [401, 401],
    ]).toContainEqual(statuses);
    const winner = results.find((r) => r.status === 200);
    if (winner) await request(t.url).post('/auth/refresh').send({ refreshToken: winner.body.refreshToken }).expect(401);
    await request(t.url).get('/auth/me').set('Authorization', `Bearer ${b.accessToken}`).expect(401);
  });
});

describe('short-lived access tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await DATABASES[0].url(), { JWT_ACCESS_TTL: '2s' }));
  });
  afterAll(() => t.close());

  it('stop working at expiry, with no clock tolerance', async () => {
    const a = await register(t.url);
    expect(a.expiresIn).toBe(2);
    await request(t.url).get('/auth/me').set('Authorization', `Bearer ${a.accessToken}`).expect(200);
    const exp = (decode(a.accessToken).exp as number) * 1000;
    await sleep(Math.max(0, exp - Date.now()) + 50);
    const res = await request(t.url).get('/auth/me').set('Authorization', `Bearer ${a.accessToken}`).expect(401);
    expect(res.body.message).toMatch(/expired/);
  });
});
