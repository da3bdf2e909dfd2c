#!/usr/bin/env node
// Parley command-line chat: a server-side style client (Authorization header on the handshake).
//   npm run client -- --email ada@example.com [--password …] [--register --name Ada] [--room general] [--url http://localhost:3000]
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { io } from 'socket.io-client';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:3000' },
    email: { type: 'string' },
    password: { type: 'string' },
    register: { type: 'boolean', default: false },
    name: { type: 'string' },
    room: { type: 'string', default: 'general' },
  },
});
if (!opts.email) {
  console.error('usage: npm run client -- --email <email> [--password <pw>] [--register --name <name>] [--room <room>] [--url <url>]');
  process.exit(2);
}

/** Reads a password without echoing it. */
function askPassword() {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    rl._writeToOutput = (s) => rl.output.write(s.startsWith('Password') ? s : '');
    rl.question('Password: ', (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}

async function post(path, body) {
  const res = await fetch(`${opts.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${res.status} ${Array.isArray(data.message) ? data.message.join('; ') : data.message}`);
  return data;
}

const password = opts.password ?? (await askPassword());
let auth;
try {
  auth = opts.register
    ? await post('/auth/register', { email: opts.email, password, displayName: opts.name ?? opts.email.split('@')[0] })
    : await post('/auth/login', { email: opts.email, password });
} catch (error) {
  console.error(`sign-in failed: ${error.cause?.code ?? error.message}`);
  process.exit(1);
}
console.log(`signed in as ${auth.user.displayName} (${auth.user.id})`);

const socket = io(`${opts.url}/chat`, { extraHeaders: { Authorization: `Bearer ${auth.accessToken}` }, transports: ['websocket'] });
let room = opts.room;
const show = (line) => console.log(`\r${line}`);

// Refresh a little before expiry, then hand the new access token to the live socket.
let refreshTimer;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    try {
      auth = await post('/auth/refresh', { refreshToken: auth.refreshToken });
      socket.io.opts.extraHeaders = { Authorization: `Bearer ${auth.accessToken}` };
      await socket.emitWithAck('auth:refresh', { token: auth.accessToken });
      scheduleRefresh();
    } catch (error) {
      show(`refresh failed: ${error.message}`);
      process.exit(1);
    }
  }, Math.max(1000, auth.expiresIn * 1000 - Math.min(30_000, auth.expiresIn * 100)));
  refreshTimer.unref();
}
scheduleRefresh();

async function call(event, payload) {
  const ack = await socket.timeout(10_000).emitWithAck(event, payload).catch(() => ({ ok: false, error: { code: 'TIMEOUT', message: 'no answer' } }));
  if (!ack.ok) show(`! ${event}: ${ack.error.code} ${ack.error.message}`);
  return ack;
}

async function join(name) {
  const ack = await call('room:join', { room: name });
  if (!ack.ok) return;
  room = name;
  for (const m of ack.data.history) show(`[${m.room}] ${m.sender.displayName}: ${m.body}`);
  show(`-- joined #${name}; online: ${ack.data.online.map((u) => u.displayName).join(', ')}`);
}

socket.on('connect_error', (err) => {
  console.error(`connection refused: ${err.data?.code ?? 'ERROR'} ${err.data?.message ?? err.message}`);
  process.exit(2);
});
socket.on('connect', () => void join(room));
socket.on('message:new', (m) => show(`[${m.room}] ${m.sender.displayName}: ${m.body}`));
socket.on('dm:new', (m) => show(`[dm] ${m.sender.displayName} (${m.sender.id}): ${m.body}`));
socket.on('presence:join', ({ room: r, user }) => show(`-- ${user.displayName} joined #${r}`));
socket.on('presence:leave', ({ room: r, user }) => show(`-- ${user.displayName} left #${r}`));
socket.on('typing', ({ user, typing }) => typing && show(`-- ${user.displayName} is typing…`));
socket.on('session:revoked', ({ reason }) => {
  console.error(`session ended: ${reason}`);
  process.exit(1);
});

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const [command, ...rest] = line.trim().split(' ');
  if (command === '/quit') {
    socket.close();
    process.exit(0);
  } else if (command === '/join' && rest[0]) await join(rest[0]);
  else if (command === '/dm' && rest.length > 1) await call('dm:send', { to: rest[0], body: rest.slice(1).join(' ') });
  else if (command === '/who') {
    const ack = await call('presence:list', { room });
    if (ack.ok) show(`-- online in #${room}: ${ack.data.online.map((u) => `${u.displayName} (${u.id})`).join(', ')}`);
  } else if (command === '/history') {
    const ack = await call('message:history', { room, limit: 20 });
    if (ack.ok) for (const m of ack.data.messages) show(`[${m.room}] ${m.sender.displayName}: ${m.body}`);
  } else if (line.trim()) await call('message:send', { room, body: line, clientMsgId: randomUUID() });
});
