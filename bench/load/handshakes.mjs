// Handshake rate: `count` connections with distinct tokens, `parallel` at a time; then holds
// them idle to measure the server's RSS per socket. Returns connect latency percentiles.
import { io } from 'socket.io-client';
import { summarize } from '../lib.mjs';

export async function handshakes({ url, tokens, parallel = 50, hold = false }) {
  const latencies = [];
  const sockets = [];
  let next = 0;
  let failures = 0;
  const start = performance.now();
  async function lane() {
    while (next < tokens.length) {
      const token = tokens[next++];
      const t0 = performance.now();
      const socket = io(`${url}/chat`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      const ok = await new Promise((resolve) => {
        socket.once('connect', () => resolve(true));
        socket.once('connect_error', () => resolve(false));
      });
      if (ok) latencies.push(performance.now() - t0);
      else failures++;
      if (hold && ok) sockets.push(socket);
      else socket.close();
    }
  }
  await Promise.all(Array.from({ length: parallel }, lane));
  const seconds = (performance.now() - start) / 1000;
  return { perSec: latencies.length / seconds, failures, connect: summarize(latencies), sockets };
}
