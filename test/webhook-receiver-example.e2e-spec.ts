import { ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { closeAllSockets, connect, emitAck, register, sleep } from './support/clients';
import { DATABASES, startApp, TestApp, testEnv } from './support/app';

const SECRET = 'example-secret-0123456789abcdefghijklmnop';
const sign = (body: string, t = Math.floor(Date.now() / 1000)) => `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;

/** examples/webhook-receiver.mjs as a user would run it, fed by a real Parley and by hand-made requests. */
describe('the webhook receiver example', () => {
  let child: ChildProcess;
  let output = '';
  let url = '';
  let app: TestApp | undefined;

  beforeAll(async () => {
    const port = 40_000 + (process.pid % 10_000);
    child = spawn(process.execPath, [join(__dirname, '..', 'examples', 'webhook-receiver.mjs'), String(port)], {
      env: { ...process.env, WEBHOOK_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    url = `http://127.0.0.1:${port}/parley`;
    while (!output.includes('webhook receiver on')) await sleep(50);
  });
  afterAll(async () => {
    closeAllSockets();
    await app?.close();
    child.kill();
  });

  const post = (body: string, signature: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'parley-signature': signature }, body }).then((r) => r.status);

  it('refuses a bad signature, a tampered body and a t more than 5 minutes off; handles a repeated id once', async () => {
    const body = JSON.stringify({
      id: 'evt-1',
      type: 'user.online',
      at: new Date().toISOString(),
      data: { user: { id: 'u1', displayName: 'Once Only' } },
    });
    expect(await post(body, 't=1,v1=00')).toBe(401);
    expect(await post(body.replace('Once', 'Twice'), sign(body))).toBe(401);
    expect(await post(body, sign(body, Math.floor(Date.now() / 1000) - 301))).toBe(401);
    expect(await post(body, sign(body))).toBe(204);
    expect(await post(body, sign(body))).toBe(204);
    await sleep(100);
    expect(output.match(/Once Only is online/g)).toHaveLength(1);
  });

  it('accepts what Parley sends', async () => {
    app = await startApp(testEnv(await DATABASES[0].url(), { WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET, WEBHOOK_EVENTS: 'message.created' }));
    const user = await register(app.url);
    const socket = await connect(app.url, '/chat', { token: user.accessToken });
    await emitAck(socket, 'room:join', { room: 'example' });
    await emitAck(socket, 'message:send', { room: 'example', body: 'to the example receiver' });
    const until = Date.now() + 5000;
    while (!output.includes('to the example receiver') && Date.now() < until) await sleep(50);
    expect(output).toContain('message.created');
    expect(output).toContain('to the example receiver');
  });
});
