import request from 'supertest';
import { Ack, AuthResult, closeAllSockets, connect, emitAck, login, register, sleep } from './support/clients';
import { DATABASES, removeSqliteFile, testEnv } from './support/app';
import { killServers, ServerProcess, startServerProcess } from './support/process';

const ROOM = 'crash';
const SEND_LANES = 16;
const ROTATION_LANES = 6;
const LOGOUT_LANES = 2;
const MEMBERS = 4;
/** Lanes that edit, react to and delete acknowledged messages while the sends go on. */
const CHANGE_LANES = 2;
const EMOJI = '✅';
const editedBody = (clientMsgId: string) => `edited ${clientMsgId}`;
type ChangeKind = 'edit' | 'react' | 'delete';
interface MessageState {
  body: string;
  editedAt: string | null;
  deletedAt: string | null;
  reactions: Array<{ emoji: string; userIds: string[] }>;
}

const bodyOf = (clientMsgId: string) => `body of ${clientMsgId} `.repeat(8);

interface RotationLane {
  /** Refresh tokens in the order the server handed them out; the last one is current. */
  tokens: string[];
  inFlight: boolean;
}

interface LogoutLane {
  /** Sessions whose logout the server acknowledged. */
  loggedOut: AuthResult[];
}

/**
 * kill -9 in the middle of message writes, message changes (edits, reactions, deletions), refresh
 * rotations and logouts, then a restart on the same database: everything the server
 * acknowledged is there, nothing half-written is visible.
 */
