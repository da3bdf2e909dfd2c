import fc from 'fast-check';
import request from 'supertest';
import { appPerSuite } from './support/app';
import { connect, emitAck, register } from './support/clients';

/** Anything JSON can say, including prototype-looking keys, deep nesting and long strings. */
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 300 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'email', 'room', 'body', 'token')), tie('value'), { maxKeys: 5 }),
  ),
})).value;

const ROUTES: Array<[string, string]> = [
  ['post', '/auth/register'],
  ['post', '/auth/login'],
  ['post', '/auth/refresh'],
  ['patch', '/auth/password'],
  ['post', '/auth/verify-email'],
  ['post', '/auth/password/forgot'],
  ['post', '/auth/password/reset'],
];
const EVENTS = ['room:join', 'room:leave', 'message:send', 'message:history', 'dm:send', 'typing', 'presence:list', 'auth:refresh'];
const WS_CODES = ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'RATE_LIMITED'];

describe('fuzzing', () => {
  const suite = appPerSuite({ AUTH_RATE_LIMIT: '100000/60s', WS_RATE_LIMIT: '100000/1s' });

  it('answers any REST body with the contract error shape, never 5xx', async () => {
    const a = await register(suite.t.url);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), anyJson, async ([method, path], body) => {
        const agent = request(suite.t.url);
        const res = await (method === 'patch' ? agent.patch(path) : agent.post(path))
          .set('Authorization', `Bearer ${a.accessToken}`)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(body));
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(res.body).toEqual(expect.objectContaining({ statusCode: res.status, message: expect.anything(), error: expect.any(String) }));
      }),
      { numRuns: 250 },
    );
    const rooms = await Promise.all(
      ['%00', '..%2F..', 'a'.repeat(300), 'dm:x:y', '%E2%82'].map((room) =>
        request(suite.t.url).get(`/rooms/${room}/messages?limit=abc&before=zz`).set('Authorization', `Bearer ${a.accessToken}`),
      ),
    );
    for (const res of rooms) expect([400, 403, 404]).toContain(res.status);
    // bytes that are not UTF-8 and bodies that are not JSON
    const raw = await request(suite.t.url).post('/auth/login').set('Content-Type', 'application/json').send(Buffer.from([0x7b, 0xff, 0xfe, 0x22]));
    expect(raw.status).toBe(400);
  });

  it('answers any socket payload with a contract code, never INTERNAL, and never echoes it', async () => {
    const a = await register(suite.t.url);
    const socket = await connect(suite.t.url, '/chat', { token: a.accessToken });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...EVENTS), anyJson, async (event, payload) => {
        const ack = await emitAck(socket, event, payload);
        if (!ack.ok) {
          expect(WS_CODES).toContain(ack.error.code);
          const text = typeof payload === 'string' && payload.length > 8 ? payload : null;
          if (text) expect(ack.error.message).not.toContain(text);
        }
      }),
      { numRuns: 400 },
    );
    // binary attachments
    expect(await emitAck(socket, 'message:send', { room: 'general', body: Buffer.alloc(32, 1) })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(socket.connected).toBe(true);
    await request(suite.t.url).get('/health').expect(200);
  });
});
