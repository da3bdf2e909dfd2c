import request from 'supertest';
import { Ack, connect, emitAck, register } from './support/clients';
import { DATABASES, startApp, testEnv } from './support/app';

describe.each(DATABASES)('graceful shutdown on $name', ({ url: databaseUrl }) => {
  it('stores exactly the acknowledged messages and closes sockets so clients reconnect', async () => {
    const env = testEnv(await databaseUrl(), { WS_RATE_LIMIT: '10000/1s' });
    let t = await startApp(env);
    const a = await register(t.url);
    const socket = await connect(t.url, '/chat', { token: a.accessToken });
    await emitAck(socket, 'room:join', { room: 'drain' });
    const reason = new Promise<string>((resolve) => socket.once('disconnect', resolve));

    // 20 senders keep sending until the socket goes; shutdown starts after 50 acks.
    const acks: Array<Ack<{ id: string }>> = [];
    let closing: Promise<void> | null = null;
    let seq = 0;
    const sender = async () => {
      while (socket.connected) {
        const i = seq++;
        const ack = await emitAck<{ id: string }>(socket, 'message:send', { room: 'drain', body: `m${i}`, clientMsgId: `c${i}` }).catch(
          (): Ack<{ id: string }> => ({ ok: false, error: { code: 'TIMEOUT', message: '' } }),
        );
        acks.push(ack);
        if (acks.length === 50) closing = t.close();
      }
    };
    await Promise.all(Array.from({ length: 20 }, sender));
    await closing;
    // "transport close", not "io server disconnect": socket.io-client reconnects by itself
    expect(await reason).toBe('transport close');
    const acked = acks.filter((ack) => ack.ok).map((ack) => (ack.ok ? ack.data.id : ''));
    const refused = acks.filter((ack) => !ack.ok);
    expect(acked.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const ack of refused) expect(ack.ok ? '' : ack.error.code).toMatch(/^(INTERNAL|TIMEOUT)$/);

    t = await startApp(env);
    try {
      const stored: string[] = [];
      let before = '';
      for (;;) {
        const page = await request(t.url).get(`/rooms/drain/messages?limit=100${before}`).set('Authorization', `Bearer ${a.accessToken}`).expect(200);
        stored.unshift(...page.body.messages.map((m: { id: string }) => m.id));
        if (!page.body.hasMore) break;
        before = `&before=${page.body.messages[0].id}`;
      }
      expect(stored.sort()).toEqual([...acked].sort());
    } finally {
      await t.close();
    }
  });
});
