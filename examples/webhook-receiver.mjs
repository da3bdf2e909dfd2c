// A Parley webhook receiver: verifies `Parley-Signature`, refuses stale or replayed requests,
// de-duplicates by event id (delivery is at least once) and answers 2xx quickly.
//
//   WEBHOOK_SECRET=<the server's WEBHOOK_SECRET> node examples/webhook-receiver.mjs [port]
//   # then start Parley with WEBHOOK_URL=http://127.0.0.1:4000/parley and the same secret
//
// Plain Node (no dependencies). Keep the seen ids in your database in production: this
// in-memory set forgets them on restart, and Parley may deliver an event again after its own.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.WEBHOOK_SECRET;
if (!secret || secret.length < 32) {
  console.error('Set WEBHOOK_SECRET (the same 32+ characters as the Parley server).');
  process.exit(1);
}
const port = Number(process.argv[2] ?? 4000);
const TOLERANCE_S = 5 * 60;
const MAX_BODY = 1024 * 1024;

/** True when `header` signs `rawBody` with `secret` and its `t` is within 5 minutes of now. */
function verify(header, rawBody, now = Date.now()) {
  const fields = Object.fromEntries(
    String(header ?? '')
      .split(',')
      .map((part) => part.trim().split('=', 2)),
  );
  const t = Number(fields.t);
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(fields.v1 ?? '')) return false;
  if (Math.abs(now / 1000 - t) > TOLERANCE_S) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(fields.v1, 'hex'));
}

/** Ids already handled, oldest first, bounded (ids older than a day will not come back). */
const seen = new Map();
const SEEN_FOR_MS = 24 * 60 * 60 * 1000;
function firstTime(id) {
  const now = Date.now();
  for (const [old, at] of seen) {
    if (now - at < SEEN_FOR_MS) break;
    seen.delete(old);
  }
  if (seen.has(id)) return false;
  seen.set(id, now);
  return true;
}

function handle(event) {
  switch (event.type) {
    case 'message.unread':
      console.log(`push to ${event.data.recipient.displayName}: ${event.data.message.sender.displayName} wrote "${event.data.message.body}"`);
      break;
    case 'user.online':
    case 'user.offline':
      console.log(`${event.data.user.displayName} is ${event.type.slice(5)}`);
      break;
    default:
      console.log(`${event.type} ${JSON.stringify(event.data)}`);
  }
}

createServer((req, res) => {
  if (req.method !== 'POST') return res.writeHead(405).end();
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    // verify the raw bytes, before parsing: re-serialised JSON would not match the signature
    const raw = Buffer.concat(chunks).toString('utf8');
    if (!verify(req.headers['parley-signature'], raw)) return res.writeHead(401).end('bad signature');
    let event;
    try {
      event = JSON.parse(raw);
    } catch {
      return res.writeHead(400).end('not JSON');
    }
    // answer first (Parley waits at most 5 s), handle after; a repeat is acknowledged and ignored
    res.writeHead(204).end();
    if (firstTime(event.id)) handle(event);
  });
}).listen(port, () => console.log(`webhook receiver on http://127.0.0.1:${port}/`));
