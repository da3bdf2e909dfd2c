// Two users sign up over REST and talk on /chat, with @parley/client.
// Run against a server started with `npm start` (after `npm run build`):
//   node examples/two-users.mjs [http://localhost:3000]
import { parseArgs } from 'node:util';
import { ParleyClient } from '@parley/client';

const USAGE = 'usage: node examples/two-users.mjs [<server url, default http://localhost:3000>] [-h | --help]';
let args;
try {
  args = parseArgs({ options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (args.positionals.length > 1 || (args.positionals[0] && !URL.canParse(args.positionals[0]))) {
  console.error(USAGE);
  process.exit(2);
}
const base = args.positionals[0] ?? 'http://localhost:3000';
const stamp = Date.now().toString(36);

async function signUp(name) {
  const client = new ParleyClient({ url: base });
  await client.auth.register({ email: `${name.toLowerCase()}.${stamp}@example.com`, password: 'correct horse battery', displayName: name });
  return client;
}

const alice = await signUp('Alice');
const bob = await signUp('Bob');
const [a, b] = [alice.chat().connect(), bob.chat().connect()];
await Promise.all([a.join('general'), b.join('general')]);

b.on('message:new', (m) => console.log(`[bob sees] ${m.sender.displayName}: ${m.body}`));
a.on('dm:new', (m) => m.sender.id !== alice.auth.userId && console.log(`[alice gets a DM] ${m.sender.displayName}: ${m.body}`));

// Sends go through the outbox: retried with the same clientMsgId until acknowledged, stored once.
const sent = await a.send('general', 'Hello Bob!');
console.log('alice sent, stored as', sent.id);
await b.sendDm(alice.auth.userId, 'Hi Alice, just you and me.');

await new Promise((resolve) => setTimeout(resolve, 300));
alice.close();
bob.close();
