// Two users log in over REST, connect to /chat with their access tokens and talk.
// Run against a server started with `npm start`:  node examples/two-users.mjs [http://localhost:3000]
import { io } from 'socket.io-client';

const base = process.argv[2] ?? 'http://localhost:3000';
const stamp = Date.now().toString(36);

async function signUp(name) {
  const res = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: `${name.toLowerCase()}.${stamp}@example.com`, password: 'correct horse battery', displayName: name }),
  });
  if (!res.ok) throw new Error(`register ${name}: ${res.status} ${await res.text()}`);
  return res.json();
}

function connect(accessToken) {
  const socket = io(`${base}/chat`, { auth: { token: accessToken }, transports: ['websocket'] });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => reject(new Error(`${err.data?.code}: ${err.message}`)));
  });
}

const alice = await signUp('Alice');
const bob = await signUp('Bob');
const [a, b] = await Promise.all([connect(alice.accessToken), connect(bob.accessToken)]);

for (const socket of [a, b]) {
  const ack = await socket.emitWithAck('room:join', { room: 'general' });
  if (!ack.ok) throw new Error(ack.error.message);
}
b.on('message:new', (m) => console.log(`[bob sees] ${m.sender.displayName}: ${m.body}`));
a.on('dm:new', (m) => console.log(`[alice gets a DM] ${m.sender.displayName}: ${m.body}`));

const sent = await a.emitWithAck('message:send', { room: 'general', body: 'Hello Bob!', clientMsgId: 'hello-1' });
console.log('alice sent, ack:', sent.ok ? sent.data.id : sent.error);
await b.emitWithAck('dm:send', { to: alice.user.id, body: 'Hi Alice, just you and me.' });

await new Promise((resolve) => setTimeout(resolve, 300));
a.close();
b.close();
