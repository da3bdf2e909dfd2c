import request from 'supertest';
import { connect, emitAck, login, nextEvent, refusal, register } from './support/clients';
import { appPerSuite } from './support/app';

interface Stats {
  connections: number;
  onlineUsers: number;
  messagesPerMinute: number;
  node: string;
  at: string;
}

describe('/dashboard', () => {
  const suite = appPerSuite({ NODE_ID: 'test-node-1' });

  it('streams live stats to admins every 2 s and refuses others', async () => {
    const user = await register(suite.t.url);
    expect((await refusal(connect(suite.t.url, '/dashboard', { token: user.accessToken }))).data?.code).toBe('FORBIDDEN');
    const admin = await register(suite.t.url);
    await suite.t.makeAdmin(admin.user.email);
    const adminToken = (await login(suite.t.url, admin.user.email)).accessToken;
    const dashboard = await connect(suite.t.url, '/dashboard', { token: adminToken });
    const first = await nextEvent<Stats>(dashboard, 'stats', 2600);
    expect(first).toEqual({
      connections: 1,
      onlineUsers: 1,
      messagesPerMinute: 0,
      node: 'test-node-1',
      at: expect.any(String),
      nodes: [{ node: 'test-node-1', connections: 1, onlineUsers: 1, messagesPerMinute: 0 }],
    });
    expect(Math.abs(Date.parse(first.at) - Date.now())).toBeLessThan(3000);

    const chat = await connect(suite.t.url, '/chat', { token: user.accessToken });
    await emitAck(chat, 'room:join', { room: 'stats' });
    await emitAck(chat, 'message:send', { room: 'stats', body: 'counted' });
    const next = await nextEvent<Stats>(dashboard, 'stats', 2600);
    expect(next).toMatchObject({ connections: 2, onlineUsers: 2, messagesPerMinute: 1 });
  });

  it('exposes socket, event and message metrics', async () => {
    const res = await request(suite.t.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(/parley_ws_connected_sockets\{namespace="\/chat"\} \d+/);
    expect(res.text).toMatch(/parley_ws_events_total\{event="message:send",outcome="ok"\} 1/);
    expect(res.text).toMatch(/parley_messages_stored_total 1/);
    expect(res.text).toMatch(/parley_ws_handshakes_refused_total\{namespace="\/dashboard",code="FORBIDDEN"\} 1/);
    expect(res.text).toContain('parley_http_request_duration_seconds_bucket');
  });
});
