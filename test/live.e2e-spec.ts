import request from 'supertest';
import { ChannelTokensService } from '../src/live/channel-tokens.service';
import type { Publication } from '../src/protocol';
import { DATABASES, appPerSuite, startApp, testEnv, TestApp } from './support/app';
import { Ack, closeAllSockets, connect, emitAck, login, nextEvent, receives, register } from './support/clients';

type Subscribed = Ack<{ channel: string; offset: number; publications: Publication[]; recovered: boolean }>;
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

async function publish(url: string, key: string, channel: string, data: unknown, idempotencyKey?: string) {
  const res = await request(url)
    .post(`/api/v1/channels/${channel}/publications`)
    .set(auth(key))
    .send({ data, ...(idempotencyKey ? { idempotencyKey } : {}) });
  return res;
}

describe.each(DATABASES)('/live channels ($name)', (database) => {
  const suite = appPerSuite({ WS_RATE_LIMIT: '1000/1s', WS_MAX_CHANNELS_PER_SOCKET: '3', CHANNEL_HISTORY_SIZE: '150' }, database);

  it('subscribes to a public channel, renders the latest at once, receives publications and resumes with since', async () => {
    const { url } = suite.t;
    const alice = await register(url);
    const { key } = await suite.t.apiKey('Feed', ['notify']);
    const socket = await connect(url, '/live', { token: alice.accessToken });
    expect(await emitAck(socket, 'channel:subscribe', { channel: 'public:prices' })).toEqual({
      ok: true,
      data: { channel: 'public:prices', offset: 0, publications: [], recovered: true },
    });
    const arrived = nextEvent<Publication>(socket, 'publication');
    const first = await publish(url, key, 'public:prices', { eur: 1.08 });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ channel: 'public:prices', offset: 1 });
    expect(await arrived).toMatchObject({ channel: 'public:prices', offset: 1, data: { eur: 1.08 } });
    for (let i = 2; i <= 4; i++) expect((await publish(url, key, 'public:prices', { eur: i })).body.offset).toBe(i);
    const late = await connect(url, '/live', { token: alice.accessToken });
    const latest = await emitAck<Subscribed extends Ack<infer D> ? D : never>(late, 'channel:subscribe', { channel: 'public:prices' });
    expect(latest.ok && latest.data).toMatchObject({ offset: 4, recovered: true, publications: [{ offset: 4, data: { eur: 4 } }] });
    const resumed = (await emitAck(late, 'channel:subscribe', { channel: 'public:prices', since: 1 })) as Subscribed;
    expect(resumed.ok && resumed.data.publications.map((p) => p.offset)).toEqual([2, 3, 4]);
    expect(resumed.ok && resumed.data.recovered).toBe(true);
    const current = (await emitAck(late, 'channel:subscribe', { channel: 'public:prices', since: 4 })) as Subscribed;
    expect(current.ok && current.data).toMatchObject({ offset: 4, publications: [], recovered: true });
    // unsubscribed sockets get nothing
    expect(await emitAck(late, 'channel:unsubscribe', { channel: 'public:prices' })).toEqual({ ok: true, data: { channel: 'public:prices' } });
    const nothing = receives(late, 'publication', 400);
    await publish(url, key, 'public:prices', { eur: 5 });
    expect(await nothing).toBe(false);
  });

  it('applies the kind rules: user:<id>[.name] for that user, admin: for admins, unknown kinds and names refused', async () => {
    const { url } = suite.t;
    const alice = await register(url);
    const bob = await register(url);
    const root = await register(url);
    await suite.t.makeAdmin(root.user.email);
    const rootToken = (await login(url, root.user.email)).accessToken;
    const a = await connect(url, '/live', { token: alice.accessToken });
    const r = await connect(url, '/live', { token: rootToken });
    const rows: Array<[string, unknown, string]> = [];
    const expected: Array<[string, unknown, string]> = [];
    const table: Array<[typeof a, string, string, unknown]> = [
      [a, 'alice', `user:${alice.user.id}`, true],
      [a, 'alice', `user:${alice.user.id}.orders`, true],
      [a, 'alice', `user:${bob.user.id}`, 'FORBIDDEN'],
      [a, 'alice', `user:${bob.user.id}.orders`, 'FORBIDDEN'],
      [a, 'alice', 'admin:ops', 'FORBIDDEN'],
      [r, 'admin', 'admin:ops', true],
      [r, 'admin', `user:${alice.user.id}`, 'FORBIDDEN'],
      [a, 'alice', 'private:deal', 'FORBIDDEN'],
      [a, 'alice', 'secret:x', 'VALIDATION_FAILED'],
      [a, 'alice', 'public:', 'VALIDATION_FAILED'],
      [a, 'alice', 'public:has space', 'VALIDATION_FAILED'],
      [a, 'alice', `public:${'x'.repeat(129)}`, 'VALIDATION_FAILED'],
      [a, 'alice', 'user:', 'VALIDATION_FAILED'],
    ];
    for (const [socket, who, channel, outcome] of table) {
      const ack = await emitAck(socket, 'channel:subscribe', { channel });
      rows.push([who, channel, ack.ok ? 'ok' : ack.error.code]);
      expected.push([who, channel, outcome === true ? 'ok' : String(outcome)]);
      if (ack.ok) await emitAck(socket, 'channel:unsubscribe', { channel });
    }
    expect(rows).toEqual(expected);
    expect(await emitAck(a, 'channel:subscribe', { channel: 'public:x', since: -1 })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    expect(await emitAck(a, 'channel:unsubscribe', { channel: 'nope' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('private: channels need a channel token for this user and this channel, unexpired', async () => {
    const { url } = suite.t;
    const alice = await register(url);
    const bob = await register(url);
    const { key } = await suite.t.apiKey('Deals', ['notify']);
    const token = async (userId: string, channel: string) =>
      (await request(url).post(`/api/v1/channels/${channel}/tokens`).set(auth(key)).send({ userId }).expect(201)).body.token as string;
    const forAlice = await token(alice.user.id, 'private:deal-1');
    const forBob = await token(bob.user.id, 'private:deal-1');
    const otherChannel = await token(alice.user.id, 'private:deal-2');
    const expired = suite.t.app.get(ChannelTokensService).issue(alice.user.id, 'private:deal-1', -1000).token;
    const socket = await connect(url, '/live', { token: alice.accessToken });
    for (const [tokenValue, message] of [
      [undefined, /required/],
      [forBob, /another user or channel/],
      [otherChannel, /another user or channel/],
      [expired, /expired/],
      [alice.accessToken, /Invalid channel token/],
      ['garbage', /Invalid channel token/],
    ] as const) {
      const ack = await emitAck(socket, 'channel:subscribe', { channel: 'private:deal-1', ...(tokenValue ? { token: tokenValue } : {}) });
      expect(ack).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringMatching(message) } });
    }
    expect(await emitAck(socket, 'channel:subscribe', { channel: 'private:deal-1', token: forAlice })).toMatchObject({ ok: true });
    const arrived = nextEvent<Publication>(socket, 'publication');
    await publish(url, key, 'private:deal-1', { price: 10 });
    await expect(arrived).resolves.toMatchObject({ channel: 'private:deal-1', data: { price: 10 } });
  });

  it('caps channels per socket (WS_MAX_CHANNELS_PER_SOCKET): LIMIT_EXCEEDED; a channel already held costs nothing', async () => {
    const { url } = suite.t;
    const alice = await register(url);
    const socket = await connect(url, '/live', { token: alice.accessToken });
    for (const name of ['a', 'b', 'c']) expect(await emitAck(socket, 'channel:subscribe', { channel: `public:${name}` })).toMatchObject({ ok: true });
    expect(await emitAck(socket, 'channel:subscribe', { channel: 'public:a' })).toMatchObject({ ok: true });
    expect(await emitAck(socket, 'channel:subscribe', { channel: 'public:d' })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    await emitAck(socket, 'channel:unsubscribe', { channel: 'public:b' });
    expect(await emitAck(socket, 'channel:subscribe', { channel: 'public:d' })).toMatchObject({ ok: true });
  });

  it('publishes once per idempotencyKey on a channel: 200 with the first offset, nothing sent', async () => {
    const { url } = suite.t;
    const alice = await register(url);
    const { key } = await suite.t.apiKey('Idem', ['notify']);
    const socket = await connect(url, '/live', { token: alice.accessToken });
    await emitAck(socket, 'channel:subscribe', { channel: 'public:idem' });
    // listening before publishing: the publication may arrive before the HTTP answer
    const delivered = nextEvent(socket, 'publication');
    const first = await publish(url, key, 'public:idem', 1, 'k-1');
    expect([first.status, first.body.offset]).toEqual([201, 1]);
    await delivered;
    const none = receives(socket, 'publication', 400);
    const again = await publish(url, key, 'public:idem', 2, 'k-1');
    expect([again.status, again.body]).toEqual([200, { channel: 'public:idem', offset: 1 }]);
    expect(await none).toBe(false);
    // per channel, and concurrent repeats agree
    expect((await publish(url, key, 'public:idem-other', 1, 'k-1')).status).toBe(201);
    const burst = await Promise.all([1, 2, 3].map((n) => publish(url, key, 'public:idem', n, 'k-2')));
    expect(burst.map((r) => r.body.offset)).toEqual([2, 2, 2]);
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 201]);
  });

  it('reports recovered: false beyond the history or past 100 missed, with the latest 100', async () => {
    const { url } = suite.t;
    const alice = await register(url);
    const { key } = await suite.t.apiKey('Burst', ['notify']);
    const socket = await connect(url, '/live', { token: alice.accessToken });
    await Promise.all(Array.from({ length: 120 }, (_, i) => publish(url, key, 'public:burst', i)));
    const ack = (await emitAck(socket, 'channel:subscribe', { channel: 'public:burst', since: 10 })) as Subscribed;
    expect(ack.ok && ack.data.offset).toBe(120);
    expect(ack.ok && ack.data.recovered).toBe(false);
    expect(ack.ok && ack.data.publications.map((p) => p.offset)).toEqual(Array.from({ length: 100 }, (_, i) => 21 + i));
    const within = (await emitAck(socket, 'channel:subscribe', { channel: 'public:burst', since: 20 })) as Subscribed;
    expect(within.ok && [within.data.recovered, within.data.publications.length]).toEqual([true, 100]);
    // from the future: nothing, and not recovered
    const ahead = (await emitAck(socket, 'channel:subscribe', { channel: 'public:burst', since: 500 })) as Subscribed;
    expect(ahead.ok && ahead.data).toMatchObject({ offset: 120, publications: [], recovered: false });
  });

  it('unsubscribes admin: channels at auth:refresh with a token without the admin role', async () => {
    const { url } = suite.t;
    const root = await register(url);
    await suite.t.makeAdmin(root.user.email);
    const adminLogin = await login(url, root.user.email);
    const { key } = await suite.t.apiKey('Roles', ['users', 'notify']);
    const socket = await connect(url, '/live', { token: adminLogin.accessToken });
    await emitAck(socket, 'channel:subscribe', { channel: 'admin:ops' });
    await emitAck(socket, 'channel:subscribe', { channel: 'public:ops' });
    // still admin: nothing changes
    expect(await emitAck(socket, 'auth:refresh', { token: (await login(url, root.user.email)).accessToken })).toMatchObject({ ok: true });
    await request(url).put(`/api/v1/users/${root.user.id}/role`).set(auth(key)).send({ role: 'user' }).expect(200);
    const demoted = (await login(url, root.user.email)).accessToken;
    const unsubscribed = nextEvent(socket, 'channel:unsubscribed');
    expect(await emitAck(socket, 'auth:refresh', { token: demoted })).toMatchObject({ ok: true });
    await expect(unsubscribed).resolves.toEqual({ channel: 'admin:ops', reason: 'forbidden' });
    const publication = nextEvent<Publication>(socket, 'publication');
    const silent = receives(socket, 'channel:unsubscribed', 300);
    await publish(url, key, 'admin:ops', 'secret');
    await publish(url, key, 'public:ops', 'open');
    await expect(publication).resolves.toMatchObject({ channel: 'public:ops' });
    expect(await silent).toBe(false);
  });
});

