// The peer to compare against: bare Socket.IO 4.8 with Parley's /chat event and ack shapes
// for room:join and message:send, but no authentication and no storage.
// BENCH_JWT_SECRET set → also jsonwebtoken.verify of auth.token in the handshake (the "jwt" peer).
import { createServer } from 'node:http';
import { createSecretKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 3100);
const secret = process.env.BENCH_JWT_SECRET;
const key = secret ? createSecretKey(Buffer.from(secret)) : null;

const http = createServer((req, res) => {
  res.writeHead(req.url === '/health' ? 200 : 404, { 'Content-Type': 'application/json' });
  res.end('{}');
});
const io = new Server(http, { transports: ['websocket', 'polling'], maxHttpBufferSize: 64_000, serveClient: false });
const chat = io.of('/chat');
if (key) {
  chat.use((socket, next) => {
    try {
      socket.data.user = jwt.verify(socket.handshake.auth?.token ?? '', key, { algorithms: ['HS256'] });
      next();
    } catch {
      next(Object.assign(new Error('invalid'), { data: { code: 'TOKEN_INVALID' } }));
    }
  });
}
chat.on('connection', (socket) => {
  socket.on('room:join', ({ room }, ack) => {
    socket.join(`room:${room}`);
    ack({ ok: true, data: { room, online: [], history: [], hasMore: false } });
  });
  socket.on('message:send', ({ room, body, clientMsgId }, ack) => {
    const message = { id: randomUUID(), room, body, sender: { id: socket.id, displayName: 'bench' }, createdAt: new Date().toISOString(), clientMsgId };
    chat.to(`room:${room}`).emit('message:new', message);
    ack({ ok: true, data: message });
  });
});
http.listen(port, '127.0.0.1');
