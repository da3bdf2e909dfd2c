// @ts-check
// A bcrypt thread (PasswordHasher in password-hasher.ts), at a lower CPU priority than the
// event loop.
'use strict';
const { setPriority } = require('node:os');
const { workerData } = require('node:worker_threads');
const bcrypt = require('bcrypt');
const { serveRequests } = require('../common/serve-requests.js');

/** @type {{ niceness: number }} */
const { niceness } = workerData;
try {
  // On Linux the nice value is per thread: this lowers only this thread.
  setPriority(niceness);
} catch {
  // not permitted here: hash at normal priority
}

serveRequests((/** @type {{ password: string, cost: number } | { password: string, hash: string }} */ request) =>
  'hash' in request ? bcrypt.compareSync(request.password, request.hash) : bcrypt.hashSync(request.password, request.cost),
);
