import request from 'supertest';
import { connect, emitAck, nextEvent, register, sleep } from './support/clients';
import { appPerSuite } from './support/app';

describe('/chat robustness', () => {
  const suite = appPerSuite({ WS_RATE_LIMIT: '20/1s' });

  it('drops the socket that sends a frame over 64 kB and no other', async () => {
    const a = await register(suite.t.url);
    const big = await connect(suite.t.url, '/chat', { token: a.accessToken });
    const bystander = await connect(suite.t.url, '/chat', { token: a.accessToken });
    const dropped = nextEvent(big, 'disconnect');
    big.emit('message:send', { room: 'general', body: 'x'.repeat(65_000) });
    await dropped;
    expect(await emitAck(bystander, 'room:join', { room: 'general' })).toMatchObject({ ok: true });
  });

  it('rate limits a flood without disconnecting, then recovers', async () => {
    const a = await register(suite.t.url);
    const socket = await connect(suite.t.url, '/chat', { token: a.accessToken });
    const acks = await Promise.all(Array.from({ length: 200 }, () => emitAck(socket, 'presence:list', { room: 'flood' })));
    const limited = acks.filter((ack) => !ack.ok && ack.error.code === 'RATE_LIMITED').length;
    expect(limited).toBeGreaterThan(150);
    expect(acks.filter((ack) => ack.ok).length).toBeGreaterThanOrEqual(20);
    expect(socket.connected).toBe(true);
    await sleep(1100);
    expect(await emitAck(socket, 'presence:list', { room: 'flood' })).toEqual({ ok: true, data: { online: [] } });
  });

  it('answers malformed payloads with VALIDATION_FAILED, never echoing them', async () => {
    const a = await register(suite.t.url);
    const socket = await connect(suite.t.url, '/chat', { token: a.accessToken });
    const marker = 'ECHO-MARKER-<script>';
    const payloads: unknown[] = [
      marker,
      42,
      null,
      [marker],
      {},
      { room: 'general' },
      { room: marker, body: marker },
      { room: 'general', body: 'ok', extra: marker },
      { room: { nested: { deeper: marker } }, body: marker },
      { room: 'general', body: marker.repeat(2000) },
      JSON.parse(`{"__proto__": {"polluted": "${marker}"}, "room": "general", "body": "x"}`),
      { constructor: { prototype: { polluted: marker } }, room: 'general', body: 'x' },
    ];
    for (const payload of payloads) {
      const ack = await emitAck(socket, 'message:send', payload);
      expect(ack).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^(VALIDATION_FAILED|FORBIDDEN)$/) } });
      expect(JSON.stringify(ack)).not.toContain('ECHO-MARKER');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await emitAck(socket, 'room:join', undefined)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('emits `exception` when there is no ack, and ignores unknown events', async () => {
    const a = await register(suite.t.url);
    const socket = await connect(suite.t.url, '/chat', { token: a.accessToken });
    const exception = nextEvent<{ code: string; message: string }>(socket, 'exception');
    socket.emit('room:join', { room: 'NOT VALID' });
    await expect(exception).resolves.toEqual({ code: 'VALIDATION_FAILED', message: expect.any(String) });
    socket.emit('no:such:event', { whatever: true });
    socket.emit('no:such:event', { whatever: true }, () => undefined);
    await sleep(100);
    expect(socket.connected).toBe(true);
    expect(await emitAck(socket, 'room:join', { room: 'still-fine' })).toMatchObject({ ok: true });
    await request(suite.t.url).get('/health').expect(200);
  });
});
