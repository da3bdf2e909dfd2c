// The peers Parley is measured against: Socket.IO 4.8 with Parley's event and ack shapes for
// /chat room:join and message:send (and, for bench/live.mjs, /live channel:subscribe plus
// POST /api/v1/channels/:channel/publications), and nothing else.
//
//   bare (default)      no authentication, no storage: the framework's own cost.
//   BENCH_JWT_SECRET    jsonwebtoken.verify of the handshake's token with a KeyObject (issuer,
//                       audience, HS256), the expiry checked again on every event.
//   BENCH_DB_PATH       "durable": one synchronous better-sqlite3 INSERT per message (WAL,
//                       synchronous = FULL: an fsync per message, on the event loop) before the
//                       broadcast and the ack, the same table and indexes as Parley's (unique
//                       (sender, clientMsgId) for idempotency, (room, id) for history), the
//                       payload checked by hand; room:join answers the latest 50 or those after
//                       `since` from the table. The simplest honest server doing Parley's durable
//                       work, so storage cost and framework cost can be told apart.
//   BENCH_REDIS_URL     @socket.io/redis-adapter (key prefix BENCH_REDIS_PREFIX), for several nodes.
import { createServer } from 'node:http';
import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ulid } from 'ulid';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 3100);
const secret = process.env.BENCH_JWT_SECRET;
const key = secret ? createSecretKey(Buffer.from(secret)) : null;
const verifyOptions = { algorithms: ['HS256'], issuer: 'parley', audience: 'parley-clients' };
const ROOM = /^[a-z0-9_-]{1,64}$/;

const store = process.env.BENCH_DB_PATH ? await openStore(process.env.BENCH_DB_PATH) : null;

