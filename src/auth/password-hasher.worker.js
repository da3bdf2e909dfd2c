// @ts-check
// A bcrypt thread (PasswordHasher in password-hasher.ts), at a lower CPU priority than the
// event loop.
'use strict';
const { getPriority, setPriority } = require('node:os');
const { workerData } = require('node:worker_threads');
const bcrypt = require('bcrypt');
const { serveRequests } = require('../threads/serve-requests.js');

/** @type {{ niceness: number }} */
const { niceness } = workerData;
try {
  // On Linux the nice value is per thread: this lowers only this thread, relative to the
  // process (which may itself run under `nice`).
  setPriority(Math.min(19, getPriority() + niceness));
} catch (error) {
  console.warn(`bcrypt thread: could not lower its priority (${String(error)}); hashing at the process's priority`);
}

serveRequests((/** @type {{ op: 'hash', password: string, cost: number } | { op: 'compare', password: string, hash: string }} */ request) =>
  request.op === 'compare' ? bcrypt.compareSync(request.password, request.hash) : bcrypt.hashSync(request.password, request.cost),
);
