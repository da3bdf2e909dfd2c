import { createServer, Server } from 'node:http';

/**
 * What answers on the app port while Parley starts (waiting for the database and Redis,
 * running migrations), before Nest listens there: liveness 200, readiness and everything else
 * 503 with `Retry-After`. A liveness probe thus does not kill a node that is waiting for its
 * database, and a load balancer keeps it out until it is ready. Closed just before the app
 * listens on the same port.
 */
export async function startStartupProbe(port: number): Promise<{ close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/health/live') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
      return;
    }
    res
      .writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '5', Connection: 'close' })
      .end(JSON.stringify({ statusCode: 503, message: 'Starting: not ready yet', error: 'Service Unavailable', details: {} }));
  });
  // WebSocket upgrades get no answer but a closed connection: the client retries.
  server.on('upgrade', (_req, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
