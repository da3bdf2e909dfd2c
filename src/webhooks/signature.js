// @ts-check
// Plain JavaScript so that the sender thread (webhook-sender.worker.js) can load it as it is.
'use strict';
const { createHmac } = require('node:crypto');

/**
 * `Parley-Signature` for a body sent at `unixSeconds`: `t=<s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * @param {string} secret
 * @param {string} body
 * @param {number} unixSeconds
 */
function signatureHeader(secret, body, unixSeconds) {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

module.exports = { signatureHeader };
