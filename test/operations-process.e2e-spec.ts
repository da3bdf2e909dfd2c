import { AddressInfo, createServer } from 'node:net';
import { io } from 'socket.io-client';
import { DATABASES, testEnv } from './support/app';
import { connect, register, sleep } from './support/clients';
import { killServers, ServerProcess, spawnServerProcess, startServerProcess } from './support/process';

/** Every JSON line the process wrote (its log), skipping anything else. */
function logLines(server: ServerProcess): Array<Record<string, unknown>> {
  return server
    .output()
    .split('\n')
    .flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return typeof parsed === 'object' && parsed !== null ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
}

/** A TCP port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const status = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.status,
    () => 0,
  );

async function until(what: string, check: () => Promise<boolean>, limitMs: number, server?: ServerProcess): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${limitMs} ms${server ? `; the process wrote:\n${server.output()}` : ''}`);
    await sleep(50);
  }
}

const servers: ServerProcess[] = [];
afterEach(async () => {
  await killServers(...servers.splice(0));
});

describe('SIGTERM drain', () => {
  it('readiness 503 for SHUTDOWN_GRACE while REST and sockets keep working; then sockets close and the process ends by SIGTERM', async () => {
    const server = await startServerProcess(testEnv(await DATABASES[0].url(), { SHUTDOWN_GRACE: '2s' }));
    servers.push(server);
    const user = await register(server.url);
    const socket = await connect(server.url, '/chat', { token: user.accessToken });
    const disconnected = new Promise<{ reason: string; at: number }>((resolve) =>
      socket.once('disconnect', (reason) => resolve({ reason, at: Date.now() })),
    );

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await until('readiness did not answer 503', async () => (await status(`${server.url}/health/ready`)) === 503, 1000);
    expect(await status(`${server.url}/health`)).toBe(503);
    expect(await status(`${server.url}/health/live`)).toBe(200);
    // Still fully serving: a new user registers, the socket stays.
    await register(server.url);
    expect(socket.connected).toBe(true);

    const { reason, at } = await disconnected;
    expect(reason).toBe('transport close');
    expect(at - signalledAt).toBeGreaterThanOrEqual(1900);
    expect(await server.exited).toBe('SIGTERM');
    expect(await status(`${server.url}/health/live`)).toBe(0);
  }, 30_000);
});

describe('start-up', () => {
  it('waits for an unreachable database with retries until STARTUP_TIMEOUT (live 200, ready 503 meanwhile), then exits 1 naming it in one JSON line', async () => {
    const port = await closedPort();
    const server = await spawnServerProcess(
      testEnv(`mysql://root@127.0.0.1:${port}/parley`, { NODE_ENV: 'production', LOG_LEVEL: 'info', STARTUP_TIMEOUT: '5s' }),
    );
    servers.push(server);
    // Until then ts-node compiles the sources (several seconds on a loaded machine).
    await until('the start-up probe did not answer', async () => (await status(`${server.url}/health/live`)) === 200, 30_000, server);
    expect(await status(`${server.url}/health/ready`)).toBe(503);
    expect(await status(`${server.url}/auth/me`)).toBe(503);

    expect(await server.exited).toBe(1);
    const lines = logLines(server);
    const attempts = lines.filter((line) => /^Waiting for the database \(attempt \d+ failed: .*ECONNREFUSED/.test(String(line.msg)));
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    const fatal = lines.filter((line) => line.level === 60);
    expect(fatal).toEqual([
      expect.objectContaining({
        unreachable: 'the database',
        msg: expect.stringMatching(/^Parley failed to start: the database unreachable: gave up after \d+ attempts in 5\.\d s/),
      }),
    ]);
    // Nothing but JSON lines in production.
    expect(server.output().trim().split('\n').length).toBe(lines.length);
  }, 60_000);

  it('exits 1 naming Redis when it stays unreachable', async () => {
    const port = await closedPort();
    const server = await spawnServerProcess(
      testEnv(await DATABASES[0].url(), { NODE_ENV: 'production', LOG_LEVEL: 'info', STARTUP_TIMEOUT: '2s', REDIS_URL: `redis://127.0.0.1:${port}` }),
    );
    servers.push(server);
    expect(await server.exited).toBe(1);
    const fatal = logLines(server).filter((line) => line.level === 60);
    expect(fatal).toEqual([
      expect.objectContaining({ unreachable: 'Redis', msg: expect.stringMatching(/^Parley failed to start: Redis unreachable/) }),
    ]);
  }, 40_000);

  it('a configuration error in production is one JSON line, naming the variable', async () => {
    const server = await spawnServerProcess(testEnv(await DATABASES[0].url(), { NODE_ENV: 'production', STARTUP_TIMEOUT: 'soon' }));
    servers.push(server);
    expect(await server.exited).toBe(1);
    const output = server.output().trim();
    expect(output.split('\n')).toHaveLength(1);
    expect(JSON.parse(output)).toMatchObject({
      level: 60,
      msg: expect.stringMatching(/^Parley failed to start: Invalid configuration:\n {2}STARTUP_TIMEOUT: /),
    });
  }, 30_000);
});

describe('request log (NODE_ENV=production, LOG_LEVEL=info)', () => {
  it('logs every request once with its id, client IP and status, never its headers; handshakes carry their id too', async () => {
    const server = await startServerProcess(testEnv(await DATABASES[0].url(), { NODE_ENV: 'production', LOG_LEVEL: 'info' }));
    servers.push(server);
    const user = await register(server.url);
    const send = (id: string, path: string, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, { ...init, headers: { 'X-Request-Id': id, ...(init.headers as Record<string, string>) } });
    const json = { 'Content-Type': 'application/json' };
    const cases: Array<[string, Promise<Response>, number]> = [
      ['ok-1', send('ok-1', '/auth/me', { headers: { Authorization: `Bearer ${user.accessToken}` } }), 200],
      ['unauth-1', send('unauth-1', '/auth/me', { headers: { Authorization: 'Bearer not-a-token' } }), 401],
      ['malformed-1', send('malformed-1', '/auth/login', { method: 'POST', headers: json, body: '{"email": ' }), 400],
      ['toolarge-1', send('toolarge-1', '/auth/login', { method: 'POST', headers: json, body: `{"x":"${'a'.repeat(200_000)}"}` }), 413],
      ['badpct-1', send('badpct-1', '/rooms/%E0%A4%A/messages'), 400],
      ['missing-1', send('missing-1', '/no/such/route'), 404],
    ];
    for (const [id, answer, expected] of cases) {
      const res = await answer;
      expect([id, res.status, res.headers.get('x-request-id')]).toEqual([id, expected, id]);
    }
    // Probes and scrapes are not logged.
    await send('probe-1', '/health/live');
    await send('probe-2', '/health/ready');
    await send('scrape-1', '/metrics');

    // A handshake with an id of its own, and one refused.
    const socket = io(`${server.url}/chat`, {
      auth: { token: user.accessToken },
      extraHeaders: { 'X-Request-Id': 'socket-1' },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
    socket.close();
    const refused = io(`${server.url}/chat`, {
      auth: { token: 'bogus' },
      extraHeaders: { 'X-Request-Id': 'socket-2' },
      transports: ['polling'],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve) => refused.once('connect_error', () => resolve()));
    refused.close();

    await until('the last line was not logged', async () => logLines(server).some((line) => line.reqId === 'socket-2'), 3000);
    const lines = logLines(server);
    for (const [id, , expected] of cases) {
      const mine = lines.filter((line) => line.reqId === id);
      expect(mine).toEqual([
        expect.objectContaining({
          msg: 'request completed',
          req: expect.objectContaining({ ip: expect.stringMatching(/127\.0\.0\.1$/) }),
          res: { statusCode: expected },
        }),
      ]);
      expect(mine[0].req).not.toHaveProperty('headers');
    }
    expect(lines.filter((line) => ['probe-1', 'probe-2', 'scrape-1'].includes(String(line.reqId)))).toEqual([]);
    expect(lines.filter((line) => line.reqId === 'socket-1')).toEqual([
      expect.objectContaining({ msg: 'handshake accepted', namespace: '/chat', userId: user.user.id, ip: expect.stringMatching(/127\.0\.0\.1$/) }),
    ]);
    expect(lines.filter((line) => line.reqId === 'socket-2')).toEqual([expect.objectContaining({ msg: 'handshake refused', code: 'TOKEN_INVALID' })]);
    // No secret and no response header reaches the log.
    expect(server.output()).not.toContain(user.accessToken);
    expect(server.output()).not.toMatch(/content-security-policy|set-cookie/i);
  }, 30_000);
});
