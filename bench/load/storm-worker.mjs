// One reconnect-storm load generator (bench/storm.mjs): plain socket.io-client sockets with
// its reconnection backoff. Every socket is a member of one room; after every (re)connect it
// resumes with room:join { since: the last message id it has } until hasMore is false, and only
// then counts as back (and, if it is a sender, sends again). It keeps the id of every message of
// its room it got, live or through a join, so that at the end every message any sender had
// acknowledged can be checked on every socket.
import { io } from 'socket.io-client';
import { mintAccessToken } from '../lib.mjs';

// the orchestrator is gone (it ended or crashed): so is this load
process.once('disconnect', () => process.exit(0));
const { cfg } = await new Promise((resolve) => process.once('message', resolve));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const states = [];
const e2e = []; // [received at, ms] of messages that arrived live on a socket that was back
const acks = []; // [sent at, ms]
const joins = []; // [sent at, ms] of the resuming joins (after a disconnect)
const ackedIds = {}; // room → ids acknowledged to this worker's senders
const joinFailures = {};
let sending = false;
let delivered = 0;
let sinceMessages = 0;
let failedSends = 0;
let inFlight = 0;
let seq = 0;

function track(st, id) {
  st.ids.add(id);
  if (st.lastId === undefined || id > st.lastId) st.lastId = id; // ULIDs sort in creation order
}

/** Joins (with `since` once the socket has seen a message) until nothing more was missed. */
async function resume(st) {
  const generation = ++st.generation;
  const resuming = st.everDown;
  let since = st.lastId;
  for (;;) {
    if (st.generation !== generation || !st.socket.connected) return;
    const t0 = now();
    const ack = await st.socket
      .timeout(30_000)
      .emitWithAck('room:join', since === undefined ? { room: st.room } : { room: st.room, since })
      .catch(() => ({ ok: false, error: { code: 'TIMEOUT' } }));
    if (resuming) joins.push([t0, now() - t0]);
    if (st.generation !== generation) return;
    if (!ack.ok) {
      const code = ack.error?.code ?? 'UNKNOWN';
      joinFailures[code] = (joinFailures[code] ?? 0) + 1;
      // NOT_FOUND for `since` would mean the server lost a message this socket had seen
      if (code === 'NOT_FOUND') st.sinceLost = since;
      await sleep(500 + Math.random() * 1000);
      continue;
    }
    for (const m of ack.data.history) track(st, m.id);
    if (since !== undefined) sinceMessages += ack.data.history.length;
    if (since === undefined || !ack.data.hasMore) break;
    since = st.lastId;
  }
  st.back = true;
  if (resuming) st.backAt = now();
  st.onBack?.();
  st.onBack = null;
}

function open(i) {
  const index = cfg.from + i;
  const room = `storm-${index % cfg.rooms}`;
  const member = Math.floor(index / cfg.rooms);
  const token = mintAccessToken(cfg.users[index % cfg.users.length], `storm-${index}`, 24 * 3600);
  const socket = io(`${cfg.url}/chat`, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: cfg.backoffMinMs,
    reconnectionDelayMax: cfg.backoffMaxMs,
    randomizationFactor: 0.5,
    timeout: 20_000,
    localAddress: cfg.localAddresses[index % cfg.localAddresses.length],
  });
  const st = {
    socket,
    room,
    sender: member < cfg.sendersPerRoom,
    ids: new Set(),
    lastId: undefined,
    back: false,
    everDown: false,
    generation: 0,
    downAt: null,
    backAt: null,
  };
  socket.on('message:new', (m) => {
    if (m.room !== room) return;
    track(st, m.id);
    if (st.back && ++delivered % cfg.sampleEvery === 0) {
      const t = now();
      e2e.push([t, t - Number(m.body.split(':')[0])]);
    }
  });
  socket.on('connect', () => void resume(st));
  socket.on('disconnect', () => {
    st.back = false;
    st.everDown = true;
    st.downAt ??= now();
  });
  states.push(st);
  return new Promise((resolve) => (st.onBack = resolve));
}

function send(st) {
  if (!sending || !st.back || !st.socket.connected) return;
  const t0 = now();
  inFlight++;
  st.socket
    .timeout(10_000)
    .emitWithAck('message:send', { room: st.room, body: `${t0}:${seq}`, clientMsgId: `${process.pid}-${seq++}` })
    .then(
      (ack) => {
        if (ack.ok) {
          (ackedIds[st.room] ??= []).push(ack.data.id);
          acks.push([t0, now() - t0]);
        } else failedSends++;
      },
      () => failedSends++,
    )
    .finally(() => inFlight--);
}

let next = 0;
await Promise.all(
  Array.from({ length: Math.min(100, cfg.count) }, async () => {
    while (next < cfg.count) await open(next++);
  }),
);
// senders send at their rate, each with a random phase, whenever they are back
for (const st of states.filter((s) => s.sender)) {
  const period = 1000 / cfg.ratePerSender;
  setTimeout(() => setInterval(() => send(st), period), Math.random() * period);
}
const progress = setInterval(() => {
  process.send({ type: 'progress', t: now(), connected: states.filter((s) => s.socket.connected).length, back: states.filter((s) => s.back).length });
}, 250);
process.send({ type: 'ready' });

process.on('message', async (m) => {
  if (m.type === 'go') sending = true;
  if (m.type === 'stop') {
    sending = false;
    for (let waited = 0; inFlight > 0 && waited < 12_000; waited += 50) await sleep(50);
    await sleep(1500); // the last deliveries land
    const backTimes = states.filter((s) => s.backAt !== null).map((s) => s.backAt);
    const notBack = states.filter((s) => !s.back).length;
    process.send({
      type: 'stopped',
      ackedIds,
      acks,
      e2e,
      joins,
      joinFailures,
      sinceMessages,
      failedSends,
      backTimes,
      notBack,
      lostSince: states.filter((s) => s.sinceLost).map((s) => s.sinceLost),
    });
  }
  if (m.type === 'verify') {
    let missing = 0;
    let socketsMissing = 0;
    const examples = [];
    for (const st of states) {
      let mine = 0;
      for (const id of m.acked[st.room] ?? []) {
        if (!st.ids.has(id)) {
          mine++;
          if (examples.length < 5) examples.push({ room: st.room, id });
        }
      }
      missing += mine;
      if (mine) socketsMissing++;
    }
    const checked = states.reduce((a, st) => a + (m.acked[st.room]?.length ?? 0), 0);
    process.send({ type: 'verified', missing, socketsMissing, examples, checked, sockets: states.length });
  }
  if (m.type === 'close') {
    clearInterval(progress);
    for (const st of states) st.socket.close();
    process.send({ type: 'closed' }, () => process.exit(0));
  }
});
