import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Message } from '@parley/client';
import { fileOutbox } from '@parley/client/node';
import { closeSdkClients, connected, eventually, sdkClient, signedUp, untilState } from './helpers';
import { DATABASES, removeSqliteFile, startApp, testEnv, TestApp } from '../support/app';
import { PASSWORD } from '../support/clients';
import { TcpProxy } from '../support/tcp-proxy';

/** The outbox in a file (Node): what a process could not send goes out from the next one, once. */
describe('SDK: a file outbox across a restart of the client process', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let dir: string;

  beforeAll(async () => {
    t = await startApp(testEnv(await DATABASES[0].url()));
    proxy = await TcpProxy.start('127.0.0.1', Number(new URL(t.url).port));
    dir = mkdtempSync(join(tmpdir(), 'parley-sdk-outbox-'));
  });
  afterAll(async () => {
    closeSdkClients();
    await proxy?.close();
    await t?.close();
    removeSqliteFile(t.env.DATABASE_URL as string);
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a message whose acknowledgement was lost exactly once, from the next process', async () => {
    const file = join(dir, 'lost-ack.json');
    const viaProxy = proxy.rewrite(t.url).replace(/\/$/, '');
    const alice = await signedUp(viaProxy, 'Alice', { outbox: fileOutbox(file) });
    const bob = await signedUp(t.url, 'Bob');
    const bobChat = bob.client.chat().connect();
    await bobChat.join('acks');
    const bobSees: Message[] = [];
    bobChat.on('message:new', (m) => bobSees.push(m));
    const aliceChat = alice.client.chat().connect();
    await aliceChat.join('acks');

    // The send reaches the server and is stored; its acknowledgement is still on the (slow) way back when the link dies.
    proxy.slow(400);
    void aliceChat.send('acks', 'stored, ack lost').catch(() => undefined);
    await eventually(() => bobSees.length === 1, 5000, 'stored');
    proxy.cut();
    const [entry] = JSON.parse(readFileSync(file, 'utf8')) as Array<{ clientMsgId: string; body: string }>;
    expect(entry.body).toBe('stored, ack lost');
    alice.client.close(); // the process ends with the entry still in its file

    const next = sdkClient(t.url, { outbox: fileOutbox(file) });
    await next.auth.login({ email: alice.email, password: PASSWORD });
    const nextChat = next.chat().connect();
    await untilState(nextChat, connected);
    await eventually(async () => (await nextChat.pendingMessages()).length === 0, 10_000, 'the outbox drained');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const page = await bobChat.history('acks');
    expect(page.messages.map((m) => m.body)).toEqual(['stored, ack lost']);
    expect(page.messages[0].clientMsgId).toBe(entry.clientMsgId);
    expect(bobSees).toHaveLength(1);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([]);
  });
});
