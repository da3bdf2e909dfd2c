import request from 'supertest';
import { closeAllSockets, connect, nextEvent, refusal } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { OidcProvider, startOidcProvider } from './support/oidc';

const AUDIENCE = 'https://parley.test';

/** Blocking through the server API a user who signs in at an external OpenID provider (no Parley session to end). */
describe('server API blocks of external users', () => {
  let provider: OidcProvider;
  let t: TestApp;

  beforeAll(async () => {
    provider = await startOidcProvider([{ client_id: 'mallory', alg: 'ES256', claims: { name: 'Mallory' } }]);
    t = await startApp(testEnv(await DATABASES[0].url(), { OIDC_ISSUER: provider.issuer, OIDC_AUDIENCE: AUDIENCE }));
  });
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await provider?.stop();
  });

  it('ends their sockets and refuses their tokens (FORBIDDEN at the handshake) until unblocked', async () => {
    const token = await provider.token('mallory');
    const me = (await request(t.url).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(200)).body as { id: string };
    const { key } = await t.apiKey('Safety', ['users']);
    const chat = await connect(t.url, '/chat', { token });
    const live = await connect(t.url, '/live', { token });
    const ended = [
      nextEvent(chat, 'session:revoked'),
      nextEvent(live, 'session:revoked'),
      nextEvent(chat, 'disconnect'),
      nextEvent(live, 'disconnect'),
    ];
    await request(t.url).put(`/api/v1/users/${me.id}/block`).set('Authorization', `Bearer ${key}`).send({ reason: 'fraud' }).expect(204);
    const [onChat, onLive] = await Promise.all(ended);
    expect([onChat, onLive]).toEqual([{ reason: 'blocked' }, { reason: 'blocked' }]);
    const refused = await request(t.url).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(403);
    expect(refused.body.message).toBe('Account blocked');
    expect((await refusal(connect(t.url, '/chat', { token }))).data).toEqual({ code: 'FORBIDDEN', message: 'Account blocked' });
    expect((await refusal(connect(t.url, '/live', { token: await provider.token('mallory') }))).data?.code).toBe('FORBIDDEN');
    await request(t.url).delete(`/api/v1/users/${me.id}/block`).set('Authorization', `Bearer ${key}`).expect(204);
    await request(t.url).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
    (await connect(t.url, '/chat', { token })).close();
  });
});