describe.each(DATABASES)('/live history limits ($name)', (database) => {
  const suite = appPerSuite({ CHANNEL_HISTORY_SIZE: '5', CHANNEL_HISTORY_TTL: '1s' }, database);

  it('keeps the last CHANNEL_HISTORY_SIZE publications for CHANNEL_HISTORY_TTL; older ones make recovered false', async () => {
    const { url } = suite.t;
    const alice = await register(url);
    const { key } = await suite.t.apiKey('Trim', ['notify']);
    const socket = await connect(url, '/live', { token: alice.accessToken });
    for (let i = 1; i <= 8; i++) await publish(url, key, 'public:trim', i);
    const trimmed = (await emitAck(socket, 'channel:subscribe', { channel: 'public:trim', since: 1 })) as Subscribed;
    expect(trimmed.ok && trimmed.data).toMatchObject({ offset: 8, recovered: false });
    expect(trimmed.ok && trimmed.data.publications.map((p) => p.offset)).toEqual([4, 5, 6, 7, 8]);
    const kept = (await emitAck(socket, 'channel:subscribe', { channel: 'public:trim', since: 4 })) as Subscribed;
    expect(kept.ok && [kept.data.recovered, kept.data.publications.map((p) => p.offset)]).toEqual([true, [5, 6, 7, 8]]);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const expired = (await emitAck(socket, 'channel:subscribe', { channel: 'public:trim', since: 6 })) as Subscribed;
    expect(expired.ok && expired.data).toMatchObject({ offset: 8, publications: [], recovered: false });
    const latest = (await emitAck(socket, 'channel:subscribe', { channel: 'public:trim' })) as Subscribed;
    expect(latest.ok && latest.data).toMatchObject({ offset: 8, publications: [], recovered: true });
    // offsets go on from the channel's latest, history or not
    expect((await publish(url, key, 'public:trim', 9)).body.offset).toBe(9);
  });
});