async function openStore(path) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS messages (
    id varchar(26) PRIMARY KEY NOT NULL, room varchar(64) NOT NULL, sender_id varchar(26) NOT NULL,
    body text NOT NULL, client_msg_id varchar(64), created_at datetime(3) NOT NULL);
    CREATE INDEX IF NOT EXISTS IDX_messages_room_id ON messages (room, id);
    CREATE UNIQUE INDEX IF NOT EXISTS UQ_messages_sender_client_msg ON messages (sender_id, client_msg_id);`);
  return {
    insert: db.prepare('INSERT INTO messages (id, room, sender_id, body, client_msg_id, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    byClientId: db.prepare('SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?'),
    latest: db.prepare('SELECT * FROM (SELECT * FROM messages WHERE room = ? ORDER BY id DESC LIMIT 51) ORDER BY id'),
    after: db.prepare('SELECT * FROM messages WHERE room = ? AND id > ? ORDER BY id LIMIT 201'),
    exists: db.prepare('SELECT 1 FROM messages WHERE room = ? AND id = ?'),
  };
}

const view = (row, user) => ({
  id: row.id,
  room: row.room,
  body: row.body,
  sender: { id: row.sender_id, displayName: user?.name ?? 'bench' },
  createdAt: row.created_at,
  ...(row.client_msg_id ? { clientMsgId: row.client_msg_id } : {}),
});
const fail = (code, message) => ({ ok: false, error: { code, message } });

const io = new Server({ transports: ['websocket', 'polling'], maxHttpBufferSize: 64_000, serveClient: false });
const publications = new Map(); // channel → last offset
const http = createServer((req, res) => {
  const pub = req.method === 'POST' && /^\/api\/v1\/channels\/([^/]+)\/publications$/.exec(req.url ?? '');
  if (pub) return publish(decodeURIComponent(pub[1]), req, res);
  res.writeHead(req.url === '/health' ? 200 : 404, { 'Content-Type': 'application/json' });
  res.end('{}');
});
io.attach(http);

// A bare emit from an HTTP handler: the peer of Parley's server-API publication.
function publish(channel, req, res) {
  let raw = '';
  req.on('data', (d) => (raw += d));
  req.on('end', () => {
    let data;
    try {
      ({ data } = JSON.parse(raw));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const offset = (publications.get(channel) ?? 0) + 1;
    publications.set(channel, offset);
    io.of('/live').to(`channel:${channel}`).emit('publication', { channel, offset, data, at: new Date().toISOString() });
    res.writeHead(201, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ channel, offset }));
  });
}

if (process.env.BENCH_REDIS_URL) {
  const { createAdapter } = await import('@socket.io/redis-adapter');
  const { Redis } = await import('ioredis');
  const pub = new Redis(process.env.BENCH_REDIS_URL);
  io.adapter(createAdapter(pub, pub.duplicate(), { key: process.env.BENCH_REDIS_PREFIX ?? 'bench-socket.io' }));
}

function authenticate(socket, next) {
  const header = socket.handshake.headers.authorization;
  const token = socket.handshake.auth?.token ?? (header?.startsWith('Bearer ') ? header.slice(7) : '');
  try {
    const claims = jwt.verify(token, key, verifyOptions);
    socket.data.user = { id: claims.sub, name: claims.name, exp: claims.exp * 1000 };
    next();
  } catch {
    next(Object.assign(new Error('invalid'), { data: { code: 'TOKEN_INVALID' } }));
  }
}
const expired = (socket) => key !== null && socket.data.user.exp <= Date.now();

const chat = io.of('/chat');
const live = io.of('/live');
if (key) {
  chat.use(authenticate);
  live.use(authenticate);
}

chat.on('connection', (socket) => {
  const user = socket.data.user ?? { id: socket.id, name: 'bench' };
  socket.on('room:join', (payload, ack) => {
    if (typeof ack !== 'function') return;
    if (expired(socket)) return ack(fail('TOKEN_EXPIRED', 'token expired'));
    const room = payload?.room;
    if (typeof room !== 'string' || !ROOM.test(room)) return ack(fail('VALIDATION_FAILED', 'room'));
    let history = [];
    let hasMore = false;
    if (store) {
      const since = payload.since;
      if (since !== undefined && (typeof since !== 'string' || !store.exists.get(room, since))) return ack(fail('NOT_FOUND', 'since'));
      const rows = since === undefined ? store.latest.all(room) : store.after.all(room, since);
      const limit = since === undefined ? 50 : 200;
      hasMore = rows.length > limit;
      history = (since === undefined ? rows.slice(-limit) : rows.slice(0, limit)).map((r) => view(r));
    }
    socket.join(`room:${room}`);
    ack({ ok: true, data: { room, online: [], history, hasMore } });
  });
  socket.on('message:send', (payload, ack) => {
    if (typeof ack !== 'function') return;
    if (expired(socket)) return ack(fail('TOKEN_EXPIRED', 'token expired'));
    const { room, body, clientMsgId } = payload ?? {};
    if (typeof room !== 'string' || !ROOM.test(room) || typeof body !== 'string' || body.length < 1 || body.length > 4000)
      return ack(fail('VALIDATION_FAILED', 'payload'));
    if (clientMsgId !== undefined && (typeof clientMsgId !== 'string' || clientMsgId.length > 64))
      return ack(fail('VALIDATION_FAILED', 'clientMsgId'));
    if (!socket.rooms.has(`room:${room}`)) return ack(fail('FORBIDDEN', 'not in the room'));
    const row = { id: ulid(), room, sender_id: user.id, body, client_msg_id: clientMsgId ?? null, created_at: new Date().toISOString() };
    if (store) {
      try {
        store.insert.run(row.id, row.room, row.sender_id, row.body, row.client_msg_id, row.created_at);
      } catch (error) {
        if (error.code !== 'SQLITE_CONSTRAINT_UNIQUE') return ack(fail('INTERNAL', 'not stored'));
        return ack({ ok: true, data: view(store.byClientId.get(user.id, clientMsgId), user) });
      }
    }
    const message = view(row, user);
    chat.to(`room:${room}`).emit('message:new', message);
    ack({ ok: true, data: message });
  });
});

live.on('connection', (socket) => {
  socket.on('channel:subscribe', (payload, ack) => {
    if (typeof ack !== 'function') return;
    const channel = payload?.channel;
    if (typeof channel !== 'string' || !/^public:[\w.-]{1,128}$/.test(channel)) return ack(fail('VALIDATION_FAILED', 'channel'));
    socket.join(`channel:${channel}`);
    ack({ ok: true, data: { channel, offset: publications.get(channel) ?? 0, publications: [], recovered: true } });
  });
});

http.listen(port, '127.0.0.1');

// a normal exit on SIGTERM, so that a profiler (BENCH_PROFILE_DIR) writes its profile
process.on('SIGTERM', () => process.exit(0));
