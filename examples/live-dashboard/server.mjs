// A small backend that feeds a live dashboard through Parley's server API, and serves the page
// that charts it. Every second it reads Parley's own figures (GET /api/v1/stats, scope `read`)
// and publishes them on a public: channel (POST /api/v1/channels/:channel/publications, scope
// `notify`); the page signs a user in to Parley, subscribes to the channel on /live and charts
// each publication as it arrives (resuming with `since` after a reconnect).
//
//   npm run cli -- api-key create "Live dashboard" --scopes read,notify     # prints pk_…
//   CORS_ORIGINS=http://localhost:4100 npm start                          # Parley, letting the page in
//   PARLEY_API_KEY=pk_… node examples/live-dashboard/server.mjs [--parley http://localhost:3000] [--port 4100] [--channel public:parley-stats]
//
// then open http://localhost:4100/ and sign in with any Parley account.
import { createReadStream, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    parley: { type: 'string', default: 'http://localhost:3000' },
    port: { type: 'string', default: '4100' },
    channel: { type: 'string', default: 'public:parley-stats' },
    interval: { type: 'string', default: '1000' },
  },
});
const apiKey = process.env.PARLEY_API_KEY;
if (!apiKey) {
  console.error('Set PARLEY_API_KEY to a key with the read and notify scopes (npm run cli -- api-key create "Live dashboard" --scopes read,notify).');
  process.exit(2);
}
const parley = values.parley.replace(/\/$/, '');
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const socketIoClient = join(dirname(require.resolve('socket.io-client/package.json')), 'dist', 'socket.io.esm.min.js');

async function api(method, path, body) {
  const res = await fetch(`${parley}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${(await res.json().catch(() => ({}))).message ?? ''}`);
  return res.json();
}

/** One figure a second; a failed round is logged and the next one tries again. */
async function publishOnce() {
  try {
    const stats = await api('GET', '/stats');
    const data = {
      connections: stats.connections,
      onlineUsers: stats.onlineUsers,
      messagesPerMinute: stats.messagesPerMinute,
      nodes: stats.nodes.length,
    };
    const { offset } = await api('POST', `/channels/${encodeURIComponent(values.channel)}/publications`, { data });
    if (offset % 10 === 1) console.log(`published #${offset}: ${JSON.stringify(data)}`);
  } catch (error) {
    console.error(`publish failed: ${error.message}`);
  }
}

const page = readFileSync(join(here, 'index.html'), 'utf8')
  .replaceAll('__PARLEY_URL__', JSON.stringify(parley))
  .replaceAll('__CHANNEL__', JSON.stringify(values.channel));

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(page);
  } else if (path === '/socket.io.esm.min.js') {
    res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
    createReadStream(socketIoClient).pipe(res);
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  }
});

server.listen(Number(values.port), '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`Live dashboard at http://127.0.0.1:${port}/ (channel ${values.channel} on ${parley})`);
  const timer = setInterval(publishOnce, Number(values.interval));
  void publishOnce();
  const stop = () => {
    clearInterval(timer);
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
