// @ts-check
// The worker-thread side of WorkerChannel (worker-channel.ts). Plain JavaScript, like the
// workers that use it, so that it loads as it is from src/ (tests) and from dist/.
'use strict';
const { parentPort } = require('node:worker_threads');

/**
 * Answers every `{ id, request }` with `{ id, result }` or `{ id, error }` (code and message
 * only: the request's content never travels back in an error); `{ close: true }` runs
 * `onClose` and lets the thread end.
 * @template Request
 * @param {(request: Request) => unknown} handle
 * @param {() => void} [onClose]
 */
function serveRequests(handle, onClose) {
  if (!parentPort) throw new Error('serveRequests runs only in a worker thread');
  const port = parentPort;
  port.on('message', (/** @type {{ id: number, request: Request } | { close: true }} */ message) => {
    if ('close' in message) {
      onClose?.();
      port.close();
      return;
    }
    try {
      port.postMessage({ id: message.id, result: handle(message.request) });
    } catch (error) {
      const { code, message: text } = /** @type {{ code?: unknown, message?: unknown }} */ (error);
      port.postMessage({ id: message.id, error: { code: typeof code === 'string' ? code : undefined, message: String(text ?? error) } });
    }
  });
}

module.exports = { serveRequests };