describe.each(DATABASES)('crash safety: SIGKILL under writes ($name)', ({ url: databaseUrl }) => {
  let server: ServerProcess | undefined;
  let restarted: ServerProcess | undefined;
  let database = '';

  afterAll(async () => {
    closeAllSockets();
    await killServers(server, restarted);
    removeSqliteFile(database);
  });

  it('keeps every acknowledged message and session change', async () => {
    database = await databaseUrl();
    const env = testEnv(database, { WS_RATE_LIMIT: '100000/1s', AUTH_RATE_LIMIT: '100000/60s', WS_CONNECT_RATE_LIMIT: '100000/10s' });
    server = await startServerProcess(env);
    const url = server.url;

    const sender = await register(url);
    const socket = await connect(url, '/chat', { token: sender.accessToken });
    expect((await emitAck(socket, 'room:join', { room: ROOM })).ok).toBe(true);
    // members, so the kill lands during a fan-out
    let delivered = 0;
    for (const member of await Promise.all(Array.from({ length: MEMBERS }, () => register(url)))) {
      const listener = await connect(url, '/chat', { token: member.accessToken });
      expect((await emitAck(listener, 'room:join', { room: ROOM })).ok).toBe(true);
      listener.on('message:new', () => delivered++);
    }
    const rotators = await Promise.all(Array.from({ length: ROTATION_LANES }, () => register(url)));
    const leaver = await register(url);

    let killed = false;
    const sent = new Set<string>();
    const acked = new Map<string, string>(); // clientMsgId → message id
    let seq = 0;
    const sendLane = async () => {
      while (!killed) {
        const clientMsgId = `c${seq++}`;
        sent.add(clientMsgId);
        const ack = await emitAck<{ id: string; clientMsgId: string }>(socket, 'message:send', {
          room: ROOM,
          body: bodyOf(clientMsgId),
          clientMsgId,
        }).catch((): Ack<{ id: string; clientMsgId: string }> => ({ ok: false, error: { code: 'TIMEOUT', message: '' } }));
        if (ack.ok) {
          acked.set(clientMsgId, ack.data.id);
          toChange.push({ id: ack.data.id, clientMsgId });
        }
      }
    };

    // each acknowledged message gets at most one change, by one lane: sent (asked for) and acked (answered ok)
    const toChange: Array<{ id: string; clientMsgId: string }> = [];
    const changes = { sent: new Map<string, ChangeKind>(), acked: new Map<string, ChangeKind>() };
    const kinds: ChangeKind[] = ['edit', 'react', 'delete'];
    let changeSeq = 0;
    const changeLane = async () => {
      while (!killed) {
        const target = toChange.shift();
        if (!target) {
          await sleep(1);
          continue;
        }
        const kind = kinds[changeSeq++ % kinds.length];
        changes.sent.set(target.id, kind);
        const [event, payload] =
          kind === 'edit'
            ? ['message:edit', { id: target.id, body: editedBody(target.clientMsgId) }]
            : kind === 'react'
              ? ['reaction:add', { id: target.id, emoji: EMOJI }]
              : ['message:delete', { id: target.id }];
        const ack = await emitAck(socket, event, payload).catch((): Ack => ({ ok: false, error: { code: 'TIMEOUT', message: '' } }));
        if (ack.ok) changes.acked.set(target.id, kind);
      }
    };

    const rotations: RotationLane[] = rotators.map((r) => ({ tokens: [r.refreshToken], inFlight: false }));
    const rotationLane = async (lane: RotationLane) => {
      while (!killed) {
        lane.inFlight = true;
        const res = await request(url)
          .post('/auth/refresh')
          .send({ refreshToken: lane.tokens.at(-1) })
          .catch(() => null);
        if (killed) return; // the answer raced the kill: whether it counts is unknowable, so the lane stays in flight
        lane.inFlight = false;
        expect(res?.status).toBe(200);
        lane.tokens.push(res!.body.refreshToken);
        await sleep(5 + Math.random() * 20);
      }
    };

    const logouts: LogoutLane[] = Array.from({ length: LOGOUT_LANES }, () => ({ loggedOut: [] }));
    const logoutLane = async (lane: LogoutLane) => {
      while (!killed) {
        const session = await login(url, leaver.user.email).catch(() => null);
        if (!session || killed) return;
        const res = await request(url)
          .post('/auth/logout')
          .set('Authorization', `Bearer ${session.accessToken}`)
          .catch(() => null);
        if (killed) return;
        expect(res?.status).toBe(204);
        lane.loggedOut.push(session);
      }
    };

    const started = Date.now();
    const lanes = [
      ...Array.from({ length: SEND_LANES }, sendLane),
      ...Array.from({ length: CHANGE_LANES }, changeLane),
      ...rotations.map(rotationLane),
      ...logouts.map(logoutLane),
    ];
    while (acked.size < 500 || changes.acked.size < 100 || Date.now() - started < 2000) await sleep(10);
    killed = true;
    expect(delivered).toBeGreaterThan(0);
    const strictRotations = rotations.filter((lane) => !lane.inFlight);
    server.child.kill('SIGKILL');
    expect(await server.exited).toBe('SIGKILL');
    socket.close();
    await Promise.all(lanes);

    restarted = await startServerProcess(env);
    const next = restarted.url;

    // every acknowledged message, whole; any other stored message is one that was sent, also whole
    const stored: Array<MessageState & { id: string; clientMsgId?: string }> = [];
    let before = '';
    for (;;) {
      const page = await request(next).get(`/rooms/${ROOM}/messages?limit=100${before}`).set('Authorization', `Bearer ${sender.accessToken}`);
      expect(page.status).toBe(200);
      stored.unshift(...page.body.messages);
      if (!page.body.hasMore) break;
      before = `&before=${page.body.messages[0].id}`;
    }
    const storedById = new Map(stored.map((m) => [m.id, m]));
    expect(storedById.size).toBe(stored.length);
    for (const [clientMsgId, id] of acked) {
      expect(storedById.get(id)).toMatchObject({ clientMsgId });
    }
    // every acknowledged change is there, whole
    for (const [id, kind] of changes.acked) {
      const message = storedById.get(id)!;
      if (kind === 'edit')
        expect(message).toMatchObject({ body: editedBody(message.clientMsgId ?? ''), editedAt: expect.any(String), deletedAt: null });
      if (kind === 'react') expect(message.reactions).toEqual([{ emoji: EMOJI, userIds: [sender.user.id] }]);
      if (kind === 'delete') expect(message).toMatchObject({ body: '', deletedAt: expect.any(String), reactions: [] });
    }
    // any other state is the original or a change that was asked for, never half of one
    for (const message of stored) {
      expect(sent.has(message.clientMsgId ?? '')).toBe(true);
      const kind = changes.sent.get(message.id);
      const original: MessageState = { body: bodyOf(message.clientMsgId ?? ''), editedAt: null, deletedAt: null, reactions: [] };
      const states = [original];
      if (kind === 'edit') states.push({ ...original, body: editedBody(message.clientMsgId ?? ''), editedAt: message.editedAt });
      if (kind === 'react') states.push({ ...original, reactions: [{ emoji: EMOJI, userIds: [sender.user.id] }] });
      if (kind === 'delete') states.push({ ...original, body: '', deletedAt: message.deletedAt });
      const { body, editedAt, deletedAt, reactions } = message;
      expect(states).toContainEqual({ body, editedAt, deletedAt, reactions });
    }
    expect(new Set(stored.map((m) => m.clientMsgId)).size).toBe(stored.length);

    // the current refresh token of each rotation works; a lane caught mid-request may have
    // rotated once more without hearing of it, and then its last known token counts as reused
    for (const lane of rotations) {
      const res = await request(next)
        .post('/auth/refresh')
        .send({ refreshToken: lane.tokens.at(-1) });
      expect(strictRotations.includes(lane) ? [200] : [200, 401]).toContain(res.status);
    }
    // every token a rotation replaced is spent (presenting one ends its session: checked last)
    for (const lane of rotations) {
      expect(lane.tokens.length).toBeGreaterThan(1);
      await request(next)
        .post('/auth/refresh')
        .send({ refreshToken: lane.tokens.at(-2) })
        .expect(401);
    }
    // every acknowledged logout holds: neither its refresh token nor its access token is accepted
    for (const lane of logouts) {
      expect(lane.loggedOut.length).toBeGreaterThan(0);
      for (const session of lane.loggedOut) {
        await request(next).post('/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
        await request(next).get('/auth/me').set('Authorization', `Bearer ${session.accessToken}`).expect(401);
      }
    }
    expect(restarted.output()).not.toMatch(/corrupt|malformed/i);
  }, 90_000);
});