describe('/live history across a restart', () => {
  let t: TestApp | undefined;
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
  });

  it.each(DATABASES)('keeps offsets increasing and history readable after a restart ($name)', async (database) => {
    const env = testEnv(await database.url(), { WS_RATE_LIMIT: '1000/1s' });
    t = await startApp(env);
    const { key } = await t.apiKey('Restart', ['notify']);
    for (let i = 1; i <= 3; i++) expect((await publish(t.url, key, 'public:restart', i)).body.offset).toBe(i);
    // names are case-sensitive (binary collation on MySQL/MariaDB)
    expect((await publish(t.url, key, 'public:Restart', 'other')).body.offset).toBe(1);
    const user = await register(t.url);
    await t.close();
    t = await startApp(env);
    expect((await publish(t.url, key, 'public:restart', 4)).body.offset).toBe(4);
    const socket = await connect(t.url, '/live', { token: (await login(t.url, user.user.email)).accessToken });
    const ack = (await emitAck(socket, 'channel:subscribe', { channel: 'public:restart', since: 0 })) as Subscribed;
    expect(ack.ok && ack.data).toMatchObject({ offset: 4, recovered: true });
    expect(ack.ok && ack.data.publications.map((p) => p.data)).toEqual([1, 2, 3, 4]);
    await t.close();
    t = undefined;
  });
});
