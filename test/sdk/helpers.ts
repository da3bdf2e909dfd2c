import { ConnectionState, ParleyClient, ParleyClientOptions } from '@parley/client';
import { PASSWORD, uniqueEmail } from '../support/clients';

const open: ParleyClient[] = [];

/** An SDK client with short waits (tests must not sit out a 30 s backoff). */
export function sdkClient(url: string, options: ParleyClientOptions = {}): ParleyClient {
  const client = new ParleyClient({
    url,
    transports: ['websocket'],
    backoff: { initialMs: 100, maxMs: 1000 },
    sendBackoff: { initialMs: 100, maxMs: 1000 },
    ackTimeoutMs: 5000,
    ...options,
  });
  open.push(client);
  return client;
}

export function closeSdkClients(): void {
  for (const client of open.splice(0)) client.close();
}

/** A new user signed in on a new client. */
export async function signedUp(
  url: string,
  displayName: string,
  options: ParleyClientOptions = {},
): Promise<{ client: ParleyClient; email: string; id: string }> {
  const client = sdkClient(url, options);
  const email = uniqueEmail(displayName.toLowerCase());
  const user = await client.auth.register({ email, password: PASSWORD, displayName });
  return { client, email, id: user.id };
}

/** Resolves with the first state that matches (the current one included). */
export interface Stateful {
  state: ConnectionState;
  on(event: 'state', handler: (state: ConnectionState) => void): () => void;
}

export function untilState(chat: Stateful, match: (state: ConnectionState) => boolean, ms = 15_000): Promise<ConnectionState> {
  if (match(chat.state)) return Promise.resolve(chat.state);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`state still ${JSON.stringify(chat.state)} after ${ms} ms`));
    }, ms);
    const off = chat.on('state', (state: ConnectionState) => {
      if (!match(state)) return;
      clearTimeout(timer);
      off();
      resolve(state);
    });
  });
}

export const connected = (state: ConnectionState) => state.status === 'connected';

/** Polls until `check` holds. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
