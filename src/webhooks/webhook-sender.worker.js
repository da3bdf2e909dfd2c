// @ts-check
// The webhook sender thread (DeliveryWorker in delivery-worker.ts): the HTTP side of delivery
// — signing, requests, answers — runs here, off the event loop that serves the sockets.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const { signatureHeader } = require('./signature.js');

/** A receiver's answer is read (so the connection is kept alive) up to this much, then cut. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** @type {{ url: string, secret: string, timeoutMs: number, maxSockets: number, signatureHeader: string }} */
const config = workerData;
const url = new URL(config.url);
const secure = url.protocol === 'https:';
// node:http: about a fifth of fetch's CPU per request, and it never follows a redirect.
const agent = secure
  ? new https.Agent({ keepAlive: true, maxSockets: config.maxSockets })
  : new http.Agent({ keepAlive: true, maxSockets: config.maxSockets });
const send = secure ? https.request : http.request;
/** @type {Set<import('node:http').ClientRequest>} */
const inFlight = new Set();
let closing = false;

/**
 * One attempt: the status, or why there is none. Ends within `timeoutMs` from its start.
 * @param {string} body
 * @returns {Promise<{ status: number } | { error: string, aborted: boolean }>}
 */
function post(body) {
  return new Promise((resolve) => {
    let settled = false;
    /** @param {{ status: number } | { error: string, aborted: boolean }} result */
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(req);
      resolve(result);
    };
    // Signed at each attempt: `t` is this attempt's time, so receivers can refuse old replays.
    const signature = signatureHeader(config.secret, body, Math.floor(Date.now() / 1000));
    const req = send(url, {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'Parley-Webhooks',
        [config.signatureHeader]: signature,
      },
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${config.timeoutMs} ms`)), config.timeoutMs);
    inFlight.add(req);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      let read = 0;
      res.on('data', (/** @type {Buffer} */ chunk) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      // the status decides; the rest of the answer only frees the connection
      res.on('end', () => finish({ status }));
      res.on('close', () => finish({ status }));
      res.on('error', () => finish({ status }));
    });
    req.on('error', (error) => finish({ error: error.message, aborted: closing }));
    req.end(body);
  });
}

/** @type {Set<Promise<void>>} */
const batches = new Set();

if (!parentPort) throw new Error('webhook-sender.worker.js runs only in a worker thread');
const port = parentPort;
port.on('message', (/** @type {{ id: number, request: { bodies: string[] } } | { close: true }} */ message) => {
  if ('close' in message) {
    // attempts in flight end now (reported as aborted), then the thread ends
    closing = true;
    for (const req of inFlight) req.destroy(new Error('the node is stopping'));
    void Promise.allSettled([...batches]).then(() => {
      agent.destroy();
      port.close();
    });
    return;
  }
  const batch = Promise.all(message.request.bodies.map(post)).then(
    (result) => port.postMessage({ id: message.id, result }),
    (error) => port.postMessage({ id: message.id, error: { message: String(error) } }),
  );
  batches.add(batch);
  void batch.finally(() => batches.delete(batch));
});
