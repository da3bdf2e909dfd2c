import { Message, SignedOut } from '@parley/client';
import { closeSdkClients, connected, eventually, sdkClient, signedUp, untilState } from './helpers';
import { DATABASES, removeSqliteFile, startApp, testEnv, TestApp } from '../support/app';
import { RestartableServer } from '../support/restartable-server';
import { TcpProxy } from '../support/tcp-proxy';

/** The SDK against the real server: recovery after a lost link and after a server restart. */

const bodies = (messages: Message[]) => messages.map((m) => m.body);

describe('SDK: a lost link', () => {
  let t: TestApp;
  let proxy: TcpProxy;

  beforeAll(async () => {
    t = await startApp(testEnv(await DATABASES[0].url(), { WS_RATE_LIMIT: '1000/1s' }));
    proxy = await TcpProxy.start('127.0.0.1', Number(new URL(t.url).port));
  });
  afterAll(async () => {
    closeSdkClients();
    await proxy?.close();
    await t?.close();
    removeSqliteFile(t.env.DATABASE_URL as string);
  });

  it('re-joins with since, pages past 200 missed messages, and delivers each once', async () => {
    const alice = await signedUp(proxy.rewrite(t.url).replace(/\/$/, ''), 'Alice');
    const bob = await signedUp(t.url, 'Bob');
    const aliceChat = alice.client.chat().connect();
    const bobChat = bob.client.chat().connect();
    await aliceChat.join('recovery');
    await bobChat.join('recovery');
    const seen: Message[] = [];
    aliceChat.on('message:new', (m) => seen.push(m));
    await bobChat.send('recovery', 'before the cut');
    await eventually(() => seen.length === 1, 5000, 'the first message');

    proxy.cut();
    await untilState(aliceChat, (s) => s.status === 'reconnecting');
    const missed = Array.from({ length: 230 }, (_, i) => `missed ${i}`);
    for (const body of missed) await bobChat.send('recovery', body);
    proxy.restore();

    await untilState(aliceChat, connected);
    await eventually(() => seen.length === 231, 10_000, 'every missed message');
    expect(bodies(seen)).toEqual(['before the cut', ...missed]);
    // Still in the room: live messages keep coming, once.
    await bobChat.send('recovery', 'after the restore');
    await eventually(() => seen.length === 232, 5000, 'a live message');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(new Set(seen.map((m) => m.id)).size).toBe(232);
  });

  it('applies what changed while away: edits and deletions come as message:updated after the re-join', async () => {
    const alice = await signedUp(proxy.rewrite(t.url).replace(/\/$/, ''), 'Alice');
    const bob = await signedUp(t.url, 'Bob');
    const aliceChat = alice.client.chat().connect();
    const bobChat = bob.client.chat().connect();
    await aliceChat.join('changes');
    await bobChat.join('changes');
    const first = await bobChat.send('changes', 'first draft');
    const second = await bobChat.send('changes', 'to be deleted');
    await eventually(async () => (await aliceChat.history('changes')).messages.length === 2, 5000, 'alice has both');
    const updated: Message[] = [];
    aliceChat.on('message:updated', (m) => updated.push(m));

    proxy.cut();
    await untilState(aliceChat, (s) => s.status === 'reconnecting');
    await bobChat.request('message:edit', { id: first.id, body: 'final text' });
    await bobChat.request('message:delete', { id: second.id });
    proxy.restore();

    await untilState(aliceChat, connected);
    await eventually(() => updated.length === 2, 5000, 'both changes');
    expect(updated.map((m) => [m.id, m.body, m.editedAt !== null, m.deletedAt !== null])).toEqual([
      [first.id, 'final text', true, false],
      [second.id, '', false, true],
    ]);
  });

  it('keeps sends typed while the link is down and sends them once, in order, after re-joining', async () => {
    const alice = await signedUp(proxy.rewrite(t.url).replace(/\/$/, ''), 'Alice');
    const bob = await signedUp(t.url, 'Bob');
    const aliceChat = alice.client.chat().connect();
    const bobChat = bob.client.chat().connect();
    await aliceChat.join('outbox');
    await bobChat.join('outbox');
    const bobSees: Message[] = [];
    bobChat.on('message:new', (m) => bobSees.push(m));

    proxy.cut();
    await untilState(aliceChat, (s) => s.status === 'reconnecting');
    const sends = ['one', 'two', 'three'].map((body) => aliceChat.send('outbox', body));
    expect((await aliceChat.pendingMessages()).map((e) => e.body)).toEqual(['one', 'two', 'three']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bobSees).toEqual([]);
    proxy.restore();

    const stored = await Promise.all(sends);
    expect(bodies(stored)).toEqual(['one', 'two', 'three']);
    await eventually(() => bobSees.length === 3, 5000, 'bob sees them');
    expect(bodies(bobSees)).toEqual(['one', 'two', 'three']);
    expect(await aliceChat.pendingMessages()).toEqual([]);
    const page = await bobChat.history('outbox');
    expect(bodies(page.messages)).toEqual(['one', 'two', 'three']);
  });

  it('gives up a send the server refuses for good and tells the app', async () => {
    const alice = await signedUp(t.url, 'Alice');
    const chat = alice.client.chat().connect();
    const failed: string[] = [];
    chat.on('failed', ({ entry, error }) => failed.push(`${entry.body}: ${error.code}`));
    await expect(chat.send('announcements', 'only admins may')).rejects.toMatchObject({ code: 'FORBIDDEN', event: 'message:send' });
    expect(failed).toEqual(['only admins may: FORBIDDEN']);
    expect(await chat.pendingMessages()).toEqual([]);
  });

  it('ends signed out with the reason when the session is revoked, and does not reconnect', async () => {
    const alice = await signedUp(t.url, 'Alice');
    const chat = alice.client.chat().connect();
    await untilState(chat, connected);
    const signedOut: SignedOut[] = [];
    alice.client.onSignedOut((info) => signedOut.push(info));
    const states: string[] = [];
    chat.on('state', (s) => states.push(s.status));
    // Alice ends this session from another device.
    const mine = (await alice.client.auth.sessions()).find((s) => s.current)!;
    const laptop = sdkClient(t.url);
    await laptop.auth.login({ email: alice.email, password: 'correct horse battery' });
    await laptop.auth.request('DELETE', `/auth/sessions/${encodeURIComponent(mine.id)}`);

    await eventually(() => signedOut.length === 1, 5000, 'signed out');
    expect(signedOut[0]).toEqual({ reason: 'session_deleted', message: 'This device was signed out (session_deleted)' });
    expect(chat.state).toEqual({ status: 'closed', reason: 'signed_out' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(states).toEqual(['closed']);
    expect(alice.client.auth.signedIn).toBe(false);
  });

  it('ends refused (FORBIDDEN) when a user who is not an admin opens the dashboard, without retrying', async () => {
    const alice = await signedUp(t.url, 'Alice');
    const dashboard = alice.client.dashboard().connect();
    const state = await untilState(dashboard, (s) => s.status === 'closed');
    expect(state).toMatchObject({ status: 'closed', reason: 'refused', error: { code: 'FORBIDDEN' } });
    const states: string[] = [];
    dashboard.on('state', (s) => states.push(s.status));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(states).toEqual([]);
  });
});

describe('SDK: tokens', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(testEnv(await DATABASES[0].url(), { JWT_ACCESS_TTL: '3s', WS_AUTH_GRACE: '3s' }));
  });
  afterAll(async () => {
    closeSdkClients();
    await t?.close();
    removeSqliteFile(t.env.DATABASE_URL as string);
  });

  it('keeps a socket alive across several access-token lifetimes (refresh before expiry, auth:refresh)', async () => {
    const alice = await signedUp(t.url, 'Alice');
    const chat = alice.client.chat().connect();
    await chat.join('tokens');
    const states: string[] = [];
    chat.on('state', (s) => states.push(s.status));
    const tokens = new Set<string>();
    alice.client.auth.on('token', (token) => tokens.add(token));
    for (let i = 0; i < 4; i++) {
      await chat.send('tokens', `tick ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    expect(tokens.size).toBeGreaterThanOrEqual(2);
    expect(states).toEqual([]); // never disconnected: every expiry was met by auth:refresh
  }, 30_000);

  it('with getToken(): a refused (expired) token at the handshake is replaced and the socket connects', async () => {
    const alice = await signedUp(t.url, 'Alice');
    const stale = await alice.client.auth.token();
    await new Promise((resolve) => setTimeout(resolve, 3200)); // stale has expired
    const fresh = await alice.client.auth.token();
    const handed: string[] = [];
    const external = sdkClient(t.url, {
      getToken: async () => {
        const token = handed.length === 0 ? stale : fresh;
        handed.push(token);
        return token;
      },
    });
    const chat = external.chat().connect();
    await untilState(chat, connected);
    expect(handed[0]).toBe(stale);
    expect(handed).toContain(fresh);
    await expect(chat.join('external')).resolves.toMatchObject({ room: 'external' });
  });
});

describe('SDK: under the per-socket event limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(testEnv(await DATABASES[0].url(), { WS_RATE_LIMIT: '5/1s' }));
  });
  afterAll(async () => {
    closeSdkClients();
    await t?.close();
    removeSqliteFile(t.env.DATABASE_URL as string);
  });

  it('sends a burst through RATE_LIMITED answers: each message once, in order', async () => {
    const alice = await signedUp(t.url, 'Alice');
    const chat = alice.client.chat().connect();
    await chat.join('burst');
    const bodies = Array.from({ length: 12 }, (_, i) => `burst ${i}`);
    const stored = await Promise.all(bodies.map((body) => chat.send('burst', body)));
    expect(stored.map((m) => m.body)).toEqual(bodies);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await chat.history('burst')).messages.map((m) => m.body)).toEqual(bodies);
  }, 60_000);

  it('re-joins more rooms than the limit allows at once after a reconnect', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(t.url).port));
    try {
      const alice = await signedUp(proxy.rewrite(t.url).replace(/\/$/, ''), 'Alice');
      const bob = await signedUp(t.url, 'Bob');
      const chat = alice.client.chat().connect();
      const rooms = Array.from({ length: 8 }, (_, i) => `many-${i}`);
      for (const room of rooms) {
        await chat.join(room);
        await new Promise((resolve) => setTimeout(resolve, 220)); // stay under 5/1s while setting up
      }
      const seen: string[] = [];
      chat.on('message:new', (m) => seen.push(m.room));
      proxy.cut();
      await untilState(chat, (s) => s.status === 'reconnecting');
      const bobChat = bob.client.chat().connect();
      for (const room of rooms) {
        await bobChat.join(room);
        await bobChat.send(room, `while away in ${room}`);
        await new Promise((resolve) => setTimeout(resolve, 450));
      }
      proxy.restore();
      await untilState(chat, connected, 30_000);
      expect(seen.sort()).toEqual([...rooms].sort());
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

describe('SDK: an access token that expires before its replacement arrives', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(testEnv(await DATABASES[0].url(), { JWT_ACCESS_TTL: '3s', WS_AUTH_GRACE: '5s', WS_RATE_LIMIT: '1000/1s' }));
  });
  afterAll(async () => {
    closeSdkClients();
    await t?.close();
    removeSqliteFile(t.env.DATABASE_URL as string);
  });

  it('answers auth:expired and TOKEN_EXPIRED acks itself: the app sees every send succeed', async () => {
    // Tokens come from a slow identity service: the socket's token expires while the next one is on its way.
    const source = await signedUp(t.url, 'Slow');
    const slowTokens: string[] = [];
    const app = sdkClient(t.url, {
      getToken: async () => {
        if (slowTokens.length > 0) await new Promise((resolve) => setTimeout(resolve, 1500));
        const token = await source.client.auth.refresh();
        slowTokens.push(token);
        return token;
      },
    });
    const chat = app.chat().connect();
    await chat.join('expiry');
    const states: string[] = [];
    chat.on('state', (s) => states.push(s.status));
    const expired: unknown[] = [];
    // (reaching into the SDK to watch the wire: the app itself never sees auth:expired)
    (chat as unknown as { conn: { socket: { on(e: string, f: (p: unknown) => void): void } } }).conn.socket.on('auth:expired', (p) =>
      expired.push(p),
    );
    const results = [];
    for (let i = 0; i < 35; i++) {
      results.push(await chat.send('expiry', `tick ${i}`));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(results.map((m) => m.body)).toEqual(Array.from({ length: 35 }, (_, i) => `tick ${i}`));
    expect(expired.length).toBeGreaterThan(0); // the server did see the token expire
    expect(slowTokens.length).toBeGreaterThanOrEqual(3);
    expect(states).toEqual([]); // and the socket stayed
  }, 30_000);
});

describe('SDK: a server restart (a real process, same port and database)', () => {
  let server: RestartableServer;
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await DATABASES[0].url();
    server = await RestartableServer.start(testEnv(databaseUrl));
  }, 60_000);
  afterAll(async () => {
    closeSdkClients();
    await server?.stop('SIGKILL');
    removeSqliteFile(databaseUrl);
  });

  it('reconnects with backoff, re-joins, and delivers what was typed while the server was down exactly once', async () => {
    const alice = await signedUp(server.url, 'Alice');
    const bob = await signedUp(server.url, 'Bob');
    const aliceChat = alice.client.chat().connect();
    const bobChat = bob.client.chat().connect();
    await aliceChat.join('restart');
    await bobChat.join('restart');
    const aliceSees: Message[] = [];
    aliceChat.on('message:new', (m) => aliceSees.push(m));
    const waits: number[] = [];
    aliceChat.on('state', (s) => s.status === 'reconnecting' && waits.push(s.delayMs));

    await server.stop('SIGTERM');
    await untilState(aliceChat, (s) => s.status === 'reconnecting');
    const sent = ['while down 1', 'while down 2'].map((body) => aliceChat.send('restart', body));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await server.start();

    expect(bodies(await Promise.all(sent))).toEqual(['while down 1', 'while down 2']);
    await untilState(bobChat, connected);
    // Bob never re-joined by hand: the SDK did.
    await bobChat.send('restart', 'bob after the restart');
    await eventually(() => aliceSees.some((m) => m.body === 'bob after the restart'), 10_000, 'bob’s message');
    const page = await bobChat.history('restart');
    expect(bodies(page.messages)).toEqual(['while down 1', 'while down 2', 'bob after the restart']);
    expect(bodies(aliceSees)).toEqual(['while down 1', 'while down 2', 'bob after the restart']);
    // Backoff: several attempts while the server was down, each within its full-jitter ceiling.
    expect(waits.length).toBeGreaterThan(1);
    waits.forEach((wait, n) => expect(wait).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** n)));
  }, 90_000);
});
