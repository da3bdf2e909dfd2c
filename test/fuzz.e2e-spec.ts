import fc from 'fast-check';
import request from 'supertest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { appPerSuite } from './support/app';
import { connect, emitAck, register } from './support/clients';

/** Anything JSON can say, including prototype-looking keys, deep nesting and long strings. */
const anyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 300 }),
    fc.string({ unit: 'binary', minLength: 5000, maxLength: 20_000 }),
    fc.integer(),
    fc.constantFrom(1e308, -1e308, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, -0, 5e-324),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'email', 'room', 'body', 'token', 'mfaToken', 'code', 'recoveryCode'),
      ),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

/** `[[[…]]]` and `{"a":{"a":…}}` nested `depth` levels deep. */
const nested = (depth: number) => [JSON.parse('['.repeat(depth) + ']'.repeat(depth)), JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth))];

// The app runs in this process: a full collection before measuring makes heap figures comparable.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
const HEAP_SLACK = 32 * 1024 * 1024;

const ROUTES: Array<[string, string]> = [
  ['post', '/auth/register'],
  ['post', '/auth/login'],
  ['post', '/auth/refresh'],
  ['patch', '/auth/password'],
  ['post', '/auth/verify-email'],
  ['post', '/auth/password/forgot'],
  ['post', '/auth/password/reset'],
  ['post', '/auth/login/2fa'],
  ['post', '/auth/2fa/enable'],
  ['post', '/auth/2fa/disable'],
];
const EVENTS = ['room:join', 'room:leave', 'message:send', 'message:history', 'dm:send', 'typing', 'presence:list', 'auth:refresh'];
const WS_CODES = ['VALIDATION_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'RATE_LIMITED'];

describe('fuzzing', () => {
  const suite = appPerSuite({ AUTH_RATE_LIMIT: '100000/60s', WS_RATE_LIMIT: '100000/1s' });

  it('answers any REST body with the contract error shape, never 5xx', async () => {
    const a = await register(suite.t.url);
    const send = async ([method, path]: [string, string], body: string) => {
      const agent = request(suite.t.url);
      const res = await (method === 'patch' ? agent.patch(path) : agent.post(path))
        .set('Authorization', `Bearer ${a.accessToken}`)
        .set('Content-Type', 'application/json')
        .send(body);
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400)
        expect(res.body).toEqual(expect.objectContaining({ statusCode: res.status, message: expect.anything(), error: expect.any(String) }));
    };
    const baseline = settledHeap();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), anyJson, (route, body) => send(route, JSON.stringify(body))),
      { numRuns: 250 },
    );
    for (const route of ROUTES) for (const body of nested(2000)) await send(route, JSON.stringify(body));
    await send(ROUTES[0], JSON.stringify({ email: 'x'.repeat(200_000) })); // over the body limit: 413
    expect(settledHeap() - baseline).toBeLessThan(HEAP_SLACK);
    const rooms = await Promise.all(
      ['%00', '..%2F..', 'a'.repeat(300), 'dm:x:y', '%E2%82'].map((room) =>
        request(suite.t.url).get(`/rooms/${room}/messages?limit=abc&before=zz`).set('Authorization', `Bearer ${a.accessToken}`),
      ),
    );
    for (const res of rooms) expect([400, 403, 404]).toContain(res.status);
    // bytes that are not UTF-8 and bodies that are not JSON
    const raw = await request(suite.t.url)
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send(Buffer.from([0x7b, 0xff, 0xfe, 0x22]));
    expect(raw.status).toBe(400);
  });

  it('answers any socket payload with a contract code, never INTERNAL, and never echoes it', async () => {
    const a = await register(suite.t.url);
    const socket = await connect(suite.t.url, '/chat', { token: a.accessToken });
    const baseline = settledHeap();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...EVENTS), anyJson, async (event, payload) => {
        // Frames over the 64 kB limit close the connection by design (ws-robustness covers it).
        fc.pre(Buffer.byteLength(JSON.stringify(payload) ?? '') < 60_000);
        const ack = await emitAck(socket, event, payload);
        if (!ack.ok) {
          expect(WS_CODES).toContain(ack.error.code);
          const text = typeof payload === 'string' && payload.length > 8 ? payload : null;
          if (text) expect(ack.error.message).not.toContain(text);
        }
      }),
      { numRuns: 400 },
    );
    for (const event of EVENTS) {
      for (const payload of nested(2000)) {
        const ack = await emitAck(socket, event, payload);
        if (!ack.ok) expect(WS_CODES).toContain(ack.error.code);
      }
    }
    expect(settledHeap() - baseline).toBeLessThan(HEAP_SLACK);
    // binary attachments
    expect(await emitAck(socket, 'message:send', { room: 'general', body: Buffer.alloc(32, 1) })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED' },
    });
    expect(socket.connected).toBe(true);
    await request(suite.t.url).get('/health').expect(200);
  });
});
