#!/usr/bin/env node
// Parley command-line chat, on @parley/client (Node): sign-in, refresh, reconnection with
// re-join and replay, and an outbox (optionally a file, so lines typed offline survive a restart).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ParleyClient } from '@parley/client';
import { fileOutbox } from '@parley/client/node';

const USAGE = `usage: npm run client -- --email <email> [options]

Chat from a terminal. Type a line to send it to the current room; commands:
  /join <room>   /leave   /dm <userId> <text>   /who   /history   /help   /quit

options:
  --email <email>       account to sign in with (required)
  --password <pw>       password (asked for without echo when left out)
  --register            create the account first
  --name <name>         display name for --register (default: the email's local part)
  --room <room>         room to join at start (default: general)
  --url <url>           server (default: http://localhost:3000)
  --outbox <file>       keep unsent lines in this JSON file, so they are sent after a restart too
  -h, --help            this text`;

const OPTIONS = {
  url: { type: 'string', default: 'http://localhost:3000' },
  email: { type: 'string' },
  password: { type: 'string' },
  register: { type: 'boolean', default: false },
  name: { type: 'string' },
  room: { type: 'string', default: 'general' },
  outbox: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
};

function parse(argv) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const opts = parse(process.argv.slice(2));
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!opts.email) {
  console.error(`--email is required\n\n${USAGE}`);
  process.exit(2);
}
try {
  new URL(opts.url);
} catch {
  console.error(`--url: not a URL: ${opts.url}\n\n${USAGE}`);
  process.exit(2);
}

/** Reads a line; `hidden` for secrets (nothing is echoed). */
function ask(prompt, hidden = false) {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
    if (hidden) rl._writeToOutput = (s) => rl.output.write(s.startsWith(prompt) ? s : '');
    rl.question(prompt, (answer) => {
      rl.close();
      if (hidden) process.stdout.write('\n');
      resolve(answer);
    });
  });
}

const client = new ParleyClient({
  url: opts.url,
  headers: { 'User-Agent': 'parley-cli' },
  ...(opts.outbox ? { outbox: fileOutbox(opts.outbox) } : {}),
});
const show = (line) => console.log(`\r${line}`);

try {
  const password = opts.password ?? (await ask('Password: ', true));
  if (opts.register) {
    await client.auth.register({ email: opts.email, password, displayName: opts.name ?? opts.email.split('@')[0] });
  } else {
    const result = await client.auth.login({ email: opts.email, password });
    if (result.status === 'mfa_required') {
      const code = (await ask('Two-factor code (or a recovery code): ')).trim();
      await client.auth.loginSecondStep(
        /^\d{6}$/.test(code) ? { mfaToken: result.mfaToken, code } : { mfaToken: result.mfaToken, recoveryCode: code },
      );
    }
  }
} catch (error) {
  console.error(`sign-in failed: ${error.message}`);
  process.exit(1);
}
const me = client.auth.user;
console.log(`signed in as ${me.displayName} (${me.id})`);

const chat = client.chat();
let room = opts.room;
const print = (m) =>
  show(m.room.startsWith('dm:') ? `[dm] ${m.sender.displayName} (${m.sender.id}): ${m.body}` : `[${m.room}] ${m.sender.displayName}: ${m.body}`);

client.onSignedOut(({ message }) => {
  console.error(`session ended: ${message}`);
  process.exit(1);
});
chat.on('state', (state) => {
  if (state.status === 'reconnecting')
    show(`-- offline (${state.error.message}); retrying in ${(state.delayMs / 1000).toFixed(1)} s; lines you type are kept`);
  else if (state.status === 'connected') show('-- connected');
  else if (state.status === 'closed' && state.reason === 'refused') {
    console.error(`connection refused: ${state.error.code} ${state.error.message}`);
    process.exit(2);
  }
});
chat.on('message:new', print);
chat.on('dm:new', print);
chat.on('presence:join', ({ room: r, user }) => show(`-- ${user.displayName} joined #${r}`));
chat.on('presence:leave', ({ room: r, user }) => show(`-- ${user.displayName} left #${r}`));
chat.on('typing', ({ user, typing }) => typing && show(`-- ${user.displayName} is typing…`));
chat.on('failed', ({ entry, error }) => show(`! not sent (${entry.body}): ${error.code} ${error.message}`));

async function join(name) {
  try {
    const data = await chat.join(name);
    room = name;
    for (const m of data.history) print(m);
    show(`-- joined #${name}; online: ${data.online.map((u) => u.displayName).join(', ')}`);
  } catch (error) {
    show(`! join ${name}: ${error.code} ${error.message}`);
  }
}

/** Failures of a request are shown, never thrown at the prompt. */
const attempt = (promise) => promise.catch((error) => show(`! ${error.code ?? ''} ${error.message}`));

chat.connect();
await join(room);
const pending = await chat.pendingMessages();
if (pending.length) show(`-- ${pending.length} unsent line(s) from before; sending them now`);

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  const [command, ...rest] = line.trim().split(' ');
  if (command === '/quit') {
    client.close();
    process.exit(0);
  } else if (command === '/help') show(USAGE.split('\n').slice(2, 4).join('\n'));
  else if (command === '/join' && rest[0]) await join(rest[0]);
  else if (command === '/leave') await attempt(chat.leave(room).then(() => show(`-- left #${room}`)));
  else if (command === '/dm' && rest.length > 1) void attempt(chat.sendDm(rest[0], rest.slice(1).join(' ')));
  else if (command === '/who')
    await attempt(chat.presence(room).then((online) => show(`-- online in #${room}: ${online.map((u) => `${u.displayName} (${u.id})`).join(', ')}`)));
  else if (command === '/history') await attempt(chat.history(room, { limit: 20 }).then((page) => page.messages.forEach(print)));
  else if (command.startsWith('/')) show(`! unknown command ${command} (try /help)`);
  else if (line.trim()) void attempt(chat.send(room, line));
});
rl.on('close', () => {
  // stdin ended (a pipe): leave once the outbox is empty.
  const leave = async () => {
    if ((await chat.pendingMessages()).length === 0) {
      client.close();
      process.exit(0);
    }
    setTimeout(leave, 200);
  };
  void leave();
});
