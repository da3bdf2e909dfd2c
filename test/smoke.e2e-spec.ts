import request from 'supertest';
import { closeAllSockets, connect, emitAck, nextEvent, register } from './support/clients';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';

describe.each(DATABASES)('smoke on $name', ({ url: databaseUrl }) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(testEnv(await databaseUrl()));
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('registers, connects and chats', async () => {
    const a = await register(t.url);
    await request(t.url).get('/auth/me').set('Authorization', `Bearer ${a.accessToken}`).expect(200);
    const s = await connect(t.url, '/chat', { token: a.accessToken });
    const join = await emitAck(s, 'room:join', { room: 'general' });
    expect(join).toMatchObject({ ok: true, data: { room: 'general', history: [], hasMore: false } });
    const incoming = nextEvent(s, 'message:new');
    const sent = await emitAck(s, 'message:send', { room: 'general', body: 'hello', clientMsgId: 'c1' });
    expect(sent).toMatchObject({ ok: true, data: { body: 'hello', room: 'general' } });
    await expect(incoming).resolves.toMatchObject({ body: 'hello' });
    const bad = await emitAck(s, 'message:send', { room: 'general', body: '' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const page = await request(t.url).get('/rooms/general/messages').set('Authorization', `Bearer ${a.accessToken}`).expect(200);
    expect(page.body.messages).toHaveLength(1);
  });
});
